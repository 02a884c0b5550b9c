/**
 * Data operations on DuckDB and in the local run: the quality gates (declared in
 * glue/contract.json, evaluated by glue/sql/17_quality_gates.sql), write-audit-publish (staged
 * gold, a swap that survives a crash), snapshot history, reruns and backfills, and the run
 * metrics (PutMetricData requests). The Spark twins are in glue/tests/test_job.py.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  gateFailureMessage,
  gateLimits,
  loadQualityGates,
  mergeQualityGates,
  parseQualityGatesOverride,
  type GateResult,
  type QualityGatesOverride,
} from "../lib/quality-gates";
import {
  MAX_DATUMS_PER_REQUEST,
  putMetricDataRequests,
  type MetricDatum,
} from "../lib/run-metrics";
import { runTransform, type RunSummary } from "../local/etl";
import { runPipeline } from "../local/pipeline";
import {
  publishGold,
  publishPaths,
  recoverInterruptedPublish,
  snapshotDates,
  swapIn,
} from "../local/publish";

const REPO = path.resolve(__dirname, "..");
const KAGGLE = path.join(REPO, "test", "fixtures", "csv", "kaggle");
const RENAMED = path.join(REPO, "test", "fixtures", "csv", "renamed");

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "quality-gates-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const dir = (name: string): string => {
  const d = path.join(tmp, `${name}-${n++}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

/** Open shares (the fixtures plant every reason in a few rows); other gates as the contract. */
const OPEN: QualityGatesOverride = {
  files: {
    albums: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
    artists: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
    tracks: { max_rejected_pct: 100, max_rejected_pct_per_reason: 100 },
  },
};

function withOverride(extra: QualityGatesOverride): QualityGatesOverride {
  return {
    files: {
      albums: { ...OPEN.files!.albums, ...extra.files?.albums },
      artists: { ...OPEN.files!.artists, ...extra.files?.artists },
      tracks: { ...OPEN.files!.tracks, ...extra.files?.tracks },
    },
    ...(extra.gold ? { gold: extra.gold } : {}),
  };
}

function gate(summary: RunSummary, name: string, file: string, reason?: string): GateResult {
  const found = summary.gates.find(
    (g) => g.gate === name && g.file === file && (reason === undefined || g.reason === reason),
  );
  if (!found) throw new Error(`no gate ${file} ${name} ${reason ?? ""}`);
  return found;
}

const bytesOf = (d: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(d)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(d, f)).toString("base64")]),
  );

