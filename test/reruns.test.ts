/**
 * Safe reruns on DuckDB without sorting gold: `sameRows` (local/audit.ts) decides whether two
 * Parquet folders hold the same rows whatever their order and file split, and a rerun of a batch
 * stages the bytes already published (`reuseIdenticalGold`), while a batch with the same row
 * count and one changed value is published as usual. The byte-level rerun test on the fixtures is
 * in test/quality-gates.test.ts; the Spark twin in glue/tests/test_rerun.py.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { reuseIdenticalGold, sameRows } from "../local/audit";
import { runTransform } from "../local/etl";
import { generateSample } from "../local/generate";
import type { QualityGatesOverride } from "../lib/quality-gates";

let tmp: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "reruns-"));
  instance = await DuckDBInstance.create(":memory:");
  db = await instance.connect();
});
after(() => {
  db.closeSync();
  instance.closeSync();
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
const dir = (name: string): string => {
  const d = path.join(tmp, `${name}-${n++}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

type Row = [string, number | null, string | null];

/** Writes `rows` (id, n, s) as Parquet files of `dir`, `parts` files in the given order. */
async function writeTable(rows: readonly Row[], parts = 1, types = "INTEGER"): Promise<string> {
  const d = dir("t");
  const per = Math.max(1, Math.ceil(rows.length / parts));
  for (let i = 0; i * per < Math.max(rows.length, 1); i++) {
    const chunk = rows.slice(i * per, (i + 1) * per);
    const values = chunk.map(
      ([id, num, s]) =>
        `('${id}', ${num === null ? "NULL" : num}, ${s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`})`,
    );
    const body =
      values.length === 0
        ? `SELECT 'x' AS id, CAST(1 AS ${types}) AS n, 'x' AS s WHERE false`
        : `SELECT id, CAST(n AS ${types}) AS n, s FROM (VALUES ${values.join(", ")}) AS t(id, n, s)`;
    await db.run(`COPY (${body}) TO '${path.join(d, `part-${i}.parquet`)}' (FORMAT parquet)`);
  }
  return d;
}

const ROWS: Row[] = [
  ["a", 1, "x"],
  ["b", null, "y"],
  ["c", 3, null],
  ["d", 4, "it's"],
];

describe("sameRows (local/audit.ts): same rows, whatever the order and the files", function () {
  this.timeout(60_000);

  it("holds for the same rows in another order and another file split", async () => {
    const a = await writeTable(ROWS);
    const b = await writeTable([...ROWS].reverse(), 3);
    expect(await sameRows(db, a, b)).to.equal(true);
  });

  it("fails on one changed value, a NULL for a value, another type, or no table", async () => {
    const a = await writeTable(ROWS);
    const changed = await writeTable([ROWS[0]!, ROWS[1]!, ROWS[2]!, ["d", 5, "it's"]]);
    const nulled = await writeTable([ROWS[0]!, ROWS[1]!, ROWS[2]!, ["d", 4, null]]);
    const bigint = await writeTable(ROWS, 1, "BIGINT");
    expect(await sameRows(db, a, changed), "changed").to.equal(false);
    expect(await sameRows(db, a, nulled), "nulled").to.equal(false);
    expect(await sameRows(db, a, bigint), "type").to.equal(false);
    expect(await sameRows(db, a, path.join(tmp, "missing")), "missing").to.equal(false);
    expect(await sameRows(db, a, dir("empty")), "no Parquet").to.equal(false);
  });

  it("agrees with a sorted comparison on random tables (fast-check, fixed seed)", async () => {
    const row = fc.tuple(
      fc.constantFrom("a", "b", "c"),
      fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
      fc.option(fc.constantFrom("x", "y", "'"), { nil: null }),
    );
    // Distinct rows, as gold's are (one per track_id); b is a permutation of a, maybe mutated.
    const table = fc.uniqueArray(row, { maxLength: 8, selector: (r) => JSON.stringify(r) });
    const key = (rows: readonly Row[]) => rows.map((r) => JSON.stringify(r)).sort();
    await fc.assert(
      fc.asyncProperty(
        table,
        table,
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (a, other, mutate, parts) => {
          const b = mutate ? other : [...a].reverse();
          const expected = JSON.stringify(key(a)) === JSON.stringify(key(b));
          const found = await sameRows(db, await writeTable(a), await writeTable(b, parts));
          // An empty table has no rows to compare but is a table: equal only to an empty one.
          return found === expected;
        },
      ),
      { seed: 20261205, numRuns: 40 },
    );
  });
});

describe("reruns on DuckDB: the published bytes come back", function () {
  this.timeout(180_000);
  const OPEN: QualityGatesOverride = {
    files: {
      albums: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
      artists: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
      tracks: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
    },
    gold: { max_drop_pct: 100 },
  };
  const files = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith(".parquet"));
  const inodes = (d: string) => files(d).map((f) => fs.statSync(path.join(d, f)).ino);
  const bytes = (d: string) => files(d).map((f) => fs.readFileSync(path.join(d, f)));

  it("a rerun stages hard links to the published snapshot; a changed batch is published", async () => {
    const input = dir("input");
    // DuckDB guarantees no row order (at 440k tracks two runs wrote gold in different orders;
    // at this size they may not), so the test checks what makes the bytes equal: hard links.
    // No planted dirt: every albums row is accepted, so the changed value below reaches gold.
    await generateSample({ tracks: 60_000, seed: 7, outDir: input, dirtyShare: 0 });
    const lake = dir("lake");
    const run = (id: string, from = input) =>
      runTransform({
        inputDir: from,
        outDir: lake,
        runId: id,
        gates: OPEN,
        snapshotDate: "2024-06-01",
      });
    const wh = path.join(lake, "datawarehouse");
    const current = path.join(wh, "tracks");
    const snapshot = path.join(wh, "tracks_history", "snapshot_date=2024-06-01");
    const staged = (id: string) => path.join(lake, "processed", "runs", id, "gold", "tracks");

    const a = await run("a");
    const published = bytes(current);
    await run("b");
    // Run b's staged files ARE the published ones (hard links), and the tables kept their bytes.
    expect(inodes(staged("b"))).to.deep.equal(inodes(snapshot));
    expect(bytes(current)).to.deep.equal(published);
    expect(bytes(snapshot)).to.deep.equal(published);

    // Same row count, one value changed: a new batch, published as written.
    const changed = dir("changed");
    for (const f of ["artists.csv", "tracks.csv"]) {
      fs.copyFileSync(path.join(input, f), path.join(changed, f));
    }
    const albums = fs.readFileSync(path.join(input, "albums.csv"), "utf8").split("\n");
    const header = albums[0]!.split(",");
    const at = header.indexOf("album_popularity");
    const line = albums.findIndex((l, i) => i > 0 && /^[^",]*(,[^",]*)*$/.test(l));
    const fields = albums[line]!.split(",");
    const before = Number(fields[at]);
    fields[at] = String(before === 50 ? 51 : 50);
    albums[line] = fields.join(",");
    fs.writeFileSync(path.join(changed, "albums.csv"), albums.join("\n"));
    const c = await run("c", changed);
    expect(c.output.tracks).to.equal(a.output.tracks);
    expect(bytes(current)).to.not.deep.equal(published);
    expect(await sameRows(db, current, staged("b"))).to.equal(false);
    expect(await sameRows(db, current, staged("c"))).to.equal(true);
  });

  it("reuseIdenticalGold leaves the staged folder alone when no published copy matches or reads", async () => {
    const stagedDir = await writeTable(ROWS);
    const other = await writeTable([ROWS[0]!]);
    const before = inodes(stagedDir);
    expect(await reuseIdenticalGold(db, stagedDir, [other, path.join(tmp, "none")], "r")).to.equal(
      undefined,
    );
    expect(inodes(stagedDir)).to.deep.equal(before);
    const damaged = dir("damaged");
    fs.writeFileSync(path.join(damaged, "part-0.parquet"), "not Parquet");
    expect(await reuseIdenticalGold(db, stagedDir, [damaged], "r"), "damaged").to.equal(undefined);
    expect(inodes(stagedDir)).to.deep.equal(before);
    const same = await writeTable([...ROWS].reverse(), 2);
    expect(await reuseIdenticalGold(db, stagedDir, [other, same], "r")).to.equal(same);
    expect(inodes(stagedDir)).to.deep.equal(inodes(same));
  });
});
