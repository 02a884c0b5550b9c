/**
 * The local runner of the transform: the DuckDB twin of `glue/job.py`. It validates the three
 * input CSVs against `glue/contract.json`, registers the raw views, runs `glue/sql/*.sql` in
 * order, and writes silver, quarantine and gold Snappy Parquet plus the run summary under the
 * local medallion layout (docs/contracts.md).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  ENTITIES,
  REASONS,
  loadContract,
  loadSqlSteps,
  matchHeader,
  type DatasetContract,
  type Entity,
  type Reason,
  type SqlStep,
} from "../lib/contract";
import { InputError, emptyInputs, inspectInputs, throwProblems, type Problem } from "./inputs";
import { snapshotDateOf, checkSnapshotDate } from "../lib/publish";
import {
  gateFailureMessage,
  gateLimits,
  loadQualityGates,
  mergeQualityGates,
  type GateResult,
  type QualityGatesOverride,
} from "../lib/quality-gates";
import { durationDatum, type MetricDatum } from "../lib/run-metrics";
import {
  publishedRows,
  readGates,
  readMetricData,
  registerGateLimits,
  reuseIdenticalGold,
} from "./audit";
import { publishGold, publishPaths, snapshotPath } from "./publish";

export { InputError } from "./inputs";

/** The run summary written to `processed/runs/<run_id>/summary.json` (docs/contracts.md). */
export interface RunSummary {
  run_id: string;
  engine: "spark" | "duckdb";
  /** Data rows read per input file. */
  input: Record<Entity, number>;
  /** Rows accepted into silver per input file (albums: the gold rows). */
  accepted: Record<Entity, number>;
  /** Rows quarantined per input file and reason (reasons with no rows are left out). */
  rejected: Record<Entity, Partial<Record<Reason, number>>>;
  /** Rows written to the gold table (staged; published when every gate passes). */
  output: { tracks: number };
  /** The day the gold is a snapshot of (`YYYY-MM-DD`): its partition of the history table. */
  snapshot_date: string;
  /** Rows of the gold table published before this run (null: none yet). */
  previous_gold_rows: number | null;
  /** Every quality gate (glue/contract.json quality_gates), evaluated. */
  gates: GateResult[];
  /** Gates that failed. */
  gates_failed: number;
  /** The breached gates with values and thresholds ("" when all pass). */
  gates_message: string;
  /** The run's CloudWatch datums (PutMetricData `MetricData`). */
  metric_data: MetricDatum[];
}

/** Options of {@link runTransform}. */
export interface RunTransformOptions {
  /** Folder holding `albums.csv`, `artists.csv` and `tracks.csv` (one batch). */
  inputDir: string;
  /** Root of the local medallion layout (`OUT/`): `processed/` and `datawarehouse/` go here. */
  outDir: string;
  /** Id of the run: names `processed/runs/<runId>/`; letters, digits, `.`, `_`, `-`. */
  runId: string;
  /**
   * Engine recorded in the summary.
   * @default "duckdb"
   */
  engineLabel?: RunSummary["engine"];
  /**
   * DuckDB's `memory_limit` (e.g. `"4GB"`): above it, DuckDB spills to a temporary folder.
   * @default process.env.SPOTIFY_PIPELINE_MEMORY_LIMIT, else DEFAULT_MEMORY_LIMIT
   */
  memoryLimit?: string;
  /** Overrides of the contract's quality gates (a stack's `qualityGates`). */
  gates?: QualityGatesOverride;
  /**
   * Publish the staged gold when every gate passes (the one-call write, audit, publish). The
   * local pipeline passes false: its state machine's PublishGold step publishes.
   * @default true
   */
  publish?: boolean;
  /** @default the current UTC date */
  snapshotDate?: string;
  /** The Pipeline dimension of the metrics. @default "spotify-pipeline-local" */
  pipelineName?: string;
}

/** The output table written as the gold table (its rows are counted as `output.tracks`). */
const GOLD_TABLE = "gold_tracks";

/**
 * DuckDB's memory limit when the caller sets none: DuckDB spills what does not fit to a temporary
 * folder, and the whole local run (Node, charts included) peaks 400-600 MB above the limit (4M
 * tracks: 1,730-1,830 MB at 1280MB; 1,870-2,030 MB at 1536MB, which is no faster and too close
 * to the local run's 2 GB target).
 */
