/**
 * The local run: the whole pipeline on one machine, with the state machine definition the stack
 * deploys (`lib/state-machine.ts`), the transform SQL the Glue job runs (`glue/sql`, on DuckDB or
 * on local PySpark) and the Athena query files (`queries/`).
 *
 * `runPipeline` recreates `OUT/`, stages the three CSVs like an upload to the staging bucket
 * (`OUT/staging/<batch>/` plus the `_READY` marker), and executes the definition with
 * `aws-local-stepfunctions`, starting it with the input the marker rule would send. Each Task
 * state runs a local handler instead of an AWS call:
 *
 * | Task | cloud | local handler |
 * |---|---|---|
 * | RunGlueJob | `glue:startJobRun.sync` | `runTransform` (DuckDB) or `glue/job.py --local` (Spark) |
 * | GetCrawlerBaseline, GetCrawlerStatus | `glue:getCrawler` | the local crawler's state |
 * | StartCrawler | `glue:startCrawler` | infers the catalog from the gold Parquet -> `OUT/catalog.json` |
 * | ReadRunSummary | `s3:getObject` | reads `OUT/processed/runs/<run_id>/summary.json` |
 * | NotifySuccess, NotifyFailure | `sns:publish` | appends to `OUT/notifications.jsonl` |
 *
 * After a successful execution it runs every query file on the gold Parquet
 * (`OUT/queries/<name>.csv`), renders `OUT/dashboard.html`, and writes `OUT/run.json`. Nothing
 * here calls AWS or the network.
 *
 * The heavy modules (aws-local-stepfunctions with its AWS SDK clients, DuckDB, the transform,
 * vega) are imported when a step needs them, so that usage errors and `--help` answer at once.
 */
import "../lib/polyfills";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { StateMachine } from "aws-local-stepfunctions";
import { GOLD_TABLE, catalogDatabaseName } from "../lib/etl";
import { INCOMING_PREFIX, MARKER_NAME } from "../lib/iam/events";
import { loadQueries } from "../lib/queries";
import { runQuery, toCsv, type QueryResult } from "./queries";
import {
  buildDefinition,
  executionContext,
  runSummaryKey,
  zeroDelayOverrides,
  type FailureNotification,
  type JsonValue,
  type StatesMachineMessage,
  type TaskStateName,
} from "../lib/state-machine";
import { ENTITIES, loadContract, type Entity } from "../lib/contract";
import type { DurationTrendRow, MostPopularArtistRow, TrackCountByAlbumRow } from "./dashboard";
import type { RunSummary } from "./etl";
import { DEFAULT_SEED, MAX_TRACKS, MIN_TRACKS_WITH_DIRTY, generateSample } from "./generate";

// ---------------------------------------------------------------------------------------------
// Names and layout
// ---------------------------------------------------------------------------------------------

/** Repository root (the folder holding `glue/`, `queries/`, `.venv/`). */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** Tracks in the generated sample when neither `input` nor `tracks` is given. */
export const DEFAULT_TRACKS = 20_000;

/** The local stand-ins for the stack's resource names (valid ARNs and names, never called). */
export const LOCAL_RESOURCES = {
  pipelineName: "spotify-pipeline-local",
  jobName: "spotify-pipeline-local-etl",
  crawlerName: "spotify-pipeline-local-crawler",
  database: catalogDatabaseName("local"),
  topicArn: "arn:aws:sns:local:000000000000:spotify-pipeline-local-notifications",
  stateMachineArn: "arn:aws:states:local:000000000000:stateMachine:spotify-pipeline-local",
  buckets: {
    staging: "spotify-pipeline-local-staging",
    processed: "spotify-pipeline-local-processed",
    datawarehouse: "spotify-pipeline-local-datawarehouse",
  },
} as const;

/** Marks a folder as an output of this run, so the next run may delete it. */
export const OUT_MARKER = ".spotify-pipeline-out";

/** Paths of one run's outputs (absolute). */
export interface OutputPaths {
  out: string;
  /** The generated sample (only when no input folder was given). */
  input: string;
  /** `OUT/staging/<batch>/`: the staged CSVs and the `_READY` marker. */
  staging: string;
  processed: string;
  datawarehouse: string;
  /** `OUT/datawarehouse/tracks/`: the gold table. */
  gold: string;
  summary: string;
  catalog: string;
  notifications: string;
  queries: string;
  dashboard: string;
  run: string;
}

/** The output paths of run `runId` under `out` (docs/contracts.md, medallion layout). */
export function outputPaths(out: string, runId: string): OutputPaths {
  const root = path.resolve(out);
  const processed = path.join(root, "processed");
  const datawarehouse = path.join(root, "datawarehouse");
  return {
    out: root,
    input: path.join(root, "input"),
    staging: path.join(root, "staging", runId),
    processed,
    datawarehouse,
    gold: path.join(datawarehouse, GOLD_TABLE),
    summary: path.join(processed, runSummaryKey(runId)),
    catalog: path.join(root, "catalog.json"),
    notifications: path.join(root, "notifications.jsonl"),
    queries: path.join(root, "queries"),
    dashboard: path.join(root, "dashboard.html"),
    run: path.join(root, "run.json"),
  };
}

// ---------------------------------------------------------------------------------------------
// Options, events, results
// ---------------------------------------------------------------------------------------------

/** The transform engine of the Glue job step. */
export type Engine = "duckdb" | "spark";

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Output folder, deleted and recreated (only if empty or an earlier output). @default "./out" */
  out?: string;
  /** Folder with albums.csv, artists.csv, tracks.csv; without it a sample is generated. */
  input?: string;
  /** Tracks of the generated sample. @default 20000 */
  tracks?: number;
  /** Seed of the generated sample. @default 42 */
  seed?: number;
  /** @default "duckdb" */
  engine?: Engine;
  /** Run id (also the execution name and the batch folder). @default `local-<UTC timestamp>` */
  runId?: string;
  /** Progress: called once per finished step and per notification. */
  onEvent?: (event: PipelineEvent) => void;
}

