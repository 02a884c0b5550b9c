-- The gold table `tracks` (docs/contracts.md): one row per accepted albums row with the columns
-- of its artist (joined on artist_id) and its track (joined on track_id) from
-- 09_checked_albums.sql. duration_min rounds half up to 2 decimals in exact arithmetic.
SELECT
  track_id,
  track_name,
  track_number,
  duration_ms,
  CAST(FLOOR((CAST(duration_ms AS DOUBLE) + 300) / 600) AS DOUBLE) / 100 AS duration_min,
  explicit,
  track_popularity,
  album_id,
  album_name,
  album_type,
  total_tracks,
  release_date,
  CAST(YEAR(release_date) AS INT) AS release_year,
  label,
  album_popularity,
  artist_id,
  artist_name,
  artist_popularity,
  followers,
  artist_genres
FROM accepted_albums
