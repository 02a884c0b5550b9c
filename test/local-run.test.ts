/**
 * The local run end to end (`npm start`, in-process through the CLI's `main`): a generated sample
 * goes through the deployed state machine definition with local handlers; the checks recompute
 * what they can from the files written (gold Parquet, docs/contracts.md) instead of trusting the
 * run's own numbers. Plus the failure path on a bad input and the usage errors.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { main, type CliIo } from "../local/cli";
import {
  OUT_MARKER,
  catalogTypes,
  inferTable,
  lastJsonObject,
  sparkErrorMessage,
  tableFiles,
  type Catalog,
  type PublishedMessage,
  type RunRecord,
} from "../local/pipeline";
import { loadQueries } from "../lib/queries";
import { GOLD_COLUMNS } from "../lib/contract";
import type { FailureNotification, SuccessNotification } from "../lib/state-machine";

const REPO = path.resolve(__dirname, "..");
const TRACKS = 2000;
const SEED = 7;
const FILES = ["albums", "artists", "tracks"] as const;

const SUCCESS_STATES = [
  "CheckInput",
  "InputFromMarker",
  "CheckMarker",
  "ResolveSnapshotDate",
  "CheckSnapshotDate",
  "DefaultSnapshotDate",
  "RunGlueJob",
  "ReadRunSummary",
  "CheckRunSummary",
  "PutRunMetrics",
  "CheckGates",
  "PublishGold",
  "GetCrawlerBaseline",
  "StartCrawler",
  "WaitForCrawler",
  "CountCrawlerPoll",
  "GetCrawlerStatus",
  "CheckCrawler",
  "CheckCrawlResult",
  "NotifySuccess",
  "Succeeded",
];

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
  const code = await main(argv, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
}

/** RFC 4180 field, written here independently of local/queries.ts. */
function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The contract's gold schema as `[column, Glue type]`. */
function contractGoldSchema(): [string, string][] {
  return GOLD_COLUMNS.map((c) => [c.name, c.glue_type]);
}

