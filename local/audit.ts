/**
 * The audit of write-audit-publish on DuckDB: registers `gate_limits` for
 * `glue/sql/16_quality_gates.sql`, reads the evaluated gates and the run metrics
 * (`17_run_metrics.sql`) into the run summary. The Spark twin is in `glue/job.py`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { GateLimit, GateResult } from "../lib/quality-gates";
import { metricDatum, type MetricDatum } from "../lib/run-metrics";

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Creates the `gate_limits` view the gates SQL joins (gate, file, threshold, baseline). */
export async function registerGateLimits(
  connection: DuckDBConnection,
  limits: readonly GateLimit[],
): Promise<void> {
  const rows = limits.map(
    (l) =>
      `(${sqlString(l.gate)}, ${sqlString(l.file)}, CAST(${l.threshold} AS DOUBLE), ` +
      `CAST(${l.baseline ?? "NULL"} AS DOUBLE))`,
  );
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW gate_limits AS SELECT * FROM (VALUES ${rows.join(", ")}) ` +
      `AS t(gate, file, threshold, baseline)`,
  );
}

/** The evaluated gates, in a fixed order (file, gate, reason). */
export async function readGates(connection: DuckDBConnection): Promise<GateResult[]> {
  const reader = await connection.runAndReadAll(
    "SELECT gate, file, reason, value, threshold, passed FROM quality_gates " +
      "ORDER BY file, gate, reason NULLS FIRST",
  );
  return reader.getRowObjectsJS().map((r) => ({
    gate: String(r.gate),
    file: String(r.file),
    ...(r.reason === null ? {} : { reason: String(r.reason) }),
    value: Number(r.value),
    threshold: Number(r.threshold),
    passed: r.passed === true,
  }));
}

/** The run's metric data (`run_metrics` rows as PutMetricData datums), in a fixed order. */
export async function readMetricData(
  connection: DuckDBConnection,
  pipeline: string,
): Promise<MetricDatum[]> {
  const reader = await connection.runAndReadAll(
    "SELECT metric_name, file, reason, unit, value FROM run_metrics " +
      "ORDER BY metric_name, file, reason NULLS FIRST",
  );
  return reader.getRowObjectsJS().map((r) =>
    metricDatum(pipeline, {
      metric_name: String(r.metric_name),
      file: String(r.file),
      reason: r.reason === null ? null : String(r.reason),
      unit: String(r.unit) as MetricDatum["Unit"],
      value: Number(r.value),
    }),
  );
}

/** Rows of the Parquet table in `dir` (from the footers), or undefined when there is none. */
export async function publishedRows(
  connection: DuckDBConnection,
  dir: string,
): Promise<number | undefined> {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".parquet"))
    .map((f) => sqlString(path.join(dir, f)));
  if (files.length === 0) return undefined;
  const reader = await connection.runAndReadAll(
    `SELECT COUNT(*) FROM read_parquet([${files.join(", ")}])`,
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
