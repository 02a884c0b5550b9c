-- Every raw_artists row once: its typed values, its original text where that differs (o_*) and
-- the first failed check (check_reason, check_column), NULL when the row is valid so far. Checks
-- in priority order: missing_key, bad_number (see glue/README.md).
WITH original AS (
  SELECT
    _source_file AS source_file,
    NULLIF(artist_id, '') AS o_artist_id,
    NULLIF(artist_name, '') AS o_artist_name,
    NULLIF(artist_popularity, '') AS o_artist_popularity,
    NULLIF(artist_genres, '') AS o_artist_genres,
    NULLIF(followers, '') AS o_followers
  FROM raw_artists
),
trimmed AS (
  -- Surrounding spaces go, blank becomes NULL (TRIM only where needed: it is the costly part).
  SELECT
    original.*,
    CASE
      WHEN o_artist_id LIKE ' %' OR o_artist_id LIKE '% '
        THEN NULLIF(TRIM(o_artist_id), '')
      ELSE o_artist_id
    END AS t_artist_id,
    CASE
      WHEN o_artist_name LIKE ' %' OR o_artist_name LIKE '% '
        THEN NULLIF(TRIM(o_artist_name), '')
      ELSE o_artist_name
    END AS t_artist_name,
    CASE
      WHEN o_artist_popularity LIKE ' %' OR o_artist_popularity LIKE '% '
        THEN NULLIF(TRIM(o_artist_popularity), '')
      ELSE o_artist_popularity
    END AS t_artist_popularity,
    CASE
      WHEN o_artist_genres LIKE ' %' OR o_artist_genres LIKE '% '
        THEN NULLIF(TRIM(o_artist_genres), '')
      ELSE o_artist_genres
    END AS t_artist_genres,
    CASE
      WHEN o_followers LIKE ' %' OR o_followers LIKE '% '
        THEN NULLIF(TRIM(o_followers), '')
      ELSE o_followers
    END AS t_followers
  FROM original
),
genres_inner AS (
  -- A Python list literal ['a', "b's"] loses its brackets, plain text stays as it is.
  SELECT
    trimmed.*,
    CASE
      WHEN t_artist_genres IS NULL THEN ''
      WHEN SUBSTRING(t_artist_genres, 1, 1) = '['
        AND SUBSTRING(t_artist_genres, LENGTH(t_artist_genres), 1) = ']'
        THEN TRIM(SUBSTRING(t_artist_genres, 2, LENGTH(t_artist_genres) - 2))
      ELSE t_artist_genres
    END AS g_list,
    SUBSTRING(t_artist_genres, 1, 1) = '['
      AND SUBSTRING(t_artist_genres, LENGTH(t_artist_genres), 1) = ']' AS g_is_list
  FROM trimmed
),
genres_joined AS (
  -- Quote-comma-quote separators become ', ' (CHR(39) is ' and CHR(34) is ").
  SELECT
    genres_inner.*,
    CASE
      WHEN g_is_list THEN
        REPLACE(REPLACE(REPLACE(REPLACE(g_list,
          CHR(39) || ', ' || CHR(39), ', '),
          CHR(34) || ', ' || CHR(34), ', '),
          CHR(39) || ', ' || CHR(34), ', '),
          CHR(34) || ', ' || CHR(39), ', ')
      ELSE g_list
    END AS g_joined
  FROM genres_inner
),
genres_unquoted AS (
  SELECT
    genres_joined.*,
    CASE
      WHEN g_is_list AND SUBSTRING(g_joined, 1, 1) IN (CHR(39), CHR(34))
        THEN SUBSTRING(g_joined, 2, LENGTH(g_joined) - 1)
      ELSE g_joined
    END AS g_head
  FROM genres_joined
),
typed AS (
  SELECT
    genres_unquoted.*,
    t_artist_id AS artist_id,
    t_artist_name AS artist_name,
    TRY_CAST(REGEXP_EXTRACT(t_artist_popularity, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT)
      AS artist_popularity,
    CASE
      WHEN g_is_list AND SUBSTRING(g_head, LENGTH(g_head), 1) IN (CHR(39), CHR(34))
        THEN SUBSTRING(g_head, 1, LENGTH(g_head) - 1)
      ELSE g_head
    END AS artist_genres,
    TRY_CAST(REGEXP_EXTRACT(t_followers, '^([+-]?[0-9]+)([.]0+)?$', 1) AS BIGINT) AS followers
  FROM genres_unquoted
),
flagged AS (
  SELECT
    typed.*,
    artist_id IS NULL AS missing_artist_id,
    t_artist_popularity IS NOT NULL
      AND (artist_popularity IS NULL OR artist_popularity < 0 OR artist_popularity > 100)
      AS bad_artist_popularity,
    t_followers IS NOT NULL AND (followers IS NULL OR followers < 0) AS bad_followers
  FROM typed
)
-- The first failed check names the reason and the column (NULL: valid so far). o_<column> keeps
-- the original text only where it differs from the typed value's text (NULL otherwise, so
-- COALESCE(o_<column>, CAST(<column> AS STRING)) gives it back): clean rows store no copy.
SELECT
  source_file,
  CASE WHEN o_artist_id = artist_id THEN NULL ELSE o_artist_id END AS o_artist_id,
  CASE WHEN o_artist_name = artist_name THEN NULL ELSE o_artist_name END AS o_artist_name,
  CASE
    WHEN o_artist_popularity = CAST(artist_popularity AS STRING) THEN NULL
    ELSE o_artist_popularity
  END AS o_artist_popularity,
  CASE WHEN o_artist_genres = artist_genres THEN NULL ELSE o_artist_genres END AS o_artist_genres,
  CASE WHEN o_followers = CAST(followers AS STRING) THEN NULL ELSE o_followers END AS o_followers,
  artist_id,
  artist_name,
  artist_popularity,
  artist_genres,
  followers,
  CASE
    WHEN missing_artist_id THEN 'missing_key'
    WHEN bad_artist_popularity OR bad_followers THEN 'bad_number'
  END AS check_reason,
  CASE
    WHEN missing_artist_id THEN 'artist_id'
    WHEN bad_artist_popularity THEN 'artist_popularity'
    WHEN bad_followers THEN 'followers'
  END AS check_column
FROM flagged
