/**
 * Benchmark of the DuckDB transform (`local/etl.ts`): generates samples of 100k and 1M album rows
 * with `local/generate.ts` (cached under `bench-out/etl/`), runs the transform on each in a fresh
 * child process and prints rows per second, CPU time and peak memory (RSS).
 *
 * Usage: `npm run bench:etl [-- --sizes 100000,1000000 --seed 1 --runs 1]`
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTransform } from "../local/etl";
import { generateSample } from "../local/generate";

const ROOT = path.resolve(__dirname, "..", "bench-out", "etl");

interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  input: { albums: number; artists: number; tracks: number };
  output: number;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

/** Child mode: one transform, measured from inside, result as JSON on stdout. */
async function child(inputDir: string, outDir: string): Promise<void> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const summary = await runTransform({ inputDir, outDir, runId: "bench" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const result: ChildResult = {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    input: summary.input,
    output: summary.output.tracks,
  };
  process.stdout.write(JSON.stringify(result));
}

/** Generates the sample once per (size, seed); later runs reuse it. */
async function sample(tracks: number, seed: number): Promise<string> {
  const dir = path.join(ROOT, `${tracks}-seed${seed}`, "input");
  const marker = path.join(dir, ".complete");
  if (fs.existsSync(marker)) return dir;
  const start = Date.now();
  process.stdout.write(`generating ${tracks.toLocaleString("en-US")} album rows... `);
  await generateSample({ tracks, seed, outDir: dir });
  fs.writeFileSync(marker, "");
  process.stdout.write(`${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  return dir;
}

function measure(inputDir: string, outDir: string): ChildResult {
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, "--child", inputDir, outDir],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (run.status !== 0) {
    throw new Error(`Benchmark child failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  return JSON.parse(run.stdout) as ChildResult;
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") {
    await child(process.argv[3] ?? "", process.argv[4] ?? "");
    return;
  }
  const sizes = option("sizes", "100000,1000000").split(",").map(Number);
  const seed = Number(option("seed", "1"));
  const runs = Number(option("runs", "1"));
  if (sizes.some((n) => !Number.isInteger(n) || n < 20) || !Number.isInteger(runs) || runs < 1) {
    throw new Error(
      `--sizes must list integers >= 20 and --runs an integer >= 1; got --sizes ` +
        `${option("sizes", "")} --runs ${option("runs", "")}.`,
    );
  }
  const rows: string[][] = [];
  for (const size of sizes) {
    const inputDir = await sample(size, seed);
    const outDir = path.join(ROOT, `${size}-seed${seed}`, "out");
    for (let i = 0; i < runs; i++) {
      const r = measure(inputDir, outDir);
      const inputRows = r.input.albums + r.input.artists + r.input.tracks;
      rows.push([
        r.input.albums.toLocaleString("en-US"),
        inputRows.toLocaleString("en-US"),
        r.seconds.toFixed(2),
        Math.round(r.input.albums / r.seconds).toLocaleString("en-US"),
        Math.round(inputRows / r.seconds).toLocaleString("en-US"),
        r.cpuSeconds.toFixed(2),
        `${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
        r.output.toLocaleString("en-US"),
      ]);
    }
  }
  const header = [
    "album rows",
    "input rows",
    "seconds",
    "album rows/s",
    "input rows/s",
    "CPU s",
    "peak RSS",
    "gold rows",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(" | ");
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(
    `\nDuckDB transform (local/etl.ts): ${os.cpus().length} CPUs, load average ${load.join(" ")} ` +
      `(seconds are wall time of runTransform, CPU s is user + system)`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const r of rows) console.log(line(r));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
