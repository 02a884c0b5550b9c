-- title: Track counts by album
-- answers: Which 20 albums have the most tracks in the warehouse, and by which artist? Albums are told apart by id, so two albums with the same name stay separate rows.
WITH albums AS (
  SELECT
    album_id,
    album_name,
    artist_id,
    artist_name,
    COUNT(track_id) AS track_count
  FROM tracks
  GROUP BY album_id, album_name, artist_id, artist_name
)
SELECT
  album_name,
  artist_name,
  track_count
FROM albums
ORDER BY
  track_count DESC,
  album_name ASC NULLS LAST,
  artist_name ASC NULLS LAST,
  album_id ASC,
  artist_id ASC
LIMIT 20