/** Step names, the keys of `timings_ms` (plus `total`), in run order. */
export const STEPS = [
  "generate",
  "stage",
  "glue_job",
  "crawler",
  "run_summary",
  "notify",
  "queries",
  "dashboard",
] as const;
/** A step of the local run. */
export type Step = (typeof STEPS)[number];

/** A progress event. */
export type PipelineEvent =
  | { kind: "start"; runId: string; engine: Engine; out: string; input: string | undefined }
  | { kind: "step"; step: Step; ms: number; detail: string }
  | { kind: "notification"; subject: string; message: StatesMachineMessage; file: string };

/** Error of a failed run, from the failure notification (or the local step that failed). */
export interface RunError {
  /** The failing state (e.g. `RunGlueJob`) or local step (e.g. `queries`). */
  step: string;
  /** Error name, e.g. `States.TaskFailed`. */
  error: string;
  /** What went wrong. */
  cause: string;
}

/** Counts per input file. */
export type FileCounts = Record<Entity, number>;

/**
 * `OUT/run.json`. Counts come from the run summary, `output.tracks` from the gold Parquet; all
 * counts are `null` when the job wrote no summary (it failed before).
 */
export interface RunRecord {
  status: "SUCCEEDED" | "FAILED";
  run_id: string;
  engine: Engine;
  input: FileCounts | null;
  accepted: FileCounts | null;
  rejected: Record<Entity, Record<string, number>> | null;
  output: { tracks: number } | null;
  /** States entered by the execution, in order (a poll loop repeats its states). */
  states: string[];
  /** Wall time per step in milliseconds, plus `total`. */
  timings_ms: Partial<Record<Step | "total", number>>;
  error?: RunError;
}

/** What {@link runPipeline} returns. */
export interface PipelineResult {
  run: RunRecord;
  paths: OutputPaths;
  /** Every message published, in order. */
  notifications: PublishedMessage[];
}

/** An `sns:publish` request as the state machine makes it (one line of notifications.jsonl). */
export interface PublishedMessage {
  TopicArn: string;
  Subject: string;
  Message: StatesMachineMessage;
}

/**
 * A problem with the options (bad flag value, unsafe output folder, missing Spark setup): the
 * CLI exits 2 with this message. `flag` names the option (`--out`).
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Output folder
// ---------------------------------------------------------------------------------------------

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Deletes and recreates the output folder, refusing anything that is not clearly an earlier
 * output: it must be missing, empty, or hold `run.json` or the {@link OUT_MARKER} file.
 *
 * @param out the output folder
 * @param input the input folder, if any: it must not be inside `out` (it would be deleted)
 * @throws UsageError naming `--out` (or `--input`), the folder and what to do instead.
 */
export function prepareOutDir(out: string, input?: string): void {
  const dir = path.resolve(out);
  if (input !== undefined && isInside(path.resolve(input), dir)) {
    throw new UsageError(
      "--input",
      `--input ${input} is inside --out ${out}, which every run deletes and recreates. ` +
        `Copy the input elsewhere first (e.g. cp -r ${input} ./sample, then --input ./sample) ` +
        `or choose another --out.`,
    );
  }
  const guarded: [string, string | undefined][] = [
    ["the current folder", process.cwd()],
    ["the folder npm was started from", process.env.INIT_CWD],
    ["the repository", REPO_ROOT],
    ["your home folder", os.homedir()],
  ];
  for (const [what, protectedDir] of guarded) {
    if (protectedDir === undefined || protectedDir === "") continue;
    if (isInside(protectedDir, dir)) {
      throw new UsageError(
        "--out",
        `--out ${out} is or contains ${what} (${protectedDir}); each run deletes --out. ` +
          `Use a dedicated folder, e.g. --out ./out.`,
      );
    }
  }
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) {
      throw new UsageError(
        "--out",
        `--out ${out} exists and is not a folder. Remove it or choose another --out.`,
      );
    }
    const entries = fs.readdirSync(dir);
    const earlier = entries.includes("run.json") || entries.includes(OUT_MARKER);
    if (entries.length > 0 && !earlier) {
      throw new UsageError(
        "--out",
        `--out ${out} is not empty and does not look like an earlier output of npm start ` +
          `(no run.json or ${OUT_MARKER} in it; found ${entries.slice(0, 5).join(", ")}` +
          `${entries.length > 5 ? ", ..." : ""}). Refusing to delete it: choose another --out, ` +
          `or empty that folder yourself.`,
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, OUT_MARKER),
    "Output of `npm start` (spotify-pipeline local run): deleted and recreated by the next run.\n",
  );
}

/** Writes a file atomically (temp file, then rename). */
function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

// ---------------------------------------------------------------------------------------------
// Crawler: catalog inference from the Parquet written
// ---------------------------------------------------------------------------------------------

/** A column of a catalog table. */
export interface CatalogColumn {
  name: string;
  /** Glue Data Catalog (Hive) type, as the crawler writes it: `string`, `int`, `bigint`, ... */
  type: string;
  /** The type Athena (Trino) reports in query results: `varchar`, `integer`, ... */
  athena_type: string;
}

/** A table of `OUT/catalog.json`. */
export interface CatalogTable {
  name: string;
  database: string;
  /** Folder of the table (the crawler's S3 target, locally a path ending in `/`). */
  location: string;
  classification: "parquet";
  /** Parquet compression codecs found, lowercase (e.g. `["snappy"]`). */
  compression: string[];
  columns: CatalogColumn[];
  /** Hive-style partition keys (`key=value` folders), string-typed like the crawler does. */
  partition_keys: CatalogColumn[];
  /** Partition values, one array per partition folder (in key order). */
  partitions: string[][];
  /** Rows in all data files (from the Parquet footers). */
  row_count: number;
  /** Data files read (Spark markers, temporary and hidden files excluded). */
  files: number;
  size_bytes: number;
}

