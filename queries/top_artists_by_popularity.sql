-- title: Top artists by popularity and followers
-- answers: Which 20 artists have the highest Spotify popularity, with followers as the tiebreak, and what are their genres and track counts?
WITH artists AS (
  SELECT
    artist_id,
    artist_name,
    MAX(artist_popularity) AS artist_popularity,
    MAX(followers) AS followers,
    MAX(artist_genres) AS artist_genres,
    COUNT(track_id) AS total_tracks
  FROM tracks
  GROUP BY artist_id, artist_name
)
SELECT
  artist_name,
  artist_popularity,
  followers,
  artist_genres,
  total_tracks
FROM artists
ORDER BY
  artist_popularity DESC NULLS LAST,
  followers DESC NULLS LAST,
  artist_name ASC NULLS LAST,
  artist_id ASC
LIMIT 20