describe("quality gates (lib/quality-gates.ts)", () => {
  const gates = loadQualityGates();

  it("declares the contract's defaults", () => {
    for (const f of ["albums", "artists", "tracks"] as const) {
      expect(gates.files[f], f).to.deep.equal({
        max_rejected_pct: 10,
        max_rejected_pct_per_reason: 5,
        min_accepted_rows: 1,
      });
    }
    expect(gates.gold).to.deep.equal({ min_rows: 1, max_drop_pct: 50 });
  });

  it("merges an override key by key", () => {
    const merged = mergeQualityGates(gates, {
      files: { albums: { max_rejected_pct: 30 } },
      gold: { max_drop_pct: 80 },
    });
    expect(merged.files.albums).to.deep.equal({ ...gates.files.albums, max_rejected_pct: 30 });
    expect(merged.files.artists).to.deep.equal(gates.files.artists);
    expect(merged.gold).to.deep.equal({ min_rows: 1, max_drop_pct: 80 });
  });

  const bad: [string, unknown, string][] = [
    ["a percentage above 100", { gold: { max_drop_pct: 150 } }, "gold.max_drop_pct"],
    ["an unknown file", { files: { genres: {} } }, "files"],
    [
      "a fractional row count",
      { files: { tracks: { min_accepted_rows: 1.5 } } },
      "min_accepted_rows",
    ],
    ["an unknown gate", { gold: { max_rows: 5 } }, "gold"],
  ];
  for (const [what, value, key] of bad) {
    it(`refuses ${what}, naming the key, the value and the accepted ranges`, () => {
      let message = "";
      try {
        parseQualityGatesOverride(value, "spotify-pipeline:qualityGates");
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(/^spotify-pipeline:qualityGates must be \{"files"\?: /);
      expect(message).to.contain(`; found ${JSON.stringify(value)} (`);
      expect(message).to.contain(key);
    });
  }

  it("builds gate_limits in a fixed order, the drop gate with the last published rows", () => {
    const limits = gateLimits(gates, 1234);
    expect(limits.map((l) => `${l.file} ${l.gate}`)).to.deep.equal([
      "albums max_rejected_pct",
      "albums max_rejected_pct_per_reason",
      "albums min_accepted_rows",
      "artists max_rejected_pct",
      "artists max_rejected_pct_per_reason",
      "artists min_accepted_rows",
      "tracks max_rejected_pct",
      "tracks max_rejected_pct_per_reason",
      "tracks min_accepted_rows",
      "gold min_rows",
      "gold max_drop_pct",
    ]);
    expect(limits.at(-1)).to.deep.equal({
      gate: "max_drop_pct",
      file: "gold",
      threshold: 50,
      baseline: 1234,
    });
    expect(gateLimits(gates).at(-1)!.baseline).to.equal(null);
  });

  it("writes the failure text: every breached gate with its value and threshold", () => {
    const results: GateResult[] = [
      { gate: "max_rejected_pct", file: "albums", value: 41.0249, threshold: 10, passed: false },
      { gate: "min_accepted_rows", file: "artists", value: 1671, threshold: 1, passed: true },
      {
        gate: "max_rejected_pct_per_reason",
        file: "albums",
        reason: "orphan_artist",
        value: 40.15,
        threshold: 5,
        passed: false,
      },
      { gate: "min_rows", file: "gold", value: 0, threshold: 1, passed: false },
    ];
    expect(gateFailureMessage(results)).to.equal(
      "3 quality gates failed: albums max_rejected_pct = 41.02 (maximum 10); albums " +
        "max_rejected_pct_per_reason[orphan_artist] = 40.15 (maximum 5); gold min_rows = 0 " +
        "(minimum 1). Gold was not published; the rejected rows are in the quarantine.",
    );
    expect(gateFailureMessage(results.filter((g) => g.passed))).to.equal("");
  });
});

describe("each gate on DuckDB: passing and failing (kaggle fixture, 17 album rows)", function () {
  this.timeout(60_000);
  // value on the fixture, a passing and a failing override
  const cases: [
    string,
    string,
    string | undefined,
    number,
    QualityGatesOverride,
    QualityGatesOverride,
  ][] = [
    [
      "max_rejected_pct",
      "albums",
      undefined,
      (11 * 100) / 17,
      withOverride({ files: { albums: { max_rejected_pct: 65 } } }),
      withOverride({ files: { albums: { max_rejected_pct: 60 } } }),
    ],
    [
      "max_rejected_pct_per_reason",
      "albums",
      "bad_date",
      (2 * 100) / 17,
      withOverride({}),
      withOverride({ files: { albums: { max_rejected_pct_per_reason: 10 } } }),
    ],
    [
      "min_accepted_rows",
      "artists",
      undefined,
      6,
      withOverride({ files: { artists: { min_accepted_rows: 6 } } }),
      withOverride({ files: { artists: { min_accepted_rows: 7 } } }),
    ],
    [
      "min_rows",
      "gold",
      undefined,
      6,
      withOverride({ gold: { min_rows: 6 } }),
      withOverride({ gold: { min_rows: 7 } }),
    ],
  ];
  for (const [name, file, reason, value, passing, failing] of cases) {
    it(`${file} ${name}: passes at its threshold, fails beyond it and publishes nothing`, async () => {
      const ok = dir("pass");
      const a = await runTransform({ inputDir: KAGGLE, outDir: ok, runId: "r", gates: passing });
      expect(gate(a, name, file, reason)).to.deep.include({ value, passed: true });
      expect(a.gates_failed).to.equal(0);
      expect(fs.existsSync(path.join(ok, "datawarehouse", "tracks"))).to.equal(true);

      const bad = dir("fail");
      const b = await runTransform({ inputDir: KAGGLE, outDir: bad, runId: "r", gates: failing });
      expect(gate(b, name, file, reason)).to.deep.include({ value, passed: false });
      const failed = b.gates.filter((g) => !g.passed);
      expect(failed.length).to.equal(b.gates_failed).and.to.be.greaterThan(0);
      expect(failed.every((g) => g.gate === name && g.file === file)).to.equal(true);
      expect(b.gates_message).to.match(new RegExp(`^\\d+ quality gates? failed: ${file} ${name}`));
      // Staged and audited, never published; the quarantine is there to inspect.
      expect(fs.existsSync(path.join(bad, "datawarehouse", "tracks"))).to.equal(false);
      expect(fs.existsSync(path.join(bad, "datawarehouse", "tracks_history"))).to.equal(false);
      expect(
        fs.readdirSync(path.join(bad, "processed", "runs", "r", "gold", "tracks")),
      ).to.have.length(1);
      expect(fs.readdirSync(path.join(bad, "processed", "quarantine", "albums"))).to.have.length(1);
    });
  }

  it("gold max_drop_pct: against the rows last published; a failed run leaves them as they were", async () => {
    const lake = dir("drop");
    await runTransform({
      inputDir: KAGGLE,
      outDir: lake,
      runId: "r1",
      gates: OPEN,
      snapshotDate: "2024-06-01",
    });
    const current = path.join(lake, "datawarehouse", "tracks");
    const before = bytesOf(current);
    // 6 gold rows published; the renamed fixture has 2: a drop of 66.67%.
    const b = await runTransform({
      inputDir: RENAMED,
      outDir: lake,
      runId: "r2",
      gates: withOverride({ gold: { max_drop_pct: 60 } }),
      snapshotDate: "2024-06-02",
    });
    expect(b.previous_gold_rows).to.equal(6);
    expect(gate(b, "max_drop_pct", "gold")).to.deep.include({ threshold: 60, passed: false });
    expect(gate(b, "max_drop_pct", "gold").value).to.be.closeTo(66.667, 0.001);
    expect(bytesOf(current)).to.deep.equal(before);
    const c = await runTransform({
      inputDir: RENAMED,
      outDir: lake,
      runId: "r3",
      gates: withOverride({ gold: { max_drop_pct: 70 } }),
      snapshotDate: "2024-06-02",
    });
    expect(gate(c, "max_drop_pct", "gold").passed).to.equal(true);
    expect(bytesOf(current)).to.not.deep.equal(before);
  });
});

describe("write, audit, publish on local folders (local/publish.ts)", () => {
  function staged(root: string, runId: string, content: string): void {
    const d = path.join(root, "processed", "runs", runId, "gold", "tracks");
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "part-00000.snappy.parquet"), content);
  }
  const paths = (root: string, runId: string) =>
    publishPaths(path.join(root, "processed"), path.join(root, "datawarehouse"), runId);
  const read = (root: string, rel: string): string =>
    fs.readFileSync(path.join(root, "datawarehouse", rel, "part-00000.snappy.parquet"), "utf8");

  it("a crash between the two renames loses nothing: the next publish puts the old table back first", () => {
    const root = dir("crash");
    staged(root, "a", "A");
    publishGold(paths(root, "a"), "a", "2024-06-01");
    staged(root, "b", "B");
    expect(() => publishGold(paths(root, "b"), "b", "2024-06-02", true)).to.throw(
      "simulated crash",
    );
    // The current table is aside, not lost.
    expect(fs.existsSync(path.join(root, "datawarehouse", "tracks"))).to.equal(false);
    recoverInterruptedPublish(path.join(root, "datawarehouse"));
    expect(read(root, "tracks")).to.equal("A");
    expect(fs.readdirSync(path.join(root, "datawarehouse")).sort()).to.deep.equal([
      "tracks",
      "tracks_history",
    ]);
    publishGold(paths(root, "b"), "b", "2024-06-02");
    expect(read(root, "tracks")).to.equal("B");
  });

  it("a rerun replaces only its own snapshot; a backfill never moves the current table back", () => {
    const root = dir("order");
    staged(root, "d2", "day 2");
    expect(publishGold(paths(root, "d2"), "d2", "2024-06-02").current).to.equal(true);
    staged(root, "d1", "day 1");
    const backfill = publishGold(paths(root, "d1"), "d1", "2024-06-01");
    expect(backfill).to.deep.include({ current: false, latest: "2024-06-02" });
    expect(read(root, "tracks")).to.equal("day 2");
    expect(snapshotDates(paths(root, "d1"))).to.deep.equal(["2024-06-01", "2024-06-02"]);
    staged(root, "d2b", "day 2, rerun");
    expect(publishGold(paths(root, "d2b"), "d2b", "2024-06-02").current).to.equal(true);
    expect(read(root, "tracks")).to.equal("day 2, rerun");
    expect(read(root, "tracks_history/snapshot_date=2024-06-01")).to.equal("day 1");
    expect(read(root, "tracks_history/snapshot_date=2024-06-02")).to.equal("day 2, rerun");
  });

  it("swapIn replaces a folder whole (no file of the old one survives)", () => {
    const root = dir("swap");
    const target = path.join(root, "t");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "old-only"), "x");
    const source = path.join(root, "s");
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, "new"), "y");
    swapIn(source, target, "r");
    expect(fs.readdirSync(target)).to.deep.equal(["new"]);
    expect(fs.readdirSync(root).sort()).to.deep.equal(["s", "t"]);
  });

  it("refuses to publish a run that staged nothing", () => {
    const root = dir("nothing");
    expect(() => publishGold(paths(root, "x"), "x", "2024-06-01")).to.throw(
      /^Run x staged no gold at .*: run the job \(write and audit\) before publishing\.$/,
    );
  });
});

