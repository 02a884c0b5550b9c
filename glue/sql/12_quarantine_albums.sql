-- Rejected albums rows: the source file, why, and the original text of every kept column.
SELECT
  source_file,
  reason,
  reason_column,
  o_track_id AS track_id,
  o_track_name AS track_name,
  o_track_number AS track_number,
  o_duration_ms AS duration_ms,
  o_album_type AS album_type,
  o_total_tracks AS total_tracks,
  o_album_name AS album_name,
  o_release_date AS release_date,
  o_label AS label,
  o_album_popularity AS album_popularity,
  o_album_id AS album_id,
  o_artist_id AS artist_id
FROM staged_albums
WHERE reason IS NOT NULL
