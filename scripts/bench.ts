/**
 * `npm run bench -- [--sizes 100k,440k,4m] [--engines duckdb,spark] [--seed S] [--dir DIR]`
 *
 * Benchmarks the local run (`npm start --input ...`) on generated inputs: for each size and
 * engine, end-to-end time, time per step, input rows per second and peak memory. Each run is a
 * child process, so its peak RSS is its own: the Node process's (DuckDB runs in it) and, for
 * Spark, the Python + JVM child tree's (sampled from /proc every 50 ms).
 *
 * Inputs are generated once per size and seed under DIR (default: the temp folder) and reused.
 * Exit codes: 0 done (targets are reported, not enforced), 1 a run failed, 2 usage error.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, generateSample } from "../local/generate";
import { commitOf, withWorktreeAsync } from "../tools/worktree";
import {
  REPO_ROOT,
  STEPS,
  loadPipelineModules,
  runPipeline,
  venvPython,
  type Engine,
  type RunRecord,
  type Step,
} from "../local/pipeline";

/** Default sizes: the 100k, the public dataset's 440k, and 4M tracks. */
export const DEFAULT_SIZES = [100_000, 440_000, 4_000_000];

/** Targets of the issue on a 2-core machine (tracks -> end-to-end milliseconds). */
export const TARGETS_MS: Record<number, number> = { 440_000: 5_000, 4_000_000: 30_000 };
/** Peak memory target. */
export const PEAK_TARGET_BYTES = 2 * 1024 ** 3;

export const USAGE = [
  "Usage: npm run bench -- [--sizes 100k,440k,4m] [--engines duckdb,spark] [--seed S] [--dir DIR] [--baseline DIR|COMMIT [--repeat N]] [--rerun]",
  "  --sizes     comma-separated track counts; k and m suffixes allowed (default: 100k,440k,4m)",
  "  --engines   duckdb and/or spark (default: duckdb, plus spark when .venv exists)",
  `  --seed      seed of the generated inputs (default: ${DEFAULT_SEED})`,
  "  --dir       folder for the inputs (kept, reused) and the outputs (default: <tmp>/spotify-pipeline-bench)",
  "  --baseline  earlier code, a checkout folder or a commit of this repository (a temporary worktree",
  "              sharing this checkout's node_modules): each case runs there too; the overhead is printed",
  "  --repeat    runs of each side of the baseline comparison, alternating; best and median (default: 4)",
  "  --rerun     also run each case twice over one kept lake (--lake) and print what the rerun costs",
].join("\n");

/** Parsed options. */
export interface BenchOptions {
  sizes: number[];
  engines: Engine[];
  seed: number;
  dir: string;
  /**
   * A checkout of the code to compare with (e.g. the commit before the quality gates): each
   * case also runs there, and the table gains the overhead of this code over it.
   */
  baseline?: string;
  /** A commit to compare with instead: checked out into a temporary worktree for the run. */
  baselineCommit?: string;
  /** Runs of each side of the baseline comparison (best and median are printed). */
  repeat: number;
  /** Also measure a rerun of the same batch over a kept lake. */
  rerun: boolean;
}

/** Parses `100k`, `4m`, `440000`, `1_000_000`; undefined when invalid. */
export function parseSize(raw: string): number | undefined {
  const m = /^(\d[\d_]*(?:\.\d+)?)([km]?)$/i.exec(raw.trim());
  if (!m) return undefined;
  const n =
    Number((m[1] as string).replace(/_/g, "")) *
    { "": 1, k: 1e3, m: 1e6 }[(m[2] as string).toLowerCase() as "" | "k" | "m"];
  return Number.isSafeInteger(n) && n >= 20 ? n : undefined;
}

/**
 * Parses the command line.
 * @returns the options, or the problems (each names the flag, the bad value and the fix).
 */