/** `OUT/catalog.json`: what the Glue crawler would write to the Data Catalog. */
export interface Catalog {
  database: string;
  crawler: string;
  crawled_at: string;
  tables: CatalogTable[];
}

const SCALAR_TYPES: Record<string, [glue: string, athena: string]> = {
  VARCHAR: ["string", "varchar"],
  BOOLEAN: ["boolean", "boolean"],
  TINYINT: ["tinyint", "tinyint"],
  SMALLINT: ["smallint", "smallint"],
  INTEGER: ["int", "integer"],
  BIGINT: ["bigint", "bigint"],
  FLOAT: ["float", "real"],
  DOUBLE: ["double", "double"],
  DATE: ["date", "date"],
  TIMESTAMP: ["timestamp", "timestamp"],
  "TIMESTAMP WITH TIME ZONE": ["timestamp", "timestamp"],
  TIMESTAMP_NS: ["timestamp", "timestamp"],
  TIMESTAMP_MS: ["timestamp", "timestamp"],
  BLOB: ["binary", "varbinary"],
};

/**
 * Maps a DuckDB column type read from Parquet to the Glue Data Catalog type and the Athena type.
 * @throws Error for a type the crawler could not catalog (named, with the column).
 */
export function catalogTypes(duckdbType: string, column = "?"): [glue: string, athena: string] {
  const scalar = SCALAR_TYPES[duckdbType];
  if (scalar) return scalar;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType);
  if (decimal)
    return [`decimal(${decimal[1]},${decimal[2]})`, `decimal(${decimal[1]},${decimal[2]})`];
  if (duckdbType.endsWith("[]")) {
    const [glue, athena] = catalogTypes(duckdbType.slice(0, -2), column);
    return [`array<${glue}>`, `array(${athena})`];
  }
  throw new Error(
    `column ${column} has Parquet type ${duckdbType}, which this local crawler does not map to ` +
      `a Glue type; the gold schema (docs/contracts.md) uses string, int, bigint, double, ` +
      `boolean and date.`,
  );
}

/** Data files of a table folder, like the crawler sees them (exclusions applied), sorted. */
export function tableFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      // Spark's _SUCCESS and _temporary/ (lib/etl.ts CRAWLER_EXCLUSIONS), Hadoop's hidden .crc.
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      if (entry.name.endsWith("_$folder$")) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(", ")}]`;
}

async function rowsOf(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

function count(value: unknown): number {
  return typeof value === "bigint" ? Number(value) : Number(value ?? 0);
}

/**
 * Infers one catalog table from the Parquet files under `dir`, like the Glue crawler over the
 * gold prefix: columns and types from the files' schema, Hive-style partitions from
 * `key=value` folders, the row count from the Parquet footers.
 *
 * @throws Error when the folder holds no data file, a file is not Parquet, or a type is unmapped.
 */
export async function inferTable(
  connection: DuckDBConnection,
  dir: string,
  name: string,
  database: string,
): Promise<CatalogTable> {
  if (!fs.existsSync(dir)) {
    throw new Error(`the crawler target ${dir} does not exist: the job wrote no ${name} table.`);
  }
  const files = tableFiles(dir);
  if (files.length === 0) {
    throw new Error(`the crawler target ${dir} holds no data file (only markers or nothing).`);
  }
  // Partition keys from the folders between the table root and each file.
  const partitionOf = (file: string): [string, string][] =>
    path
      .relative(dir, path.dirname(file))
      .split(path.sep)
      .filter((p) => p !== "")
      .map((segment) => {
        const at = segment.indexOf("=");
        return at > 0 ? [segment.slice(0, at), segment.slice(at + 1)] : ["", segment];
      });
  const first = partitionOf(files[0] as string).map(([k]) => k);
  for (const file of files) {
    const keys = partitionOf(file).map(([k]) => k);
    if (keys.includes("") || keys.join("/") !== first.join("/")) {
      throw new Error(
        `${file} is not in a key=value partition layout shared by every file of ${dir}; ` +
          `the crawler would split it into several tables.`,
      );
    }
  }
  const list = sqlList(files);
  const described = await rowsOf(
    connection,
    `DESCRIBE SELECT * FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true)`,
  );
  const columns = described.map((r) => {
    const column = String(r.column_name);
    const [type, athena_type] = catalogTypes(String(r.column_type), column);
    return { name: column, type, athena_type };
  });
  const [meta] = await rowsOf(
    connection,
    `SELECT SUM(num_rows) AS row_count FROM parquet_file_metadata(${list})`,
  );
  const codecs = await rowsOf(
    connection,
    `SELECT DISTINCT lower(compression) AS codec FROM parquet_metadata(${list}) ORDER BY codec`,
  );
  const partitions = [
    ...new Set(files.map((f) => JSON.stringify(partitionOf(f).map(([, v]) => v)))),
  ].map((p) => JSON.parse(p) as string[]);
  return {
    name,
    database,
    location: `${dir}${path.sep}`,
    classification: "parquet",
    compression: codecs.map((c) => String(c.codec)),
    columns,
    partition_keys: first.map((k) => ({ name: k, type: "string", athena_type: "varchar" })),
    partitions: first.length > 0 ? partitions.sort() : [],
    row_count: count(meta?.row_count),
    files: files.length,
    size_bytes: files.reduce((s, f) => s + fs.statSync(f).size, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// The Glue job step
// ---------------------------------------------------------------------------------------------

/** An error as Step Functions reports a failed Task: `name` is the error Retry/Catch match. */
function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The Python of the venv `npm run setup:python` creates. */
export function venvPython(): string {
  return path.join(REPO_ROOT, ".venv", "bin", "python");
}

/** Last non-empty lines of a text, for an error cause. */
function tail(text: string, lines: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-lines)
    .join("\n");
}

/**
 * Runs the real Glue entrypoint on local PySpark: `glue/job.py --local --input DIR --out OUT
 * --run-id ID`. It prints the run summary JSON on stdout and exits 1 with the message on stderr
 * when the input is bad.
 */
async function runSparkJob(inputDir: string, outDir: string, runId: string): Promise<RunSummary> {
  const python = venvPython();
  const script = path.join(REPO_ROOT, "glue", "job.py");
  const args = [script, "--local", "--input", inputDir, "--out", outDir, "--run-id", runId];
  const child = spawn(python, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-65_536);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0) {
    const message = sparkErrorMessage(stderr, code);
    throw new Error(
      /No module named '?(pyspark|py4j)/.test(message)
        ? `${message}. The .venv lacks PySpark: run \`npm run setup:python\`.`
        : message,
    );
  }
  const summary = lastJsonObject(stdout);
  if (!summary) {
    throw new Error(
      `glue/job.py --local exited 0 but printed no run summary JSON on stdout; it printed: ` +
        `${tail(stdout, 3) || "(nothing)"}`,
    );
  }
  const missing = ["input", "accepted", "rejected", "output"].filter(
    (k) => typeof summary[k] !== "object" || summary[k] === null,
  );
  if (missing.length > 0) {
    throw new Error(
      `glue/job.py --local printed a run summary without ${missing.join(", ")} ` +
        `(docs/contracts.md, "Run summary"): ${JSON.stringify(summary).slice(0, 300)}`,
    );
  }
  return summary as unknown as RunSummary;
}

