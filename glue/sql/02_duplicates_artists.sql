-- The valid checked_artists rows whose artist_id is held by more than one valid row, each with
-- its deduplication outcome in reason (see glue/README.md): the smallest typed values (then
-- original text) win (NULL), the others are duplicate_row when their typed values equal the
-- winner's, else duplicate_key. Small: every other row's fate is already known.
WITH repeated_keys AS (
  SELECT artist_id AS repeated_key
  FROM checked_artists
  WHERE check_reason IS NULL
  GROUP BY artist_id
  HAVING COUNT(*) > 1
),
ranked AS (
  SELECT
    checked.*,
    ROW_NUMBER() OVER (
      PARTITION BY checked.artist_id
      ORDER BY
        artist_name ASC NULLS LAST,
        artist_popularity ASC NULLS LAST,
        artist_genres ASC NULLS LAST,
        followers ASC NULLS LAST,
        COALESCE(o_artist_id, artist_id) ASC NULLS LAST,
        COALESCE(o_artist_name, artist_name) ASC NULLS LAST,
        COALESCE(o_artist_popularity, CAST(artist_popularity AS STRING)) ASC NULLS LAST,
        COALESCE(o_artist_genres, artist_genres) ASC NULLS LAST,
        COALESCE(o_followers, CAST(followers AS STRING)) ASC NULLS LAST
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
)
SELECT
  ranked.*,
  CASE
    WHEN row_rank = 1 THEN CAST(NULL AS STRING)
    WHEN value_rank = 1 THEN 'duplicate_row'
    ELSE 'duplicate_key'
  END AS reason
FROM ranked
