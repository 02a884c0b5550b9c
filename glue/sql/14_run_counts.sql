-- Row accounting for the run summary (docs/contracts.md): one row per
-- (section, entity, reason). Sections: input, accepted, rejected (one row per reason), output.
SELECT 'input' AS section, 'albums' AS entity, CAST(NULL AS STRING) AS reason,
  COUNT(*) AS row_count FROM raw_albums
UNION ALL SELECT 'input', 'artists', CAST(NULL AS STRING), COUNT(*) FROM raw_artists
UNION ALL SELECT 'input', 'tracks', CAST(NULL AS STRING), COUNT(*) FROM raw_tracks
UNION ALL SELECT 'accepted', 'albums', CAST(NULL AS STRING), COUNT(*) FROM silver_albums
UNION ALL SELECT 'accepted', 'artists', CAST(NULL AS STRING), COUNT(*) FROM silver_artists
UNION ALL SELECT 'accepted', 'tracks', CAST(NULL AS STRING), COUNT(*) FROM silver_tracks
UNION ALL SELECT 'rejected', 'albums', reason, COUNT(*) FROM quarantine_albums GROUP BY reason
UNION ALL SELECT 'rejected', 'artists', reason, COUNT(*) FROM quarantine_artists GROUP BY reason
UNION ALL SELECT 'rejected', 'tracks', reason, COUNT(*) FROM quarantine_tracks GROUP BY reason
UNION ALL SELECT 'output', 'tracks', CAST(NULL AS STRING), COUNT(*) FROM gold_tracks
