-- Accepted artists: one row per artist_id, typed and trimmed. The valid rows of unrepeated keys,
-- plus the winner of each repeated key.
WITH accepted AS (
  -- Valid rows of unrepeated keys, given the columns duplicates_* adds so the two stack.
  SELECT checked.*, 1 AS row_rank, 1 AS value_rank, CAST(NULL AS STRING) AS reason
  FROM checked_artists AS checked
  LEFT JOIN (SELECT DISTINCT artist_id AS repeated_key FROM duplicates_artists) AS dup
    ON dup.repeated_key = checked.artist_id
  WHERE checked.check_reason IS NULL AND dup.repeated_key IS NULL
  UNION ALL
  SELECT * FROM duplicates_artists WHERE reason IS NULL
)
SELECT
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers
FROM accepted
