-- title: Explicit vs clean share
-- answers: What share of tracks is explicit, clean or of unknown rating, and how popular is each group on average?
WITH rated AS (
  SELECT
    CASE
      WHEN explicit THEN 'explicit'
      WHEN NOT explicit THEN 'clean'
      ELSE 'unknown'
    END AS content_rating,
    track_popularity
  FROM tracks
)
SELECT
  content_rating,
  COUNT(*) AS track_count,
  ROUND(100 * CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER (), 2) AS share_pct,
  ROUND(AVG(CAST(track_popularity AS DOUBLE)), 2) AS avg_track_popularity
FROM rated
GROUP BY content_rating
ORDER BY content_rating ASC
