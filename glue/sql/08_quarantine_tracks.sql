-- Rejected tracks rows: the source file, why, and the original text of every kept column.
-- The rows that failed a check, plus the losers of deduplication.
-- reason_column: the column that failed a check, the key for a loser.
WITH rejected AS (
  -- Rows that failed a check, given the columns duplicates_* adds so the two stack.
  SELECT checked.*, 1 AS row_rank, 1 AS value_rank, check_reason AS reason
  FROM checked_tracks AS checked
  WHERE check_reason IS NOT NULL
  UNION ALL
  SELECT * FROM duplicates_tracks WHERE reason IS NOT NULL
)
SELECT
  source_file,
  reason,
  COALESCE(check_column, 'track_id') AS reason_column,
  COALESCE(o_track_id, track_id) AS track_id,
  COALESCE(o_track_popularity, CAST(track_popularity AS STRING)) AS track_popularity,
  COALESCE(o_explicit, CAST(explicit AS STRING)) AS explicit
FROM rejected