export const DEFAULT_MEMORY_LIMIT = "1280MB";
/** The environment variable that overrides {@link DEFAULT_MEMORY_LIMIT} (e.g. `4GB`). */
export const MEMORY_LIMIT_ENV = "SPOTIFY_PIPELINE_MEMORY_LIMIT";

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Runs the transform on DuckDB over one batch of CSVs and writes, overwriting earlier output:
 * `outDir/processed/silver/<entity>/`, `outDir/processed/quarantine/<entity>/`,
 * `outDir/datawarehouse/tracks/` (Snappy Parquet) and
 * `outDir/processed/runs/<runId>/summary.json`. Same input, same output rows and files.
 * @returns The run summary (also written as JSON).
 * @throws InputError when an input file is missing, empty, not a CSV, or lacks a required
 * column (all such problems at once).
 */
export async function runTransform(opts: RunTransformOptions): Promise<RunSummary> {
  if (!RUN_ID.test(opts.runId)) {
    throw new Error(
      `runId ${JSON.stringify(opts.runId)} is not a safe folder name: use 1-128 letters, ` +
        `digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  const started = Date.now();
  const contract = loadContract();
  const steps = loadSqlSteps();
  const snapshotDate = checkSnapshotDate(
    opts.snapshotDate ?? snapshotDateOf(new Date()),
    "snapshotDate",
  );
  const gates = mergeQualityGates(loadQualityGates(), opts.gates);
  const inputDir = path.resolve(opts.inputDir);
  const headers = inspectInputs(contract, inputDir);

  const memoryLimit = resolveMemoryLimit(opts.memoryLimit);
  const spill = fs.mkdtempSync(path.join(os.tmpdir(), "spotify-pipeline-duckdb-"));
  const instance = await DuckDBInstance.create(":memory:", {
    // Row order is not part of the output (see orderBy), so DuckDB may parallelize freely.
    preserve_insertion_order: "false",
    // Hash joins build on the side the SQL puts on the right (the accepted artists and tracks,
    // the duplicates): DuckDB cannot estimate a CSV scan's size, and building on the albums
    // stream instead would hold the whole file in a hash table.
    disabled_optimizers: "build_side_probe_side",
    memory_limit: memoryLimit,
    temp_directory: spill,
  });
  const connection = await instance.connect();
  try {
    const roots = {
      processed_path: path.join(opts.outDir, "processed"),
      warehouse_path: path.join(opts.outDir, "datawarehouse"),
    };
    const publish = publishPaths(roots.processed_path, roots.warehouse_path, opts.runId);
    const previous = await publishedRows(connection, publish.current);
    await registerGateLimits(connection, gateLimits(gates, previous));
    const raw = new RawViews(connection, contract, inputDir, headers, memoryLimit);
    await raw.registerAll();
    for (const step of steps) {
      const kind = contract.sql.materialize.includes(step.table) ? "TABLE" : "VIEW";
      await raw.run(step, `CREATE OR REPLACE TEMP ${kind} ${step.table} AS\n${step.sql}`);
    }
    // Checks the accounting identity before anything is written.
    const counts = await readCounts(connection, contract);
    throwProblems(emptyInputs(contract, counts.input), inputDir);
    const gateResults = await readGates(connection);
    const pipeline = opts.pipelineName ?? "spotify-pipeline-local";
    const metricData = await readMetricData(connection, pipeline);
    // Every output is written aside first; the gold rows written are checked before any output
    // replaces an earlier one.
    // A materialized table is dropped as soon as no output left to write reads it: with the
    // outputs in contract order (artists, tracks, albums, gold), the albums writes get the
    // memory of checked_artists and checked_tracks back.
    const reads = readsOf(steps, contract.sql.materialize);
    const dropped = new Set<string>();
    const written: { table: string; dir: string; staging: string; rows: number }[] = [];
    try {
      for (const [i, output] of contract.outputs.entries()) {
        // Gold goes to the run's staging location; the publish step moves it.
        const dir =
          output.table === GOLD_TABLE ? publish.staged : path.join(roots[output.root], output.path);
        const staging = `${dir}.tmp-${opts.runId}`;
        const rows = await writeParquetDir(connection, output.table, staging);
        written.push({ table: output.table, dir, staging, rows });
        const needed = new Set(
          contract.outputs.slice(i + 1).flatMap((o) => [o.table, ...(reads.get(o.table) ?? [])]),
        );
        for (const table of contract.sql.materialize) {
          if (needed.has(table) || dropped.has(table)) continue;
          await connection.run(`DROP TABLE IF EXISTS ${table}`);
          dropped.add(table);
        }
      }
      const gold = written.find((w) => w.table === GOLD_TABLE);
      if (gold === undefined) {
        throw new Error(`glue/contract.json outputs do not list ${GOLD_TABLE}: add it.`);
      }
      if (gold.rows !== counts.accepted.albums) {
        throw new Error(
          `Gold has ${gold.rows} rows but ${counts.accepted.albums} albums rows were accepted: ` +
            `glue/sql drops or duplicates rows between accepted_albums and gold_tracks.`,
        );
      }
      for (const w of written) {
        fs.rmSync(w.dir, { recursive: true, force: true });
        fs.renameSync(w.staging, w.dir);
      }
    } finally {
      for (const w of written) fs.rmSync(w.staging, { recursive: true, force: true });
    }
    // A rerun stages the bytes already published for the same rows (safe reruns).
    await reuseIdenticalGold(
      connection,
      publish.staged,
      [snapshotPath(publish, snapshotDate), publish.current],
      opts.runId,
    );
    const summary: RunSummary = {
      run_id: opts.runId,
      engine: opts.engineLabel ?? "duckdb",
      ...counts,
      output: { tracks: counts.accepted.albums },
      snapshot_date: snapshotDate,
      previous_gold_rows: previous ?? null,
      gates: gateResults,
      gates_failed: gateResults.filter((g) => !g.passed).length,
      gates_message: gateFailureMessage(gateResults),
      metric_data: [...metricData, durationDatum(pipeline, Date.now() - started)],
    };
    const summaryFile = path.join(
      roots[contract.summary.root],
      contract.summary.path.replace("{run_id}", opts.runId),
    );
    fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
    fs.writeFileSync(`${summaryFile}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
    fs.renameSync(`${summaryFile}.tmp`, summaryFile);
    if ((opts.publish ?? true) && summary.gates_failed === 0) {
      publishGold(publish, opts.runId, snapshotDate);
    }
    return summary;
  } finally {
    connection.closeSync();
    instance.closeSync();
    fs.rmSync(spill, { recursive: true, force: true });
  }
}

/**
 * The memory limit to give DuckDB: the option, else the environment variable, else the default.
 * @throws Error naming the bad value and its source unless it is a size like `1536MB` or `4GB`.
 */
export function resolveMemoryLimit(option?: string): string {
  const env = process.env[MEMORY_LIMIT_ENV];
  const [value, source] =
    option !== undefined
      ? [option, "memoryLimit"]
      : env !== undefined && env !== ""
        ? [env, MEMORY_LIMIT_ENV]
        : [DEFAULT_MEMORY_LIMIT, "the default"];
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value.trim())) {
    throw new Error(
      `${source} ${JSON.stringify(value)} is not a memory size: use a number and a unit, ` +
        `e.g. 1536MB or 4GB.`,
    );
  }
  return value.trim();
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The CSV scanner options of a raw view: the parallel scanner, or the padding one. */
type Scanner = "parallel" | "padding";