describe("local run (npm start)", function () {
  let tmp: string;
  let db: DuckDBInstance;
  let sql: DuckDBConnection;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "local-run-"));
    db = await DuckDBInstance.create(":memory:");
    sql = await db.connect();
  });

  after(() => {
    sql.closeSync();
    db.closeSync();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function rows(query: string): Promise<Record<string, unknown>[]> {
    return (await sql.runAndReadAll(query)).getRowObjectsJS();
  }

  describe("a generated sample that succeeds", () => {
    let out: string;
    let result: Captured;
    let run: RunRecord;
    let gold: string;

    before(async () => {
      out = path.join(tmp, "out");
      result = await cli("--tracks", String(TRACKS), "--seed", String(SEED), "--out", out);
      run = readJson<RunRecord>(path.join(out, "run.json"));
      gold = `read_parquet('${path.join(out, "datawarehouse", "tracks", "*.parquet")}')`;
    });

    it("exits 0 and prints one line per step, then where the dashboard is", () => {
      expect(result.code, result.stderr).to.equal(0);
      const steps = result.stdout
        .split("\n")
        .map((l) => /^ {2}(\w+) +\d+\.\d\d s {2}/.exec(l)?.[1])
        .filter(Boolean);
      expect(steps).to.deep.equal([
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
      ]);
      expect(result.stdout).to.include(`Dashboard: ${path.join(out, "dashboard.html")}`);
      expect(result.stdout).to.match(
        new RegExp(
          `SUCCEEDED in \\d+\\.\\d\\d s: ${run.output!.tracks.toLocaleString("en-US")} tracks in the gold table`,
        ),
      );
    });

    it("writes run.json with the counts of the summary, the identity and the states visited", () => {
      const summary = readJson<RunRecord>(
        path.join(out, "processed", "runs", run.run_id, "summary.json"),
      );
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.engine).to.equal("duckdb");
      expect(run.run_id).to.match(/^local-\d{8}T\d{6}Z$/);
      expect(run.input).to.deep.include({ albums: TRACKS, tracks: TRACKS });
      expect(run.input).to.deep.equal(summary.input);
      expect(run.accepted).to.deep.equal(summary.accepted);
      expect(run.rejected).to.deep.equal(summary.rejected);
      for (const f of FILES) {
        const rejected = Object.values(run.rejected![f]).reduce((a, b) => a + b, 0);
        expect(rejected, `${f} rejected`).to.be.greaterThan(0);
        expect(run.input![f], f).to.equal(run.accepted![f] + rejected);
      }
      expect(run.states).to.deep.equal(SUCCESS_STATES);
      expect(Object.keys(run.timings_ms)).to.deep.equal([
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
        "total",
      ]);
      expect(run).to.not.have.property("error");
    });

    it("counts output.tracks from the gold Parquet, which is Snappy-compressed", async () => {
      const [count] = await rows(`SELECT COUNT(*) AS n FROM ${gold}`);
      expect(run.output).to.deep.equal({ tracks: Number(count!.n) });
      expect(run.output!.tracks).to.equal(run.accepted!.albums);
      const codecs = await rows(
        `SELECT DISTINCT compression FROM parquet_metadata('${path.join(out, "datawarehouse", "tracks", "*.parquet")}')`,
      );
      expect(codecs).to.deep.equal([{ compression: "SNAPPY" }]);
    });

    it("writes the seed query's exact result (recomputed from the gold Parquet)", async () => {
      const counts = await rows(
        `SELECT artist_name, COUNT(track_id) AS n FROM ${gold} GROUP BY artist_name`,
      );
      const expected = counts
        .map((r) => ({ name: r.artist_name as string | null, n: Number(r.n) }))
        .sort((a, b) => {
          if (a.n !== b.n) return b.n - a.n;
          if (a.name === null || b.name === null) return a.name === null ? 1 : -1;
          return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)); // code point order
        });
      const csv =
        ["artist_name,total_tracks", ...expected.map((r) => `${csvField(r.name)},${r.n}`)].join(
          "\r\n",
        ) + "\r\n";
      expect(
        fs.readFileSync(path.join(out, "queries", "seed_total_tracks_by_artist.csv"), "utf8"),
      ).to.equal(csv);
      expect(expected.reduce((s, r) => s + r.n, 0)).to.equal(run.output!.tracks);
      const written = fs.readdirSync(path.join(out, "queries")).sort();
      // Every query file, the history query included (the run published one snapshot).
      expect(written).to.deep.equal(loadQueries().map((q) => `${q.name}.csv`));
      expect(written).to.include("artist_popularity_by_snapshot.csv");
      expect(
        fs.readFileSync(path.join(out, "queries", "artist_popularity_by_snapshot.csv"), "utf8"),
      ).to.match(/^snapshot_date,artist_name,artist_popularity,track_count\r\n\d{4}-\d\d-\d\d,/);
    });

    it("renders the dashboard with the three charts and the run's counts", () => {
      const html = fs.readFileSync(path.join(out, "dashboard.html"), "utf8");
      for (const title of [
        "Most popular artists",
        "Track counts by album",
        "Trends in track durations",
      ]) {
        expect(html).to.include(`<figure role="img" aria-label="${title}"><svg`);
      }
      expect(html.match(/<figure role="img"/g)).to.have.length(3);
      expect(html).to.include(`run <code>${run.run_id}</code>`);
      expect(html).to.include(
        `<th scope="row">Gold table rows</th><td class="num" colspan="4">${run.output!.tracks.toLocaleString("en-US")}</td>`,
      );
      expect(html).to.not.match(/<script|https?:\/\/(?!www\.w3\.org)/);
    });

    it("writes catalog.json with the contract's gold schema", () => {
      const catalog = readJson<Catalog>(path.join(out, "catalog.json"));
      expect(catalog.tables).to.have.length(1);
      const [table] = catalog.tables;
      const schema = contractGoldSchema();
      expect(schema).to.have.length(20);
      expect(table!.columns.map((c) => [c.name, c.type])).to.deep.equal(schema);
      expect(table!.columns[0]).to.deep.equal({
        name: "track_id",
        type: "string",
        athena_type: "varchar",
      });
      expect(table).to.deep.include({
        name: "tracks",
        database: "spotify_pipeline_local",
        location: `${path.join(out, "datawarehouse", "tracks")}${path.sep}`,
        classification: "parquet",
        compression: ["snappy"],
        partition_keys: [],
        partitions: [],
        row_count: run.output!.tracks,
        files: 1,
      });
    });

    it("appends the success notification with the run's counts to notifications.jsonl", () => {
      const published = readJsonl<PublishedMessage>(path.join(out, "notifications.jsonl"));
      expect(published).to.have.length(1);
      const [n] = published;
      const m = n!.Message as SuccessNotification;
      const { input: i, accepted: a } = run;
      expect(n!.Subject).to.equal("spotify-pipeline-local: run SUCCEEDED");
      expect(n!.TopicArn).to.equal(
        "arn:aws:sns:local:000000000000:spotify-pipeline-local-notifications",
      );
      expect(m.message).to.equal(
        `Run ${run.run_id} succeeded: ${run.output!.tracks} tracks written to the gold table; ` +
          `accepted ${a!.albums} of ${i!.albums} album rows, ${a!.artists} of ${i!.artists} ` +
          `artist rows and ${a!.tracks} of ${i!.tracks} track rows.`,
      );
      expect(m.counts).to.deep.equal({
        input: run.input,
        accepted: run.accepted,
        rejected: run.rejected,
        output: run.output,
      });
      expect(m.input_path).to.equal(`s3://spotify-pipeline-local-staging/incoming/${run.run_id}/`);
    });

    it("stages the batch like an upload: the three CSVs and the _READY marker", () => {
      const staged = path.join(out, "staging", run.run_id);
      expect(fs.readdirSync(staged).sort()).to.deep.equal([
        "_READY",
        "albums.csv",
        "artists.csv",
        "tracks.csv",
      ]);
      expect(fs.readFileSync(path.join(staged, "albums.csv"))).to.deep.equal(
        fs.readFileSync(path.join(out, "input", "albums.csv")),
      );
    });
  });

  describe("a bad input (albums.csv without its track_id column)", () => {
    let out: string;
    let input: string;
    let result: Captured;
    let run: RunRecord;

    before(async () => {
      input = path.join(tmp, "bad-input");
      fs.mkdirSync(input);
      const sample = path.join(tmp, "out", "input");
      for (const f of FILES)
        fs.copyFileSync(path.join(sample, `${f}.csv`), path.join(input, `${f}.csv`));
      const albums = fs.readFileSync(path.join(input, "albums.csv"), "utf8");
      fs.writeFileSync(path.join(input, "albums.csv"), albums.replace(",track_id,", ",trackid,"));
      out = path.join(tmp, "out-bad");
      // A previous successful run in the same folder: nothing of it may survive.
      fs.cpSync(path.join(tmp, "out"), out, { recursive: true });
      result = await cli("--input", input, "--out", out);
      run = readJson<RunRecord>(path.join(out, "run.json"));
    });

    it("exits 1 and prints the failure notification with the file and the column", () => {
      expect(result.code).to.equal(1);
      expect(result.stdout).to.include("spotify-pipeline-local: run FAILED");
      expect(result.stdout).to.include(
        "cause: Input file albums.csv is missing required column track_id",
      );
      expect(result.stderr).to.include("FAILED in ");
      expect(result.stderr).to.include("at RunGlueJob (States.TaskFailed)");
    });

    it("writes run.json FAILED with the error, through the definition's failure path", () => {
      expect(run.status).to.equal("FAILED");
      expect(run.states).to.deep.equal([
        "CheckInput",
        "InputFromMarker",
        "CheckMarker",
        "ResolveSnapshotDate",
        "CheckSnapshotDate",
        "DefaultSnapshotDate",
        "RunGlueJob",
        "RunGlueJobFailed",
        "CheckFailureCause",
        "NotifyFailure",
        "Failed",
      ]);
      expect(run.error!.step).to.equal("RunGlueJob");
      expect(run.error!.error).to.equal("States.TaskFailed");
      expect(run.error!.cause).to.match(
        /^Input file albums\.csv is missing required column track_id \(accepted header names: track_id\)\. Header found: track_name, trackid, /,
      );
      expect(run).to.deep.include({
        input: null,
        accepted: null,
        rejected: null,
        output: null,
      });
    });

    it("writes the failure notification and no dashboard, queries, catalog or gold", () => {
      const published = readJsonl<PublishedMessage>(path.join(out, "notifications.jsonl"));
      expect(published).to.have.length(1);
      const m = published[0]!.Message as FailureNotification;
      expect(published[0]!.Subject).to.equal("spotify-pipeline-local: run FAILED");
      expect(m).to.deep.include({
        status: "FAILED",
        message: `Run ${run.run_id} failed at step RunGlueJob: States.TaskFailed`,
        failed_step: "RunGlueJob",
        error: "States.TaskFailed",
        cause: run.error!.cause,
      });
      expect(fs.readdirSync(out).sort()).to.deep.equal([
        OUT_MARKER,
        "notifications.jsonl",
        "run.json",
        "staging",
      ]);
    });
  });

  describe("usage errors (exit 2, nothing deleted)", () => {
    const cases: [string, string[], string][] = [
      [
        "a non-number --tracks",
        ["--tracks", "lots"],
        '--tracks must be a whole number; got "lots". Example: --tracks 20000',
      ],
      [
        "too few --tracks",
        ["--tracks", "5"],
        '--tracks must be from 20 to 50000000; got "5". Example: --tracks 20000',
      ],
      [
        "an unknown --engine",
        ["--engine", "gpu"],
        '--engine must be duckdb or spark; got "gpu". Example: --engine spark',
      ],
      ["an unknown flag", ["--fast"], "Unknown option '--fast'."],
      [
        "--tracks with --input",
        ["--input", "somewhere", "--tracks", "100"],
        "--tracks sizes the generated sample, which --input somewhere replaces: drop --tracks or --input.",
      ],
    ];
    for (const [title, argv, message] of cases) {
      it(`rejects ${title}`, async () => {
        const r = await cli(...argv);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include(`npm start: ${message}`);
        expect(r.stderr).to.include("Usage: npm start --");
        expect(r.stdout).to.equal("");
      });
    }

    it("rejects an --input folder that does not exist", async () => {
      const missing = path.join(tmp, "no-such-folder");
      const r = await cli("--input", missing, "--out", path.join(tmp, "out-x"));
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`npm start: --input ${missing} is not a folder`);
      expect(fs.existsSync(path.join(tmp, "out-x"))).to.equal(false);
    });

    it("refuses to delete a non-empty --out that is not an earlier output", async () => {
      const precious = path.join(tmp, "precious");
      fs.mkdirSync(precious);
      fs.writeFileSync(path.join(precious, "thesis.tex"), "keep me");
      const r = await cli("--out", precious, "--tracks", "100");
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(
        `npm start: --out ${precious} is not empty and does not look like an earlier output of ` +
          `npm start (no run.json or ${OUT_MARKER} in it; found thesis.tex). Refusing to delete it`,
      );
      expect(fs.readdirSync(precious)).to.deep.equal(["thesis.tex"]);
    });

    it("refuses an --input inside --out (the run would delete it)", async () => {
      const out = path.join(tmp, "out");
      const r = await cli("--input", path.join(out, "input"), "--out", out);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`is inside --out ${out}, which every run deletes and recreates`);
      expect(fs.existsSync(path.join(out, "dashboard.html"))).to.equal(true);
    });

    it("exits 2 as a real process (npm start's entry point)", () => {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(REPO, "local", "cli.ts"), "--engine", "gpu"],
        { cwd: REPO, encoding: "utf8" },
      );
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.include('npm start: --engine must be duckdb or spark; got "gpu".');
    });
  });

  describe("helpers", () => {
    it("maps Parquet column types to Glue and Athena types", () => {
      const cases: [string, [string, string]][] = [
        ["VARCHAR", ["string", "varchar"]],
        ["INTEGER", ["int", "integer"]],
        ["BIGINT", ["bigint", "bigint"]],
        ["DOUBLE", ["double", "double"]],
        ["BOOLEAN", ["boolean", "boolean"]],
        ["DATE", ["date", "date"]],
        ["DECIMAL(10,2)", ["decimal(10,2)", "decimal(10,2)"]],
        ["VARCHAR[]", ["array<string>", "array(varchar)"]],
      ];
      for (const [duck, expected] of cases)
        expect(catalogTypes(duck), duck).to.deep.equal(expected);
      expect(() => catalogTypes("UNION(a INTEGER)", "odd")).to.throw(
        "column odd has Parquet type UNION(a INTEGER), which this local crawler does not map",
      );
    });

    it("infers a partitioned table like the crawler, skipping Spark's markers", async () => {
      const dir = path.join(tmp, "partitioned", "tracks");
      for (const year of [2021, 2020]) {
        const part = path.join(dir, `release_year=${year}`);
        fs.mkdirSync(part, { recursive: true });
        await sql.run(
          `COPY (SELECT 't' || i AS track_id, CAST(i AS INTEGER) AS duration_ms, ` +
            `i % 2 = 0 AS explicit FROM range(${year - 2017}) t(i)) ` +
            `TO '${path.join(part, "part-00000.snappy.parquet")}' (FORMAT parquet, COMPRESSION snappy)`,
        );
        fs.writeFileSync(path.join(part, ".part-00000.snappy.parquet.crc"), "crc");
      }
      fs.writeFileSync(path.join(dir, "_SUCCESS"), "");
      const table = await inferTable(sql, dir, "tracks", "db");
      expect(table).to.deep.equal({
        name: "tracks",
        database: "db",
        location: `${dir}${path.sep}`,
        classification: "parquet",
        compression: ["snappy"],
        columns: [
          { name: "track_id", type: "string", athena_type: "varchar" },
          { name: "duration_ms", type: "int", athena_type: "integer" },
          { name: "explicit", type: "boolean", athena_type: "boolean" },
        ],
        partition_keys: [{ name: "release_year", type: "string", athena_type: "varchar" }],
        partitions: [["2020"], ["2021"]],
        row_count: 3 + 4,
        files: 2,
        size_bytes: tableFiles(dir).reduce((n, f) => n + fs.statSync(f).size, 0),
      });
      expect(tableFiles(dir).map((f) => path.relative(dir, f))).to.deep.equal([
        path.join("release_year=2020", "part-00000.snappy.parquet"),
        path.join("release_year=2021", "part-00000.snappy.parquet"),
      ]);
    });

    it("reads the Spark job's summary and error message from its output", () => {
      const stdout = 'WARN something\n{\n  "run_id": "r1",\n  "output": {"tracks": 3}\n}\n';
      expect(lastJsonObject(stdout)).to.deep.equal({ run_id: "r1", output: { tracks: 3 } });
      expect(lastJsonObject("no json here\n")).to.equal(undefined);
      const stderr =
        "25/01/01 WARN NativeCodeLoader: no native\n" +
        "InputError: 2 problems with the input files in /in:\n- a\n- b\n";
      expect(sparkErrorMessage(stderr, 1)).to.equal(
        "2 problems with the input files in /in:\n- a\n- b",
      );
      expect(sparkErrorMessage("", 137)).to.equal(
        "glue/job.py --local exited with code 137 and printed nothing on stderr.",
      );
    });
  });
});