/**
 * The message of a failed `glue/job.py --local`: from its last `<Name>Error: ...` line to the end
 * of stderr (the message may span lines), without an `InputError: ` prefix (the DuckDB engine's
 * messages have none); else the last lines of stderr.
 */
export function sparkErrorMessage(stderr: string, code: number | null): string {
  const lines = stderr.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^[A-Z][A-Za-z]*(Error|Exception): /.test(lines[i] as string)) {
      return lines
        .slice(i)
        .join("\n")
        .trim()
        .replace(/^InputError: /, "");
    }
  }
  return (
    tail(stderr, 5) || `glue/job.py --local exited with code ${code} and printed nothing on stderr.`
  );
}

/** The last JSON object printed (possibly over several lines) at the end of `text`. */
export function lastJsonObject(text: string): Record<string, unknown> | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!(lines[i] as string).startsWith("{")) continue;
    try {
      const value: unknown = JSON.parse(lines.slice(i).join("\n"));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
    } catch {
      // Not the start of the summary: keep looking upwards.
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers for progress details
// ---------------------------------------------------------------------------------------------

const fmt = (n: number): string => n.toLocaleString("en-US");

function relative(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") ? p : rel;
}

function sumValues(record: Record<string, number> | undefined): number {
  return Object.values(record ?? {}).reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

let machine: { key: string; instance: StateMachine } | undefined;

/**
 * The local StateMachine for `definition`, built once per process. The runner's own validation
 * is skipped (it takes seconds); the definition is validated with asl-validator and with the
 * runner's validation in test/state-machine.test.ts.
 */
async function stateMachineFor(
  definition: ReturnType<typeof buildDefinition>,
): Promise<StateMachine> {
  const key = JSON.stringify(definition);
  if (machine?.key !== key) {
    const { StateMachine } = await import("aws-local-stepfunctions");
    machine = {
      key,
      instance: new StateMachine(structuredClone(definition), {
        validationOptions: { noValidate: true },
      }),
    };
  }
  return machine.instance;
}

/** A UTC timestamp run id: `local-20240601T031500Z`. */
export function defaultRunId(now: Date = new Date()): string {
  return `local-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
}

interface Resolved {
  out: string;
  input?: string;
  tracks: number;
  seed: number;
  engine: Engine;
  runId: string;
}

/** Checks the options; throws UsageError naming the option and the fix. */
function resolveOptions(o: PipelineOptions): Resolved {
  const engine = o.engine ?? "duckdb";
  if (engine !== "duckdb" && engine !== "spark") {
    throw new UsageError(
      "--engine",
      `--engine must be duckdb or spark; got ${JSON.stringify(engine)}.`,
    );
  }
  if (o.input !== undefined && (o.tracks !== undefined || o.seed !== undefined)) {
    throw new UsageError(
      o.tracks !== undefined ? "--tracks" : "--seed",
      `--${o.tracks !== undefined ? "tracks" : "seed"} sizes the generated sample, which is not ` +
        `used with --input ${o.input}: drop one of the two.`,
    );
  }
  const tracks = o.tracks ?? DEFAULT_TRACKS;
  if (!Number.isInteger(tracks) || tracks < MIN_TRACKS_WITH_DIRTY || tracks > MAX_TRACKS) {
    throw new UsageError(
      "--tracks",
      `--tracks must be a whole number from ${MIN_TRACKS_WITH_DIRTY} to ${MAX_TRACKS}; got ` +
        `${String(o.tracks)}. Example: --tracks ${DEFAULT_TRACKS}`,
    );
  }
  const seed = o.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UsageError(
      "--seed",
      `--seed must be a whole number >= 0; got ${String(o.seed)}. Example: --seed ${DEFAULT_SEED}`,
    );
  }
  if (o.input !== undefined) {
    const input = path.resolve(o.input);
    if (!fs.existsSync(input) || !fs.statSync(input).isDirectory()) {
      throw new UsageError(
        "--input",
        `--input ${o.input} is not a folder (resolved to ${input}). Point it at the folder ` +
          `holding albums.csv, artists.csv and tracks.csv, or leave it out to generate a sample.`,
      );
    }
  }
  if (engine === "spark" && !fs.existsSync(venvPython())) {
    throw new UsageError(
      "--engine",
      `--engine spark needs the Python environment with PySpark (${venvPython()} is missing). ` +
        `Run \`npm run setup:python\` first, or use --engine duckdb.`,
    );
  }
  const runId = o.runId ?? defaultRunId();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(runId)) {
    throw new UsageError(
      "runId",
      `runId must be 1-80 letters, digits, ".", "_" or "-" (it names folders and the ` +
        `execution); got ${JSON.stringify(runId)}.`,
    );
  }
  return { out: o.out ?? "out", input: o.input, tracks, seed, engine, runId };
}

