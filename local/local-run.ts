/**
 * One local run's options and shared state (timings, notifications, the DuckDB connection).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { MAX_TRACKS, MIN_TRACKS_WITH_DIRTY, DEFAULT_SEED } from "./generate";
import type { RunSummary } from "./etl";
import type { CatalogTable } from "./crawler";
import {
  DEFAULT_TRACKS,
  STEPS,
  UsageError,
  outputPaths,
  writeAtomic,
  type Engine,
  type OutputPaths,
  type PipelineEvent,
  type PipelineOptions,
  type PipelineResult,
  type PublishedMessage,
  type RunRecord,
  type Step,
} from "./layout";
import { venvPython } from "./spark-job";
import { checkSnapshotDate } from "../lib/publish";
import { parseQualityGatesOverride, type QualityGatesOverride } from "../lib/quality-gates";

/** A UTC timestamp run id: `local-20240601T031500Z`. */
export function defaultRunId(now: Date = new Date()): string {
  return `local-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
}

export interface Resolved {
  out: string;
  input?: string;
  tracks: number;
  seed: number;
  engine: Engine;
  runId: string;
  lake?: string;
  snapshotDate?: string;
  orphanSpike?: number;
  gates?: QualityGatesOverride;
}

/** Checks the options; throws UsageError naming the option and the fix. */
export function resolveOptions(o: PipelineOptions): Resolved {
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
  if (o.snapshotDate !== undefined) {
    try {
      checkSnapshotDate(o.snapshotDate, "--snapshot-date");
    } catch (err) {
      throw new UsageError("--snapshot-date", (err as Error).message);
    }
  }
  let gates: QualityGatesOverride | undefined;
  if (o.gates !== undefined) {
    try {
      gates = parseQualityGatesOverride(o.gates, "gates");
    } catch (err) {
      throw new UsageError("gates", (err as Error).message);
    }
  }
  return {
    out: o.out ?? "out",
    input: o.input,
    tracks,
    seed,
    engine,
    runId,
    lake: o.lake,
    orphanSpike: o.orphanSpike,
    snapshotDate: o.snapshotDate,
    gates,
  };
}

/** How the execution ended. */
export type Ending = { status: "SUCCEEDED" } | { status: "FAILED"; Error: string; Cause: unknown };

/** A crawl in progress: its start time and the outcome of the catalog inference. */
export interface Crawl {
  startTime: string;
  done: Promise<{ ok: true; table: CatalogTable } | { ok: false; message: string }>;
}

/** One run: the state its steps share (timings, notifications, the DuckDB connection). */
export class LocalRun {
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
  /** Tests: stop the publish between its two renames (a crash the next run repairs). */
  crashDuringPublish = false;
  /** Tests: the publish step fails before touching anything (a crash after the write). */
  failPublish = false;
  private db?: { instance: DuckDBInstance; connection: DuckDBConnection };
  private readonly started = performance.now();

  constructor(
    readonly o: Resolved,
    private readonly onEvent: (event: PipelineEvent) => void,
  ) {
    this.paths = outputPaths(o.out, o.runId, o.lake);
    this.inputDir = o.input === undefined ? this.paths.input : path.resolve(o.input);
    this.record = {
      status: "FAILED",
      run_id: o.runId,
      engine: o.engine,
      input: null,
      accepted: null,
      rejected: null,
      output: null,
      gates: null,
      snapshot_date: null,
      published: false,
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

  /** Adds the time since `started` (a `performance.now()`) to `step` and emits its progress line. */
  stepDone(step: Step, started: number, detail: string): void {
    const ms = performance.now() - started;
    this.add(step, ms);
    this.emit({ kind: "step", step, ms, detail });
  }

  /** Runs a local step, records its time and emits its progress line. */
  async timed<T>(step: Step, work: () => Promise<T> | T, detail: (value: T) => string): Promise<T> {
    this.step = step;
    const t = performance.now();
    const value = await work();
    this.stepDone(step, t, detail(value));
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
      gates: r.gates,
      snapshot_date: r.snapshot_date,
      published: r.published,
      states: r.states,
      timings_ms: orderedTimings(this.timings),
      ...(r.error ? { error: r.error } : {}),
    };
    writeAtomic(this.paths.run, `${JSON.stringify(record, null, 2)}\n`);
    return { run: record, paths: this.paths, notifications: this.notifications };
  }
}

/** Timings in step order, `total` last. */
export function orderedTimings(t: RunRecord["timings_ms"]): RunRecord["timings_ms"] {
  const out: RunRecord["timings_ms"] = {};
  for (const s of [...STEPS, "total"] as const) if (t[s] !== undefined) out[s] = t[s];
  return out;
}

/** Step timings without `total` (for the dashboard's bars). */
export function stepTimings(t: RunRecord["timings_ms"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of STEPS) if (t[s] !== undefined) out[s] = t[s] as number;
  return out;
}
