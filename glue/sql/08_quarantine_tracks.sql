-- Rejected tracks rows: the source file, why, and the original text of every kept column.
-- The rows that failed a check, plus the losers of deduplication.
SELECT
  source_file,
  check_reason AS reason,
  check_column AS reason_column,
  COALESCE(o_track_id, track_id) AS track_id,
  COALESCE(o_track_popularity, CAST(track_popularity AS STRING)) AS track_popularity,
  COALESCE(o_explicit, CAST(explicit AS STRING)) AS explicit
FROM checked_tracks
WHERE check_reason IS NOT NULL
UNION ALL
SELECT
  source_file,
  reason,
  'track_id' AS reason_column,
  COALESCE(o_track_id, track_id) AS track_id,
  COALESCE(o_track_popularity, CAST(track_popularity AS STRING)) AS track_popularity,
  COALESCE(o_explicit, CAST(explicit AS STRING)) AS explicit
FROM duplicates_tracks
WHERE reason IS NOT NULL