/**
 * The `raw_<entity>` views: every kept column as VARCHAR under its canonical name (NULL when an
 * optional column is absent) plus `_source_file`, over `read_csv` (each file is parsed where a
 * step reads it, by `checked_<entity>` only, so no copy of the text is kept).
 *
 * The parallel scanner is tried first; it refuses rows with missing fields, so a file that has
 * them is read by the sequential scanner, which pads them with NULL (both match Spark's
 * PERMISSIVE mode; fields beyond the header are dropped). As the views are lazy, a scanner error
 * shows up in the step that reads the file: {@link RawViews.run} then checks every file, moves
 * the short-row ones to the padding scanner and retries, or reports the files that are not CSV.
 */
class RawViews {
  private readonly scanner: Record<Entity, Scanner> = {
    albums: "parallel",
    artists: "parallel",
    tracks: "parallel",
  };

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly contract: DatasetContract,
    private readonly inputDir: string,
    private readonly headers: Record<Entity, string[]>,
    private readonly memoryLimit: string,
  ) {}

  async registerAll(): Promise<void> {
    for (const entity of ENTITIES) await this.register(entity);
  }

  /** Runs one SQL step; a CSV error is traced to its files (see the class comment). */
  async run(step: SqlStep, sql: string): Promise<void> {
    for (;;) {
      try {
        await this.connection.run(sql);
        return;
      } catch (err) {
        let retry = false;
        try {
          retry = await this.recover();
        } catch (problem) {
          if (problem instanceof InputError) throw problem;
        }
        if (!retry) {
          const text = errorText(err);
          const hint = text.startsWith("Out of Memory Error")
            ? ` Raise DuckDB's memory limit (now ${this.memoryLimit}) with ${MEMORY_LIMIT_ENV}, ` +
              `e.g. ${MEMORY_LIMIT_ENV}=4GB.`
            : "";
          throw new Error(`SQL step glue/sql/${step.file} failed on DuckDB: ${text}${hint}`, {
            cause: err,
          });
        }
      }
    }
  }

  /**
   * Parses every file still on the parallel scanner: moves those with short rows to the padding
   * scanner. Throws an InputError naming every file neither scanner can read.
   * @returns whether a view changed (the failed step is worth a retry).
   */
  private async recover(): Promise<boolean> {
    let changed = false;
    const problems: Problem[] = [];
    for (const entity of ENTITIES) {
      if (this.scanner[entity] === "padding") continue;
      if ((await this.parseError(entity)) === undefined) continue;
      this.scanner[entity] = "padding";
      await this.register(entity);
      changed = true;
      const err = await this.parseError(entity);
      if (err !== undefined) {
        const file = this.contract.inputs[entity].file;
        problems.push({
          file,
          message:
            `Input file ${file} could not be parsed as CSV (${csvErrorText(err)}). Check that ` +
            `it is UTF-8, comma-separated, and doubles the quotes inside quoted fields.`,
        });
      }
    }
    throwProblems(problems, this.inputDir);
    return changed;
  }

  /** The scanner's error reading the whole file, if any (other errors, e.g. memory, throw). */
  private async parseError(entity: Entity): Promise<unknown> {
    try {
      // COUNT of every column: a bare COUNT(*) would skip the fields (and their UTF-8 check).
      const input = this.contract.inputs[entity];
      const counts = input.columns.map((c) => `COUNT(${c.name})`).join(", ");
      await this.connection.run(`SELECT ${counts} FROM ${input.raw_view}`);
      return undefined;
    } catch (err) {
      if (/^Invalid Input Error/.test(err instanceof Error ? err.message : "")) return err;
      throw err;
    }
  }

  private async register(entity: Entity): Promise<void> {
    const input = this.contract.inputs[entity];
    const file = path.join(this.inputDir, input.file);
    const header = this.headers[entity];
    const positions = matchHeader(input, header).positions;
    const columns = header.map((_, i) => `'c${i}': 'VARCHAR'`).join(", ");
    const select = input.columns.map((c) => {
      const at = positions[c.name];
      return at === undefined ? `CAST(NULL AS VARCHAR) AS ${c.name}` : `c${at} AS ${c.name}`;
    });
    // One value for every row: a one-value ENUM stores a byte per row where a VARCHAR would
    // store the path again; Parquet gets a plain string either way.
    select.push(
      `CAST(${sqlString(file)} AS ENUM(${sqlString(file)})) AS ${this.contract.source_file_column}`,
    );
    const options =
      this.scanner[entity] === "padding" ? ", null_padding = true, parallel = false" : "";
    await this.connection.run(
      `CREATE OR REPLACE TEMP VIEW ${input.raw_view} AS SELECT ${select.join(", ")} ` +
        `FROM read_csv(${sqlString(file)}, header = true, auto_detect = false, ` +
        `columns = {${columns}}, delim = ',', quote = '"', escape = '"', encoding = 'utf-8', ` +
        `strict_mode = false${options})`,
    );
  }
}

