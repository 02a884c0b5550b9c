-- title: Data quality: missing keys
-- answers: Which key columns (track_id, album_id, artist_id) are NULL or blank, and in how many rows? No rows means every key is present.
WITH missing AS (
  SELECT 'track_id' AS key_column FROM tracks WHERE track_id IS NULL OR TRIM(track_id) = ''
  UNION ALL
  SELECT 'album_id' AS key_column FROM tracks WHERE album_id IS NULL OR TRIM(album_id) = ''
  UNION ALL
  SELECT 'artist_id' AS key_column FROM tracks WHERE artist_id IS NULL OR TRIM(artist_id) = ''
)
SELECT
  key_column,
  COUNT(*) AS bad_rows
FROM missing
GROUP BY key_column
ORDER BY key_column ASC
