-- Quality gates (glue/contract.json quality_gates): one row per gate with the measured value, its
-- threshold and whether it passed. gate_limits (gate, file, threshold, baseline) is registered by
-- the runner from the contract and the stack's overrides. The baseline of max_drop_pct is the row
-- count of the gold table last published (NULL when none). Percentages are of the input rows
-- (run_totals, 16_run_totals.sql).
WITH gold AS (
  SELECT CAST(accepted_rows AS DOUBLE) AS gold_rows FROM run_totals WHERE entity = 'albums'
),
measured AS (
  SELECT 'max_rejected_pct' AS gate, entity AS file, CAST(NULL AS STRING) AS reason,
    rejected_pct AS value
  FROM run_totals
  UNION ALL
  SELECT 'max_rejected_pct_per_reason', r.entity, r.reason,
    CAST(r.row_count AS DOUBLE) * 100 / CAST(t.input_rows AS DOUBLE)
  FROM run_counts r
  JOIN run_totals t ON t.entity = r.entity
  WHERE r.section = 'rejected' AND t.input_rows > 0
  UNION ALL
  SELECT 'min_accepted_rows', entity, CAST(NULL AS STRING), CAST(accepted_rows AS DOUBLE)
  FROM run_totals
  UNION ALL
  SELECT 'min_rows', 'gold', CAST(NULL AS STRING), gold_rows FROM gold
  UNION ALL
  SELECT 'max_drop_pct', 'gold', CAST(NULL AS STRING),
    CASE WHEN l.baseline IS NULL OR l.baseline <= 0 OR g.gold_rows >= l.baseline
      THEN CAST(0 AS DOUBLE)
      ELSE (l.baseline - g.gold_rows) * 100 / l.baseline END
  FROM gold g
  JOIN gate_limits l ON l.gate = 'max_drop_pct' AND l.file = 'gold'
)
SELECT m.gate, m.file, m.reason, m.value, l.threshold,
  CASE WHEN m.gate LIKE 'min_%' THEN m.value >= l.threshold ELSE m.value <= l.threshold END
    AS passed
FROM measured m
JOIN gate_limits l ON l.gate = m.gate AND l.file = m.file
