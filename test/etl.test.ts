import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  GOLD_COLUMNS,
  REASONS,
  loadContract,
  loadSqlSteps,
  matchHeader,
  normalizeHeader,
  type SqlStep,
} from "../lib/contract";
import {
  DEFAULT_MEMORY_LIMIT,
  InputError,
  MEMORY_LIMIT_ENV,
  readsOf,
  resolveMemoryLimit,
  runTransform,
  type RunSummary,
} from "../local/etl";
import { generateSample } from "../local/generate";
import type { QualityGatesOverride } from "../lib/quality-gates";

const FIXTURES = path.join(__dirname, "fixtures", "csv");
const KAGGLE = path.join(FIXTURES, "kaggle");
const RENAMED = path.join(FIXTURES, "renamed");

type Row = Record<string, unknown>;

let tmpRoot: string;
let db: DuckDBInstance;
let sql: DuckDBConnection;

/** Rows of a query with BIGINT as number and DATE as `YYYY-MM-DD`. */
async function rows(query: string): Promise<Row[]> {
  const reader = await sql.runAndReadAll(query);
  return reader
    .getRowObjectsJS()
    .map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString().slice(0, 10) : v,
        ]),
      ),
    );
}

function parquet(outDir: string, area: string): string {
  return `read_parquet('${path.join(outDir, area, "*.parquet")}')`;
}

