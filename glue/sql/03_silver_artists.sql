-- Accepted artists: one row per artist_id, typed and trimmed.
SELECT
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers
FROM staged_artists
WHERE reason IS NULL
