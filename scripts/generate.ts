/**
 * `npm run generate -- --tracks N --out DIR [--seed S] [--dirty-share P]`
 *
 * Writes a deterministic Spotify-like sample (albums.csv, artists.csv, tracks.csv) into DIR.
 * Exit codes: 0 done, 1 failed while writing, 2 usage error.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  DEFAULT_DIRTY_SHARE,
  DEFAULT_SEED,
  GenerateOptions,
  MAX_TRACKS,
  MIN_TRACKS_WITH_DIRTY,
  generateSample,
} from "../local/generate";

export const USAGE =
  "Usage: npm run generate -- --tracks N --out DIR [--seed S] [--dirty-share P] [--orphan-spike P]\n" +
  "  --tracks N        rows of albums.csv and tracks.csv (1 to 50000000), e.g. 100000\n" +
  "  --out DIR         folder for albums.csv, artists.csv, tracks.csv (created if missing)\n" +
  `  --seed S          whole number; same seed, same bytes (default ${DEFAULT_SEED})\n` +
  `  --dirty-share P   share of dirty rows, 0 to 0.2 (default ${DEFAULT_DIRTY_SHARE})\n` +
  "  --orphan-spike P  extra share of album rows with an unknown artist, 0 to 0.5 (default 0)";

/** Parsed command line: options for {@link generateSample}, or the usage problems found. */
export type ParsedArgs =
  { ok: true; options: Omit<GenerateOptions, "onProgress"> } | { ok: false; problems: string[] };

const WHOLE = /^\d[\d_]*$/;

/**
 * Parses the generator's command line. Accepts `1_000_000` style numbers.
 * @returns the options, or every problem with the flag, its bad value and how to fix it.
 */
export function parseGenerateArgs(argv: string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        tracks: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        "dirty-share": { type: "string" },
        "orphan-spike": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    let message = (error as Error).message;
    if (!message.endsWith(".")) message += ".";
    if (message.startsWith("Unknown option")) {
      message += " Known flags: --tracks, --out, --seed, --dirty-share, --orphan-spike.";
    }
    return { ok: false, problems: [message] };
  }
  const problems: string[] = [];
  const whole = (flag: string, raw: string | undefined, max: number, example: string) => {
    if (raw === undefined) return undefined;
    const n = WHOLE.test(raw) ? Number(raw.replace(/_/g, "")) : NaN;
    if (!Number.isSafeInteger(n) || n > max) {
      problems.push(
        `--${flag} must be a whole number up to ${max}; got "${raw}". Example: --${flag} ${example}`,
      );
      return undefined;
    }
    return n;
  };
  const tracksRaw = values.tracks as string | undefined;
  const tracks = whole("tracks", tracksRaw, MAX_TRACKS, "100000");
  if (tracksRaw === undefined) {
    problems.push("--tracks is required: the number of tracks to generate, e.g. --tracks 100000");
  } else if (tracks === 0) {
    problems.push(`--tracks must be at least 1; got "${tracksRaw}". Example: --tracks 100000`);
  }
  const out = values.out as string | undefined;
  if (out === undefined || out.trim() === "") {
    problems.push("--out is required: the folder to write the CSVs into, e.g. --out ./sample");
  }
  const seed = whole("seed", values.seed as string | undefined, Number.MAX_SAFE_INTEGER, "42");
  const shareRaw = values["dirty-share"] as string | undefined;
  let dirtyShare: number | undefined;
  if (shareRaw !== undefined) {
    const p = /^\d*\.?\d+$/.test(shareRaw) ? Number(shareRaw) : NaN;
    if (!(p >= 0 && p <= 0.2)) {
      problems.push(
        `--dirty-share must be a number from 0 to 0.2; got "${shareRaw}". Example: --dirty-share 0.01`,
      );
    } else dirtyShare = p;
  }
  const spikeRaw = values["orphan-spike"] as string | undefined;
  let orphanSpike: number | undefined;
  if (spikeRaw !== undefined) {
    const p = /^\d*\.?\d+$/.test(spikeRaw) ? Number(spikeRaw) : NaN;
    if (!(p >= 0 && p <= 0.5)) {
      problems.push(
        `--orphan-spike must be a number from 0 to 0.5; got "${spikeRaw}". Example: --orphan-spike 0.4`,
      );
    } else orphanSpike = p;
  }
  if (
    tracks !== undefined &&
    tracks > 0 &&
    tracks < MIN_TRACKS_WITH_DIRTY &&
    (dirtyShare ?? DEFAULT_DIRTY_SHARE) > 0
  ) {
    problems.push(
      `--tracks must be at least ${MIN_TRACKS_WITH_DIRTY} to plant every kind of dirty row; ` +
        `got "${tracksRaw}". Use --tracks ${MIN_TRACKS_WITH_DIRTY} or more, or --dirty-share 0`,
    );
  }
  if (problems.length > 0 || tracks === undefined || out === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    options: {
      tracks,
      outDir: out,
      seed: seed ?? DEFAULT_SEED,
      dirtyShare: dirtyShare ?? DEFAULT_DIRTY_SHARE,
      ...(orphanSpike !== undefined ? { orphanSpike } : {}),
    },
  };
}

async function main(): Promise<number> {
  const parsed = parseGenerateArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`generate: ${parsed.problems.join("\ngenerate: ")}\n\n${USAGE}\n`);
    return 2;
  }
  const { options } = parsed;
  const fmt = (n: number) => n.toLocaleString("en-US");
  const outDir = path.resolve(options.outDir);
  process.stderr.write(
    `generate: ${fmt(options.tracks)} tracks, seed ${options.seed}, dirty share ${options.dirtyShare} -> ${outDir}\n`,
  );
  const started = process.hrtime.bigint();
  let result;
  try {
    result = await generateSample({
      ...options,
      onProgress: ({ rows, total }) => {
        if (rows < total) process.stderr.write(`generate: ${fmt(rows)} / ${fmt(total)} rows\n`);
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    // Invalid option combinations (e.g. too few tracks for every dirty kind) are usage errors.
    if (message.startsWith("generateSample: invalid options")) {
      process.stderr.write(`generate: ${message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`generate: failed writing to ${outDir}: ${message}\n`);
    return 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const planted = (f: "albums" | "artists" | "tracks") =>
    Object.entries(result.planted[f])
      .map(([reason, n]) => `${reason} ${n}`)
      .join(", ") || "none";
  process.stdout.write(
    [
      `wrote ${result.files.albums} (${fmt(result.rows.albums)} rows; dirty: ${planted("albums")})`,
      `wrote ${result.files.artists} (${fmt(result.rows.artists)} rows; dirty: ${planted("artists")})`,
      `wrote ${result.files.tracks} (${fmt(result.rows.tracks)} rows; dirty: ${planted("tracks")})`,
      `done in ${seconds.toFixed(2)} s (${fmt(Math.round(options.tracks / seconds))} tracks/s)`,
    ].join("\n") + "\n",
  );
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`generate: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
