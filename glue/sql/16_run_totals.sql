-- Totals per input file from run_counts (docs/contracts.md): rows in, accepted and rejected, and
-- the rejected share in percent of the rows in (0 for an empty file). The quality gates
-- (17_quality_gates.sql) and the run metrics (18_run_metrics.sql) both read it, so the gate
-- max_rejected_pct and the metric RejectedPercent are one figure.
SELECT entity, input_rows, accepted_rows, rejected_rows,
  CASE WHEN input_rows = 0 THEN CAST(0 AS DOUBLE)
    ELSE CAST(rejected_rows AS DOUBLE) * 100 / CAST(input_rows AS DOUBLE) END AS rejected_pct
FROM (
  SELECT entity,
    SUM(CASE WHEN section = 'input' THEN row_count ELSE 0 END) AS input_rows,
    SUM(CASE WHEN section = 'accepted' THEN row_count ELSE 0 END) AS accepted_rows,
    SUM(CASE WHEN section = 'rejected' THEN row_count ELSE 0 END) AS rejected_rows
  FROM run_counts
  GROUP BY entity
) AS sums
