-- title: Total tracks by artist (seed example)
-- answers: How many tracks does each artist name have, most first? The seed pipeline's example query, with artist_name as a tiebreak so equal counts come back in a fixed order.
SELECT
  artist_name,
  COUNT(track_id) AS total_tracks
FROM tracks
GROUP BY artist_name
ORDER BY total_tracks DESC, artist_name ASC NULLS LAST
