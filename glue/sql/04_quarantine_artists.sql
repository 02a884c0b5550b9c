-- Rejected artists rows: the source file, why, and the original text of every kept column.
-- The rows that failed a check, plus the losers of deduplication.
-- reason_column: the column that failed a check, the key for a loser.
WITH rejected AS (
  -- Rows that failed a check, given the columns duplicates_* adds so the two stack.
  SELECT checked.*, 1 AS row_rank, 1 AS value_rank, check_reason AS reason
  FROM checked_artists AS checked
  WHERE check_reason IS NOT NULL
  UNION ALL
  SELECT * FROM duplicates_artists WHERE reason IS NOT NULL
)
SELECT
  source_file,
  reason,
  COALESCE(check_column, 'artist_id') AS reason_column,
  COALESCE(o_artist_id, artist_id) AS artist_id,
  COALESCE(o_artist_name, artist_name) AS artist_name,
  COALESCE(o_artist_popularity, CAST(artist_popularity AS STRING)) AS artist_popularity,
  COALESCE(o_artist_genres, artist_genres) AS artist_genres,
  COALESCE(o_followers, CAST(followers AS STRING)) AS followers
FROM rejected