/** How the execution ended. */
type Ending = { status: "SUCCEEDED" } | { status: "FAILED"; Error: string; Cause: unknown };

/** A crawl in progress: its start time and the outcome of the catalog inference. */
interface Crawl {
  startTime: string;
  done: Promise<{ ok: true; table: CatalogTable } | { ok: false; message: string }>;
}

/** One run: the state its steps share (timings, notifications, the DuckDB connection). */
class LocalRun {
  readonly paths: OutputPaths;
  readonly record: RunRecord;
  readonly notifications: PublishedMessage[] = [];
  readonly timings: RunRecord["timings_ms"] = {};
  /** The local step running (named in run.json when a local step fails). */
  step: Step = "generate";
  /** The folder the user's batch came from (a given --input, or the generated sample). */
  inputDir: string;
  summary?: RunSummary;
  crawl?: Crawl;
  private db?: { instance: DuckDBInstance; connection: DuckDBConnection };
  private readonly started = performance.now();

  constructor(
    readonly o: Resolved,
    private readonly onEvent: (event: PipelineEvent) => void,
  ) {
    this.paths = outputPaths(o.out, o.runId);
    this.inputDir = o.input === undefined ? this.paths.input : path.resolve(o.input);
    this.record = {
      status: "FAILED",
      run_id: o.runId,
      engine: o.engine,
      input: null,
      accepted: null,
      rejected: null,
      output: null,
      states: [],
      timings_ms: this.timings,
    };
  }

  emit(event: PipelineEvent): void {
    this.onEvent(event);
  }

  /** Adds `ms` to a step's time. */
  add(step: Step, ms: number): void {
    this.timings[step] = Math.round((this.timings[step] ?? 0) + ms);
  }

  /** Runs a local step, records its time and emits its progress line. */
  async timed<T>(step: Step, work: () => Promise<T> | T, detail: (value: T) => string): Promise<T> {
    this.step = step;
    const t = performance.now();
    const value = await work();
    const ms = performance.now() - t;
    this.add(step, ms);
    this.emit({ kind: "step", step, ms, detail: detail(value) });
    return value;
  }

  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  /** One in-memory DuckDB for the crawler, the row count and the queries. */
  async duck(): Promise<DuckDBConnection> {
    if (!this.db) {
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const instance = await DuckDBInstance.create(":memory:");
      this.db = { instance, connection: await instance.connect() };
    }
    return this.db.connection;
  }

  close(): void {
    this.db?.connection.closeSync();
    this.db?.instance.closeSync();
    this.db = undefined;
  }

  /** Writes run.json (status, counts, states, timings, error) and returns the result. */
  finish(): PipelineResult {
    this.timings.total = this.elapsed();
    const r = this.record;
    const record: RunRecord = {
      status: r.status,
      run_id: r.run_id,
      engine: r.engine,
      input: r.input,
      accepted: r.accepted,
      rejected: r.rejected,
      output: r.output,
      states: r.states,
      timings_ms: orderedTimings(this.timings),
      ...(r.error ? { error: r.error } : {}),
    };
    writeAtomic(this.paths.run, `${JSON.stringify(record, null, 2)}\n`);
    return { run: record, paths: this.paths, notifications: this.notifications };
  }
}

/** Step 1: the deterministic sample, when no input folder was given. */
async function generateStep(run: LocalRun): Promise<void> {
  const { o, paths } = run;
  await run.timed(
    "generate",
    () => generateSample({ tracks: o.tracks, seed: o.seed, outDir: paths.input }),
    (g) =>
      `${fmt(g.rows.albums)} album rows, ${fmt(g.rows.artists)} artists, ` +
      `${fmt(g.rows.tracks)} tracks (seed ${o.seed}) -> ${relative(paths.input)}/`,
  );
}

/**
 * Step 2: the upload to the staging bucket: the three CSVs, then the `_READY` marker. A missing
 * file is not copied: the Glue job reports it, through the failure path, as in the cloud.
 */
async function stageStep(run: LocalRun): Promise<void> {
  const contract = loadContract();
  const { paths } = run;
  await run.timed(
    "stage",
    () => {
      fs.mkdirSync(paths.staging, { recursive: true });
      const copied: string[] = [];
      let bytes = 0;
      for (const entity of ENTITIES) {
        const name = contract.inputs[entity].file;
        const source = path.join(run.inputDir, name);
        if (!fs.existsSync(source)) continue;
        stageFile(source, path.join(paths.staging, name));
        bytes += fs.statSync(source).size;
        copied.push(name);
      }
      fs.writeFileSync(path.join(paths.staging, MARKER_NAME), "");
      return { copied, bytes };
    },
    ({ copied, bytes }) =>
      `${copied.join(", ") || "no CSV found"} (${(bytes / 1e6).toFixed(1)} MB) + ${MARKER_NAME} ` +
      `-> ${relative(paths.staging)}/`,
  );
}

/**
 * Puts an input file into the staging area without reading it: a hard link when both are on one
 * file system (nothing writes to a staged file, and `--out` is recreated, never the input),
 * else a copy (a reflink where the file system has them).
 */
function stageFile(source: string, target: string): void {
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
  }
}

