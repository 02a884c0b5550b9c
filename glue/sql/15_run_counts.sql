-- Row accounting for the run summary (docs/contracts.md): one row per (section, entity,
-- reason). Sections: input (checked_* holds every raw row once), accepted, rejected (one row per
-- reason). The runner adds the rows it wrote to gold.
SELECT 'input' AS section, 'albums' AS entity, CAST(NULL AS STRING) AS reason,
  COUNT(*) AS row_count FROM checked_albums
UNION ALL SELECT 'input', 'artists', CAST(NULL AS STRING), COUNT(*) FROM checked_artists
UNION ALL SELECT 'input', 'tracks', CAST(NULL AS STRING), COUNT(*) FROM checked_tracks
UNION ALL SELECT 'accepted', 'albums', CAST(NULL AS STRING), COUNT(*) FROM silver_albums
UNION ALL SELECT 'accepted', 'artists', CAST(NULL AS STRING), COUNT(*) FROM silver_artists
UNION ALL SELECT 'accepted', 'tracks', CAST(NULL AS STRING), COUNT(*) FROM silver_tracks
UNION ALL SELECT 'rejected', 'albums', reason, COUNT(*) FROM quarantine_albums GROUP BY reason
UNION ALL SELECT 'rejected', 'artists', reason, COUNT(*) FROM quarantine_artists GROUP BY reason
UNION ALL SELECT 'rejected', 'tracks', reason, COUNT(*) FROM quarantine_tracks GROUP BY reason