export function parseBenchArgs(
  argv: readonly string[],
  sparkAvailable: boolean,
): { ok: true; options: BenchOptions } | { ok: false; problems: string[] } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        sizes: { type: "string" },
        engines: { type: "string" },
        seed: { type: "string" },
        dir: { type: "string" },
        baseline: { type: "string" },
        repeat: { type: "string" },
        rerun: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const problems: string[] = [];
  let sizes = DEFAULT_SIZES;
  if (typeof values.sizes === "string") {
    sizes = [];
    for (const raw of values.sizes.split(",")) {
      const n = parseSize(raw);
      if (n === undefined) {
        problems.push(
          `--sizes: "${raw}" is not a track count of at least 20. Example: --sizes 100k,440k`,
        );
      } else sizes.push(n);
    }
  }
  let engines: Engine[] = sparkAvailable ? ["duckdb", "spark"] : ["duckdb"];
  if (typeof values.engines === "string") {
    engines = [];
    for (const raw of values.engines.split(",")) {
      if (raw !== "duckdb" && raw !== "spark") {
        problems.push(`--engines: "${raw}" is not duckdb or spark. Example: --engines duckdb`);
      } else if (raw === "spark" && !sparkAvailable) {
        problems.push(
          `--engines spark needs ${venvPython()}: run \`npm run setup:python\` first, or drop spark.`,
        );
      } else engines.push(raw);
    }
  }
  let seed = DEFAULT_SEED;
  if (typeof values.seed === "string") {
    if (!/^\d+$/.test(values.seed)) {
      problems.push(`--seed must be a whole number; got "${values.seed}". Example: --seed 42`);
    } else seed = Number(values.seed);
  }
  const dir = path.resolve(
    typeof values.dir === "string" ? values.dir : path.join(os.tmpdir(), "spotify-pipeline-bench"),
  );
  let baseline: string | undefined;
  let baselineCommit: string | undefined;
  if (typeof values.baseline === "string") {
    const folder = path.resolve(values.baseline);
    if (fs.existsSync(folder) && fs.statSync(folder).isDirectory()) {
      baseline = folder;
      if (!fs.existsSync(path.join(baseline, "scripts", "bench.ts"))) {
        problems.push(
          `--baseline: ${baseline} has no scripts/bench.ts. Point it at a checkout of the code ` +
            "to compare with, or give a commit: --baseline bdec651.",
        );
      }
    } else {
      baselineCommit = commitOf(values.baseline);
      if (baselineCommit === undefined) {
        problems.push(
          `--baseline: "${values.baseline}" is neither a folder nor a commit of this repository. ` +
            "Example: --baseline bdec651 (a commit) or --baseline ../old-checkout (a folder).",
        );
      }
    }
  }
  let repeat = 4;
  if (typeof values.repeat === "string") {
    if (!/^\d+$/.test(values.repeat) || Number(values.repeat) < 1 || Number(values.repeat) > 20) {
      problems.push(
        `--repeat must be a whole number from 1 to 20; got "${values.repeat}". Example: --repeat 5`,
      );
    } else repeat = Number(values.repeat);
    if (baseline === undefined && baselineCommit === undefined) {
      problems.push(
        "--repeat applies to the baseline comparison: add --baseline DIR|COMMIT, or drop it.",
      );
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    options: {
      sizes,
      engines,
      seed,
      dir,
      ...(baseline ? { baseline } : {}),
      ...(baselineCommit ? { baselineCommit } : {}),
      repeat,
      rerun: values.rerun === true,
    },
  };
}

/** Resident set size in bytes of `root` and all its descendants, from /proc. */
export function treeRss(root: number, exclude: readonly number[] = []): number {
  const children = new Map<number, number[]>();
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(pid));
      children.set(ppid, list);
    } catch {
      // The process ended meanwhile.
    }
  }
  const page = 4096;
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    queue.push(...(children.get(pid) ?? []));
    if (exclude.includes(pid)) continue;
    try {
      const statm = fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
      total += Number(statm[1]) * page;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

/** One measured run. */
export interface BenchResult {
  tracks: number;
  engine: Engine;
  /** Input rows of the three files. */
  inputRows: number;
  /** Pipeline time (run.json `timings_ms.total`), ms. */
  endToEndMs: number;
  /** Process wall time including Node start-up and module loading, ms. */
  wallMs: number;
  steps: Partial<Record<Step, number>>;
  /** Peak RSS: the Node process (duckdb), or the Spark child tree (spark). */
  peakBytes: number;
  /** Peak RSS of the Node process itself. */
  nodePeakBytes: number;
  /**
   * CPU time (user + system, all threads) of the Node process, DuckDB included: unlike wall
   * time, it barely moves when other processes compete for the cores.
   */
  nodeCpuMs: number;
  status: RunRecord["status"];
  error?: string;
}

/** Child mode: one quiet run in this process; prints the run record and the peak RSS. */
async function child(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      child: { type: "boolean" },
      input: { type: "string" },
      out: { type: "string" },
      engine: { type: "string" },
      lake: { type: "string" },
    },
  });
  // As `npm start` does: module loading is start-up (in "wall"), not part of the run.
  await loadPipelineModules();
  const result = await runPipeline({
    input: values.input as string,
    out: values.out as string,
    engine: values.engine as Engine,
    ...(typeof values.lake === "string" ? { lake: values.lake } : {}),
  });
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  process.stdout.write(
    `${JSON.stringify({ run: result.run, maxRss: usage.maxRSS * 1024, cpuMs })}\n`,
  );
  return result.run.status === "SUCCEEDED" ? 0 : 1;
}

