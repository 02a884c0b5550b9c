import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import { type GraphRow, diffGraphs, diffValues, renderMarkdown } from "../tools/graph-diff";
import { repo } from "./harness";

const read = (f: string) =>
  JSON.parse(fs.readFileSync(repo("test/fixtures/synth-diff", f), "utf8")) as GraphRow[];

describe("synth:diff (offline PR diff)", () => {
  it("reports added, removed and changed resources with the changed inputs (inside JSON documents too)", () => {
    const d = diffGraphs(read("base.json"), read("head.json"));
    expect(d.added.map((r) => `${r.type} ${r.name}`)).to.deep.equal([
      "aws:sns/topic:Topic spotify-dev-alerts",
    ]);
    expect(d.removed.map((r) => `${r.type} ${r.name}`)).to.deep.equal([
      "aws:sqs/queue:Queue spotify-dev-dlq",
    ]);
    expect(d.changed).to.deep.equal([
      {
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "spotify-dev-etl-job",
        changes: [
          { path: "policy.Statement[0].Action[1]", before: undefined, after: "s3:DeleteBucket" },
        ],
      },
      {
        type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        name: "spotify-dev-athena-results",
        changes: [{ path: "rules[0].expiration.days", before: 7, after: 3 }],
      },
    ]);
    expect(d.unchanged).to.equal(1);
  });

  it("finds nothing between a graph and itself", () => {
    const d = diffGraphs(read("head.json"), read("head.json"));
    expect([d.added.length, d.removed.length, d.changed.length, d.unchanged]).to.deep.equal([
      0, 0, 0, 4,
    ]);
  });

  it("reports a moved resource (new parent)", () => {
    expect(diffValues({ a: 1 }, { a: 1 })).to.deep.equal([]);
    const [b] = read("base.json");
    const d = diffGraphs([b!], [{ ...b!, parent: "urn:other" }]);
    expect(d.changed[0]!.changes).to.deep.equal([
      { path: "(parent)", before: "urn:storage", after: "urn:other" },
    ]);
  });

  it("renders one Markdown comment with a marker the workflow updates in place", () => {
    const md = renderMarkdown(
      [
        { stack: "dev", diff: diffGraphs(read("base.json"), read("head.json")) },
        { stack: "prod", error: "base (origin/main): this ref has no scripts/synth.ts" },
      ],
      { base: "origin/main", head: "abc123" },
    );
    expect(md.split("\n").slice(0, 2)).to.deep.equal([
      "<!-- spotify-pipeline:synth-diff -->",
      "### Offline infrastructure diff (`origin/main` → `abc123`)",
    ]);
    expect(md).to.contain("#### dev: 1 to add, 2 to change, 1 to remove (1 unchanged)");
    expect(md).to.contain(
      "| ~ | `aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration` spotify-dev-athena-results | `rules[0].expiration.days` | 7 | 3 |",
    );
    expect(md).to.contain("| + | `aws:sns/topic:Topic` spotify-dev-alerts | | | |");
    expect(md).to.contain("#### prod: could not compare");
  });

  it("runs as a command on two graph files and writes the comment", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "diff-")), "comment.md");
    const run = spawnSync(
      repo("node_modules/.bin/tsx"),
      [
        repo("scripts/synth-diff.ts"),
        "--base-graph",
        repo("test/fixtures/synth-diff/base.json"),
        "--head-graph",
        repo("test/fixtures/synth-diff/head.json"),
        "--stack",
        "dev",
        "--markdown",
        out,
      ],
      { encoding: "utf8" },
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.split("\n")[0]).to.equal("stack dev: +1 ~2 -1 (1 unchanged)");
    expect(fs.readFileSync(out, "utf8")).to.contain("#### dev: 1 to add, 2 to change, 1 to remove");
  });

  it("refuses bad usage with exit 2 and says what is missing", () => {
    const run = spawnSync(
      repo("node_modules/.bin/tsx"),
      [repo("scripts/synth-diff.ts"), "--base-graph", "x.json"],
      {
        encoding: "utf8",
      },
    );
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain("synth:diff: --base-graph and --head-graph go together.");
  });
});
