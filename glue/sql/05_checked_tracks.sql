-- Every raw_tracks row once: its typed values, its original text where that differs (o_*) and
-- the first failed check (check_reason, check_column), NULL when the row is valid so far. Checks
-- in priority order: missing_key, bad_number, bad_boolean (see glue/README.md).
WITH original AS (
  SELECT
    _source_file AS source_file,
    NULLIF(track_id, '') AS o_track_id,
    NULLIF(track_popularity, '') AS o_track_popularity,
    NULLIF(explicit, '') AS o_explicit
  FROM raw_tracks
),
trimmed AS (
  -- Surrounding spaces go, blank becomes NULL (TRIM only where needed: it is the costly part).
  SELECT
    original.*,
    CASE
      WHEN o_track_id LIKE ' %' OR o_track_id LIKE '% '
        THEN NULLIF(TRIM(o_track_id), '')
      ELSE o_track_id
    END AS t_track_id,
    CASE
      WHEN o_track_popularity LIKE ' %' OR o_track_popularity LIKE '% '
        THEN NULLIF(TRIM(o_track_popularity), '')
      ELSE o_track_popularity
    END AS t_track_popularity,
    LOWER(
      CASE
        WHEN o_explicit LIKE ' %' OR o_explicit LIKE '% '
          THEN NULLIF(TRIM(o_explicit), '')
        ELSE o_explicit
      END
    ) AS t_explicit
  FROM original
),
typed AS (
  SELECT
    trimmed.*,
    t_track_id AS track_id,
    TRY_CAST(REGEXP_EXTRACT(t_track_popularity, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT)
      AS track_popularity,
    CASE
      WHEN t_explicit IN ('true', 't', 'yes', 'y', '1') THEN TRUE
      WHEN t_explicit IN ('false', 'f', 'no', 'n', '0') THEN FALSE
    END AS explicit
  FROM trimmed
),
flagged AS (
  SELECT
    typed.*,
    track_id IS NULL AS missing_track_id,
    t_track_popularity IS NOT NULL
      AND (track_popularity IS NULL OR track_popularity < 0 OR track_popularity > 100)
      AS bad_track_popularity,
    t_explicit IS NOT NULL AND explicit IS NULL AS bad_explicit
  FROM typed
)
-- The first failed check names the reason and the column (NULL: valid so far). o_<column> keeps
-- the original text only where it differs from the typed value's text (see
-- 01_checked_artists.sql).
SELECT
  source_file,
  CASE WHEN o_track_id = track_id THEN NULL ELSE o_track_id END AS o_track_id,
  CASE
    WHEN o_track_popularity = CAST(track_popularity AS STRING) THEN NULL
    ELSE o_track_popularity
  END AS o_track_popularity,
  CASE WHEN o_explicit = CAST(explicit AS STRING) THEN NULL ELSE o_explicit END AS o_explicit,
  track_id,
  track_popularity,
  explicit,
  CASE
    WHEN missing_track_id THEN 'missing_key'
    WHEN bad_track_popularity THEN 'bad_number'
    WHEN bad_explicit THEN 'bad_boolean'
  END AS check_reason,
  CASE
    WHEN missing_track_id THEN 'track_id'
    WHEN bad_track_popularity THEN 'track_popularity'
    WHEN bad_explicit THEN 'explicit'
  END AS check_column
FROM flagged