describe("reruns on DuckDB: byte-identical gold", function () {
  this.timeout(60_000);
  it("rerunning the same batch writes the same gold bytes and the same snapshot", async () => {
    const lake = dir("rerun");
    const run = (id: string) =>
      runTransform({
        inputDir: KAGGLE,
        outDir: lake,
        runId: id,
        gates: OPEN,
        snapshotDate: "2024-06-01",
      });
    await run("a");
    const current = bytesOf(path.join(lake, "datawarehouse", "tracks"));
    const snapshot = bytesOf(
      path.join(lake, "datawarehouse", "tracks_history", "snapshot_date=2024-06-01"),
    );
    await run("b");
    expect(bytesOf(path.join(lake, "datawarehouse", "tracks"))).to.deep.equal(current);
    expect(
      bytesOf(path.join(lake, "datawarehouse", "tracks_history", "snapshot_date=2024-06-01")),
    ).to.deep.equal(snapshot);
    expect(current).to.deep.equal(snapshot);
  });
});

describe("run metrics (lib/run-metrics.ts): PutMetricData requests", function () {
  this.timeout(60_000);
  const datum = (i: number): MetricDatum => ({
    MetricName: "RejectedRows",
    Dimensions: [
      { Name: "Pipeline", Value: "p" },
      { Name: "File", Value: "albums" },
    ],
    Unit: "Count",
    Value: i,
  });

  it("splits datums into requests of at most 1,000, in one namespace", () => {
    const requests = putMetricDataRequests(Array.from({ length: 2500 }, (_, i) => datum(i)));
    expect(requests.map((r) => [r.Namespace, r.MetricData.length])).to.deep.equal([
      ["SpotifyPipeline", MAX_DATUMS_PER_REQUEST],
      ["SpotifyPipeline", MAX_DATUMS_PER_REQUEST],
      ["SpotifyPipeline", 500],
    ]);
    expect(requests[2]!.MetricData[0]!.Value).to.equal(2000);
  });

  it("refuses a datum CloudWatch would refuse", () => {
    expect(() => putMetricDataRequests([{ ...datum(1), Value: Number.NaN }])).to.throw(
      /^Metric datum must have a name, 1-30 dimensions with non-empty values and a finite value; found /,
    );
  });

  it("the summary's metric_data: per file and reason, gold rows, gates failed, duration", async () => {
    const s = await runTransform({
      inputDir: KAGGLE,
      outDir: dir("metrics"),
      runId: "m",
      gates: OPEN,
      pipelineName: "spotify-pipeline-dev",
    });
    const [request, ...more] = putMetricDataRequests(s.metric_data);
    expect(more).to.deep.equal([]);
    const key = (d: MetricDatum) =>
      [d.MetricName, ...d.Dimensions.slice(1).map((x) => x.Value), d.Unit].join(" ");
    const byKey = new Map(request!.MetricData.map((d) => [key(d), d.Value]));
    expect(byKey.get("InputRows albums Count")).to.equal(17);
    expect(byKey.get("AcceptedRows albums Count")).to.equal(6);
    expect(byKey.get("RejectedRows albums Count")).to.equal(11);
    expect(byKey.get("RejectedRows albums orphan_artist Count")).to.equal(2);
    expect(byKey.get("RejectedPercent albums Percent")).to.be.closeTo((11 * 100) / 17, 1e-9);
    expect(byKey.get("GoldRows gold Count")).to.equal(6);
    expect(byKey.get("GatesFailed all Count")).to.equal(0);
    expect(byKey.get("JobDuration all Seconds")).to.be.a("number");
    for (const d of request!.MetricData) {
      expect(d.Dimensions[0], key(d)).to.deep.equal({
        Name: "Pipeline",
        Value: "spotify-pipeline-dev",
      });
      expect(d.Dimensions[1]!.Name, key(d)).to.equal("File");
      expect(["Count", "Percent", "Seconds"]).to.include(d.Unit);
    }
  });
});

