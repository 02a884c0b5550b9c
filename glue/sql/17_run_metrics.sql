-- Run metrics (CloudWatch PutMetricData, one datum per row): rows in, accepted and rejected per
-- file, rejected per file and reason, rejected percent per file, gold rows and gates failed. The
-- runner adds the dimensions Pipeline and File (and Reason where set) and the job's duration.
WITH totals AS (
  SELECT entity,
    SUM(CASE WHEN section = 'input' THEN row_count ELSE 0 END) AS input_rows,
    SUM(CASE WHEN section = 'accepted' THEN row_count ELSE 0 END) AS accepted_rows,
    SUM(CASE WHEN section = 'rejected' THEN row_count ELSE 0 END) AS rejected_rows
  FROM run_counts
  GROUP BY entity
)
SELECT 'InputRows' AS metric_name, entity AS file, CAST(NULL AS STRING) AS reason,
  'Count' AS unit, CAST(input_rows AS DOUBLE) AS value
FROM totals
UNION ALL
SELECT 'AcceptedRows', entity, CAST(NULL AS STRING), 'Count', CAST(accepted_rows AS DOUBLE)
FROM totals
UNION ALL
SELECT 'RejectedRows', entity, CAST(NULL AS STRING), 'Count', CAST(rejected_rows AS DOUBLE)
FROM totals
UNION ALL
SELECT 'RejectedRows', entity, reason, 'Count', CAST(row_count AS DOUBLE)
FROM run_counts WHERE section = 'rejected'
UNION ALL
SELECT 'RejectedPercent', entity, CAST(NULL AS STRING), 'Percent',
  CASE WHEN input_rows = 0 THEN CAST(0 AS DOUBLE)
    ELSE CAST(rejected_rows AS DOUBLE) * 100 / CAST(input_rows AS DOUBLE) END
FROM totals
UNION ALL
SELECT 'GoldRows', 'gold', CAST(NULL AS STRING), 'Count', CAST(accepted_rows AS DOUBLE)
FROM totals WHERE entity = 'albums'
UNION ALL
SELECT 'GatesFailed', 'all', CAST(NULL AS STRING), 'Count',
  CAST(SUM(CASE WHEN passed THEN 0 ELSE 1 END) AS DOUBLE)
FROM quality_gates
