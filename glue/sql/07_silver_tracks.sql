-- Accepted tracks: one row per track_id, typed and trimmed. The valid rows of unrepeated keys,
-- plus the winner of each repeated key.
SELECT
  track_id,
  track_popularity,
  explicit
FROM checked_tracks AS checked
LEFT JOIN (SELECT DISTINCT track_id AS repeated_key FROM duplicates_tracks) AS dup
  ON dup.repeated_key = checked.track_id
WHERE checked.check_reason IS NULL AND dup.repeated_key IS NULL
UNION ALL
SELECT
  track_id,
  track_popularity,
  explicit
FROM duplicates_tracks
WHERE reason IS NULL
