-- Every raw_albums row once: its typed values, its original text where that differs (o_*), the
-- first failed check (check_reason, check_column, NULL when the row is valid so far), and the
-- columns of its artist and its track. Checks in priority order: missing_key, bad_number,
-- bad_date, orphan_artist, orphan_track (see glue/README.md).
-- The gold join happens here, once: albums LEFT JOIN silver_artists on artist_id, then LEFT JOIN
-- silver_tracks on track_id. A row without a match is an orphan, the others carry the columns
-- gold needs.
WITH original AS (
  SELECT
    _source_file AS source_file,
    NULLIF(track_id, '') AS o_track_id,
    NULLIF(track_name, '') AS o_track_name,
    NULLIF(track_number, '') AS o_track_number,
    NULLIF(duration_ms, '') AS o_duration_ms,
    NULLIF(album_type, '') AS o_album_type,
    NULLIF(total_tracks, '') AS o_total_tracks,
    NULLIF(album_name, '') AS o_album_name,
    NULLIF(release_date, '') AS o_release_date,
    NULLIF(label, '') AS o_label,
    NULLIF(album_popularity, '') AS o_album_popularity,
    NULLIF(album_id, '') AS o_album_id,
    NULLIF(artist_id, '') AS o_artist_id
  FROM raw_albums
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
      WHEN o_track_name LIKE ' %' OR o_track_name LIKE '% '
        THEN NULLIF(TRIM(o_track_name), '')
      ELSE o_track_name
    END AS t_track_name,
    CASE
      WHEN o_track_number LIKE ' %' OR o_track_number LIKE '% '
        THEN NULLIF(TRIM(o_track_number), '')
      ELSE o_track_number
    END AS t_track_number,
    CASE
      WHEN o_duration_ms LIKE ' %' OR o_duration_ms LIKE '% '
        THEN NULLIF(TRIM(o_duration_ms), '')
      ELSE o_duration_ms
    END AS t_duration_ms,
    CASE
      WHEN o_album_type LIKE ' %' OR o_album_type LIKE '% '
        THEN NULLIF(TRIM(o_album_type), '')
      ELSE o_album_type
    END AS t_album_type,
    CASE
      WHEN o_total_tracks LIKE ' %' OR o_total_tracks LIKE '% '
        THEN NULLIF(TRIM(o_total_tracks), '')
      ELSE o_total_tracks
    END AS t_total_tracks,
    CASE
      WHEN o_album_name LIKE ' %' OR o_album_name LIKE '% '
        THEN NULLIF(TRIM(o_album_name), '')
      ELSE o_album_name
    END AS t_album_name,
    CASE
      WHEN o_release_date LIKE ' %' OR o_release_date LIKE '% '
        THEN NULLIF(TRIM(o_release_date), '')
      ELSE o_release_date
    END AS t_release_date,
    CASE
      WHEN o_label LIKE ' %' OR o_label LIKE '% '
        THEN NULLIF(TRIM(o_label), '')
      ELSE o_label
    END AS t_label,
    CASE
      WHEN o_album_popularity LIKE ' %' OR o_album_popularity LIKE '% '
        THEN NULLIF(TRIM(o_album_popularity), '')
      ELSE o_album_popularity
    END AS t_album_popularity,
    CASE
      WHEN o_album_id LIKE ' %' OR o_album_id LIKE '% '
        THEN NULLIF(TRIM(o_album_id), '')
      ELSE o_album_id
    END AS t_album_id,
    CASE
      WHEN o_artist_id LIKE ' %' OR o_artist_id LIKE '% '
        THEN NULLIF(TRIM(o_artist_id), '')
      ELSE o_artist_id
    END AS t_artist_id
  FROM original
),
dated AS (
  -- Spotify gives release dates at year, month or day precision, the year starts at 1000
  -- (Spotify's placeholder 0000 is a bad date).
  SELECT
    trimmed.*,
    CASE
      WHEN REGEXP_EXTRACT(t_release_date, '^[1-9][0-9]{3}(-[0-9]{2}){0,2}$', 0) = t_release_date
        THEN CASE LENGTH(t_release_date) WHEN 4 THEN 'year' WHEN 7 THEN 'month' ELSE 'day' END
    END AS d_precision
  FROM trimmed
),
typed AS (
  SELECT
    dated.*,
    t_track_id AS track_id,
    t_track_name AS track_name,
    TRY_CAST(REGEXP_EXTRACT(t_track_number, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT) AS track_number,
    TRY_CAST(REGEXP_EXTRACT(t_duration_ms, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT) AS duration_ms,
    t_album_type AS album_type,
    TRY_CAST(REGEXP_EXTRACT(t_total_tracks, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT) AS total_tracks,
    t_album_name AS album_name,
    TRY_CAST(
      CASE d_precision
        WHEN 'year' THEN t_release_date || '-01-01'
        WHEN 'month' THEN t_release_date || '-01'
        WHEN 'day' THEN t_release_date
      END AS DATE
    ) AS release_date,
    t_label AS label,
    TRY_CAST(REGEXP_EXTRACT(t_album_popularity, '^([+-]?[0-9]+)([.]0+)?$', 1) AS INT)
      AS album_popularity,
    t_album_id AS album_id,
    t_artist_id AS artist_id
  FROM dated
),
flagged AS (
  SELECT
    typed.*,
    typed.track_id IS NULL AS missing_track_id,
    typed.artist_id IS NULL AS missing_artist_id,
    t_track_number IS NOT NULL AND (track_number IS NULL OR track_number < 1)
      AS bad_track_number,
    t_duration_ms IS NOT NULL AND (duration_ms IS NULL OR duration_ms < 0) AS bad_duration_ms,
    t_total_tracks IS NOT NULL AND (total_tracks IS NULL OR total_tracks < 1) AS bad_total_tracks,
    t_album_popularity IS NOT NULL
      AND (album_popularity IS NULL OR album_popularity < 0 OR album_popularity > 100)
      AS bad_album_popularity,
    t_release_date IS NOT NULL AND release_date IS NULL AS bad_release_date,
    artist.artist_id IS NULL AS unknown_artist,
    track.track_id IS NULL AS unknown_track,
    artist.artist_name,
    artist.artist_popularity,
    artist.followers,
    artist.artist_genres,
    track.explicit,
    track.track_popularity
  FROM typed
  LEFT JOIN silver_artists AS artist ON artist.artist_id = typed.artist_id
  LEFT JOIN silver_tracks AS track ON track.track_id = typed.track_id
)
-- The first failed check names the reason and the column (NULL: valid so far). o_<column> keeps
-- the original text only where it differs from the typed value's text (see
-- 01_checked_artists.sql).
SELECT
  source_file,
  CASE WHEN o_track_id = track_id THEN NULL ELSE o_track_id END AS o_track_id,
  CASE WHEN o_track_name = track_name THEN NULL ELSE o_track_name END AS o_track_name,
  CASE
    WHEN o_track_number = CAST(track_number AS STRING) THEN NULL
    ELSE o_track_number
  END AS o_track_number,
  CASE
    WHEN o_duration_ms = CAST(duration_ms AS STRING) THEN NULL
    ELSE o_duration_ms
  END AS o_duration_ms,
  CASE WHEN o_album_type = album_type THEN NULL ELSE o_album_type END AS o_album_type,
  CASE
    WHEN o_total_tracks = CAST(total_tracks AS STRING) THEN NULL
    ELSE o_total_tracks
  END AS o_total_tracks,
  CASE WHEN o_album_name = album_name THEN NULL ELSE o_album_name END AS o_album_name,
  CASE
    WHEN o_release_date = CAST(release_date AS STRING) THEN NULL
    ELSE o_release_date
  END AS o_release_date,
  CASE WHEN o_label = label THEN NULL ELSE o_label END AS o_label,
  CASE
    WHEN o_album_popularity = CAST(album_popularity AS STRING) THEN NULL
    ELSE o_album_popularity
  END AS o_album_popularity,
  CASE WHEN o_album_id = album_id THEN NULL ELSE o_album_id END AS o_album_id,
  CASE WHEN o_artist_id = artist_id THEN NULL ELSE o_artist_id END AS o_artist_id,
  track_id,
  track_name,
  track_number,
  duration_ms,
  album_type,
  total_tracks,
  album_name,
  release_date,
  label,
  album_popularity,
  album_id,
  artist_id,
  d_precision,
  artist_name,
  artist_popularity,
  followers,
  artist_genres,
  explicit,
  track_popularity,
  CASE
    WHEN missing_track_id OR missing_artist_id THEN 'missing_key'
    WHEN bad_track_number OR bad_duration_ms OR bad_total_tracks OR bad_album_popularity
      THEN 'bad_number'
    WHEN bad_release_date THEN 'bad_date'
    WHEN unknown_artist THEN 'orphan_artist'
    WHEN unknown_track THEN 'orphan_track'
  END AS check_reason,
  CASE
    WHEN missing_track_id THEN 'track_id'
    WHEN missing_artist_id THEN 'artist_id'
    WHEN bad_track_number THEN 'track_number'
    WHEN bad_duration_ms THEN 'duration_ms'
    WHEN bad_total_tracks THEN 'total_tracks'
    WHEN bad_album_popularity THEN 'album_popularity'
    WHEN bad_release_date THEN 'release_date'
    WHEN unknown_artist THEN 'artist_id'
    WHEN unknown_track THEN 'track_id'
  END AS check_column
FROM flagged
