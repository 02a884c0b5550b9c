-- Accepted albums rows, typed and trimmed: exactly the rows of the gold table.
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
FROM accepted_albums
