-- Every checked_artists row once with its final reason (NULL = accepted): the rows still valid
-- are deduplicated on artist_id (duplicate_row, duplicate_key, see glue/README.md).
WITH repeated_keys AS (
  -- Keys held by more than one valid row: only their rows need ranking.
  SELECT artist_id AS repeated_key
  FROM checked_artists AS checked
  WHERE check_reason IS NULL
  GROUP BY artist_id
  HAVING COUNT(*) > 1
),
ranked AS (
  -- Among the valid rows of a repeated key, the smallest typed values (then original text)
  -- win, the others are duplicate_row when their typed values equal the winner's, else
  -- duplicate_key.
  SELECT
    checked.*,
    ROW_NUMBER() OVER (
      PARTITION BY checked.artist_id
      ORDER BY
        artist_name ASC NULLS LAST,
        artist_popularity ASC NULLS LAST,
        artist_genres ASC NULLS LAST,
        followers ASC NULLS LAST,
        o_artist_id ASC NULLS LAST,
        o_artist_name ASC NULLS LAST,
        o_artist_popularity ASC NULLS LAST,
        o_artist_genres ASC NULLS LAST,
        o_followers ASC NULLS LAST
    ) AS row_rank,
    DENSE_RANK() OVER (
      PARTITION BY checked.artist_id
      ORDER BY
        artist_name ASC NULLS LAST,
        artist_popularity ASC NULLS LAST,
        artist_genres ASC NULLS LAST,
        followers ASC NULLS LAST
    ) AS value_rank
  FROM checked_artists AS checked
  INNER JOIN repeated_keys ON repeated_keys.repeated_key = checked.artist_id
  WHERE checked.check_reason IS NULL
),
decided AS (
  SELECT
    checked.*,
    1 AS row_rank,
    1 AS value_rank
  FROM checked_artists AS checked
  LEFT JOIN repeated_keys ON repeated_keys.repeated_key = checked.artist_id
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
      ELSE 'artist_id'
    END AS reason_column
  FROM decided
)
-- Source file and original text are kept for rejected rows only: accepted rows live on in
-- their typed form, and NULLs cost nothing to store.
SELECT
  reason,
  reason_column,
  CASE WHEN reason IS NULL THEN NULL ELSE source_file END AS source_file,
  CASE WHEN reason IS NULL THEN NULL ELSE o_artist_id END AS o_artist_id,
  CASE WHEN reason IS NULL THEN NULL ELSE o_artist_name END AS o_artist_name,
  CASE WHEN reason IS NULL THEN NULL ELSE o_artist_popularity END AS o_artist_popularity,
  CASE WHEN reason IS NULL THEN NULL ELSE o_artist_genres END AS o_artist_genres,
  CASE WHEN reason IS NULL THEN NULL ELSE o_followers END AS o_followers,
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers
FROM judged
