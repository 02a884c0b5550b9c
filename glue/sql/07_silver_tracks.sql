-- Accepted tracks: one row per track_id, typed and trimmed.
SELECT
  track_id,
  track_popularity,
  explicit
FROM staged_tracks
WHERE reason IS NULL