/** A fresh folder under the suite's temp root. */
function tmpDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies a fixture batch to a temp folder, then applies `edit` to file contents. */
function batch(name: string, edit: Record<string, string | Buffer | null> = {}): string {
  const dir = tmpDir(name);
  for (const file of ["albums.csv", "artists.csv", "tracks.csv"]) {
    if (!(file in edit)) fs.copyFileSync(path.join(KAGGLE, file), path.join(dir, file));
  }
  for (const [file, content] of Object.entries(edit)) {
    if (content !== null) fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

async function inputError(inputDir: string, outDir: string): Promise<InputError> {
  try {
    await runTransform({ inputDir, outDir, runId: "bad" });
  } catch (err) {
    expect(err).to.be.instanceOf(InputError);
    return err as InputError;
  }
  throw new Error(`runTransform accepted the bad batch in ${inputDir}`);
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/**
 * Gates that let the fixtures through: they plant every quarantine reason in a few rows, far
 * above the contract's shares (the gates themselves are tested in test/quality-gates.test.ts).
 */
const OPEN_GATES: QualityGatesOverride = {
  files: Object.fromEntries(
    ["albums", "artists", "tracks"].map((f) => [
      f,
      { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
    ]),
  ),
};

type Counts = Pick<RunSummary, "run_id" | "engine" | "input" | "accepted" | "rejected" | "output">;

/** The counts of a run summary (its gates and metrics are tested in test/quality-gates.test.ts). */
function countsOf(s: RunSummary): Counts {
  const { run_id, engine, input, accepted, rejected, output } = s;
  return { run_id, engine, input, accepted, rejected, output };
}

const KAGGLE_SUMMARY: Counts = {
  run_id: "run-1",
  engine: "duckdb",
  input: { albums: 17, artists: 10, tracks: 14 },
  accepted: { albums: 6, artists: 6, tracks: 9 },
  rejected: {
    albums: {
      missing_key: 2,
      bad_number: 1,
      bad_date: 2,
      orphan_artist: 2,
      orphan_track: 2,
      duplicate_row: 1,
      duplicate_key: 1,
    },
    artists: { missing_key: 1, bad_number: 1, duplicate_row: 1, duplicate_key: 1 },
    tracks: { missing_key: 1, bad_number: 1, bad_boolean: 1, duplicate_row: 1, duplicate_key: 1 },
  },
  output: { tracks: 6 },
};

/** Gold rows expected from test/fixtures/csv/kaggle, worked out by hand from the CSVs. */
const KAGGLE_GOLD: Row[] = [
  {
    track_id: "tr01",
    track_name: "Hello, World",
    track_number: 1,
    duration_ms: 180300,
    duration_min: 3.01, // 3.005 rounds half up
    explicit: false,
    track_popularity: 80,
    album_id: "al01",
    album_name: "Zoë Live",
    album_type: "album",
    total_tracks: 2,
    release_date: "2021-03-04",
    release_year: 2021,
    label: 'He said "hi" Records',
    album_popularity: 61,
    artist_id: "ar01",
    artist_name: "Zoë Quartet",
    artist_popularity: 72,
    followers: 1500000,
    artist_genres: "dance pop, pop",
  },
  {
    track_id: "tr02",
    track_name: "Line one\nLine two",
    track_number: 1,
    duration_ms: 200000,
    duration_min: 3.33,
    explicit: true,
    track_popularity: 65,
    album_id: "al02",
    album_name: "夜の歌",
    album_type: "single",
    total_tracks: 1,
    release_date: "1999-01-01", // year precision
    release_year: 1999,
    label: "Kaze Records",
    album_popularity: 40,
    artist_id: "ar02",
    artist_name: "東京 Strings",
    artist_popularity: 55,
    followers: 32000, // "32000.0" in the CSV
    artist_genres: "",
  },
  {
    track_id: "tr03",
    track_name: "Café del Mar — noche",
    track_number: 1, // "1.0" in the CSV
    duration_ms: 90000,
    duration_min: 1.5,
    explicit: false,
    track_popularity: 0,
    album_id: "al03",
    album_name: "Songs, Vol. 2",
    album_type: "compilation",
    total_tracks: 12,
    release_date: "2005-07-01", // month precision
    release_year: 2005,
    label: "Indie",
    album_popularity: 33,
    artist_id: "ar03",
    artist_name: "The Commas, Periods & Co",
    artist_popularity: 40,
    followers: 870,
    artist_genres: "children's music, folk",
  },
  {
    track_id: "tr07",
    track_name: "Twice",
    track_number: 1,
    duration_ms: 120000,
    duration_min: 2,
    explicit: true,
    track_popularity: 44,
    album_id: "al05",
    album_name: "Twice EP",
    album_type: "single",
    total_tracks: 1,
    release_date: "2020-05-01",
    release_year: 2020,
    label: "Echo Records",
    album_popularity: 20,
    artist_id: "ar05",
    artist_name: "Duplicate Duo",
    artist_popularity: 30,
    followers: 100,
    artist_genres: "jazz",
  },
  {
    track_id: "tr08",
    track_name: "Conflicting",
    track_number: 1,
    duration_ms: 150000,
    duration_min: 2.5,
    explicit: false,
    track_popularity: 30,
    album_id: "al06",
    album_name: "Clash",
    album_type: "album",
    total_tracks: 9,
    release_date: "2018-11-30",
    release_year: 2018,
    label: "Echo Records",
    album_popularity: 10, // the smaller of the conflicting rows wins
    artist_id: "ar06",
    artist_name: "Conflict A",
    artist_popularity: 20,
    followers: 50,
    artist_genres: "",
  },
  {
    track_id: "tr09",
    track_name: "Quiet",
    track_number: 4,
    duration_ms: 215999,
    duration_min: 3.6,
    explicit: null,
    track_popularity: 70,
    album_id: "al07",
    album_name: "Stillness",
    album_type: "album",
    total_tracks: 10,
    release_date: "2010-10-10",
    release_year: 2010,
    label: null,
    album_popularity: null,
    artist_id: "ar07",
    artist_name: "Ångström Ensemble",
    artist_popularity: 5,
    followers: null,
    artist_genres: "pop, indie",
  },
];

describe("local ETL on DuckDB (local/etl.ts + glue/sql)", function () {
  let out: string;
  let summary: RunSummary;

  before(async function () {
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "etl-test-"));
    db = await DuckDBInstance.create(":memory:");
    sql = await db.connect();
    out = tmpDir("out");
    summary = await runTransform({
      inputDir: KAGGLE,
      outDir: out,
      runId: "run-1",
      gates: OPEN_GATES,
      snapshotDate: "2024-06-01",
    });
  });

  after(function () {
    sql.closeSync();
    db.closeSync();
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  });

  describe("Kaggle layout fixture", function () {
    it("returns and writes the run summary", function () {
      expect(countsOf(summary)).to.deep.equal(KAGGLE_SUMMARY);
      const file = path.join(out, "processed", "runs", "run-1", "summary.json");
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal(summary);
    });

    it("lists reasons in contract order and covers all of them", function () {
      expect(Object.keys(summary.rejected.albums)).to.deep.equal([
        "missing_key",
        "bad_number",
        "bad_date",
        "orphan_artist",
        "orphan_track",
        "duplicate_row",
        "duplicate_key",
      ]);
      const seen = new Set(Object.values(summary.rejected).flatMap((r) => Object.keys(r)));
      expect([...seen].sort()).to.deep.equal([...REASONS].sort());
    });

    it("keeps the accounting identity in the written files", async function () {
      for (const entity of ["albums", "artists", "tracks"] as const) {
        const [silver] = await rows(
          `SELECT COUNT(*) AS n FROM ${parquet(out, `processed/silver/${entity}`)}`,
        );
        const [quarantine] = await rows(
          `SELECT COUNT(*) AS n FROM ${parquet(out, `processed/quarantine/${entity}`)}`,
        );
        const rejected = Object.values(summary.rejected[entity]).reduce((a, b) => a + b, 0);
        expect(silver?.n, `silver ${entity}`).to.equal(summary.accepted[entity]);
        expect(quarantine?.n, `quarantine ${entity}`).to.equal(rejected);
        expect(summary.input[entity], entity).to.equal(summary.accepted[entity] + rejected);
      }
      const [gold] = await rows(
        `SELECT COUNT(*) AS n FROM ${parquet(out, "datawarehouse/tracks")}`,
      );
      expect(gold?.n).to.equal(summary.accepted.albums);
    });

    it("writes exactly the expected gold rows", async function () {
      const gold = await rows(
        `SELECT * FROM ${parquet(out, "datawarehouse/tracks")} ORDER BY track_id`,
      );
      expect(gold).to.deep.equal(KAGGLE_GOLD);
    });

    it("gives gold the schema of the contract (glue/contract.json gold)", async function () {
      const expected = GOLD_COLUMNS.map((c) => ({
        column_name: c.name,
        column_type: c.duckdb_type,
      }));
      expect(expected).to.have.length(20);
      const described = await rows(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ` +
          `${parquet(out, "datawarehouse/tracks")})`,
      );
      expect(described).to.deep.equal(expected);
    });

    it("types silver columns as glue/contract.json says", async function () {
      const contract = loadContract();
      const toDuckDb = {
        string: "VARCHAR",
        int: "INTEGER",
        bigint: "BIGINT",
        date: "DATE",
        boolean: "BOOLEAN",
      };
      for (const entity of ["albums", "artists", "tracks"] as const) {
        const input = contract.inputs[entity];
        const described = await rows(
          `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ` +
            `${parquet(out, `processed/silver/${entity}`)}) ORDER BY column_name`,
        );
        const expected = [...input.columns, ...input.derived]
          .map((c) => ({ column_name: c.name, column_type: toDuckDb[c.type] }))
          .sort((a, b) => a.column_name.localeCompare(b.column_name));
        expect(described, entity).to.deep.equal(expected);
      }
    });

    it("keeps the release date precision in silver albums", async function () {
      const silver = await rows(
        `SELECT track_id, release_date, release_date_precision FROM ` +
          `${parquet(out, "processed/silver/albums")} ORDER BY track_id`,
      );
      expect(
        silver.map((r) => `${r.track_id} ${r.release_date} ${r.release_date_precision}`),
      ).to.deep.equal([
        "tr01 2021-03-04 day",
        "tr02 1999-01-01 year",
        "tr03 2005-07-01 month",
        "tr07 2020-05-01 day",
        "tr08 2018-11-30 day",
        "tr09 2010-10-10 day",
      ]);
    });

    it("quarantines rejected artists with source file, reason and original text", async function () {
      const source = path.join(KAGGLE, "artists.csv");
      expect(
        await rows(`SELECT * FROM ${parquet(out, "processed/quarantine/artists")}`),
      ).to.deep.equal([
        {
          source_file: source,
          reason: "bad_number",
          reason_column: "artist_popularity",
          artist_id: "ar04",
          artist_name: "Mötley Echo",
          artist_popularity: "101",
          artist_genres: "['rock']",
          followers: "10",
        },
        {
          source_file: source,
          reason: "duplicate_key",
          reason_column: "artist_id",
          artist_id: "ar06",
          artist_name: "Conflict B",
          artist_popularity: "20",
          artist_genres: "[]",
          followers: "50",
        },
        {
          source_file: source,
          reason: "duplicate_row",
          reason_column: "artist_id",
          artist_id: "ar05",
          artist_name: "Duplicate Duo ",
          artist_popularity: "30",
          artist_genres: "['jazz']",
          followers: "100",
        },
        {
          source_file: source,
          reason: "missing_key",
          reason_column: "artist_id",
          artist_id: null,
          artist_name: "Nameless",
          artist_popularity: "10",
          artist_genres: "[]",
          followers: "5",
        },
      ]);
    });

    it("quarantines rejected tracks with their original text", async function () {
      const quarantine = await rows(
        `SELECT reason, reason_column, track_id, track_popularity, explicit, source_file ` +
          `FROM ${parquet(out, "processed/quarantine/tracks")}`,
      );
      const source = path.join(KAGGLE, "tracks.csv");
      expect(quarantine).to.deep.equal(
        [
          ["bad_boolean", "explicit", "tr05", "50", "maybe"],
          ["bad_number", "track_popularity", "tr06", "abc", "False"],
          ["duplicate_key", "track_id", "tr08", "31", "False"],
          ["duplicate_row", "track_id", "tr07", "44", "true"],
          ["missing_key", "track_id", null, "10", "True"],
        ].map(([reason, reason_column, track_id, track_popularity, explicit]) => ({
          reason,
          reason_column,
          track_id,
          track_popularity,
          explicit,
          source_file: source,
        })),
      );
    });

    it("quarantines rejected albums rows, orphans included, with the failing column", async function () {
      const quarantine = await rows(
        `SELECT reason, reason_column, track_id, track_name, artist_id, duration_ms, release_date ` +
          `FROM ${parquet(out, "processed/quarantine/albums")}`,
      );
      expect(quarantine.map((r) => Object.values(r))).to.deep.equal([
        ["bad_date", "release_date", "tr10", "Bad Date", "ar05", "100000", "2021-02-30"],
        ["bad_date", "release_date", "tr98", "Placeholder Date", "ar01", "100000", "0000"],
        ["bad_number", "duration_ms", "tr04", "Bad Duration", "ar01", "3:45", "2021-03-04"],
        ["duplicate_key", "track_id", "tr08", "Conflicting", "ar06", "150000", "2018-11-30"],
        ["duplicate_row", "track_id", "tr07", "Twice ", "ar05", "120000", "2020-05-01"],
        ["missing_key", "artist_id", "tr97", "Missing Artist Id", null, "100000", "2020"],
        ["missing_key", "track_id", null, "No Key", "ar01", "100000", "2020"],
        // ar04 was itself rejected (popularity 101), so its album row is an orphan.
        ["orphan_artist", "artist_id", "tr06", "Rejected Artist", "ar04", "100000", "2020"],
        ["orphan_artist", "artist_id", "tr11", "Unknown Artist", "ar99", "100000", "2020"],
        // tr05 was itself rejected (explicit "maybe").
        ["orphan_track", "track_id", "tr05", "Rejected Track", "ar01", "100000", "2020"],
        ["orphan_track", "track_id", "tr99", "Unknown Track", "ar01", "100000", "2020"],
      ]);
    });

    it("writes every Parquet file with Snappy compression", async function () {
      const files = listFiles(out).filter((f) => f.endsWith(".parquet"));
      expect(files).to.deep.equal([
        "datawarehouse/tracks/part-00000.snappy.parquet",
        "datawarehouse/tracks_history/snapshot_date=2024-06-01/part-00000.snappy.parquet",
        "processed/quarantine/albums/part-00000.snappy.parquet",
        "processed/quarantine/artists/part-00000.snappy.parquet",
        "processed/quarantine/tracks/part-00000.snappy.parquet",
        "processed/runs/run-1/gold/tracks/part-00000.snappy.parquet",
        "processed/silver/albums/part-00000.snappy.parquet",
        "processed/silver/artists/part-00000.snappy.parquet",
        "processed/silver/tracks/part-00000.snappy.parquet",
      ]);
      const codecs = await rows(
        `SELECT DISTINCT compression FROM parquet_metadata(` +
          `[${files.map((f) => `'${path.join(out, f)}'`).join(", ")}])`,
      );
      expect(codecs).to.deep.equal([{ compression: "SNAPPY" }]);
    });

    it("is idempotent: a second run overwrites with the same rows and files", async function () {
      const snapshot = async (): Promise<Record<string, Row[]>> => {
        const result: Record<string, Row[]> = {};
        for (const f of listFiles(out).filter((x) => x.endsWith(".parquet"))) {
          result[f] = await rows(`SELECT * FROM read_parquet('${path.join(out, f)}') ORDER BY ALL`);
        }
        return result;
      };
      const before = await snapshot();
      const filesBefore = listFiles(out);
      const again = await runTransform({
        inputDir: KAGGLE,
        outDir: out,
        runId: "run-1",
        gates: OPEN_GATES,
        snapshotDate: "2024-06-01",
      });
      expect(countsOf(again)).to.deep.equal(KAGGLE_SUMMARY);
      expect(listFiles(out)).to.deep.equal(filesBefore);
      expect(await snapshot()).to.deep.equal(before);
      expect(filesBefore).to.include("processed/runs/run-1/summary.json");
    });
  });

  describe("header variants", function () {
    const renamedGold = [
      ["tr20", "Ný Batterí", 1, 61000, 1.02, true, 90, "2022-12-01", 2022],
      ["tr21", "Olsen Olsen", 2, 59999, 1, false, 10, "2022-12-24", 2022],
    ];

    it("accepts tracks keyed by track_id, a BOM, shuffled and differently cased headers", async function () {
      const dir = tmpDir("renamed-out");
      const result = await runTransform({ inputDir: RENAMED, outDir: dir, runId: "r" });
      expect(result.input).to.deep.equal({ albums: 2, artists: 1, tracks: 2 });
      expect(result.rejected).to.deep.equal({ albums: {}, artists: {}, tracks: {} });
      const gold = await rows(
        `SELECT track_id, track_name, track_number, duration_ms, duration_min, explicit, ` +
          `track_popularity, release_date, release_year, album_type, label, album_popularity, ` +
          `artist_name, followers, artist_genres FROM ${parquet(dir, "datawarehouse/tracks")} ` +
          `ORDER BY track_id`,
      );
      expect(gold).to.deep.equal(
        renamedGold.map((r) => ({
          track_id: r[0],
          track_name: r[1],
          track_number: r[2],
          duration_ms: r[3],
          duration_min: r[4],
          explicit: r[5],
          track_popularity: r[6],
          release_date: r[7],
          release_year: r[8],
          // Optional columns absent from the header are NULL; no genres column means "".
          album_type: null,
          label: null,
          album_popularity: null,
          artist_name: "Sigur Rósa",
          followers: 2500,
          artist_genres: "",
        })),
      );
    });

    it("reads CRLF line endings like LF", async function () {
      const crlf = tmpDir("crlf");
      for (const file of ["albums.csv", "artists.csv", "tracks.csv"]) {
        const text = fs.readFileSync(path.join(RENAMED, file), "utf8");
        fs.writeFileSync(path.join(crlf, file), text.replace(/\n/g, "\r\n"));
      }
      const dir = tmpDir("crlf-out");
      await runTransform({ inputDir: crlf, outDir: dir, runId: "r" });
      const gold = await rows(
        `SELECT track_id, track_name, explicit, release_date FROM ` +
          `${parquet(dir, "datawarehouse/tracks")} ORDER BY track_id`,
      );
      expect(gold).to.deep.equal([
        { track_id: "tr20", track_name: "Ný Batterí", explicit: true, release_date: "2022-12-01" },
        {
          track_id: "tr21",
          track_name: "Olsen Olsen",
          explicit: false,
          release_date: "2022-12-24",
        },
      ]);
    });

    it("pads short rows with NULL and drops fields beyond the header", async function () {
      const dir = batch("ragged", {
        "tracks.csv": "id,track_popularity,explicit\ntr01,80\ntr02,65,True,extra\n",
        "albums.csv":
          fs.readFileSync(path.join(KAGGLE, "albums.csv"), "utf8").split("\n")[0] +
          "\nHello,tr01,1,180300,album,[],2,A,2021,L,61,al01,ar01\n" +
          "Bye,tr02,1,60000,album,[],2,A,2021,L,61,al01,ar01\n",
      });
      const dirOut = tmpDir("ragged-out");
      const result = await runTransform({
        inputDir: dir,
        outDir: dirOut,
        runId: "r",
        gates: OPEN_GATES,
      });
      expect(result.accepted).to.deep.equal({ albums: 2, artists: 6, tracks: 2 });
      const gold = await rows(
        `SELECT track_id, explicit, track_popularity FROM ` +
          `${parquet(dirOut, "datawarehouse/tracks")} ORDER BY track_id`,
      );
      expect(gold).to.deep.equal([
        { track_id: "tr01", explicit: null, track_popularity: 80 },
        { track_id: "tr02", explicit: true, track_popularity: 65 },
      ]);
    });
  });

  describe("fatal input problems", function () {
    it("names a missing file", async function () {
      const dir = batch("no-tracks", { "tracks.csv": null });
      const err = await inputError(dir, tmpDir("no-tracks-out"));
      expect(err.message).to.equal(
        `Input file tracks.csv not found in ${dir}: a batch needs albums.csv, artists.csv and ` +
          `tracks.csv side by side; add tracks.csv.`,
      );
      expect(err.files).to.deep.equal(["tracks.csv"]);
    });

    it("names an empty file and its required columns", async function () {
      const dir = batch("empty", { "artists.csv": "" });
      const err = await inputError(dir, tmpDir("empty-out"));
      expect(err.message).to.equal(
        "Input file artists.csv is empty (0 bytes): re-export it with its header row (required " +
          "columns: artist_id, artist_name) and its data rows.",
      );
    });

    it("rejects a file with a header and no rows", async function () {
      const dir = batch("header-only", { "tracks.csv": "id,track_popularity,explicit\n" });
      const err = await inputError(dir, tmpDir("header-only-out"));
      expect(err.message).to.equal(
        "Input file tracks.csv has a header but no data rows: re-export it with its rows (an " +
          "empty file cannot be joined).",
      );
    });

    it("names a missing required column, its accepted names and the header found", async function () {
      const dir = batch("no-id", { "tracks.csv": "key,track_popularity,explicit\ntr01,1,True\n" });
      const err = await inputError(dir, tmpDir("no-id-out"));
      expect(err.message).to.equal(
        "Input file tracks.csv is missing required column track_id (accepted header names: " +
          "track_id, id). Header found: key, track_popularity, explicit. Add the column or " +
          "rename the matching header cells.",
      );
      expect(err.files).to.deep.equal(["tracks.csv"]);
    });

    it("names a column given twice", async function () {
      const header = "id,name,name,followers\n";
      const dir = batch("twice", { "artists.csv": `${header}ar01,A,B,1\n` });
      const err = await inputError(dir, tmpDir("twice-out"));
      expect(err.message).to.equal(
        "Input file artists.csv names column artist_name more than once in its header (cells 2 " +
          "and 3). Remove or rename the extra cells.",
      );
    });

    it("recognizes a gzip file that is not a CSV", async function () {
      const gz = zlib.gzipSync(fs.readFileSync(path.join(KAGGLE, "albums.csv")));
      const dir = batch("gzip", { "albums.csv": gz });
      const err = await inputError(dir, tmpDir("gzip-out"));
      expect(err.message).to.equal(
        "Input file albums.csv is not a CSV text file: it is gzip-compressed. Decompress it " +
          "and upload the plain .csv.",
      );
    });

    it("recognizes a semicolon-separated export", async function () {
      const dir = batch("semicolon", {
        "tracks.csv": "id;track_popularity;explicit\ntr01;1;True\n",
      });
      const err = await inputError(dir, tmpDir("semicolon-out"));
      expect(err.message).to.equal(
        'Input file tracks.csv is not a CSV text file: its header is one cell separated by ";". ' +
          "Re-export it comma-separated.",
      );
    });

    it("names a file that is not UTF-8 beyond its header", async function () {
      const latin1 = Buffer.concat([
        Buffer.from("id,track_popularity,explicit\ntr01,80,False\ntr02,65,Tru"),
        Buffer.from([0xe9]),
        Buffer.from("\n"),
      ]);
      const dir = batch("latin1", { "tracks.csv": latin1 });
      const err = await inputError(dir, tmpDir("latin1-out"));
      expect(err.message).to.equal(
        "Input file tracks.csv could not be parsed as CSV (CSV Error on Line: 3: Invalid unicode " +
          "(byte sequence mismatch) detected. This file is not utf-8 encoded). Check that it is " +
          "UTF-8, comma-separated, and doubles the quotes inside quoted fields.",
      );
    });

    it("reports every broken file at once and writes nothing", async function () {
      const dir = batch("many", { "albums.csv": null, "artists.csv": "" });
      const outDir = path.join(tmpRoot, "many-out-never-created");
      const err = await inputError(dir, outDir);
      expect(err.message).to.equal(
        `2 problems with the input files in ${dir}:\n` +
          `- Input file albums.csv not found in ${dir}: a batch needs albums.csv, artists.csv ` +
          `and tracks.csv side by side; add albums.csv.\n` +
          `- Input file artists.csv is empty (0 bytes): re-export it with its header row ` +
          `(required columns: artist_id, artist_name) and its data rows.`,
      );
      expect(err.files).to.deep.equal(["albums.csv", "artists.csv"]);
      expect(fs.existsSync(outDir)).to.equal(false);
    });

    it("rejects a run id that is not a safe folder name", async function () {
      let message = "";
      try {
        await runTransform({ inputDir: KAGGLE, outDir: tmpDir("runid"), runId: "../x" });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.equal(
        'runId "../x" is not a safe folder name: use 1-128 letters, digits, ".", "_" or "-", ' +
          "starting with a letter or digit.",
      );
    });
  });

  describe("generated sample (local/generate.ts)", function () {
    it("quarantines exactly the dirty rows the generator planted", async function () {
      const input = tmpDir("generated");
      const sample = await generateSample({ tracks: 3000, seed: 11, outDir: input });
      const result = await runTransform({ inputDir: input, outDir: tmpDir("gen-out"), runId: "g" });
      expect(result.input).to.deep.equal(sample.rows);
      expect(result.rejected).to.deep.equal(sample.planted);
      expect(result.output.tracks).to.equal(result.accepted.albums);
    });

    it("writes the same rows under an explicit memory limit", async function () {
      const input = tmpDir("limit-in");
      await generateSample({ tracks: 20_000, seed: 5, outDir: input });
      const roomy = tmpDir("limit-default");
      const capped = tmpDir("limit-256");
      const a = await runTransform({ inputDir: input, outDir: roomy, runId: "s" });
      const b = await runTransform({
        inputDir: input,
        outDir: capped,
        runId: "s",
        memoryLimit: "256MB",
      });
      // Everything but the job's own duration (the last metric datum).
      const stable = (x: RunSummary) => ({ ...x, metric_data: x.metric_data.slice(0, -1) });
      expect(stable(b)).to.deep.equal(stable(a));
      const query = (root: string): string =>
        `SELECT * FROM ${parquet(root, "datawarehouse/tracks")} ORDER BY ALL`;
      expect(await rows(query(capped))).to.deep.equal(await rows(query(roomy)));
    });

    it("says how to raise the memory limit when DuckDB runs out of it", async function () {
      const input = tmpDir("oom-in");
      await generateSample({ tracks: 20_000, seed: 5, outDir: input });
      const out = tmpDir("oom-out");
      let caught: unknown;
      try {
        await runTransform({ inputDir: input, outDir: out, runId: "s", memoryLimit: "40MB" });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(Error).and.not.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(
        new RegExp(
          String.raw`^SQL step glue/sql/\d\d_\w+\.sql failed on DuckDB: Out of Memory Error: .*` +
            String.raw` Raise DuckDB's memory limit \(now 40MB\) with ${MEMORY_LIMIT_ENV}, ` +
            String.raw`e\.g\. ${MEMORY_LIMIT_ENV}=4GB\.$`,
        ),
      );
      expect(listFiles(out)).to.deep.equal([]);
    });
  });

  describe("what each step reads (readsOf)", function () {
    const step = (table: string, sql: string): SqlStep => ({ file: `${table}.sql`, table, sql });

    it("follows views to what they read and stops at materialized tables", function () {
      const steps = [
        step("a", "SELECT 1 FROM raw_x"),
        step("b", "SELECT * FROM a"),
        step("c", "-- reads b, not d\nSELECT * FROM b"),
        step("d", "SELECT * FROM c UNION ALL SELECT * FROM a_wide"),
      ];
      const reads = readsOf(steps, ["b"]);
      expect([...(reads.get("b") ?? [])]).to.deep.equal(["a"]);
      expect([...(reads.get("c") ?? [])]).to.deep.equal(["b"]);
      expect([...(reads.get("d") ?? [])]).to.deep.equal(["c", "b"]);
    });

    it("lets the albums outputs run without the artists and tracks tables", function () {
      const contract = loadContract();
      const reads = readsOf(loadSqlSteps(), contract.sql.materialize);
      for (const table of ["silver_albums", "quarantine_albums", "gold_tracks"]) {
        expect([...(reads.get(table) ?? [])].sort(), table).to.include.members([
          "checked_albums",
          "duplicates_albums",
        ]);
        expect([...(reads.get(table) ?? [])], table).to.not.include.members(["checked_tracks"]);
        expect([...(reads.get(table) ?? [])], table).to.not.include.members(["checked_artists"]);
      }
      expect(contract.outputs.map((o) => o.table).slice(-3)).to.have.members([
        "silver_albums",
        "quarantine_albums",
        "gold_tracks",
      ]);
    });
  });

  describe("memory limit (resolveMemoryLimit)", function () {
    const saved = process.env[MEMORY_LIMIT_ENV];
    afterEach(function () {
      if (saved === undefined) delete process.env[MEMORY_LIMIT_ENV];
      else process.env[MEMORY_LIMIT_ENV] = saved;
    });

    const cases: { option?: string; env?: string; expected: string }[] = [
      { expected: DEFAULT_MEMORY_LIMIT },
      { env: "", expected: DEFAULT_MEMORY_LIMIT },
      { env: "4GB", expected: "4GB" },
      { env: " 800 MiB ", expected: "800 MiB" },
      { option: "2.5GB", env: "4GB", expected: "2.5GB" },
    ];
    for (const { option, env, expected } of cases) {
      it(`uses ${expected} for option ${String(option)} and ${MEMORY_LIMIT_ENV}=${String(env)}`, function () {
        if (env === undefined) delete process.env[MEMORY_LIMIT_ENV];
        else process.env[MEMORY_LIMIT_ENV] = env;
        expect(resolveMemoryLimit(option)).to.equal(expected);
      });
    }

    const bad: { option?: string; env?: string; message: string }[] = [
      {
        option: "lots",
        message:
          'memoryLimit "lots" is not a memory size: use a number and a unit, e.g. 1536MB or 4GB.',
      },
      {
        env: "2G",
        message: `${MEMORY_LIMIT_ENV} "2G" is not a memory size: use a number and a unit, e.g. 1536MB or 4GB.`,
      },
      {
        env: "80%",
        message: `${MEMORY_LIMIT_ENV} "80%" is not a memory size: use a number and a unit, e.g. 1536MB or 4GB.`,
      },
    ];
    for (const { option, env, message } of bad) {
      it(`refuses ${String(option ?? env)}, naming where it came from`, function () {
        if (env === undefined) delete process.env[MEMORY_LIMIT_ENV];
        else process.env[MEMORY_LIMIT_ENV] = env;
        expect(() => resolveMemoryLimit(option)).to.throw(message);
      });
    }
  });

  describe("contract helpers (lib/contract.ts)", function () {
    const contract = loadContract();

    it("maps the Kaggle headers to canonical columns, ignoring extra cells", function () {
      const artists = matchHeader(contract.inputs.artists, [
        "id",
        "name",
        "artist_popularity",
        "artist_genres",
        "followers",
        "genre_0",
      ]);
      expect(artists).to.deep.equal({
        positions: {
          artist_id: 0,
          artist_name: 1,
          artist_popularity: 2,
          artist_genres: 3,
          followers: 4,
        },
        missing: [],
        repeated: [],
      });
    });

    it("prefers track_id over id when a tracks header has both", function () {
      const match = matchHeader(contract.inputs.tracks, ["id", "explicit", "TRACK_ID"]);
      expect(match.positions).to.deep.equal({ track_id: 2, explicit: 1 });
    });

    it("normalizes a BOM, spaces and case in header cells", function () {
      expect(normalizeHeader("\uFEFF Track_ID ")).to.equal("track_id");
    });

    it("lists the SQL steps in execution order", function () {
      expect(loadSqlSteps().map((s) => s.file)).to.deep.equal([
        "01_checked_artists.sql",
        "02_duplicates_artists.sql",
        "03_silver_artists.sql",
        "04_quarantine_artists.sql",
        "05_checked_tracks.sql",
        "06_duplicates_tracks.sql",
        "07_silver_tracks.sql",
        "08_quarantine_tracks.sql",
        "09_checked_albums.sql",
        "10_duplicates_albums.sql",
        "11_accepted_albums.sql",
        "12_silver_albums.sql",
        "13_quarantine_albums.sql",
        "14_gold_tracks.sql",
        "15_run_counts.sql",
        "16_run_totals.sql",
        "17_quality_gates.sql",
        "18_run_metrics.sql",
      ]);
      expect(loadSqlSteps()[9]?.table).to.equal("duplicates_albums");
    });
  });
});