/**
 * The tables each step reads, directly or through the views it reads; a materialized table is
 * read as stored, not through its own inputs. A name counts when it appears as a word outside
 * `--` comments, so the answer may hold more, never fewer.
 */
export function readsOf(
  steps: readonly SqlStep[],
  materialized: readonly string[],
): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  steps.forEach((step, i) => {
    const code = step.sql.replace(/--.*$/gm, "");
    const all = new Set<string>();
    for (const earlier of steps.slice(0, i)) {
      if (!new RegExp(`\\b${earlier.table}\\b`).test(code)) continue;
      all.add(earlier.table);
      if (materialized.includes(earlier.table)) continue;
      for (const t of reads.get(earlier.table) ?? []) all.add(t);
    }
    reads.set(step.table, all);
  });
  return reads;
}
/**
 * Row order of an output file: quarantine files are sorted on every column (small, read by
 * people). Silver and gold keep DuckDB's order: their rows are the same on every run, their
 * order within the file is not part of the contract (a rerun's gold gets the published bytes
 * back through `reuseIdenticalGold`, without sorting 4M rows on every run).
 */
function orderBy(table: string): string {
  return table.startsWith("quarantine_") ? " ORDER BY ALL" : "";
}

/**
 * Writes `table` as one Snappy Parquet file into a new folder `staging` (replaced if present).
 * @returns the rows written.
 */
