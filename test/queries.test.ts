import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { loadQueries, parseQueryFile, QUERIES_DIR, QUERY_TABLES } from "../lib/queries";
import { GOLD_COLUMNS, GOLD_TABLE, TYPE_NAMES } from "../lib/contract";
import { VISUALS } from "../lib/visuals";
import { HISTORY_TABLE } from "../lib/history";
import { type QueryResult, runQuery, toCsv } from "../local/queries";

const REPO = path.resolve(__dirname, "..");
const GOLD = path.join(REPO, "test", "fixtures", "gold");
const CLEAN_CSV = path.join(GOLD, "tracks.csv");
const DIRTY_ROWS_CSV = path.join(GOLD, "tracks_dirty_rows.csv");
const PYTHON = path.join(REPO, ".venv", "bin", "python");
const TRINO_CHECK = path.join("glue", "tests", "test_queries_trino.py");

/** The Trino check's per-file tests (glue/tests/test_queries_trino.py). */
const TRINO_FILE_TESTS = [
  "test_parses_as_trino",
  "test_round_trips_as_trino",
  "test_stays_in_shared_subset",
  "test_reads_its_declared_table",
];

/**
 * Exact results of every query file on the clean fixture (test/fixtures/gold/tracks.csv; its
 * README explains which row exercises what). A query file without an entry here fails the suite.
 */
