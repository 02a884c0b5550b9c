-- Accepted albums rows (one per track_id, with an accepted artist and track), with the columns
-- of their artist and track from the join in 09_checked_albums.sql: the valid rows of unrepeated
-- keys, plus the winner of each repeated key. Read by silver_albums and gold_tracks.
WITH accepted AS (
  -- Valid rows of unrepeated keys, given the columns duplicates_* adds so the two stack.
  SELECT checked.*, 1 AS row_rank, 1 AS value_rank, CAST(NULL AS STRING) AS reason
  FROM checked_albums AS checked
  LEFT JOIN (SELECT DISTINCT track_id AS repeated_key FROM duplicates_albums) AS dup
    ON dup.repeated_key = checked.track_id
  WHERE checked.check_reason IS NULL AND dup.repeated_key IS NULL
  UNION ALL
  SELECT * FROM duplicates_albums WHERE reason IS NULL
)
SELECT
  track_id,
  track_name,
  track_number,
  duration_ms,
  album_type,
  total_tracks,
  album_name,
  release_date,
  CASE WHEN release_date IS NULL THEN CAST(NULL AS STRING) ELSE d_precision END
    AS release_date_precision,
  label,
  album_popularity,
  album_id,
  artist_id,
  artist_name,
  artist_popularity,
  followers,
  artist_genres,
  explicit,
  track_popularity
FROM accepted
