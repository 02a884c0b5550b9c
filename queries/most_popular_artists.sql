-- title: Most popular artists by track count
-- answers: Which 20 artists have the most tracks, and how popular are they (Spotify popularity 0-100, followers)? Equal track counts go to the more popular artist, then the one with more followers.
WITH artists AS (
  SELECT
    artist_id,
    artist_name,
    COUNT(track_id) AS total_tracks,
    MAX(artist_popularity) AS artist_popularity,
    MAX(followers) AS followers
  FROM tracks
  GROUP BY artist_id, artist_name
)
SELECT
  artist_name,
  total_tracks,
  artist_popularity,
  followers
FROM artists
ORDER BY
  total_tracks DESC,
  artist_popularity DESC NULLS LAST,
  followers DESC NULLS LAST,
  artist_name ASC NULLS LAST,
  artist_id ASC
LIMIT 20
