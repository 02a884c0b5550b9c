-- Rejected artists rows: the source file, why, and the original text of every kept column.
-- The rows that failed a check, plus the losers of deduplication.
SELECT
  source_file,
  check_reason AS reason,
  check_column AS reason_column,
  COALESCE(o_artist_id, artist_id) AS artist_id,
  COALESCE(o_artist_name, artist_name) AS artist_name,
  COALESCE(o_artist_popularity, CAST(artist_popularity AS STRING)) AS artist_popularity,
  COALESCE(o_artist_genres, artist_genres) AS artist_genres,
  COALESCE(o_followers, CAST(followers AS STRING)) AS followers
FROM checked_artists
WHERE check_reason IS NOT NULL
UNION ALL
SELECT
  source_file,
  reason,
  'artist_id' AS reason_column,
  COALESCE(o_artist_id, artist_id) AS artist_id,
  COALESCE(o_artist_name, artist_name) AS artist_name,
  COALESCE(o_artist_popularity, CAST(artist_popularity AS STRING)) AS artist_popularity,
  COALESCE(o_artist_genres, artist_genres) AS artist_genres,
  COALESCE(o_followers, CAST(followers AS STRING)) AS followers
FROM duplicates_artists
WHERE reason IS NOT NULL
