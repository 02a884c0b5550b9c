-- Rejected albums rows: the source file, why, and the original text of every kept column.
-- The rows that failed a check, plus the losers of deduplication.
-- reason_column: the column that failed a check, the key for a loser.
WITH rejected AS (
  -- Rows that failed a check, given the columns duplicates_* adds so the two stack.
  SELECT checked.*, 1 AS row_rank, 1 AS value_rank, check_reason AS reason
  FROM checked_albums AS checked
  WHERE check_reason IS NOT NULL
  UNION ALL
  SELECT * FROM duplicates_albums WHERE reason IS NOT NULL
)
SELECT
  source_file,
  reason,
  COALESCE(check_column, 'track_id') AS reason_column,
  COALESCE(o_track_id, track_id) AS track_id,
  COALESCE(o_track_name, track_name) AS track_name,
  COALESCE(o_track_number, CAST(track_number AS STRING)) AS track_number,
  COALESCE(o_duration_ms, CAST(duration_ms AS STRING)) AS duration_ms,
  COALESCE(o_album_type, album_type) AS album_type,
  COALESCE(o_total_tracks, CAST(total_tracks AS STRING)) AS total_tracks,
  COALESCE(o_album_name, album_name) AS album_name,
  COALESCE(o_release_date, CAST(release_date AS STRING)) AS release_date,
  COALESCE(o_label, label) AS label,
  COALESCE(o_album_popularity, CAST(album_popularity AS STRING)) AS album_popularity,
  COALESCE(o_album_id, album_id) AS album_id,
  COALESCE(o_artist_id, artist_id) AS artist_id
FROM rejected