const EXPECTED: Record<string, QueryResult> = {
  // Reads tracks_history (openGold: 2024-06-01 lacks trk11, popularity 5 lower). Every artist
  // is in the top 10; the two "Echo" artists are kept apart and ordered by artist id.
  artist_popularity_by_snapshot: {
    columns: ["snapshot_date", "artist_name", "artist_popularity", "track_count"],
    rows: [
      {
        snapshot_date: "2024-06-01",
        artist_name: "Delta Nine",
        artist_popularity: 75,
        track_count: 3,
      },
      {
        snapshot_date: "2024-06-02",
        artist_name: "Delta Nine",
        artist_popularity: 80,
        track_count: 4,
      },
      { snapshot_date: "2024-06-01", artist_name: "Echo", artist_popularity: 35, track_count: 2 },
      { snapshot_date: "2024-06-02", artist_name: "Echo", artist_popularity: 40, track_count: 2 },
      { snapshot_date: "2024-06-01", artist_name: "Echo", artist_popularity: 50, track_count: 1 },
      { snapshot_date: "2024-06-02", artist_name: "Echo", artist_popularity: 55, track_count: 1 },
      {
        snapshot_date: "2024-06-01",
        artist_name: "Mara Sol",
        artist_popularity: 35,
        track_count: 2,
      },
      {
        snapshot_date: "2024-06-02",
        artist_name: "Mara Sol",
        artist_popularity: 40,
        track_count: 2,
      },
      {
        snapshot_date: "2024-06-01",
        artist_name: "Nova Lights",
        artist_popularity: 75,
        track_count: 4,
      },
      {
        snapshot_date: "2024-06-02",
        artist_name: "Nova Lights",
        artist_popularity: 80,
        track_count: 4,
      },
      {
        snapshot_date: "2024-06-01",
        artist_name: "The Quiet Hours",
        artist_popularity: 60,
        track_count: 3,
      },
      {
        snapshot_date: "2024-06-02",
        artist_name: "The Quiet Hours",
        artist_popularity: 65,
        track_count: 3,
      },
    ],
  },
  seed_total_tracks_by_artist: {
    columns: ["artist_name", "total_tracks"],
    rows: [
      // 4-4 and 3-3 ties broken by name; "Echo" is two artists (ids) sharing a name: 2 + 1.
      { artist_name: "Delta Nine", total_tracks: 4 },
      { artist_name: "Nova Lights", total_tracks: 4 },
      { artist_name: "Echo", total_tracks: 3 },
      { artist_name: "The Quiet Hours", total_tracks: 3 },
      { artist_name: "Mara Sol", total_tracks: 2 },
    ],
  },
  most_popular_artists: {
    columns: ["artist_name", "total_tracks", "artist_popularity", "followers"],
    rows: [
      // tie on tracks and popularity: more followers first (not alphabetical)
      { artist_name: "Nova Lights", total_tracks: 4, artist_popularity: 80, followers: 9_000_000 },
      { artist_name: "Delta Nine", total_tracks: 4, artist_popularity: 80, followers: 5_000_000 },
      {
        artist_name: "The Quiet Hours",
        total_tracks: 3,
        artist_popularity: 65,
        followers: 120_000,
      },
      // tie on tracks and popularity: NULL followers last (not alphabetical)
      { artist_name: "Mara Sol", total_tracks: 2, artist_popularity: 40, followers: 1000 },
      { artist_name: "Echo", total_tracks: 2, artist_popularity: 40, followers: null },
      { artist_name: "Echo", total_tracks: 1, artist_popularity: 55, followers: 45_000 },
    ],
  },
  top_artists_by_popularity: {
    columns: ["artist_name", "artist_popularity", "followers", "artist_genres", "total_tracks"],
    rows: [
      {
        artist_name: "Nova Lights",
        artist_popularity: 80,
        followers: 9_000_000,
        artist_genres: "pop, dance pop",
        total_tracks: 4,
      },
      {
        artist_name: "Delta Nine",
        artist_popularity: 80,
        followers: 5_000_000,
        artist_genres: "hip hop, rap",
        total_tracks: 4,
      },
      {
        artist_name: "The Quiet Hours",
        artist_popularity: 65,
        followers: 120_000,
        artist_genres: "indie folk",
        total_tracks: 3,
      },
      {
        artist_name: "Echo",
        artist_popularity: 55,
        followers: 45_000,
        artist_genres: "",
        total_tracks: 1,
      },
      {
        artist_name: "Mara Sol",
        artist_popularity: 40,
        followers: 1000,
        artist_genres: "latin pop",
        total_tracks: 2,
      },
      {
        artist_name: "Echo",
        artist_popularity: 40,
        followers: null,
        artist_genres: "lo-fi",
        total_tracks: 2,
      },
    ],
  },
  track_counts_by_album: {
    columns: ["album_name", "artist_name", "track_count"],
    rows: [
      { album_name: "Ninth Floor", artist_name: "Delta Nine", track_count: 4 },
      { album_name: "Low Tide", artist_name: "The Quiet Hours", track_count: 3 },
      { album_name: "Neon Skies", artist_name: "Nova Lights", track_count: 3 },
      { album_name: "Echoes", artist_name: "Echo", track_count: 2 },
      { album_name: "Afterglow", artist_name: "Nova Lights", track_count: 1 },
      { album_name: "Demos", artist_name: "Mara Sol", track_count: 1 },
      { album_name: "Echoes", artist_name: "Echo", track_count: 1 },
      { album_name: "Sol y Sombra", artist_name: "Mara Sol", track_count: 1 },
    ],
  },
  duration_trends_by_year: {
    columns: ["release_year", "track_count", "avg_duration_min", "median_duration_min"],
    rows: [
      // 6 tracks (even): median = mean of the 3rd and 4th (221000, 240000 ms) = 3.84 min
      { release_year: 2019, track_count: 6, avg_duration_min: 3.85, median_duration_min: 3.84 },
      // 7 tracks (odd): median = the 4th (210000 ms) = 3.5 min
      { release_year: 2021, track_count: 7, avg_duration_min: 3.67, median_duration_min: 3.5 },
      { release_year: 2023, track_count: 2, avg_duration_min: 3.23, median_duration_min: 3.23 },
      // the track without a release date (trk16) is left out
    ],
  },
  explicit_share: {
    columns: ["content_rating", "track_count", "share_pct", "avg_track_popularity"],
    rows: [
      // 9 known popularities (trk16 has none): 464 / 9 = 51.555...
      { content_rating: "clean", track_count: 10, share_pct: 62.5, avg_track_popularity: 51.56 },
      { content_rating: "explicit", track_count: 5, share_pct: 31.25, avg_track_popularity: 69.2 },
      { content_rating: "unknown", track_count: 1, share_pct: 6.25, avg_track_popularity: 18 },
    ],
  },
  dq_null_keys: { columns: ["key_column", "bad_rows"], rows: [] },
  dq_duplicate_track_ids: { columns: ["track_id", "row_count"], rows: [] },
};

