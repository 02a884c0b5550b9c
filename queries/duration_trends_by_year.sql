-- title: Track duration trends by release year
-- answers: How long are tracks, per release year? Track count, mean and exact median duration in minutes (2 decimals), oldest year first; tracks without a release year or duration are left out.
WITH timed AS (
  SELECT
    release_year,
    CAST(duration_ms AS DOUBLE) / 60000 AS minutes,
    ROW_NUMBER() OVER (PARTITION BY release_year ORDER BY duration_ms ASC) AS row_in_year,
    COUNT(*) OVER (PARTITION BY release_year) AS tracks_in_year
  FROM tracks
  WHERE release_year IS NOT NULL AND duration_ms IS NOT NULL
)
SELECT
  release_year,
  COUNT(*) AS track_count,
  ROUND(AVG(minutes), 2) AS avg_duration_min,
  -- Exact median without median()/approx_percentile() (each exists in only one engine) and
  -- without integer division (truncates in Trino, not in DuckDB): with n rows in the year,
  -- 2 * row BETWEEN n AND n + 2 picks the middle row (n odd) or the two middle rows (n even).
  ROUND(
    AVG(CASE WHEN 2 * row_in_year BETWEEN tracks_in_year AND tracks_in_year + 2 THEN minutes END),
    2
  ) AS median_duration_min
FROM timed
GROUP BY release_year
ORDER BY release_year ASC
