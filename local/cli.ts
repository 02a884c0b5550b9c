/**
 * `npm start -- [--input DIR] [--out DIR] [--tracks N] [--seed S] [--engine duckdb|spark] [--quiet]`
 *
 * Runs the whole pipeline locally (local/pipeline.ts): one progress line per step with its
 * duration and counts, the notifications the SNS topic would get, then a summary with the path
 * of the dashboard. Exit codes: 0 SUCCEEDED, 1 FAILED, 2 usage error.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { checkSnapshotDate } from "../lib/publish";
import type { FailureNotification } from "../lib/state-machine";
import { DEFAULT_SEED, MAX_TRACKS, MIN_TRACKS_WITH_DIRTY } from "./generate";
import {
  DEFAULT_TRACKS,
  UsageError,
  loadPipelineModules,
  runPipeline,
  type Engine,
  type PipelineEvent,
  type PipelineOptions,
  type PipelineResult,
} from "./pipeline";

/** The help text. */
export const USAGE = [
  "Usage: npm start -- [--input DIR] [--out DIR] [--lake DIR] [--snapshot-date YYYY-MM-DD] [--tracks N]",
  "                    [--seed S] [--orphan-spike P] [--engine duckdb|spark] [--quiet]",
  "",
  "Runs the whole pipeline on this machine: the deployed state machine definition with local",
  "handlers, the Glue transform SQL, the crawler, the notifications, the Athena queries and the",
  "dashboard. No AWS account or network needed.",
  "",
  "  --input DIR     folder with albums.csv, artists.csv and tracks.csv (default: generate a sample)",
  `  --out DIR       output folder, deleted and recreated on every run (default: ./out)`,
  "  --lake DIR      keep the lake (staging, processed, warehouse, history) here across runs",
  "                  (default: inside --out, so each run is self-contained)",
  "  --snapshot-date D  the batch's snapshot date, YYYY-MM-DD, to rerun or backfill a day",
  "                  (default: today, UTC; the latest snapshot date stays the current table)",
  `  --tracks N      tracks in the generated sample, ${MIN_TRACKS_WITH_DIRTY} to ${MAX_TRACKS} (default: ${DEFAULT_TRACKS})`,
  `  --seed S        seed of the generated sample, a whole number (default: ${DEFAULT_SEED})`,
  "  --orphan-spike P  plant an extra share P (0 to 0.5) of album rows with unknown artists in",
  "                  the generated sample: the quality gates stop it",
  "  --engine E      duckdb (default) or spark: the real Glue entrypoint on local PySpark",
  "                  (needs `npm run setup:python`)",
  "  --quiet         print only the outcome (and the failure notification)",
  "  -h, --help      show this help",
  "",
  "Exit codes: 0 run SUCCEEDED, 1 run FAILED, 2 usage error.",
].join("\n");

/** Where the CLI writes. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Parsed command line. */
export type ParsedCli =
  | { ok: true; help: boolean; quiet: boolean; options: PipelineOptions }
  | { ok: false; problems: string[] };

const WHOLE = /^\d[\d_]*$/;

/**
 * Parses the command line. Numbers accept `_` separators (`1_000_000`).
 * @returns the pipeline options, or every problem naming the flag, its bad value and the fix.
 */
