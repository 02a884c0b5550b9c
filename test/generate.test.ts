import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  ALBUMS_COLUMNS,
  ARTISTS_COLUMNS,
  DIRTY_KINDS,
  GenerateResult,
  InputFile,
  TRACKS_COLUMNS,
  generateSample,
} from "../local/generate";
import { parseGenerateArgs } from "../scripts/generate";

const FILES: InputFile[] = ["albums", "artists", "tracks"];

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `generate-${name}-`));
}

describe("generateSample", () => {
  const dirs: string[] = [];
  let sample: GenerateResult;
  let db: DuckDBInstance;
  let con: DuckDBConnection;

  /** First column of the first row of a query, as a number. */
  async function scalar(sql: string): Promise<number> {
    const rows = (await con.runAndReadAll(sql)).getRows();
    return Number(rows[0]?.[0] ?? NaN);
  }

  before(async () => {
    const dir = tempDir("a");
    dirs.push(dir);
    sample = await generateSample({ tracks: 3000, seed: 7, outDir: dir });
    db = await DuckDBInstance.create(":memory:");
    con = await db.connect();
    for (const f of FILES) {
      await con.run(
        `CREATE TABLE ${f} AS SELECT * FROM read_csv('${sample.files[f]}', ` +
          `header = true, all_varchar = true, quote = '"', escape = '"', strict_mode = true)`,
      );
    }
  });

  after(() => {
    con?.closeSync();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes the same bytes for the same seed and different bytes for another seed", async () => {
    const again = tempDir("b");
    const other = tempDir("c");
    dirs.push(again, other);
    const second = await generateSample({ tracks: 3000, seed: 7, outDir: again });
    const third = await generateSample({ tracks: 3000, seed: 8, outDir: other });
    for (const f of FILES) {
      expect(sha256(second.files[f]), f).to.equal(sha256(sample.files[f]));
      expect(sha256(third.files[f]), f).to.not.equal(sha256(sample.files[f]));
    }
    expect(second.planted).to.deep.equal(sample.planted);
    expect(second.rows).to.deep.equal(sample.rows);
  });

  it("writes the same bytes as the pinned reference (change deliberately, with the generator)", async () => {
    const dir = tempDir("pinned");
    dirs.push(dir);
    const pinned = await generateSample({ tracks: 200, seed: 1, outDir: dir });
    expect({
      albums: sha256(pinned.files.albums),
      artists: sha256(pinned.files.artists),
      tracks: sha256(pinned.files.tracks),
    }).to.deep.equal({
      albums: "3971da234210cf0d8d3136c7c7ea239682a7eb93e7338d73752a7282716cf9e2",
      artists: "f29c685fec4e1a337d4fe739ba4eb1abb51f9973ce71c924b61b9a39a611fe90",
      tracks: "407da6efbcd5bdf547a50b9ea96dcf8462fb1e2c8cc60f9248c343f63baf8d34",
    });
  });

  it("writes the public dataset's headers exactly", () => {
    const header = (f: InputFile) => fs.readFileSync(sample.files[f], "utf8").split("\n")[0];
    expect(header("albums")).to.equal(
      "track_name,track_id,track_number,duration_ms,album_type,artists,total_tracks,album_name," +
        "release_date,label,album_popularity,album_id,artist_id,artist_0,artist_1,artist_2," +
        "artist_3,artist_4,artist_5,artist_6,artist_7,artist_8,artist_9,artist_10,artist_11," +
        "duration_sec",
    );
    expect(header("artists")).to.equal(
      "id,name,artist_popularity,artist_genres,followers,genre_0,genre_1,genre_2,genre_3," +
        "genre_4,genre_5,genre_6",
    );
    expect(header("tracks")).to.equal("id,track_popularity,explicit");
    expect(ALBUMS_COLUMNS.join(",")).to.equal(header("albums"));
    expect(ARTISTS_COLUMNS.join(",")).to.equal(header("artists"));
    expect(TRACKS_COLUMNS.join(",")).to.equal(header("tracks"));
  });

  it("writes `tracks` albums and tracks rows, and DuckDB parses them back, quoted newlines included", async () => {
    expect(sample.rows.albums).to.equal(3000);
    expect(sample.rows.tracks).to.equal(3000);
    expect(sample.rows.artists).to.equal(255); // 250 artists, 1 dirty row per kind, 2 for duplicate_key
    for (const f of FILES) {
      expect(await scalar(`SELECT count(*) FROM ${f}`), f).to.equal(sample.rows[f]);
    }
    const multiline = await scalar(
      `SELECT count(*) FROM albums WHERE contains(track_name, chr(10)) OR contains(album_name, chr(10))`,
    );
    expect(multiline).to.be.greaterThan(0);
    const physicalLines = fs.readFileSync(sample.files.albums, "utf8").split("\n").length - 2;
    expect(physicalLines).to.equal(sample.rows.albums + multiline);
    // Commas and quotes inside fields survive the round trip.
    expect(
      await scalar(`SELECT count(*) FROM albums WHERE contains(track_name, ', ')`),
    ).to.be.above(0);
    expect(await scalar(`SELECT count(*) FROM albums WHERE contains(track_name, '"')`)).to.be.above(
      0,
    );
  });

  it("plants at least one dirty row of every kind, and reports the counts", () => {
    for (const f of FILES) {
      for (const kind of DIRTY_KINDS[f]) {
        expect(sample.planted[f][kind], `${f} ${kind}`).to.be.at.least(1);
      }
      expect(Object.keys(sample.planted[f]).sort()).to.deep.equal([...DIRTY_KINDS[f]].sort());
    }
    expect(sample.planted.albums).to.deep.equal({
      missing_key: 4,
      bad_number: 4,
      bad_date: 4,
      duplicate_row: 4,
      duplicate_key: 4,
      orphan_artist: 4,
      orphan_track: 4,
    });
  });

  it("plants exactly the reported dirty rows, each with one problem and no cascade", async () => {
    const bad = (column: string, type = "BIGINT") => `TRY_CAST(${column} AS ${type}) IS NULL`;
    const p = sample.planted;
    // missing_key
    expect(await scalar(`SELECT count(*) FROM albums WHERE track_id IS NULL`)).to.equal(
      p.albums.missing_key,
    );
    expect(
      await scalar(`SELECT count(*) FROM albums WHERE album_id IS NULL OR artist_id IS NULL`),
    ).to.equal(0);
    expect(await scalar(`SELECT count(*) FROM artists WHERE id IS NULL`)).to.equal(
      p.artists.missing_key,
    );
    expect(await scalar(`SELECT count(*) FROM tracks WHERE id IS NULL`)).to.equal(
      p.tracks.missing_key,
    );
    // bad_number
    const albumNumbers = ["track_number", "duration_ms", "total_tracks", "album_popularity"]
      .map((c) => bad(c))
      .join(" OR ");
    expect(await scalar(`SELECT count(*) FROM albums WHERE ${albumNumbers}`)).to.equal(
      p.albums.bad_number,
    );
    expect(
      await scalar(
        `SELECT count(*) FROM artists WHERE ${bad("artist_popularity")} OR ${bad("followers")}`,
      ),
    ).to.equal(p.artists.bad_number);
    expect(await scalar(`SELECT count(*) FROM tracks WHERE ${bad("track_popularity")}`)).to.equal(
      p.tracks.bad_number,
    );
    // bad_date: valid dates are YYYY, YYYY-MM or YYYY-MM-DD
    const validDate =
      `(regexp_full_match(release_date, '\\d{4}') OR ` +
      `TRY_CAST(release_date || '-01' AS DATE) IS NOT NULL AND length(release_date) = 7 OR ` +
      `TRY_CAST(release_date AS DATE) IS NOT NULL AND length(release_date) = 10)`;
    expect(await scalar(`SELECT count(*) FROM albums WHERE NOT ${validDate}`)).to.equal(
      p.albums.bad_date,
    );
    // bad_boolean
    expect(
      await scalar(`SELECT count(*) FROM tracks WHERE explicit NOT IN ('True', 'False')`),
    ).to.equal(p.tracks.bad_boolean);
    // duplicate_row: extra exact copies among rows with a key
    for (const [f, key] of [
      ["albums", "track_id"],
      ["artists", "id"],
      ["tracks", "id"],
    ] as const) {
      const copies = await scalar(
        `SELECT coalesce(sum(n - 1), 0) FROM (SELECT *, count(*) AS n FROM ${f} WHERE ${key} IS NOT NULL GROUP BY ALL)`,
      );
      expect(copies, f).to.equal(p[f].duplicate_row);
      const conflicting = await scalar(
        `SELECT count(*) FROM (SELECT ${key} FROM ${f} WHERE ${key} IS NOT NULL GROUP BY 1 ` +
          `HAVING count(DISTINCT ${f}::VARCHAR) > 1)`,
      );
      expect(conflicting, f).to.equal(p[f].duplicate_key);
    }
    // orphans
    expect(
      await scalar(
        `SELECT count(*) FROM albums WHERE artist_id NOT IN (SELECT id FROM artists WHERE id IS NOT NULL)`,
      ),
    ).to.equal(p.albums.orphan_artist);
    expect(
      await scalar(
        `SELECT count(*) FROM albums WHERE track_id NOT IN (SELECT id FROM tracks WHERE id IS NOT NULL)`,
      ),
    ).to.equal(p.albums.orphan_track);
    // No clean album row points at a dirty artist or track (so nothing cascades).
    const dirtyArtists =
      `SELECT id FROM artists WHERE ${bad("artist_popularity")} OR ${bad("followers")} ` +
      `OR id IN (SELECT id FROM artists GROUP BY id HAVING count(DISTINCT artists::VARCHAR) > 1)`;
    const dirtyTracks =
      `SELECT id FROM tracks WHERE ${bad("track_popularity")} OR explicit NOT IN ('True', 'False') ` +
      `OR id IN (SELECT id FROM tracks GROUP BY id HAVING count(DISTINCT tracks::VARCHAR) > 1)`;
    expect(
      await scalar(`SELECT count(*) FROM albums WHERE artist_id IN (${dirtyArtists})`),
    ).to.equal(0);
    expect(await scalar(`SELECT count(*) FROM albums WHERE track_id IN (${dirtyTracks})`)).to.equal(
      0,
    );
  });

  it("follows the public dataset's value formats", async () => {
    const values = async (sql: string) =>
      (await con.runAndReadAll(sql)).getRows().map((r) => String(r[0]));
    expect(await values(`SELECT DISTINCT album_type FROM albums ORDER BY 1`)).to.deep.equal([
      "album",
      "compilation",
      "single",
    ]);
    expect(
      await values(
        `SELECT DISTINCT explicit FROM tracks WHERE explicit IN ('True', 'False') ORDER BY 1`,
      ),
    ).to.deep.equal(["False", "True"]);
    // Year-only, year-month and full dates all occur.
    expect(
      await values(
        `SELECT DISTINCT length(release_date) FROM albums WHERE regexp_full_match(release_date, '\\d{4}(-\\d{2}){0,2}') ORDER BY 1`,
      ),
    ).to.deep.equal(["4", "7", "10"]);
    // artist_genres is a Python list repr; genre_0 is its first item.
    const item = `(?:''[^'']+''|"[^"]+")`; // 'pop' or "children's music"
    const pyListRe = `\\[(?:${item}(?:, ${item})*)?\\]`;
    expect(
      await scalar(
        `SELECT count(*) FROM artists WHERE NOT regexp_full_match(artist_genres, '${pyListRe}')`,
      ),
    ).to.equal(0);
    expect(await scalar(`SELECT count(*) FROM artists WHERE artist_genres = '[]'`)).to.be.above(0);
    expect(
      await scalar(
        `SELECT count(*) FROM artists WHERE artist_genres <> '[]' AND NOT starts_with(artist_genres, '[''' || genre_0 || '''') AND NOT starts_with(artist_genres, '["' || genre_0 || '"')`,
      ),
    ).to.equal(0);
    // duration_sec = duration_ms / 1000; median duration between 3 and 4 minutes.
    expect(
      await scalar(
        `SELECT count(*) FROM albums WHERE TRY_CAST(duration_ms AS INT) IS NOT NULL AND TRY_CAST(duration_sec AS DOUBLE) * 1000 <> TRY_CAST(duration_ms AS INT) AND track_id NOT IN (SELECT track_id FROM albums GROUP BY 1 HAVING count(DISTINCT duration_ms) > 1)`,
      ),
    ).to.equal(0);
    const median = await scalar(`SELECT median(TRY_CAST(duration_ms AS INT)) / 60000 FROM albums`);
    expect(median).to.be.within(3, 4);
    // Unicode names come through intact.
    expect(
      await scalar(`SELECT count(*) FROM artists WHERE regexp_matches(name, '[^\\x00-\\x7F]')`),
    ).to.be.above(0);
  });

  it("plants nothing with dirtyShare 0", async () => {
    const dir = tempDir("clean");
    dirs.push(dir);
    const clean = await generateSample({ tracks: 500, seed: 1, outDir: dir, dirtyShare: 0 });
    expect(clean.planted).to.deep.equal({ albums: {}, artists: {}, tracks: {} });
    expect(clean.rows).to.deep.equal({ albums: 500, artists: 42, tracks: 500 });
  });

  it("plants an orphan spike on top of the dirty rows (orphanSpike)", async () => {
    const dir = tempDir("spike");
    dirs.push(dir);
    const base = await generateSample({ tracks: 1000, seed: 1, outDir: dir, dirtyShare: 0 });
    const spiked = await generateSample({
      tracks: 1000,
      seed: 1,
      outDir: dir,
      dirtyShare: 0,
      orphanSpike: 0.4,
    });
    expect(base.planted.albums).to.deep.equal({});
    expect(spiked.planted).to.deep.equal({
      albums: { orphan_artist: 400 },
      artists: {},
      tracks: {},
    });
    expect(spiked.rows.albums).to.equal(1000);
  });

  it("rejects bad options with a message naming each one and the fix", async () => {
    const dir = tempDir("bad");
    dirs.push(dir);
    let error: unknown;
    try {
      await generateSample({ tracks: 0, seed: -1, outDir: dir, dirtyShare: 0.5 });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal(
      "generateSample: invalid options:\n" +
        "- tracks must be a whole number from 1 to 50000000; found 0.\n" +
        "- seed must be a whole number >= 0; found -1.\n" +
        "- dirtyShare must be between 0 and 0.2 (e.g. 0.01 for 1%); found 0.5.",
    );
    let small: unknown;
    try {
      await generateSample({ tracks: 10, seed: 1, outDir: dir });
    } catch (e) {
      small = e;
    }
    expect((small as Error).message).to.equal(
      "generateSample: invalid options:\n" +
        "- tracks must be at least 20 to plant every dirty kind; found 10. " +
        "Use 20 or more tracks, or dirtyShare 0.",
    );
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});

describe("npm run generate (scripts/generate.ts)", () => {
  it("parses flags, with defaults for the seed and the dirty share", () => {
    expect(parseGenerateArgs(["--tracks", "1_000", "--out", "sample"])).to.deep.equal({
      ok: true,
      options: { tracks: 1000, outDir: "sample", seed: 42, dirtyShare: 0.01 },
    });
    expect(
      parseGenerateArgs(["--tracks=20", "--out=s", "--seed", "7", "--dirty-share", "0"]),
    ).to.deep.equal({ ok: true, options: { tracks: 20, outDir: "s", seed: 7, dirtyShare: 0 } });
  });

  it("names every bad flag, its value and the fix", () => {
    expect(
      parseGenerateArgs(["--tracks", "1e6", "--seed=-3", "--dirty-share", "5%"]),
    ).to.deep.equal({
      ok: false,
      problems: [
        '--tracks must be a whole number up to 50000000; got "1e6". Example: --tracks 100000',
        "--out is required: the folder to write the CSVs into, e.g. --out ./sample",
        '--seed must be a whole number up to 9007199254740991; got "-3". Example: --seed 42',
        '--dirty-share must be a number from 0 to 0.2; got "5%". Example: --dirty-share 0.01',
      ],
    });
    expect(parseGenerateArgs(["--out", "s"])).to.deep.equal({
      ok: false,
      problems: ["--tracks is required: the number of tracks to generate, e.g. --tracks 100000"],
    });
    expect(parseGenerateArgs(["--tracks", "10", "--out", "s"])).to.deep.equal({
      ok: false,
      problems: [
        '--tracks must be at least 20 to plant every kind of dirty row; got "10". ' +
          "Use --tracks 20 or more, or --dirty-share 0",
      ],
    });
    expect(parseGenerateArgs(["--trakcs", "10"])).to.deep.equal({
      ok: false,
      problems: [
        "Unknown option '--trakcs'. Known flags: --tracks, --out, --seed, --dirty-share, --orphan-spike.",
      ],
    });
  });

  it("exits 2 with the usage on a bad flag, 0 with a summary on success", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "generate-cli-"));
    try {
      const run = (args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", "scripts/generate.ts", ...args], {
          cwd: path.resolve(__dirname, ".."),
          encoding: "utf8",
        });
      const bad = run(["--tracks", "many", "--out", dir]);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain(
        'generate: --tracks must be a whole number up to 50000000; got "many". Example: --tracks 100000',
      );
      expect(bad.stderr).to.contain("Usage: npm run generate -- --tracks N --out DIR");
      expect(fs.readdirSync(dir)).to.deep.equal([]);

      const ok = run(["--tracks", "200", "--out", dir, "--seed", "5"]);
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/^wrote .*albums\.csv \(200 rows; dirty: /m);
      expect(ok.stdout).to.match(/^done in \d+\.\d\d s \([\d,]+ tracks\/s\)$/m);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(["albums.csv", "artists.csv", "tracks.csv"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
