-- Accepted artists: one row per artist_id, typed and trimmed. The valid rows of unrepeated keys,
-- plus the winner of each repeated key.
SELECT
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers
FROM checked_artists AS checked
LEFT JOIN (SELECT DISTINCT artist_id AS repeated_key FROM duplicates_artists) AS dup
  ON dup.repeated_key = checked.artist_id
WHERE checked.check_reason IS NULL AND dup.repeated_key IS NULL
UNION ALL
SELECT
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers
FROM duplicates_artists
WHERE reason IS NULL