/** Runs one case in a child process and samples its memory. */
async function measure(
  input: string,
  out: string,
  engine: Engine,
  tracks: number,
  root: string = REPO_ROOT,
  lake?: string,
): Promise<BenchResult> {
  const started = performance.now();
  const script = path.join(root, "scripts", "bench.ts");
  const args = ["--child", "--input", input, "--out", out, "--engine", engine];
  if (lake !== undefined) args.push("--lake", lake);
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-8192)));
  let sparkPeak = 0;
  const pid = proc.pid as number;
  const timer = setInterval(() => {
    if (engine === "spark") sparkPeak = Math.max(sparkPeak, treeRss(pid, [pid]));
  }, 50);
  await new Promise<void>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", () => resolve());
  });
  clearInterval(timer);
  const wallMs = performance.now() - started;
  const line = stdout.trim().split("\n").at(-1) ?? "";
  let parsed: { run: RunRecord; maxRss: number; cpuMs: number };
  try {
    parsed = JSON.parse(line) as { run: RunRecord; maxRss: number; cpuMs: number };
  } catch {
    throw new Error(`the ${engine} run on ${tracks} tracks printed no result:\n${stderr}`);
  }
  const { run, maxRss, cpuMs } = parsed;
  const steps: Partial<Record<Step, number>> = {};
  for (const s of STEPS) if (run.timings_ms[s] !== undefined) steps[s] = run.timings_ms[s];
  return {
    tracks,
    engine,
    inputRows: run.input ? run.input.albums + run.input.artists + run.input.tracks : 0,
    endToEndMs: run.timings_ms.total ?? 0,
    wallMs,
    steps,
    peakBytes: engine === "spark" ? sparkPeak : maxRss,
    nodePeakBytes: maxRss,
    nodeCpuMs: cpuMs,
    status: run.status,
    ...(run.error ? { error: `${run.error.step}: ${run.error.cause}` } : {}),
  };
}

const s = (ms: number | undefined): string =>
  ms === undefined ? "-" : `${(ms / 1000).toFixed(2)}s`;