/** The local batch folder of an `input_path` in the local staging bucket. */
function stagingFolderOf(run: LocalRun, uri: string): string {
  const prefix = `s3://${LOCAL_RESOURCES.buckets.staging}/${INCOMING_PREFIX}`;
  const batch = uri.startsWith(prefix) ? uri.slice(prefix.length).replace(/\/$/, "") : "";
  if (batch === "" || batch.includes("/")) {
    throw taskError(
      "Glue.EntityNotFoundException",
      `--input_path ${uri} is not a batch prefix of the local staging bucket (${prefix}<batch>/).`,
    );
  }
  return path.join(run.paths.out, "staging", batch);
}

/** The Glue job (`glue:startJobRun.sync`): the transform on DuckDB or local PySpark. */
async function glueJobHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const request = input as { JobName: string; Arguments: Record<string, string> };
  const runId = request.Arguments["--run_id"] as string;
  const batchDir = stagingFolderOf(run, request.Arguments["--input_path"] as string);
  const { engine } = run.o;
  const t = performance.now();
  let summary: RunSummary;
  try {
    summary =
      engine === "spark"
        ? await runSparkJob(batchDir, run.paths.out, runId)
        : await (
            await import("./etl.js")
          ).runTransform({
            inputDir: batchDir,
            outDir: run.paths.out,
            runId,
          });
  } catch (err) {
    const ms = performance.now() - t;
    run.add("glue_job", ms);
    run.emit({ kind: "step", step: "glue_job", ms, detail: `${engine}: FAILED` });
    // The staged files are exact copies: name the folder the user gave.
    throw taskError("States.TaskFailed", (err as Error).message.split(batchDir).join(run.inputDir));
  }
  const ms = performance.now() - t;
  run.add("glue_job", ms);
  run.summary = summary;
  const per = (f: (e: Entity) => number): string =>
    ENTITIES.map((e) => `${fmt(f(e))} ${e}`).join(", ");
  run.emit({
    kind: "step",
    step: "glue_job",
    ms,
    detail:
      `${engine}: read ${per((e) => summary.input[e])}; quarantined ` +
      `${per((e) => sumValues(summary.rejected[e] as Record<string, number>))}; ` +
      `gold ${fmt(summary.output.tracks)} rows`,
  });
  return { Id: `jr_local_${runId}`, JobName: request.JobName, JobRunState: "SUCCEEDED" };
}

/** `glue:getCrawler`: READY, with the LastCrawl of the crawl started by this run (if any). */
async function getCrawlerHandler(run: LocalRun): Promise<JsonValue> {
  const crawler: Record<string, JsonValue> = {
    Name: LOCAL_RESOURCES.crawlerName,
    State: "READY",
    DatabaseName: LOCAL_RESOURCES.database,
  };
  if (run.crawl) {
    // The local crawl runs in-process: a poll waits for it instead of looping.
    const result = await run.crawl.done;
    crawler.LastCrawl = result.ok
      ? { StartTime: run.crawl.startTime, Status: "SUCCEEDED" }
      : { StartTime: run.crawl.startTime, Status: "FAILED", ErrorMessage: result.message };
  }
  return { Crawler: crawler };
}

/** `glue:startCrawler`: infers the gold table from its Parquet and writes `OUT/catalog.json`. */
async function startCrawlerHandler(run: LocalRun): Promise<JsonValue> {
  if (run.crawl) {
    throw taskError(
      "Glue.CrawlerRunningException",
      `Crawler ${LOCAL_RESOURCES.crawlerName} is already running.`,
    );
  }
  const { paths } = run;
  const startTime = new Date().toISOString();
  const t = performance.now();
  const done: Crawl["done"] = (async () => {
    try {
      const table = await inferTable(
        await run.duck(),
        paths.gold,
        GOLD_TABLE,
        LOCAL_RESOURCES.database,
      );
      const catalog: Catalog = {
        database: LOCAL_RESOURCES.database,
        crawler: LOCAL_RESOURCES.crawlerName,
        crawled_at: startTime,
        tables: [table],
      };
      writeAtomic(paths.catalog, `${JSON.stringify(catalog, null, 2)}\n`);
      return { ok: true as const, table };
    } catch (err) {
      return { ok: false as const, message: (err as Error).message };
    }
  })().then((result) => {
    const ms = performance.now() - t;
    run.add("crawler", ms);
    const detail = result.ok
      ? `table ${result.table.database}.${result.table.name}: ${result.table.columns.length} ` +
        `columns, ${result.table.partitions.length} partitions, ${fmt(result.table.row_count)} ` +
        `rows in ${result.table.files} ${result.table.compression.join("/")} Parquet file(s) ` +
        `-> ${relative(paths.catalog)}`
      : `FAILED: ${result.message}`;
    run.emit({ kind: "step", step: "crawler", ms, detail });
    return result;
  });
  run.crawl = { startTime, done };
  return {};
}

/** `s3:getObject` on the processed bucket (the run summary). */
async function getObjectHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const t = performance.now();
  const { Bucket, Key } = input as { Bucket: string; Key: string };
  if (Bucket !== LOCAL_RESOURCES.buckets.processed) {
    throw taskError("S3.NoSuchBucket", `The specified bucket does not exist: ${Bucket}`);
  }
  const file = path.join(run.paths.processed, ...Key.split("/"));
  if (!fs.existsSync(file)) {
    throw taskError("S3.NoSuchKey", `The specified key does not exist: ${Key} (${file})`);
  }
  const body = fs.readFileSync(file, "utf8");
  const ms = performance.now() - t;
  run.add("run_summary", ms);
  run.emit({ kind: "step", step: "run_summary", ms, detail: relative(file) });
  return { Body: body, ContentType: "application/json" };
}

