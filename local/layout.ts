/**
 * Names, options, results and the output folder of the local run (`local/pipeline.ts`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GOLD_TABLE, catalogDatabaseName } from "../lib/etl";
import { runSummaryKey, type StatesMachineMessage } from "../lib/state-machine";
import type { GateResult, QualityGatesOverride } from "../lib/quality-gates";
import type { Entity } from "../lib/contract";

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
  /** The lake root: `--lake DIR`, else `out` (a self-contained run). */
  lake: string;
  /** The generated sample (only when no input folder was given). */
  input: string;
  /** `LAKE/staging/<batch>/`: the staged CSVs and the `_READY` marker. */
  staging: string;
  processed: string;
  datawarehouse: string;
  /** `LAKE/datawarehouse/tracks/`: the current gold table. */
  gold: string;
  /** `LAKE/datawarehouse/tracks_history/`: one partition per snapshot date. */
  history: string;
  summary: string;
  catalog: string;
  notifications: string;
  /** `OUT/metrics.jsonl`: the PutMetricData requests of the run. */
  metrics: string;
  queries: string;
  dashboard: string;
  run: string;
}

/** The output paths of run `runId` under `out`, the lake under `lake` (default: `out`). */
export function outputPaths(out: string, runId: string, lake?: string): OutputPaths {
  const root = path.resolve(out);
  const lakeRoot = lake === undefined ? root : path.resolve(lake);
  const processed = path.join(lakeRoot, "processed");
  const datawarehouse = path.join(lakeRoot, "datawarehouse");
  return {
    out: root,
    lake: lakeRoot,
    input: path.join(root, "input"),
    staging: path.join(lakeRoot, "staging", runId),
    processed,
    datawarehouse,
    gold: path.join(datawarehouse, GOLD_TABLE),
    history: path.join(datawarehouse, `${GOLD_TABLE}_history`),
    summary: path.join(processed, runSummaryKey(runId)),
    catalog: path.join(root, "catalog.json"),
    notifications: path.join(root, "notifications.jsonl"),
    metrics: path.join(root, "metrics.jsonl"),
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
  /** Extra share of orphan album rows in the generated sample (0 to 0.5). @default 0 */
  orphanSpike?: number;
  /** @default "duckdb" */
  engine?: Engine;
  /** Run id (also the execution name and the batch folder). @default `local-<UTC timestamp>` */
  runId?: string;
  /**
   * A lake kept across runs (staging, processed, warehouse, history); without it the lake is
   * `out` and the run is self-contained.
   */
  lake?: string;
  /**
   * The snapshot date of the batch (`YYYY-MM-DD`): the local stand-in for the execution's start
   * day, to rerun or backfill a given day. @default today (UTC)
   */
  snapshotDate?: string;
  /** Overrides of the contract's quality gates (like a stack's `qualityGates`). */
  gates?: QualityGatesOverride;
  /**
   * Fault injection for tests: `fail` makes the publish step fail before it touches anything (a
   * crash between write and publish), `crash-mid-swap` stops it between its two renames.
   */
  faults?: { publish?: "fail" | "crash-mid-swap" };
  /** Progress: called once per finished step and per notification. */
  onEvent?: (event: PipelineEvent) => void;
}

/** Step names, the keys of `timings_ms` (plus `total`), in run order. */
export const STEPS = [
  "generate",
  "stage",
  "glue_job",
  "run_summary",
  "metrics",
  "publish",
  "crawler",
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
  /** The quality gates of the run summary (null when the job wrote none). */
  gates: GateResult[] | null;
  /** The snapshot date of the batch; `published` says whether its gold was published. */
  snapshot_date: string | null;
  published: boolean;
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
 * @param lake the lake kept across runs, if any: it must not be inside `out` either
 * @throws UsageError naming `--out` (or `--input`), the folder and what to do instead.
 */
export function prepareOutDir(out: string, input?: string, lake?: string): void {
  const dir = path.resolve(out);
  if (lake !== undefined && isInside(path.resolve(lake), dir)) {
    throw new UsageError(
      "--lake",
      `--lake ${lake} is inside --out ${out}, which every run deletes and recreates. ` +
        `Keep the lake beside it, e.g. --out ./out --lake ./lake.`,
    );
  }
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
export function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers for progress details
// ---------------------------------------------------------------------------------------------

export const fmt = (n: number): string => n.toLocaleString("en-US");

export function relative(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") ? p : rel;
}

export function sumValues(record: Record<string, number> | undefined): number {
  return Object.values(record ?? {}).reduce((a, b) => a + b, 0);
}
