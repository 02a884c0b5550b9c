-- title: Artist popularity and track count by snapshot
-- answers: How did the popularity and track count of the 10 artists with the most tracks in the latest snapshot move across snapshots? One row per artist and snapshot date; equal track counts go to the more popular artist, then the lower artist id.
-- reads: tracks_history
-- Every published run's gold is a snapshot_date partition of tracks_history (Athena reads it
-- through partition projection). The local run charts it with 2 or more snapshots.
WITH per_snapshot AS (
  SELECT snapshot_date, artist_id, artist_name,
    MAX(artist_popularity) AS artist_popularity,
    COUNT(track_id) AS track_count
  FROM tracks_history
  GROUP BY snapshot_date, artist_id, artist_name
),
latest AS (
  SELECT MAX(snapshot_date) AS snapshot_date FROM tracks_history
),
top_artists AS (
  SELECT p.artist_id
  FROM per_snapshot p
  JOIN latest l ON p.snapshot_date = l.snapshot_date
  ORDER BY p.track_count DESC, p.artist_popularity DESC NULLS LAST, p.artist_id ASC
  LIMIT 10
)
SELECT p.snapshot_date, p.artist_name, p.artist_popularity, p.track_count
FROM per_snapshot p
JOIN top_artists t ON t.artist_id = p.artist_id
ORDER BY p.artist_name ASC, p.artist_id ASC, p.snapshot_date ASC
