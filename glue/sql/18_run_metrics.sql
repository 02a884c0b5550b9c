-- Run metrics (CloudWatch PutMetricData, one datum per row): rows in, accepted and rejected per
-- file, rejected per file and reason, rejected percent per file, gold rows and gates failed. The
-- runner adds the dimensions Pipeline and File (and Reason where set) and the job's duration.
-- The totals and the rejected share are run_totals' (16_run_totals.sql), as the gates' are.
SELECT 'InputRows' AS metric_name, entity AS file, CAST(NULL AS STRING) AS reason,
  'Count' AS unit, CAST(input_rows AS DOUBLE) AS value
FROM run_totals
UNION ALL
SELECT 'AcceptedRows', entity, CAST(NULL AS STRING), 'Count', CAST(accepted_rows AS DOUBLE)
FROM run_totals
UNION ALL
SELECT 'RejectedRows', entity, CAST(NULL AS STRING), 'Count', CAST(rejected_rows AS DOUBLE)
FROM run_totals
UNION ALL
SELECT 'RejectedRows', entity, reason, 'Count', CAST(row_count AS DOUBLE)
FROM run_counts WHERE section = 'rejected'
UNION ALL
SELECT 'RejectedPercent', entity, CAST(NULL AS STRING), 'Percent', rejected_pct
FROM run_totals
UNION ALL
SELECT 'GoldRows', 'gold', CAST(NULL AS STRING), 'Count', CAST(accepted_rows AS DOUBLE)
FROM run_totals WHERE entity = 'albums'
UNION ALL
SELECT 'GatesFailed', 'all', CAST(NULL AS STRING), 'Count',
  CAST(SUM(CASE WHEN passed THEN 0 ELSE 1 END) AS DOUBLE)
FROM quality_gates