/** Results of the data-quality queries on the dirty variant (clean rows + tracks_dirty_rows.csv). */
const EXPECTED_DIRTY: Record<string, QueryResult> = {
  dq_null_keys: {
    columns: ["key_column", "bad_rows"],
    rows: [
      { key_column: "album_id", bad_rows: 1 }, // "  " (blank)
      { key_column: "artist_id", bad_rows: 1 }, // NULL
      { key_column: "track_id", bad_rows: 2 }, // NULL and ""
    ],
  },
  dq_duplicate_track_ids: {
    columns: ["track_id", "row_count"],
    rows: [
      { track_id: "trk08", row_count: 3 },
      { track_id: "trk01", row_count: 2 },
    ],
  },
};

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

interface Gold {
  connection: DuckDBConnection;
  close: () => void;
}

/**
 * Loads CSVs into the typed gold table (fixture DDL), writes it as Snappy Parquet, and exposes it
 * as the view `tracks` over that Parquet: the same shape the local run gives the queries.
 */
async function openGold(csvFiles: string[], workDir: string): Promise<Gold> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(fs.readFileSync(path.join(GOLD, "create_tracks.sql"), "utf8"));
  for (const csv of csvFiles) {
    await connection.run(`COPY tracks FROM ${sqlString(csv)} (HEADER, NULLSTR 'NULL')`);
  }
  const parquet = path.join(workDir, "part-0.parquet");
  await connection.run(`COPY tracks TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`);
  await connection.run("DROP TABLE tracks");
  await connection.run(`CREATE VIEW tracks AS SELECT * FROM read_parquet(${sqlString(parquet)})`);
  // The snapshot history: 2024-06-02 is the fixture; 2024-06-01 lacks trk11 (Delta Nine) and
  // every artist was 5 points less popular. snapshot_date is text, as the partition key.
  await connection.run(
    `CREATE VIEW ${HISTORY_TABLE} AS ` +
      "SELECT *, '2024-06-02' AS snapshot_date FROM tracks UNION ALL " +
      "SELECT * REPLACE (artist_popularity - 5 AS artist_popularity), '2024-06-01' AS snapshot_date " +
      "FROM tracks WHERE track_id <> 'trk11'",
  );
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Gold table columns and their DuckDB types, from the contract. */
function goldSchemaFromContract(): [string, string][] {
  return GOLD_COLUMNS.map((c) => [c.name, c.duckdb_type]);
}

