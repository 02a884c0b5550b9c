-- Accepted albums rows (one per track_id) whose artist and track are known: exactly the rows
-- of the gold table.
SELECT
  track_id,
  track_name,
  track_number,
  duration_ms,
  album_type,
  total_tracks,
  album_name,
  release_date,
  release_date_precision,
  label,
  album_popularity,
  album_id,
  artist_id
FROM staged_albums
WHERE reason IS NULL
