-- The valid checked_albums rows whose track_id is held by more than one valid row, each with its
-- deduplication outcome in reason (NULL: the winner), as in 02_duplicates_artists.sql.
WITH repeated_keys AS (
  SELECT track_id AS repeated_key
  FROM checked_albums
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
        COALESCE(o_track_id, track_id) ASC NULLS LAST,
        COALESCE(o_track_name, track_name) ASC NULLS LAST,
        COALESCE(o_track_number, CAST(track_number AS STRING)) ASC NULLS LAST,
        COALESCE(o_duration_ms, CAST(duration_ms AS STRING)) ASC NULLS LAST,
        COALESCE(o_album_type, album_type) ASC NULLS LAST,
        COALESCE(o_total_tracks, CAST(total_tracks AS STRING)) ASC NULLS LAST,
        COALESCE(o_album_name, album_name) ASC NULLS LAST,
        COALESCE(o_release_date, CAST(release_date AS STRING)) ASC NULLS LAST,
        COALESCE(o_label, label) ASC NULLS LAST,
        COALESCE(o_album_popularity, CAST(album_popularity AS STRING)) ASC NULLS LAST,
        COALESCE(o_album_id, album_id) ASC NULLS LAST,
        COALESCE(o_artist_id, artist_id) ASC NULLS LAST
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
)
SELECT
  ranked.*,
  CASE
    WHEN row_rank = 1 THEN CAST(NULL AS STRING)
    WHEN value_rank = 1 THEN 'duplicate_row'
    ELSE 'duplicate_key'
  END AS reason
FROM ranked