describe("Athena queries (queries/*.sql, lib/queries.ts)", () => {
  const queries = loadQueries();

  describe("loadQueries", () => {
    it("loads every query file, sorted by name, with the file's exact text", () => {
      expect(queries.map((q) => q.name)).to.deep.equal([
        "artist_popularity_by_snapshot",
        "dq_duplicate_track_ids",
        "dq_null_keys",
        "duration_trends_by_year",
        "explicit_share",
        "most_popular_artists",
        "seed_total_tracks_by_artist",
        "top_artists_by_popularity",
        "track_counts_by_album",
      ]);
      for (const query of queries) {
        expect(query.file).to.equal(path.join(QUERIES_DIR, `${query.name}.sql`));
        expect(Buffer.from(query.sql, "utf8").equals(fs.readFileSync(query.file))).to.equal(
          true,
          query.name,
        );
      }
    });

    it("reads the title and answers header lines", () => {
      const seed = queries.find((q) => q.name === "seed_total_tracks_by_artist");
      expect(seed?.title).to.equal("Total tracks by artist (seed example)");
      expect(seed?.answers).to.equal(
        "How many tracks does each artist name have, most first? The seed pipeline's example " +
          "query, with artist_name as a tiebreak so equal counts come back in a fixed order.",
      );
    });

    it("accepts more comments after the header, and CRLF line ends", () => {
      const q = parseQueryFile(
        "/q/x_1.sql",
        "-- title: T\r\n-- answers: A\r\n-- note\r\nSELECT 1 AS a ORDER BY a\r\n",
      );
      expect({ name: q.name, title: q.title, answers: q.answers }).to.deep.equal({
        name: "x_1",
        title: "T",
        answers: "A",
      });
    });

    it("reads the table a query reads: the -- reads: line, else the gold table", () => {
      const reads = Object.fromEntries(queries.map((q) => [q.name, q.reads]));
      expect(reads).to.deep.equal({
        ...Object.fromEntries(queries.map((q) => [q.name, GOLD_TABLE])),
        artist_popularity_by_snapshot: HISTORY_TABLE,
      });
      expect(QUERY_TABLES).to.deep.equal(["tracks", "tracks_history"]);
      const q = parseQueryFile(
        "/q/h.sql",
        "-- title: T\n-- answers: A\n-- reads:  tracks \nSELECT 1",
      );
      expect(q.reads).to.equal("tracks");
    });

    const header = "-- title: T\n-- answers: A\n";
    const invalid: [string, string, string, RegExp][] = [
      [
        "a -- reads: line naming another table",
        "/q/albums.sql",
        `${header}-- reads: albums\nSELECT 1`,
        /^\/q\/albums\.sql: line 3 "-- reads:" must name one of tracks, tracks_history; found "albums"\. Every query file starts with two header lines:/,
      ],
      [
        "no header",
        "/q/no_header.sql",
        "SELECT 1 AS a ORDER BY a",
        /^\/q\/no_header\.sql: line 1 must be "-- title: \.\.\."; found "SELECT 1 AS a ORDER BY a"\. Every query file starts with two header lines:\n-- title: <short title, at most 128 characters>\n/,
      ],
      [
        "no answers line",
        "/q/no_answers.sql",
        "-- title: T\nSELECT 1 AS a ORDER BY a",
        /^\/q\/no_answers\.sql: line 2 must be "-- answers: \.\.\."; found "SELECT 1 AS a ORDER BY a"\./,
      ],
      [
        "empty title",
        "/q/empty_title.sql",
        "-- title:  \n-- answers: A\nSELECT 1",
        /^\/q\/empty_title\.sql: the "-- title:" header line is empty\./,
      ],
      [
        "title too long for a named query",
        "/q/long_title.sql",
        `-- title: ${"x".repeat(129)}\n-- answers: A\nSELECT 1`,
        /^\/q\/long_title\.sql: the title is 129 characters long, more than 128\./,
      ],
      [
        "no SQL after the header",
        "/q/empty.sql",
        `${header}-- only a comment\n\n`,
        /^\/q\/empty\.sql: no SQL after the header\. Add the query below the two header lines\.$/,
      ],
      [
        "trailing semicolon",
        "/q/semi.sql",
        `${header}SELECT 1 AS a ORDER BY a;\n`,
        /^\/q\/semi\.sql: the query ends with ";"\. Remove it:/,
      ],
      [
        "file name not snake_case",
        "/q/Most-Popular.sql",
        `${header}SELECT 1`,
        /^\/q\/Most-Popular\.sql: query file names must be snake_case with a \.sql extension \(e\.g\. most_popular_artists\.sql\); found "Most-Popular\.sql"\. Rename the file\.$/,
      ],
      [
        "larger than Athena takes",
        "/q/huge.sql",
        `${header}SELECT 1 AS a ORDER BY a\n-- ${"é".repeat(131_045)}x`, // é: 2 bytes in UTF-8
        /^\/q\/huge\.sql: 262145 bytes, more than the 262144 an Athena named query takes\. Shorten the query\.$/,
      ],
    ];
    for (const [why, file, text, message] of invalid) {
      it(`rejects a query file with ${why}`, () => {
        expect(() => parseQueryFile(file, text)).to.throw(message);
      });
    }

    it("accepts a query file of exactly 262144 bytes (Athena's limit)", () => {
      const text = `${header}SELECT 1 AS a ORDER BY a\n-- ${"é".repeat(131_045)}`;
      expect(Buffer.byteLength(text, "utf8")).to.equal(262_144);
      expect(parseQueryFile("/q/big.sql", text).name).to.equal("big");
    });

    it("rejects a folder without query files, and reports a bad file in a folder", () => {
      const dir = tempDir("queries-empty-");
      try {
        expect(() => loadQueries(dir)).to.throw(
          `${dir}: no .sql query files found. Point loadQueries at the queries/ folder.`,
        );
        fs.writeFileSync(path.join(dir, "a_query.sql"), "SELECT 1 AS a ORDER BY a\n");
        expect(() => loadQueries(dir)).to.throw(
          `${path.join(dir, "a_query.sql")}: line 1 must be "-- title: ..."`,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("gold fixture (test/fixtures/gold)", () => {
    let work: string;
    let gold: Gold;
    before(async () => {
      work = tempDir("gold-schema-");
      gold = await openGold([CLEAN_CSV], work);
    });
    after(() => {
      gold.close();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("has the gold table's columns and types from the contract, read back from Parquet", async () => {
      const { rows } = await runQuery(gold.connection, "DESCRIBE tracks");
      const actual = rows.map((r) => [r.column_name, r.column_type]);
      const expected = goldSchemaFromContract();
      expect(expected).to.have.length(20);
      expect(actual).to.deep.equal(expected);
    });

    it("is internally consistent: duration_min and release_year derive from their sources", async () => {
      const { rows } = await runQuery(
        gold.connection,
        `SELECT
           COUNT(*) AS track_rows,
           COUNT(CASE WHEN duration_min <> ROUND(duration_ms / 60000.0, 2) THEN 1 END) AS bad_minutes,
           COUNT(CASE WHEN release_year IS DISTINCT FROM year(release_date) THEN 1 END) AS bad_years,
           COUNT(DISTINCT track_id) AS distinct_tracks
         FROM tracks`,
      );
      expect(rows).to.deep.equal([
        { track_rows: 16, bad_minutes: 0, bad_years: 0, distinct_tracks: 16 },
      ]);
    });
  });

  describe("on DuckDB against the clean gold fixture", () => {
    let work: string;
    let gold: Gold;
    before(async () => {
      work = tempDir("gold-clean-");
      gold = await openGold([CLEAN_CSV], work);
    });
    after(() => {
      gold.close();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("has expected results for every query file, and no expectation without a file", () => {
      expect(Object.keys(EXPECTED).sort()).to.deep.equal(queries.map((q) => q.name));
    });

    for (const query of loadQueries()) {
      it(`${query.name} returns exactly the expected rows`, async () => {
        const expected = EXPECTED[query.name];
        if (!expected) {
          throw new Error(
            `queries/${query.name}.sql has no expected result: add it to EXPECTED in test/queries.test.ts`,
          );
        }
        expect(await runQuery(gold.connection, query.sql)).to.deep.equal(expected);
      });
    }

    it("gives the dashboard queries the columns and types lib/visuals.ts fixes", async () => {
      expect(VISUALS.map((v) => v.query).sort()).to.deep.equal([
        "duration_trends_by_year",
        "most_popular_artists",
        "track_counts_by_album",
      ]);
      for (const visual of VISUALS) {
        const query = queries.find((q) => q.name === visual.query);
        expect(query, `queries/${visual.query}.sql`).to.not.equal(undefined);
        const { rows } = await runQuery(
          gold.connection,
          `DESCRIBE ${(query?.sql ?? "").replace(/^--.*\n/gm, "")}`,
        );
        expect(
          rows.map((r) => [r.column_name, r.column_type]),
          visual.query,
        ).to.deep.equal(visual.columns.map((c) => [c.name, TYPE_NAMES[c.type].duckdb]));
      }
    });

    it("returns no rows from the data-quality queries on good data", async () => {
      const dq = queries.filter((q) => q.name.startsWith("dq_"));
      expect(dq.map((q) => q.name)).to.deep.equal(["dq_duplicate_track_ids", "dq_null_keys"]);
      for (const query of dq) {
        expect((await runQuery(gold.connection, query.sql)).rows, query.name).to.deep.equal([]);
      }
    });

    it("writes a result as RFC 4180 CSV (the local run's OUT/queries/<name>.csv)", async () => {
      const share = queries.find((q) => q.name === "explicit_share");
      const result = await runQuery(gold.connection, share?.sql ?? "");
      expect(toCsv(result.rows, result.columns)).to.equal(
        "content_rating,track_count,share_pct,avg_track_popularity\r\n" +
          "clean,10,62.5,51.56\r\n" +
          "explicit,5,31.25,69.2\r\n" +
          "unknown,1,6.25,18\r\n",
      );
    });
  });

  describe("on DuckDB against the dirty gold fixture (planted bad rows)", () => {
    let work: string;
    let gold: Gold;
    before(async () => {
      work = tempDir("gold-dirty-");
      gold = await openGold([CLEAN_CSV, DIRTY_ROWS_CSV], work);
    });
    after(() => {
      gold.close();
      fs.rmSync(work, { recursive: true, force: true });
    });

    for (const [name, expected] of Object.entries(EXPECTED_DIRTY)) {
      it(`${name} reports exactly the planted bad rows`, async () => {
        const query = loadQueries().find((q) => q.name === name);
        expect(await runQuery(gold.connection, query?.sql ?? "")).to.deep.equal(expected);
      });
    }
  });

  describe("runQuery and toCsv", () => {
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    before(async () => {
      instance = await DuckDBInstance.create(":memory:");
      connection = await instance.connect();
    });
    after(() => {
      connection.closeSync();
      instance.closeSync();
    });

    it("converts DuckDB values to plain JavaScript", async () => {
      const result = await runQuery(
        connection,
        `SELECT CAST(42 AS BIGINT) AS safe_bigint,
                CAST(9007199254740993 AS BIGINT) AS unsafe_bigint,
                SUM(x) AS hugeint_sum,
                DATE '2021-05-14' AS day,
                CAST(1.5 AS DECIMAL(4, 2)) AS dec,
                [1, 2] AS list,
                NULL AS nothing,
                TRUE AS yes,
                'a"b' AS text,
                CAST(2.5 AS DOUBLE) AS dbl
         FROM (VALUES (1), (2)) AS t(x)`,
      );
      expect(result).to.deep.equal({
        columns: [
          "safe_bigint",
          "unsafe_bigint",
          "hugeint_sum",
          "day",
          "dec",
          "list",
          "nothing",
          "yes",
          "text",
          "dbl",
        ],
        rows: [
          {
            safe_bigint: 42,
            unsafe_bigint: 9007199254740993n,
            hugeint_sum: 3,
            day: "2021-05-14",
            dec: 1.5,
            list: "[1,2]",
            nothing: null,
            yes: true,
            text: 'a"b',
            dbl: 2.5,
          },
        ],
      });
    });

    it("rejects a result with two columns of the same name", async () => {
      let error: unknown;
      try {
        await runQuery(connection, "SELECT 1 AS a, 2 AS a");
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.equal(
        'Error: the query returns two columns named "a" (columns: a, a). Give each output column a unique alias.',
      );
    });

    it("quotes CSV fields with commas, quotes and line breaks; NULL is empty", () => {
      const csv = toCsv([
        { name: "Crate, Barrel & Co.", note: 'say "hi"', n: 1, big: 9007199254740993n, none: null },
        { name: "two\nlines", note: "cr\rhere", n: 2.5, big: 0, none: false },
      ]);
      expect(csv).to.equal(
        "name,note,n,big,none\r\n" +
          '"Crate, Barrel & Co.","say ""hi""",1,9007199254740993,\r\n' +
          '"two\nlines","cr\rhere",2.5,0,false\r\n',
      );
    });

    it("writes only the header for a result without rows, given its columns", () => {
      expect(toCsv([], ["key_column", "bad_rows"])).to.equal("key_column,bad_rows\r\n");
      expect(() => toCsv([])).to.throw(
        "toCsv needs the column names to write the header, and there are no rows to take them from; pass result.columns as the second argument.",
      );
    });
  });

  describe("shared SQL subset, DuckDB side (claims in queries/README.md)", () => {
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    let work: string;
    let gold: Gold;
    before(async () => {
      instance = await DuckDBInstance.create(":memory:");
      connection = await instance.connect();
      work = tempDir("gold-probe-");
      gold = await openGold([CLEAN_CSV], work);
    });
    after(() => {
      connection.closeSync();
      instance.closeSync();
      gold.close();
      fs.rmSync(work, { recursive: true, force: true });
    });

    const claims: [string, string, unknown[]][] = [
      ["integer / integer is a DOUBLE (Trino truncates: 3)", "SELECT 7 / 2 AS v", [{ v: 3.5 }]],
      [
        "CAST(... AS DOUBLE) / integer is a DOUBLE",
        "SELECT CAST(7 AS DOUBLE) / 2 AS v",
        [{ v: 3.5 }],
      ],
      [
        "a decimal literal is DECIMAL, and decimal division gives DOUBLE (Trino: DECIMAL)",
        "SELECT typeof(100.0) AS lit, typeof(100.0 * 3 / 7) AS quotient",
        [{ lit: "DECIMAL(4,1)", quotient: "DOUBLE" }],
      ],
      [
        "ROUND(DOUBLE, 2) is a DOUBLE, halves away from zero",
        "SELECT typeof(ROUND(CAST(0.125 AS DOUBLE), 2)) AS t, ROUND(CAST(0.125 AS DOUBLE), 2) AS up, ROUND(CAST(-0.125 AS DOUBLE), 2) AS down",
        [{ t: "DOUBLE", up: 0.13, down: -0.13 }],
      ],
      [
        "median() exists (Trino has none)",
        "SELECT median(x) AS m FROM (VALUES (1), (2), (3), (4)) AS t(x)",
        [{ m: 2.5 }],
      ],
      [
        "count_if and SUM of integers are HUGEINT (Trino: BIGINT); COUNT(CASE ...) is BIGINT",
        "SELECT typeof(count_if(x > 1)) AS count_if, typeof(SUM(x)) AS sum, typeof(COUNT(CASE WHEN x > 1 THEN 1 END)) AS count_case FROM (VALUES (1), (2)) AS t(x)",
        [{ count_if: "HUGEINT", sum: "HUGEINT", count_case: "BIGINT" }],
      ],
      [
        "NULLs sort last by default in both directions (as in Trino)",
        "SELECT list(x ORDER BY x ASC) AS up, list(x ORDER BY x DESC) AS down FROM (VALUES (1), (NULL), (2)) AS t(x)",
        [{ up: "[1,2,null]", down: "[2,1,null]" }],
      ],
      [
        "QUALIFY works (Trino rejects it)",
        "SELECT x FROM (VALUES (1), (2)) AS t(x) QUALIFY ROW_NUMBER() OVER (ORDER BY x) = 1",
        [{ x: 1 }],
      ],
      [
        "|| casts a number to text implicitly (Trino needs CAST)",
        "SELECT 1 || 'a' AS v",
        [{ v: "1a" }],
      ],
    ];
    for (const [claim, sql, rows] of claims) {
      it(claim, async () => {
        expect((await runQuery(connection, sql)).rows).to.deep.equal(rows);
      });
    }

    it("approx_percentile() does not exist (it is Trino's only percentile)", async () => {
      let error: unknown;
      try {
        await runQuery(connection, "SELECT approx_percentile(x, 0.5) FROM (VALUES (1)) AS t(x)");
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/approx_percentile does not exist/);
    });

    it("runs the shared-subset probe (every allowed construct) with the exact rows", async () => {
      const probe = fs.readFileSync(path.join(GOLD, "shared_subset_probe.sql"), "utf8");
      const result = await runQuery(gold.connection, probe);
      const row = (values: unknown[]) =>
        Object.fromEntries(result.columns.map((c, i) => [c, values[i]]));
      expect(result.rows).to.deep.equal([
        row(["ALL", 16, 8, 5, null, null, null, null, null]),
        row(["NOVA LIGHTS", 4, 2, 1, 3, 34.75, -69.8, 9, 1]),
        row(["THE QUIET HOURS", 3, 1, 0, 2, 60, -46, 7, 2]),
        row(["ECHO", 2, 1, 0, 2, 105, -20, 5, 3]),
      ]);
    });
  });

  describe("Trino check (sqlglot, glue/tests/test_queries_trino.py)", function () {
    before(function () {
      if (!fs.existsSync(PYTHON)) {
        console.warn(
          `SKIPPED the Trino parse check: ${PYTHON} is missing. Create it with ` +
            "`python3 -m venv .venv && .venv/bin/pip install -r requirements.txt` (CI does).",
        );
        this.skip();
      }
    });

    function pytest(queriesDir?: string): { status: number | null; output: string } {
      const run = spawnSync(
        PYTHON,
        ["-m", "pytest", TRINO_CHECK, "-q", "-rA", "-p", "no:cacheprovider", "--noconftest"],
        {
          cwd: REPO,
          encoding: "utf8",
          env: {
            ...process.env,
            PYTHONDONTWRITEBYTECODE: "1",
            QUERIES_DIR: queriesDir ?? "",
          },
        },
      );
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    }

    it("passes for every query file: parse, round trip, shared subset", () => {
      const { status, output } = pytest();
      expect(status, output).to.equal(0);
      expect(output).to.not.match(/\b(skipped|xfail|failed)\b/i);
      for (const query of queries) {
        for (const test of TRINO_FILE_TESTS) {
          expect(output).to.contain(`PASSED ${TRINO_CHECK}::${test}[${query.name}]`);
        }
      }
    });

    it("rejects DuckDB-only queries that DuckDB itself runs fine", async () => {
      const dir = tempDir("queries-duckdb-only-");
      const work = tempDir("gold-duckdb-only-");
      const gold = await openGold([CLEAN_CSV], work);
      try {
        const files: Record<string, string> = {
          exclude_columns:
            "-- title: All but the key\n-- answers: DuckDB-only star syntax\n" +
            "SELECT * EXCLUDE (track_id) FROM tracks ORDER BY track_name ASC LIMIT 1\n",
          list_of_ids:
            "-- title: Ids as a list\n-- answers: DuckDB-only list function\n" +
            "SELECT list_value(track_id, album_id) AS ids FROM tracks ORDER BY track_id ASC LIMIT 1\n",
        };
        for (const [name, sql] of Object.entries(files)) {
          fs.writeFileSync(path.join(dir, `${name}.sql`), sql);
        }
        // valid query files by the loader's rules, and DuckDB runs them...
        const loaded = loadQueries(dir);
        expect(loaded.map((q) => q.name)).to.deep.equal(["exclude_columns", "list_of_ids"]);
        expect((await runQuery(gold.connection, loaded[0]?.sql ?? "")).columns).to.have.length(19);
        expect((await runQuery(gold.connection, loaded[1]?.sql ?? "")).rows).to.deep.equal([
          { ids: '["trk01","alb_neon"]' },
        ]);
        // ...but the Trino check fails both, naming the file and the construct.
        const { status, output } = pytest(dir);
        expect(status, output).to.equal(1);
        expect(output).to.contain(
          `FAILED ${TRINO_CHECK}::test_stays_in_shared_subset[exclude_columns]`,
        );
        expect(output).to.contain(
          "SELECT * EXCLUDE/REPLACE/RENAME is DuckDB only; list the columns",
        );
        expect(output).to.contain(
          `FAILED ${TRINO_CHECK}::test_stays_in_shared_subset[list_of_ids]`,
        );
        expect(output).to.contain("function LIST_VALUE()");
        expect(output).to.match(/\b2 failed\b/);
      } finally {
        gold.close();
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  });
});