/** `sns:publish`: appends the request to `OUT/notifications.jsonl` and reports it. */
async function publishHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const t = performance.now();
  const request = input as unknown as PublishedMessage;
  run.notifications.push(request);
  fs.appendFileSync(run.paths.notifications, `${JSON.stringify(request)}\n`);
  const ms = performance.now() - t;
  run.add("notify", ms);
  const file = run.paths.notifications;
  run.emit({ kind: "step", step: "notify", ms, detail: `${request.Subject} -> ${relative(file)}` });
  run.emit({ kind: "notification", subject: request.Subject, message: request.Message, file });
  return { MessageId: `local-${run.notifications.length}` };
}

/**
 * Step 3: executes the deployed definition, started with the marker rule's input, every Task on
 * a local handler; records the states entered.
 */
async function executeStep(run: LocalRun): Promise<Ending | undefined> {
  run.step = "glue_job";
  prewarmCharts();
  const definition = buildDefinition({
    jobName: LOCAL_RESOURCES.jobName,
    crawlerName: LOCAL_RESOURCES.crawlerName,
    topicArn: LOCAL_RESOURCES.topicArn,
    summaryBucket: LOCAL_RESOURCES.buckets.processed,
    pipelineName: LOCAL_RESOURCES.pipelineName,
  });
  const handlers: Record<TaskStateName, (input: JsonValue) => Promise<JsonValue>> = {
    RunGlueJob: (input) => glueJobHandler(run, input),
    GetCrawlerBaseline: () => getCrawlerHandler(run),
    StartCrawler: () => startCrawlerHandler(run),
    GetCrawlerStatus: () => getCrawlerHandler(run),
    ReadRunSummary: (input) => getObjectHandler(run, input),
    NotifySuccess: (input) => publishHandler(run, input),
    NotifyFailure: (input) => publishHandler(run, input),
  };
  const execution = (await stateMachineFor(definition)).run(
    {
      marker: {
        bucket: LOCAL_RESOURCES.buckets.staging,
        key: `${INCOMING_PREFIX}${run.o.runId}/${MARKER_NAME}`,
      },
    },
    {
      context: executionContext(LOCAL_RESOURCES.stateMachineArn, run.o.runId),
      overrides: { ...zeroDelayOverrides(definition), taskResourceLocalHandlers: handlers },
    },
  );
  let ending: Ending | undefined;
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") run.record.states.push(event.state.name);
      else if (event.type === "ExecutionSucceeded") ending = { status: "SUCCEEDED" };
      else if (event.type === "ExecutionFailed") {
        ending = { status: "FAILED", Error: event.Error, Cause: event.Cause };
      }
    }
  })();
  await execution.result.catch(() => undefined);
  await events;
  if (run.crawl) await run.crawl.done;
  return ending;
}

/**
 * Loads the modules a run needs (the local Step Functions runner, DuckDB, the transform, vega and
 * vega-lite: about 1.5 s on a 2-core machine). The CLI calls it before the run starts, so a run's
 * `timings_ms.total` is the pipeline's own time and module loading counts as start-up, like
 * Node's; without it each module loads where it is first used.
 */
export async function loadPipelineModules(): Promise<void> {
  await Promise.all([
    import("aws-local-stepfunctions"),
    import("@duckdb/node-api"),
    import("./etl.js"),
    import("./dashboard.js").then((d) => d.loadCharts()),
  ]);
}

/**
 * Starts loading vega and vega-lite (1 to 2 s of module loading on the main thread) while the
 * transform runs on DuckDB's threads; the dashboard's own `import()` then finds them loaded.
 */
function prewarmCharts(): void {
  void Promise.all([import("vega"), import("vega-lite")]).catch(() => undefined);
}

/** Copies the counts of the summary the job wrote (also after a later failure) into run.json. */
async function recordCounts(run: LocalRun): Promise<RunSummary | undefined> {
  const summary = run.summary ?? readSummaryIfAny(run.paths.summary);
  if (summary) {
    run.record.input = { ...summary.input };
    run.record.accepted = { ...summary.accepted };
    run.record.rejected = {
      albums: { ...summary.rejected.albums },
      artists: { ...summary.rejected.artists },
      tracks: { ...summary.rejected.tracks },
    } as RunRecord["rejected"];
  }
  if (fs.existsSync(run.paths.gold) && tableFiles(run.paths.gold).length > 0) {
    run.record.output = { tracks: await countParquetRows(await run.duck(), run.paths.gold) };
  }
  return summary;
}

/** The error of a failed execution, from its failure notification (else its last event). */
function executionError(run: LocalRun, ending: Ending | undefined): RunError {
  const failure = run.notifications
    .map((n) => n.Message)
    .find((m): m is FailureNotification => m.status === "FAILED");
  if (failure) return { step: failure.failed_step, error: failure.error, cause: failure.cause };
  return {
    step: run.record.states.at(-1) ?? "StateMachine",
    error: ending?.status === "FAILED" ? ending.Error : "Local.ExecutionIncomplete",
    cause:
      ending?.status === "FAILED"
        ? String(ending.Cause)
        : "The execution ended without a final event.",
  };
}

/** Step 4: every query file on the gold Parquet -> `OUT/queries/<name>.csv`, all or nothing. */
async function queriesStep(run: LocalRun): Promise<Map<string, QueryResult>> {
  const { paths } = run;
  const results = new Map<string, QueryResult>();
  await run.timed(
    "queries",
    async () => {
      const connection = await run.duck();
      const table = await run.crawl?.done;
      const hive = table?.ok === true && table.table.partition_keys.length > 0;
      await connection.run(
        `CREATE OR REPLACE VIEW ${GOLD_TABLE} AS SELECT * FROM ` +
          `read_parquet(${sqlList(tableFiles(paths.gold))}, hive_partitioning = ${hive})`,
      );
      const partial = `${paths.queries}.partial`;
      fs.rmSync(partial, { recursive: true, force: true });
      fs.mkdirSync(partial, { recursive: true });
      for (const query of loadQueries()) {
        let result: QueryResult;
        try {
          result = await runQuery(connection, query.sql);
        } catch (err) {
          throw new Error(`queries/${query.name}.sql failed on DuckDB: ${(err as Error).message}`, {
            cause: err,
          });
        }
        results.set(query.name, result);
        const csv = toCsv(result.rows, result.columns);
        fs.writeFileSync(path.join(partial, `${query.name}.csv`), csv);
      }
      fs.renameSync(partial, paths.queries);
    },
    () =>
      `${results.size} queries -> ${relative(paths.queries)}/ (` +
      [...results].map(([name, r]) => `${name} ${fmt(r.rows.length)}`).join(", ") +
      " rows)",
  );
  return results;
}

