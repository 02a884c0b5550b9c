/**
 * The audit of write-audit-publish on DuckDB: registers `gate_limits` for
 * `glue/sql/17_quality_gates.sql`, reads the evaluated gates and the run metrics
 * (`18_run_metrics.sql`) into the run summary. The Spark twin is in `glue/job.py`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { GateLimit, GateResult } from "../lib/quality-gates";
import { metricDatum, type MetricDatum } from "../lib/run-metrics";
import { linkTree } from "./publish";

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

/** The Parquet files of folder `dir` as a DuckDB list literal, or undefined when it has none. */
function parquetList(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".parquet"))
    .sort()
    .map((f) => sqlString(path.join(dir, f)));
  return files.length === 0 ? undefined : `[${files.join(", ")}]`;
}

/** Rows of the Parquet table in `dir` (from the footers), or undefined when there is none. */
export async function publishedRows(
  connection: DuckDBConnection,
  dir: string,
): Promise<number | undefined> {
  const files = parquetList(dir);
  if (files === undefined) return undefined;
  const reader = await connection.runAndReadAll(`SELECT COUNT(*) FROM read_parquet(${files})`);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/**
 * Whether the Parquet tables in folders `a` and `b` hold the same rows (as multisets), given
 * that `a`'s rows are distinct (gold: one row per track_id). Cheapest test first: the row
 * counts from the footers, the schemas, an order-independent fingerprint (count and sum of
 * the row hashes), and only when all agree the exact test, `a EXCEPT b` empty: with equal
 * counts and distinct rows in `a`, that makes the multisets equal. A batch whose row count
 * differs stops at the footers and pays nothing; one with the same count but other rows stops
 * at the fingerprints (two scans, about 0.5 s at 4M tracks).
 */
export async function sameRows(
  connection: DuckDBConnection,
  a: string,
  b: string,
): Promise<boolean> {
  const [listA, listB] = [parquetList(a), parquetList(b)];
  if (listA === undefined || listB === undefined) return false;
  const one = async (sql: string): Promise<string> =>
    String((await connection.runAndReadAll(sql)).getRows()[0]?.[0]);
  const shape = (list: string) =>
    one(
      `SELECT string_agg(column_name || ' ' || column_type, ', ') ` +
        `FROM (DESCRIBE SELECT * FROM read_parquet(${list}))`,
    );
  const fingerprint = (list: string) =>
    one(`SELECT COUNT(*) || ':' || COALESCE(SUM(hash(t)), 0) FROM read_parquet(${list}) AS t`);
  if ((await publishedRows(connection, a)) !== (await publishedRows(connection, b))) return false;
  if ((await shape(listA)) !== (await shape(listB))) return false;
  if ((await fingerprint(listA)) !== (await fingerprint(listB))) return false;
  const extra = await one(
    `SELECT COUNT(*) FROM (SELECT * FROM read_parquet(${listA}) ` +
      `EXCEPT SELECT * FROM read_parquet(${listB}))`,
  );
  return extra === "0";
}

/**
 * Safe reruns: when a published copy of gold (the run's own snapshot partition, else the current
 * table) already holds exactly the staged rows, the staged folder is replaced by hard links to
 * that copy's files, so the publish step puts back the very same bytes. DuckDB's row order
 * follows thread scheduling (`preserve_insertion_order = false`), so without this a rerun would
 * write the same rows in another order; sorting gold to fix the order cost 13-40% of a 4M-track
 * run, this costs a rerun one comparison and any other run nothing (README, "What it costs").
 * @returns the folder whose bytes the staged gold now shares, or undefined (staged kept).
 */
export async function reuseIdenticalGold(
  connection: DuckDBConnection,
  staged: string,
  published: readonly string[],
  runId: string,
): Promise<string | undefined> {
  for (const copy of published) {
    // A published copy that cannot be read (damaged, or not Parquet) is not the same rows: the
    // publish step then replaces it with the staged gold.
    if (!(await sameRows(connection, staged, copy).catch(() => false))) continue;
    const aside = `${staged}.reuse-${runId}`;
    linkTree(copy, aside);
    fs.rmSync(staged, { recursive: true, force: true });
    fs.renameSync(aside, staged);
    return copy;
  }
  return undefined;
}
