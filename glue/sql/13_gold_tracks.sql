-- The gold table `tracks` (docs/contracts.md): one row per accepted albums row, joined with its
-- artist on artist_id and its track on track_id. Orphans were quarantined in staged_albums, so
-- the inner joins drop nothing. duration_min rounds half up to 2 decimals in exact arithmetic.
SELECT
  a.track_id,
  a.track_name,
  a.track_number,
  a.duration_ms,
  CAST(FLOOR((CAST(a.duration_ms AS DOUBLE) + 300) / 600) AS DOUBLE) / 100 AS duration_min,
  t.explicit,
  t.track_popularity,
  a.album_id,
  a.album_name,
  a.album_type,
  a.total_tracks,
  a.release_date,
  CAST(YEAR(a.release_date) AS INT) AS release_year,
  a.label,
  a.album_popularity,
  a.artist_id,
  r.artist_name,
  r.artist_popularity,
  r.followers,
  r.artist_genres
FROM silver_albums AS a
INNER JOIN silver_artists AS r ON r.artist_id = a.artist_id
INNER JOIN silver_tracks AS t ON t.track_id = a.track_id