/** Step 5: the dashboard from the three dashboard queries and the run's counts. */
async function dashboardStep(
  run: LocalRun,
  summary: RunSummary,
  results: Map<string, QueryResult>,
): Promise<void> {
  const { paths } = run;
  await run.timed(
    "dashboard",
    async () => {
      const { renderDashboard } = await import("./dashboard.js");
      const html = await renderDashboard({
        run: {
          ...summary,
          engine: run.o.engine,
          status: "SUCCEEDED",
          output: run.record.output ?? summary.output,
          timings_ms: stepTimings(run.timings),
          duration_ms: run.elapsed(),
        },
        mostPopularArtists: dashboardRows<MostPopularArtistRow>(results, "most_popular_artists", [
          "artist_name",
          "total_tracks",
          "artist_popularity",
          "followers",
        ]),
        trackCountsByAlbum: dashboardRows<TrackCountByAlbumRow>(results, "track_counts_by_album", [
          "album_name",
          "artist_name",
          "track_count",
        ]),
        durationTrendsByYear: dashboardRows<DurationTrendRow>(results, "duration_trends_by_year", [
          "release_year",
          "track_count",
          "avg_duration_min",
          "median_duration_min",
        ]),
        generatedAt: new Date()
          .toISOString()
          .replace("T", " ")
          .replace(/\.\d+Z$/, " UTC"),
      });
      writeAtomic(paths.dashboard, html);
    },
    () => relative(paths.dashboard),
  );
}

/**
 * Runs the whole pipeline locally (see the module comment) and writes `OUT/run.json`.
 *
 * A bad input (missing file, missing column, empty file, not a CSV) fails the Glue job step; the
 * execution then takes the definition's failure path (NotifyFailure -> Failed) and the result
 * has status FAILED with the error, no query results and no dashboard.
 *
 * @returns the run record (also in `OUT/run.json`), the output paths and the notifications.
 * @throws UsageError for invalid options or an output folder it must not delete (nothing is
 *   written then).
 */
export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const o = resolveOptions(options);
  prepareOutDir(o.out, o.input);
  const run = new LocalRun(o, options.onEvent ?? (() => undefined));
  run.emit({ kind: "start", runId: o.runId, engine: o.engine, out: run.paths.out, input: o.input });
  try {
    if (o.input === undefined) await generateStep(run);
    await stageStep(run);
    const ending = await executeStep(run);
    const summary = await recordCounts(run);
    if (ending?.status !== "SUCCEEDED") {
      run.record.error = executionError(run, ending);
      return run.finish();
    }
    run.step = "crawler";
    if (!summary || !run.record.output) {
      throw new Error("the execution succeeded but left no run summary or no gold Parquet.");
    }
    if (run.record.output.tracks !== summary.output.tracks) {
      throw new Error(
        `the gold Parquet holds ${run.record.output.tracks} rows but the run summary reports ` +
          `output.tracks = ${summary.output.tracks}.`,
      );
    }
    const results = await queriesStep(run);
    await dashboardStep(run, summary, results);
    run.record.status = "SUCCEEDED";
    return run.finish();
  } catch (err) {
    // A local step failed (outside the state machine): leave no half-written results behind.
    fs.rmSync(`${run.paths.queries}.partial`, { recursive: true, force: true });
    fs.rmSync(run.paths.queries, { recursive: true, force: true });
    fs.rmSync(run.paths.dashboard, { force: true });
    run.record.status = "FAILED";
    run.record.error = {
      step: run.step,
      error: (err as Error).name || "Error",
      cause: (err as Error).message,
    };
    return run.finish();
  } finally {
    run.close();
  }
}

/** Timings in step order, `total` last. */
function orderedTimings(t: RunRecord["timings_ms"]): RunRecord["timings_ms"] {
  const out: RunRecord["timings_ms"] = {};
  for (const s of [...STEPS, "total"] as const) if (t[s] !== undefined) out[s] = t[s];
  return out;
}

/** Step timings without `total` (for the dashboard's bars). */
function stepTimings(t: RunRecord["timings_ms"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of STEPS) if (t[s] !== undefined) out[s] = t[s] as number;
  return out;
}

function readSummaryIfAny(file: string): RunSummary | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as RunSummary;
}

/** Rows in the Parquet data files of a table folder (`COUNT(*)`, not the run summary). */
export async function countParquetRows(connection: DuckDBConnection, dir: string): Promise<number> {
  const [row] = await rowsOf(
    connection,
    `SELECT COUNT(*) AS n FROM read_parquet(${sqlList(tableFiles(dir))}, hive_partitioning = false)`,
  );
  return count(row?.n);
}

/** A dashboard query's rows, after checking it returns the columns docs/contracts.md fixes. */
function dashboardRows<T>(results: Map<string, QueryResult>, name: string, columns: string[]): T[] {
  const result = results.get(name);
  if (!result) {
    throw new Error(`queries/${name}.sql is missing: the dashboard charts its result.`);
  }
  const missing = columns.filter((c) => !result.columns.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `queries/${name}.sql returns ${result.columns.join(", ")}; the dashboard needs ` +
        `${missing.join(", ")} (lib/visuals.ts).`,
    );
  }
  return result.rows as unknown as T[];
}