async function writeParquetDir(
  connection: DuckDBConnection,
  table: string,
  staging: string,
): Promise<number> {
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const file = path.join(staging, "part-00000.snappy.parquet");
  const sql =
    `COPY (SELECT * FROM ${table}${orderBy(table)}) TO ${sqlString(file)} ` +
    `(FORMAT parquet, COMPRESSION snappy)`;
  const reader = await connection.runAndReadAll(sql);
  return toNumber(reader.getRows()[0]?.[0], `the rows written by ${sql}`);
}

/** Converts a DuckDB count (BIGINT comes back as bigint) to a safe JS number. */
function toNumber(value: unknown, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new Error(`Expected a row count from ${what}; got ${String(value)}.`);
  }
  return n;
}

/** The counts of a run before its outputs are written (the summary without `output`). */
type RunCounts = Pick<RunSummary, "input" | "accepted" | "rejected">;

/** Reads the `run_counts` table and checks the accounting identity (in = accepted + rejected). */
async function readCounts(
  connection: DuckDBConnection,
  contract: DatasetContract,
): Promise<RunCounts> {
  const zero = (): Record<Entity, number> => ({ albums: 0, artists: 0, tracks: 0 });
  const input = zero();
  const accepted = zero();
  const found: Record<Entity, Partial<Record<Reason, number>>> = {
    albums: {},
    artists: {},
    tracks: {},
  };
  const reader = await connection.runAndReadAll(
    `SELECT section, entity, reason, row_count FROM ${contract.summary.table}`,
  );
  for (const [section, entity, reason, count] of reader.getRows()) {
    const n = toNumber(count, `${contract.summary.table} (${String(section)} ${String(entity)})`);
    const e = entity as Entity;
    if (section === "input") input[e] = n;
    else if (section === "accepted") accepted[e] = n;
    else if (section === "rejected") {
      if (!(REASONS as readonly unknown[]).includes(reason)) {
        throw new Error(
          `${contract.summary.table} reports unknown reason ${String(reason)} for ${e}: use one ` +
            `of ${REASONS.join(", ")} (docs/contracts.md).`,
        );
      }
      found[e][reason as Reason] = n;
    }
  }
  const rejected: RunSummary["rejected"] = { albums: {}, artists: {}, tracks: {} };
  for (const entity of ENTITIES) {
    for (const reason of REASONS) {
      const n = found[entity][reason];
      if (n !== undefined) rejected[entity][reason] = n;
    }
    const quarantined = Object.values(found[entity]).reduce((a, b) => a + b, 0);
    if (input[entity] !== accepted[entity] + quarantined) {
      throw new Error(
        `Row accounting broken for ${entity}: ${input[entity]} in, ${accepted[entity]} ` +
          `accepted, ${quarantined} quarantined. The SQL in glue/sql loses or duplicates rows.`,
      );
    }
  }
  return { input, accepted, rejected };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}

/** DuckDB's CSV error reduced to its line number and what is wrong (no settings dump). */
function csvErrorText(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split("\n");
  const where = (lines[0] ?? "").replace(/^[A-Za-z ]+Error: /, "");
  const what = lines
    .slice(1)
    .find((l) => l.trim() !== "" && !/^(Original Line|Possible|Expected|\s)/.test(l));
  return what === undefined ? where : `${where}: ${what.trim().replace(/\.$/, "")}`;
}
