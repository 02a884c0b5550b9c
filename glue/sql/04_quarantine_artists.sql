-- Rejected artists rows: the source file, why, and the original text of every kept column.
SELECT
  source_file,
  reason,
  reason_column,
  o_artist_id AS artist_id,
  o_artist_name AS artist_name,
  o_artist_popularity AS artist_popularity,
  o_artist_genres AS artist_genres,
  o_followers AS followers
FROM staged_artists
WHERE reason IS NOT NULL