export function parseCliArgs(argv: readonly string[]): ParsedCli {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        input: { type: "string" },
        out: { type: "string" },
        lake: { type: "string" },
        "snapshot-date": { type: "string" },
        "orphan-spike": { type: "string" },
        tracks: { type: "string" },
        seed: { type: "string" },
        engine: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const message = (error as Error).message.replace(/\.?$/, ".");
    return { ok: false, problems: [`${message} See the options below.`] };
  }
  const problems: string[] = [];
  const text = (flag: string): string | undefined => {
    const raw = values[flag] as string | undefined;
    if (raw !== undefined && raw.trim() === "") {
      problems.push(`--${flag} needs a value; got an empty string.`);
      return undefined;
    }
    return raw;
  };
  const whole = (flag: string, example: string): number | undefined => {
    const raw = text(flag);
    if (raw === undefined) return undefined;
    const n = WHOLE.test(raw) ? Number(raw.replace(/_/g, "")) : NaN;
    if (!Number.isSafeInteger(n)) {
      problems.push(
        `--${flag} must be a whole number; got "${raw}". Example: --${flag} ${example}`,
      );
      return undefined;
    }
    return n;
  };
  const input = text("input");
  const out = text("out");
  const tracks = whole("tracks", String(DEFAULT_TRACKS));
  const seed = whole("seed", String(DEFAULT_SEED));
  if (tracks !== undefined && (tracks < MIN_TRACKS_WITH_DIRTY || tracks > MAX_TRACKS)) {
    problems.push(
      `--tracks must be from ${MIN_TRACKS_WITH_DIRTY} to ${MAX_TRACKS}; got "${String(values.tracks)}". ` +
        `Example: --tracks ${DEFAULT_TRACKS}`,
    );
  }
  const lake = text("lake");
  const snapshotDate = text("snapshot-date");
  if (snapshotDate !== undefined) {
    try {
      checkSnapshotDate(snapshotDate, "--snapshot-date");
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const spikeRaw = text("orphan-spike");
  const orphanSpike = spikeRaw === undefined ? undefined : Number(spikeRaw);
  if (orphanSpike !== undefined && !(orphanSpike >= 0 && orphanSpike <= 0.5)) {
    problems.push(
      `--orphan-spike must be a number from 0 to 0.5; got "${spikeRaw}". Example: --orphan-spike 0.4`,
    );
  }
  const engine = text("engine");
  if (engine !== undefined && engine !== "duckdb" && engine !== "spark") {
    problems.push(`--engine must be duckdb or spark; got "${engine}". Example: --engine spark`);
  }
  if (input !== undefined) {
    for (const flag of ["tracks", "seed", "orphan-spike"] as const) {
      if (values[flag] !== undefined) {
        problems.push(
          `--${flag} sizes the generated sample, which --input ${input} replaces: drop --${flag} ` +
            `or --input.`,
        );
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    help: values.help === true,
    quiet: values.quiet === true,
    options: {
      ...(input !== undefined ? { input } : {}),
      ...(out !== undefined ? { out } : {}),
      ...(lake !== undefined ? { lake } : {}),
      ...(snapshotDate !== undefined ? { snapshotDate } : {}),
      ...(orphanSpike !== undefined ? { orphanSpike } : {}),
      ...(tracks !== undefined ? { tracks } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(engine !== undefined ? { engine: engine as Engine } : {}),
    },
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const PAD = 14;
const INDENT = " ".repeat(2 + PAD + 10);

function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") ? p : rel;
}

/** Formats one progress event (undefined when it prints nothing). */
export function formatEvent(event: PipelineEvent): string | undefined {
  switch (event.kind) {
    case "start":
      return (
        `spotify-pipeline local run ${event.runId} · engine ${event.engine} · ` +
        `input ${event.input ?? "generated sample"} · out ${shown(event.out)}/`
      );
    case "step":
      return `  ${event.step.padEnd(PAD)}${seconds(event.ms).padStart(8)}  ${event.detail}`;
    case "notification": {
      const lines = [`${INDENT}${event.message.message}`];
      if (event.message.status === "FAILED") lines.push(`${INDENT}cause: ${event.message.cause}`);
      return lines.join("\n");
    }
  }
}

/** The closing lines: outcome, counts, where to look. */
export function formatOutcome(result: PipelineResult): string {
  const { run, paths } = result;
  const total = seconds(run.timings_ms.total ?? 0);
  if (run.status === "SUCCEEDED") {
    const a = run.accepted;
    const i = run.input;
    const counts =
      a && i
        ? ` (accepted ${fmt(a.albums)} of ${fmt(i.albums)} album rows, ${fmt(a.artists)} of ` +
          `${fmt(i.artists)} artists, ${fmt(a.tracks)} of ${fmt(i.tracks)} tracks)`
        : "";
    return [
      "",
      `SUCCEEDED in ${total}: ${fmt(run.output?.tracks ?? 0)} tracks in the gold table${counts}.`,
      `Dashboard: ${paths.dashboard}`,
      `Also: ${shown(paths.run)}, ${shown(paths.queries)}/, ${shown(paths.catalog)}, ` +
        `${shown(paths.gold)}/, ${shown(paths.notifications)}`,
    ].join("\n");
  }
  const e = run.error;
  // The failure notification already showed the cause.
  const notified = result.notifications.some((n) => n.Message.status === "FAILED");
  const cause = notified ? "see the cause above" : (e?.cause ?? "");
  return [
    "",
    `FAILED in ${total} at ${e?.step ?? "?"} (${e?.error ?? "unknown error"}): ${cause}`,
    `No dashboard or query results were written. Run record: ${shown(paths.run)}; ` +
      `notifications: ${shown(paths.notifications)}`,
  ].join("\n");
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

/**
 * Runs the CLI.
 * @param argv the arguments after `npm start --`
 * @param io where to print (defaults to stdout/stderr)
 * @returns the exit code: 0 SUCCEEDED, 1 FAILED, 2 usage error.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  io: CliIo = defaultIo,
): Promise<number> {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    io.stderr(`npm start: ${parsed.problems.join("\nnpm start: ")}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  const { quiet, options } = parsed;
  // npm runs scripts from the package root; relative paths mean the folder the user was in.
  const base = process.env.INIT_CWD || process.cwd();
  if (options.input !== undefined) options.input = path.resolve(base, options.input);
  options.out = path.resolve(base, options.out ?? "out");
  let result: PipelineResult;
  try {
    await loadPipelineModules();
    result = await runPipeline({
      ...options,
      onEvent: (event) => {
        // The failure notification is printed even with --quiet.
        const failure =
          event.kind === "notification" && event.message.status === "FAILED"
            ? (event.message as FailureNotification)
            : undefined;
        if (quiet && !failure) return;
        if (quiet && failure) {
          io.stderr(`${event.kind === "notification" ? event.subject : ""}`);
          io.stderr(`  ${failure.message}\n  cause: ${failure.cause}`);
          return;
        }
        const line = formatEvent(event);
        if (line !== undefined) io.stdout(line);
      },
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`npm start: ${error.message}\n\nRun \`npm start -- --help\` for the options.`);
      return 2;
    }
    io.stderr(`npm start: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
  const outcome = formatOutcome(result);
  if (result.run.status === "SUCCEEDED") {
    io.stdout(quiet ? outcome.trimStart() : outcome);
    return 0;
  }
  io.stderr(quiet ? outcome.trimStart() : outcome);
  return 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm start: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