const mb = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MB`;
const size = (n: number): string =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);

/** The median of `values` (the mean of the middle two when their count is even). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `after` against `before`, in percent with one decimal and a sign (`+3.7%`). */
export function percent(before: number, after: number): string {
  const p = ((after - before) / before) * 100;
  return `${p >= 0 ? "+" : ""}${p.toFixed(1)}%`;
}

/** Formats the results as a Markdown table (also what the README shows). */
export function formatTable(results: readonly BenchResult[]): string {
  const shown: Step[] = [
    "stage",
    "glue_job",
    "metrics",
    "publish",
    "crawler",
    "queries",
    "dashboard",
  ];
  const head = [
    "tracks",
    "engine",
    "end to end",
    "wall",
    ...shown,
    "rows/s",
    "CPU (node)",
    "peak RSS",
    "target",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of results) {
    const target = TARGETS_MS[r.tracks];
    const verdict =
      r.status !== "SUCCEEDED"
        ? "FAILED"
        : [
            target === undefined ? "" : `${r.endToEndMs < target ? "ok" : "MISSED"} < ${s(target)}`,
            r.peakBytes < PEAK_TARGET_BYTES ? "" : "peak MISSED < 2 GB",
          ]
            .filter(Boolean)
            .join(", ") || "-";
    lines.push(
      `| ${[
        size(r.tracks),
        r.engine,
        s(r.endToEndMs),
        s(r.wallMs),
        ...shown.map((st) => s(r.steps[st])),
        Math.round(r.inputRows / (r.endToEndMs / 1000)).toLocaleString("en-US"),
        s(r.nodeCpuMs),
        mb(r.peakBytes),
        verdict,
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--child")) return child(argv);
  const parsed = parseBenchArgs(argv, fs.existsSync(venvPython()));
  if (!parsed.ok) {
    process.stderr.write(`bench: ${parsed.problems.join("\nbench: ")}\n\n${USAGE}\n`);
    return 2;
  }
  const { baselineCommit } = parsed.options;
  if (baselineCommit === undefined) return bench(parsed.options, parsed.options.baseline);
  process.stderr.write(`bench: baseline: commit ${baselineCommit} in a temporary worktree\n`);
  // The worktree shares this checkout's node_modules and .venv (a commit whose dependencies
  // differ needs a folder with its own npm ci instead: --baseline DIR).
  return withWorktreeAsync(
    baselineCommit,
    (folder) => bench(parsed.options, folder),
    "bench-baseline-",
    ["node_modules", ".venv"],
  );
}

/** Runs the benchmark, comparing with the code in folder `baseline` when given. */
async function bench(options: BenchOptions, baseline: string | undefined): Promise<number> {
  const { sizes, engines, seed, dir, repeat, rerun } = options;
  const overheads: string[] = [];
  const reruns: string[] = [];
  const log = (text: string): void => {
    process.stderr.write(`${text}\n`);
  };
  log(
    `bench: ${sizes.map(size).join(", ")} tracks × ${engines.join(", ")} on ${os.cpus().length} ` +
      `cores, ${mb(os.totalmem())} RAM; load average ${os.loadavg()[0]?.toFixed(1)}; files in ${dir}`,
  );
  const results: BenchResult[] = [];
  let failed = false;
  for (const tracks of sizes) {
    const input = path.join(dir, `input-${tracks}-seed${seed}`);
    const done = path.join(input, ".complete");
    if (!fs.existsSync(done)) {
      log(`bench: generating ${size(tracks)} tracks (seed ${seed}) -> ${input}`);
      const t = performance.now();
      fs.rmSync(input, { recursive: true, force: true });
      await generateSample({ tracks, seed, outDir: input });
      fs.writeFileSync(done, "");
      log(`bench: generated in ${s(performance.now() - t)}`);
    }
    for (const engine of engines) {
      log(`bench: ${size(tracks)} tracks, ${engine}: running ...`);
      const out = path.join(dir, `out-${engine}`);
      if (baseline) {
        // Both sides `repeat` times, alternating which goes first (baseline, this code; then
        // this code, baseline; ...) so that neither always runs on a machine the other just
        // warmed or loaded: the best and the median of each decide, not one noisy run.
        const times: [number[], number[]] = [[], []];
        for (let i = 0; i < repeat; i++) {
          const order = i % 2 === 0 ? [0, 1] : [1, 0];
          const runs: BenchResult[] = [];
          for (const side of order) {
            runs[side] =
              side === 0
                ? await measure(input, `${out}-baseline`, engine, tracks, baseline)
                : await measure(input, out, engine, tracks);
          }
          const [b, c] = runs as [BenchResult, BenchResult];
          if (b.status === "SUCCEEDED") times[0].push(b.endToEndMs);
          if (c.status === "SUCCEEDED") times[1].push(c.endToEndMs);
          log(`bench:   baseline ${s(b.endToEndMs)}, this code ${s(c.endToEndMs)}`);
        }
        const [base, mine] = times.map((t) => Math.min(...t)) as [number, number];
        const [baseMid, mineMid] = times.map(median) as [number, number];
        overheads.push(
          `| ${size(tracks)} | ${engine} | ${s(base)} | ${s(mine)} | ${percent(base, mine)} | ` +
            `${s(baseMid)} | ${s(mineMid)} | ${percent(baseMid, mineMid)} |`,
        );
      }
      if (rerun) {
        // One batch twice over one kept lake: the second run is a rerun (same rows), which
        // compares its gold with the published copy and stages the published bytes.
        const lake = path.join(dir, `lake-${engine}`);
        fs.rmSync(lake, { recursive: true, force: true });
        const first = await measure(input, `${out}-first`, engine, tracks, REPO_ROOT, lake);
        const again = await measure(input, `${out}-rerun`, engine, tracks, REPO_ROOT, lake);
        failed ||= first.status !== "SUCCEEDED" || again.status !== "SUCCEEDED";
        log(`bench:   first run ${s(first.endToEndMs)}, rerun ${s(again.endToEndMs)}`);
        reruns.push(
          `| ${size(tracks)} | ${engine} | ${s(first.endToEndMs)} | ${s(again.endToEndMs)} | ` +
            `${percent(first.endToEndMs, again.endToEndMs)} |`,
        );
      }
      const r = await measure(input, out, engine, tracks);
      results.push(r);
      failed ||= r.status !== "SUCCEEDED";
      log(
        `bench: ${size(tracks)} tracks, ${engine}: ${r.status} in ${s(r.endToEndMs)} ` +
          `(wall ${s(r.wallMs)}), peak ${mb(r.peakBytes)}` +
          (r.error ? `\n  ${r.error}` : ""),
      );
    }
  }
  fs.writeFileSync(path.join(dir, "bench.json"), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${formatTable(results)}\n`);
  if (overheads.length > 0) {
    process.stdout.write(
      `\n| tracks | engine | baseline (best of ${repeat}) | this code (best of ${repeat}) | ` +
        `overhead | baseline (median) | this code (median) | overhead (median) |\n` +
        `|---|---|---|---|---|---|---|---|\n${overheads.join("\n")}\n`,
    );
  }
  if (reruns.length > 0) {
    process.stdout.write(
      `\n| tracks | engine | first run (kept lake) | rerun of the same batch | rerun cost |\n` +
        `|---|---|---|---|---|\n${reruns.join("\n")}\n`,
    );
  }
  log(
    `bench: "end to end" is run.json timings_ms.total (the pipeline, input given); "wall" adds ` +
      `Node start-up and module loading. Peak RSS: the Node process for duckdb, the Python + JVM ` +
      `tree for spark. Results: ${path.join(dir, "bench.json")}`,
  );
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