describe("local run with --lake: an orphan spike fails, gold stays; crashes lose nothing", function () {
  this.timeout(120_000);
  const quiet = { onEvent: () => undefined };

  it("passes every gate on the default sample, then stops a 40% orphan spike naming the gates", async () => {
    const lake = dir("lake");
    const first = await runPipeline({ out: dir("out"), lake, tracks: 2000, seed: 3, ...quiet });
    expect(first.run.status).to.equal("SUCCEEDED");
    expect(first.run.gates!.every((g) => g.passed)).to.equal(true);
    expect(first.run.published).to.equal(true);
    const gold = path.join(lake, "datawarehouse", "tracks");
    const before = bytesOf(gold);

    const out = dir("out");
    const spike = await runPipeline({
      out,
      lake,
      tracks: 2000,
      seed: 3,
      orphanSpike: 0.4,
      ...quiet,
    });
    expect(spike.run.status).to.equal("FAILED");
    expect(spike.run.published).to.equal(false);
    expect(spike.run.error).to.deep.include({
      step: "CheckGates",
      error: "Pipeline.QualityGateFailed",
    });
    expect(spike.run.error!.cause).to.match(
      /^2 quality gates failed: albums max_rejected_pct = \d+(\.\d+)? \(maximum 10\); albums max_rejected_pct_per_reason\[orphan_artist\] = \d+(\.\d+)? \(maximum 5\)\./,
    );
    expect(bytesOf(gold)).to.deep.equal(before);
    // Metrics are sent for a failed run too.
    const metrics = fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    expect(metrics).to.have.length(1);
    const request = JSON.parse(metrics[0]!) as { Namespace: string; MetricData: MetricDatum[] };
    expect(request.Namespace).to.equal("SpotifyPipeline");
    expect(request.MetricData.find((d) => d.MetricName === "GatesFailed")!.Value).to.equal(2);
  });

  it("a crash between write and publish (the publish step fails) leaves the published gold as it was", async () => {
    const lake = dir("lake");
    await runPipeline({
      out: dir("out"),
      lake,
      tracks: 2000,
      seed: 3,
      snapshotDate: "2024-06-01",
      ...quiet,
    });
    const gold = path.join(lake, "datawarehouse", "tracks");
    const before = bytesOf(gold);
    const crashed = await runPipeline({
      out: dir("out"),
      lake,
      tracks: 2000,
      seed: 4,
      snapshotDate: "2024-06-02",
      faults: { publish: "fail" },
      ...quiet,
    });
    expect(crashed.run.status).to.equal("FAILED");
    expect(crashed.run.error).to.deep.include({ step: "PublishGold", error: "States.TaskFailed" });
    expect(bytesOf(gold)).to.deep.equal(before);

    // A crash in the middle of the swap: the next run repairs it, then publishes.
    const mid = await runPipeline({
      out: dir("out"),
      lake,
      tracks: 2000,
      seed: 4,
      snapshotDate: "2024-06-02",
      faults: { publish: "crash-mid-swap" },
      ...quiet,
    });
    expect(mid.run.status).to.equal("FAILED");
    const next = await runPipeline({
      out: dir("out"),
      lake,
      tracks: 2000,
      seed: 4,
      snapshotDate: "2024-06-03",
      ...quiet,
    });
    expect(next.run.status).to.equal("SUCCEEDED");
    // --snapshot-date travels in the execution input, as a cloud backfill's snapshot_date does.
    expect(next.run.states.slice(3, 8)).to.deep.equal([
      "ResolveSnapshotDate",
      "CheckSnapshotDate",
      "GivenSnapshotDate",
      "ValidateSnapshotDate",
      "RunGlueJob",
    ]);
    expect(fs.readdirSync(path.join(lake, "datawarehouse", "tracks_history")).sort()).to.deep.equal(
      ["snapshot_date=2024-06-01", "snapshot_date=2024-06-02", "snapshot_date=2024-06-03"],
    );
    expect(fs.readdirSync(path.join(lake, "datawarehouse")).sort()).to.deep.equal([
      "tracks",
      "tracks_history",
    ]);
  });
});
