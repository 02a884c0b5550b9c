-- The valid checked_tracks rows whose track_id is held by more than one valid row, each with its
-- deduplication outcome in reason (NULL: the winner), as in 02_duplicates_artists.sql.
WITH repeated_keys AS (
  SELECT track_id AS repeated_key
  FROM checked_tracks
  WHERE check_reason IS NULL
  GROUP BY track_id
  HAVING COUNT(*) > 1
),
ranked AS (
  SELECT
    checked.*,
    ROW_NUMBER() OVER (
      PARTITION BY checked.track_id
      ORDER BY
        track_popularity ASC NULLS LAST,
        explicit ASC NULLS LAST,
        COALESCE(o_track_id, track_id) ASC NULLS LAST,
        COALESCE(o_track_popularity, CAST(track_popularity AS STRING)) ASC NULLS LAST,
        COALESCE(o_explicit, CAST(explicit AS STRING)) ASC NULLS LAST
    ) AS row_rank,
    DENSE_RANK() OVER (
      PARTITION BY checked.track_id
      ORDER BY
        track_popularity ASC NULLS LAST,
        explicit ASC NULLS LAST
    ) AS value_rank
  FROM checked_tracks AS checked
  INNER JOIN repeated_keys ON repeated_keys.repeated_key = checked.track_id
  WHERE checked.check_reason IS NULL
)
SELECT
  ranked.*,
  CASE
    WHEN row_rank = 1 THEN CAST(NULL AS STRING)
    WHEN value_rank = 1 THEN 'duplicate_row'
    ELSE 'duplicate_key'
  END AS reason
FROM ranked
