-- Rejected tracks rows: the source file, why, and the original text of every kept column.
SELECT
  source_file,
  reason,
  reason_column,
  o_track_id AS track_id,
  o_track_popularity AS track_popularity,
  o_explicit AS explicit
FROM staged_tracks
WHERE reason IS NOT NULL
