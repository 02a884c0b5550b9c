-- Every checked_albums row once with its final reason (NULL = accepted): the rows still valid
-- are deduplicated on track_id (duplicate_row, duplicate_key, see glue/README.md).
WITH repeated_keys AS (
  -- Keys held by more than one valid row: only their rows need ranking.
  SELECT track_id AS repeated_key
  FROM checked_albums AS checked
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
        track_name ASC NULLS LAST,
        track_number ASC NULLS LAST,
        duration_ms ASC NULLS LAST,
        album_type ASC NULLS LAST,
        total_tracks ASC NULLS LAST,
        album_name ASC NULLS LAST,
        release_date ASC NULLS LAST,
        d_precision ASC NULLS LAST,
        label ASC NULLS LAST,
        album_popularity ASC NULLS LAST,
        album_id ASC NULLS LAST,
        artist_id ASC NULLS LAST,
        o_track_id ASC NULLS LAST,
        o_track_name ASC NULLS LAST,
        o_track_number ASC NULLS LAST,
        o_duration_ms ASC NULLS LAST,
        o_album_type ASC NULLS LAST,
        o_total_tracks ASC NULLS LAST,
        o_album_name ASC NULLS LAST,
        o_release_date ASC NULLS LAST,
        o_label ASC NULLS LAST,
        o_album_popularity ASC NULLS LAST,
        o_album_id ASC NULLS LAST,
        o_artist_id ASC NULLS LAST
    ) AS row_rank,
    DENSE_RANK() OVER (
      PARTITION BY checked.track_id
      ORDER BY
        track_name ASC NULLS LAST,
        track_number ASC NULLS LAST,
        duration_ms ASC NULLS LAST,
        album_type ASC NULLS LAST,
        total_tracks ASC NULLS LAST,
        album_name ASC NULLS LAST,
        release_date ASC NULLS LAST,
        d_precision ASC NULLS LAST,
        label ASC NULLS LAST,
        album_popularity ASC NULLS LAST,
        album_id ASC NULLS LAST,
        artist_id ASC NULLS LAST
    ) AS value_rank
  FROM checked_albums AS checked
  INNER JOIN repeated_keys ON repeated_keys.repeated_key = checked.track_id
  WHERE checked.check_reason IS NULL
),
decided AS (
  SELECT
    checked.*,
    1 AS row_rank,
    1 AS value_rank
  FROM checked_albums AS checked
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
  CASE WHEN reason IS NULL THEN NULL ELSE o_track_name END AS o_track_name,
  CASE WHEN reason IS NULL THEN NULL ELSE o_track_number END AS o_track_number,
  CASE WHEN reason IS NULL THEN NULL ELSE o_duration_ms END AS o_duration_ms,
  CASE WHEN reason IS NULL THEN NULL ELSE o_album_type END AS o_album_type,
  CASE WHEN reason IS NULL THEN NULL ELSE o_total_tracks END AS o_total_tracks,
  CASE WHEN reason IS NULL THEN NULL ELSE o_album_name END AS o_album_name,
  CASE WHEN reason IS NULL THEN NULL ELSE o_release_date END AS o_release_date,
  CASE WHEN reason IS NULL THEN NULL ELSE o_label END AS o_label,
  CASE WHEN reason IS NULL THEN NULL ELSE o_album_popularity END AS o_album_popularity,
  CASE WHEN reason IS NULL THEN NULL ELSE o_album_id END AS o_album_id,
  CASE WHEN reason IS NULL THEN NULL ELSE o_artist_id END AS o_artist_id,
  track_id,
  track_name,
  track_number,
  duration_ms,
  album_type,
  total_tracks,
  album_name,
  release_date,
  CASE WHEN release_date IS NULL THEN CAST(NULL AS STRING) ELSE d_precision END
    AS release_date_precision,
  label,
  album_popularity,
  album_id,
  artist_id
FROM judged
