-- Every checked_tracks row once with its final reason (NULL = accepted): the rows still valid
-- are deduplicated on track_id (duplicate_row, duplicate_key, see glue/README.md).
WITH repeated_keys AS (
  -- Keys held by more than one valid row: only their rows need ranking.
  SELECT track_id AS repeated_key
  FROM checked_tracks AS checked
  WHERE check_reason IS NULL
  GROUP BY track_id
  HAVING COUNT(*) > 1
),
ranked AS (
  -- Among the valid rows of a repeated key, the smallest typed values (then original text)
  -- win, the others are duplicate_row when their typed values equal the winner's, else
  -- duplicate_key.
  SELECT
    checked.*,
    ROW_NUMBER() OVER (
      PARTITION BY checked.track_id
      ORDER BY
        track_popularity ASC NULLS LAST,
        explicit ASC NULLS LAST,
        o_track_id ASC NULLS LAST,
        o_track_popularity ASC NULLS LAST,
        o_explicit ASC NULLS LAST
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
),
decided AS (
  SELECT
    checked.*,
    1 AS row_rank,
    1 AS value_rank
  FROM checked_tracks AS checked
  LEFT JOIN repeated_keys ON repeated_keys.repeated_key = checked.track_id
  WHERE checked.check_reason IS NOT NULL OR repeated_keys.repeated_key IS NULL
  UNION ALL
  SELECT * FROM ranked
),
judged AS (
  SELECT
    decided.*,
    CASE
      WHEN check_reason IS NOT NULL THEN check_reason
      WHEN row_rank = 1 THEN CAST(NULL AS STRING)
      WHEN value_rank = 1 THEN 'duplicate_row'
      ELSE 'duplicate_key'
    END AS reason,
    CASE
      WHEN check_reason IS NOT NULL THEN check_column
      WHEN row_rank = 1 THEN CAST(NULL AS STRING)
      ELSE 'track_id'
    END AS reason_column
  FROM decided
)
-- Source file and original text are kept for rejected rows only: accepted rows live on in
-- their typed form, and NULLs cost nothing to store.
SELECT
  reason,
  reason_column,
  CASE WHEN reason IS NULL THEN NULL ELSE source_file END AS source_file,
  CASE WHEN reason IS NULL THEN NULL ELSE o_track_id END AS o_track_id,
  CASE WHEN reason IS NULL THEN NULL ELSE o_track_popularity END AS o_track_popularity,
  CASE WHEN reason IS NULL THEN NULL ELSE o_explicit END AS o_explicit,
  track_id,
  track_popularity,
  explicit
FROM judged
