-- title: Data quality: duplicate track ids
-- answers: Which track_id values appear in more than one row of the gold table (first 100, most repeated first)? No rows means track_id is unique.
SELECT
  track_id,
  COUNT(*) AS row_count
FROM tracks
WHERE track_id IS NOT NULL AND TRIM(track_id) <> ''
GROUP BY track_id
HAVING COUNT(*) > 1
ORDER BY row_count DESC, track_id ASC
LIMIT 100
