/**
 * The danger-first PR comment (tools/report/pr-comment.ts, scripts/pr-comment.ts): each danger
 * kind from fixture graph pairs, the policy delta, the IAM access diff per role, the section
 * order, and the cut at GitHub's limit. The end-to-end case is a PR (test/fixtures/pr-comment)
 * that deletes a bucket, widens a role and adds a violation.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import type { Finding, PolicyFindings } from "../tools/report/findings";
import { accessByRole, diffAccess } from "../tools/report/iam-access";
import {
  COMMENT_LIMIT,
  type CommentResource,
  MARKER,
  diffFindings,
  findDangers,
  renderComment,
} from "../tools/report/pr-comment";
import { parsePreview } from "../tools/report/preview";
import { T } from "./fixtures/policy/graph";
import { prGraphs } from "./fixtures/pr-comment/pr";
import { repo } from "./harness";

const r = (
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  extra: Partial<CommentResource> = {},
): CommentResource => ({
  type,
  name,
  inputs,
  urn: `urn:pulumi:dev::spotify-pipeline::${type}::${name}`,
  ...extra,
});
const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (Action: string | string[], Resource: string | string[], extra = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});

describe("PR comment: dangers", () => {
  const cases: [string, CommentResource[], CommentResource[], string[]][] = [
    ["deleting a bucket", [r(T.bucket, "raw")], [], ["delete raw: S3 bucket deleted"]],
    ["deleting a KMS key", [r(T.key, "key")], [], ["delete key: KMS key deleted"]],
    [
      "deleting a catalog table",
      [r("aws:glue/catalogTable:CatalogTable", "tracks")],
      [],
      ["delete tracks: Glue catalog table deleted"],
    ],
    ["deleting a log group", [r(T.logGroup, "logs")], [], ["delete logs: log group deleted"]],
    [
      "deleting the state machine",
      [r(T.stateMachine, "pipeline")],
      [],
      ["delete pipeline: state machine deleted"],
    ],
    [
      "deleting a protected bucket that is retained on delete",
      [r(T.bucket, "raw", {}, { protect: true, retainOnDelete: true })],
      [],
      [
        "delete raw: S3 bucket deleted (retainOnDelete: it stays in AWS, unmanaged) (protected: the deployment will fail until protect is removed)",
      ],
    ],
    ["deleting a stateless topic", [r(T.topic, "alerts")], [], []],
    [
      "renaming a bucket (a replacement)",
      [r(T.bucket, "raw", { bucket: "raw-1" })],
      [r(T.bucket, "raw", { bucket: "raw-2" })],
      ['replace raw: S3 bucket replaced: `bucket` "raw-1" → "raw-2"'],
    ],
    [
      "renaming a log group (a replacement)",
      [r(T.logGroup, "logs", { name: "/a" })],
      [r(T.logGroup, "logs", { name: "/b" })],
      ['replace logs: log group replaced: `name` "/a" → "/b"'],
    ],
    [
      "moving a catalog database to another parent",
      [r("aws:glue/catalogDatabase:CatalogDatabase", "db", {}, { parent: "urn:a" })],
      [r("aws:glue/catalogDatabase:CatalogDatabase", "db", {}, { parent: "urn:b" })],
      [
        "replace db: Glue catalog database moved to another parent: a new URN, so it is deleted and created again unless an alias keeps the old one",
      ],
    ],
    [
      "changing tags on a bucket (no replacement)",
      [r(T.bucket, "raw", { tags: { a: "1" } })],
      [r(T.bucket, "raw", { tags: { a: "2" } })],
      [],
    ],
    [
      "removing protect",
      [r(T.bucket, "raw", {}, { protect: true, retainOnDelete: true })],
      [r(T.bucket, "raw", {}, { protect: false, retainOnDelete: true })],
      ["protect raw: protect true → false"],
    ],
    [
      "dropping retainOnDelete on a non-stateful resource",
      [r(T.topic, "alerts", {}, { retainOnDelete: true })],
      [r(T.topic, "alerts", {}, { retainOnDelete: false })],
      ["protect alerts: retainOnDelete true → false"],
    ],
    [
      "shortening log retention",
      [r(T.logGroup, "logs", { retentionInDays: 365 })],
      [r(T.logGroup, "logs", { retentionInDays: 7 })],
      ["retention logs: `retentionInDays` 365 → 7"],
    ],
    [
      "shortening a lifecycle expiration",
      [r(T.lifecycle, "results", { rules: [{ id: "expire", expiration: { days: 30 } }] })],
      [r(T.lifecycle, "results", { rules: [{ id: "expire", expiration: { days: 1 } }] })],
      ["retention results: `rules[0].expiration.days` 30 → 1"],
    ],
    [
      "allowing forceDestroy",
      [r(T.bucket, "raw", { forceDestroy: false })],
      [r(T.bucket, "raw", { forceDestroy: true })],
      ["retention raw: `forceDestroy` false → true"],
    ],
    [
      "suspending versioning",
      [r(T.versioning, "raw", { versioningConfiguration: { status: "Enabled" } })],
      [r(T.versioning, "raw", { versioningConfiguration: { status: "Suspended" } })],
      ['retention raw: `versioningConfiguration.status` "Enabled" → "Suspended"'],
    ],
  ];
  for (const [what, base, head, want] of cases) {
    it(`${what}: ${want.length === 0 ? "no danger" : want.join("; ")}`, () => {
      expect(findDangers(base, head).map((d) => `${d.kind} ${d.name}: ${d.detail}`)).to.deep.equal(
        want,
      );
    });
  }

  it("lists deletions before replacements, protect and retention changes", () => {
    const base = [
      r(T.logGroup, "logs", { retentionInDays: 30 }),
      r(T.bucket, "raw", { bucket: "a" }),
      r(T.key, "key"),
    ];
    const head = [
      r(T.logGroup, "logs", { retentionInDays: 7 }),
      r(T.bucket, "raw", { bucket: "b" }),
    ];
    expect(findDangers(base, head).map((d) => d.kind)).to.deep.equal([
      "delete",
      "replace",
      "retention",
    ]);
  });
});

describe("PR comment: dangers from the real preview", () => {
  const urn = (type: string, name: string) =>
    `urn:pulumi:dev::spotify-pipeline::spotify-pipeline:storage:MedallionStorage$${type}::${name}`;
  const preview = parsePreview(
    JSON.stringify({
      steps: [
        { op: "same", urn: urn(T.bucket, "kept") },
        { op: "create-replacement", urn: urn(T.bucket, "raw"), replaceReasons: ["bucket"] },
        { op: "replace", urn: urn(T.bucket, "raw"), replaceReasons: ["bucket"] },
        { op: "delete-replaced", urn: urn(T.bucket, "raw") },
        { op: "delete", urn: urn(T.key, "old-key") },
        { op: "delete", urn: urn(T.topic, "alerts") },
        { op: "update", urn: urn(T.logGroup, "logs"), diffReasons: ["retentionInDays"] },
      ],
      changeSummary: { same: 1 },
    }),
    "preview-dev.json",
  );

  it("reads deletions and replacements of stateful resources from the steps, once per resource", () => {
    const base = [
      r(T.bucket, "raw"),
      r(T.key, "old-key"),
      r(T.topic, "alerts"),
      r(T.logGroup, "logs", { retentionInDays: 30 }),
    ];
    const head = [
      r(T.bucket, "raw"),
      r(T.topic, "alerts"),
      r(T.logGroup, "logs", { retentionInDays: 7 }),
    ];
    expect(
      findDangers(base, head, preview).map((d) => `${d.kind} ${d.name}: ${d.detail}`),
    ).to.deep.equal([
      "delete old-key: KMS key deleted (preview)",
      "replace raw: S3 bucket replaced (preview): `bucket` changed",
      "retention logs: `retentionInDays` 30 → 7",
    ]);
  });

  it("refuses a file that is not `pulumi preview --json` output", () => {
    expect(() => parsePreview("Previewing update (dev):", "p.json")).to.throw(
      /^p\.json must hold the output of `pulumi preview --json`; found invalid JSON/,
    );
    expect(() => parsePreview("{}", "p.json")).to.throw(
      'p.json must hold the output of `pulumi preview --json` (an object with "steps"); found {}.',
    );
  });
});

const finding = (policy: string, name: string, message = `${name} is wrong.`): Finding => ({
  policy,
  level: "mandatory",
  policyLevel: "mandatory",
  type: T.bucket,
  name,
  message,
});

describe("PR comment: policy results and IAM access", () => {
  it("reports findings new in head and fixed since base, by policy and resource (a reworded message is not new)", () => {
    const base = [finding("a", "x"), finding("b", "y")];
    const head = [finding("a", "x", "x is wrong, reworded."), finding("c", "z")];
    const d = diffFindings(base, head);
    expect(d.added.map((f) => `${f.policy} ${f.name}`)).to.deep.equal(["c z"]);
    expect(d.fixed.map((f) => `${f.policy} ${f.name}`)).to.deep.equal(["b y"]);
  });

  const trust = (service: string) =>
    doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
  const base = [
    r(T.role, "etl-role", {
      assumeRolePolicy: trust("glue.amazonaws.com"),
      inlinePolicies: [{ name: "read", policy: doc(allow("s3:GetObject", "arn:aws:s3:::raw/*")) }],
    }),
    r(T.rolePolicy, "etl-extra", {
      role: "etl-role-1a2b3c4",
      policy: doc(allow("glue:GetTable", "arn:aws:glue:us-east-1:123456789012:table/db/t")),
    }),
    r(T.policy, "pass", {
      policy: doc(
        allow("iam:PassRole", "arn:aws:iam::123456789012:role/x", {
          Condition: { StringEquals: { "iam:PassedToService": "glue.amazonaws.com" } },
        }),
      ),
    }),
    r(
      T.attachment,
      "etl-pass",
      { role: "etl-role", policyArn: "arn:aws:iam::123456789012:policy/pass-9f8e7d6" },
      {
        propertyDependencies: {
          policyArn: ["urn:pulumi:dev::spotify-pipeline::aws:iam/policy:Policy::pass"],
        },
      },
    ),
  ];

  it("collects a role's access from inline policies, role policies and attached customer managed policies", () => {
    expect([...accessByRole(base).get("etl-role")!.grants].sort()).to.deep.equal([
      "Allow glue:GetTable on arn:aws:glue:us-east-1:123456789012:table/db/t",
      "Allow iam:PassRole on arn:aws:iam::123456789012:role/x when StringEquals iam:PassedToService",
      "Allow s3:GetObject on arn:aws:s3:::raw/*",
    ]);
    expect([...accessByRole(base).get("etl-role")!.trust]).to.deep.equal([
      "Allow Service:glue.amazonaws.com",
    ]);
  });

  it("diffs access per role: widened, narrowed, a managed policy attached, a new trusted principal, a new role", () => {
    const head = structuredClone(base);
    head[0]!.inputs.inlinePolicies = [
      {
        name: "read",
        policy: doc(allow(["s3:GetObject", "s3:DeleteObject"], "arn:aws:s3:::raw/*")),
      },
    ];
    head[0]!.inputs.assumeRolePolicy = doc(
      { Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole" },
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::210987654321:root" },
        Action: "sts:AssumeRole",
      },
    );
    head.splice(1, 1);
    head.push(
      r(T.attachment, "etl-admin", {
        role: "etl-role",
        policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
      r(T.role, "new-role", { assumeRolePolicy: trust("states.amazonaws.com") }),
    );
    expect(diffAccess(base, head)).to.deep.equal([
      {
        role: "etl-role",
        status: "changed",
        granted: [
          "AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess",
          "Allow s3:DeleteObject on arn:aws:s3:::raw/*",
        ],
        revoked: ["Allow glue:GetTable on arn:aws:glue:us-east-1:123456789012:table/db/t"],
        trustAdded: ["Allow AWS:arn:aws:iam::210987654321:root"],
        trustRemoved: [],
      },
      {
        role: "new-role",
        status: "added",
        granted: [],
        revoked: [],
        trustAdded: ["Allow Service:states.amazonaws.com"],
        trustRemoved: [],
      },
    ]);
  });
});

const findings = (stack: string, active: Finding[]): PolicyFindings => ({
  stack,
  active,
  suppressed: [],
  suppressions: [],
});

describe("PR comment: suppressions", () => {
  it("lists the suppressions in effect and those matching nothing", () => {
    const suppressed: Finding = {
      ...finding("s3-bucket-versioning", "staging"),
      level: "advisory",
      suppression: {
        kind: "suppressed",
        resource: "staging",
        expires: "2027-01-31",
        reason: "Re-creatable from the source files.",
      },
    };
    const head: PolicyFindings = {
      stack: "dev",
      active: [],
      suppressed: [suppressed],
      suppressions: [
        {
          policy: "s3-bucket-versioning",
          resource: "staging",
          reason: "Re-creatable from the source files.",
          expires: "2027-01-31",
          state: "active",
          matched: 1,
        },
        {
          policy: "sns-topic-kms",
          resource: "old-topic",
          reason: "The topic was removed last month.",
          expires: "2027-02-01",
          state: "active",
          matched: 0,
        },
      ],
    };
    const md = renderComment(
      [{ stack: "dev", base: [], head: [], baseFindings: findings("dev", []), headFindings: head }],
      { refs: { base: "main", head: "pr" } },
    );
    expect(md).to.contain(
      "Suppressions in effect (policy/dev.json):\n\n- `s3-bucket-versioning` on staging until 2027-01-31: Re-creatable from the source files.\n",
    );
    expect(md).to.contain(
      'Suppressions matching nothing (remove them from policy/dev.json):\n\n- `sns-topic-kms` "old-topic" until 2027-02-01\n',
    );
  });
});

describe("PR comment: order and limit", () => {
  const section = (md: string, n: number) => md.indexOf(`## ${n}. `);

  it("puts danger, policy results, IAM access and the resource diff in that order; the marker first", () => {
    const md = renderComment(
      [
        {
          stack: "dev",
          base: [r(T.bucket, "raw")],
          head: [],
          baseFindings: findings("dev", []),
          headFindings: findings("dev", []),
        },
      ],
      { refs: { base: "main", head: "pr" } },
    );
    expect(md.split("\n")[0]).to.equal(MARKER);
    const at = [1, 2, 3, 4].map((n) => section(md, n));
    expect(at.every((i) => i > 0)).to.equal(true);
    expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
  });

  /** A PR that changes many resources: the diff alone is far over the limit. */
  function huge() {
    const base = Array.from({ length: 3000 }, (_, i) =>
      r(T.topic, `topic-${i}`, { displayName: `before ${"x".repeat(40)} ${i}` }),
    );
    const head = base.map((t) => ({ ...t, inputs: { displayName: `after ${"y".repeat(40)}` } }));
    return [
      {
        stack: "prod",
        base: [
          ...base,
          r(T.bucket, "raw"),
          ...Array.from({ length: 40 }, (_, i) => r(T.key, `key-${i}`)),
        ],
        head,
        baseFindings: findings("prod", []),
        headFindings: findings("prod", [finding("s3-bucket-versioning", "new-bucket")]),
      },
    ];
  }

  it("over the limit: keeps the sections that fit, cuts from the bottom with a line pointing to the artifact", () => {
    const url = "https://github.com/o/r/actions/runs/1";
    const md = renderComment(huge(), { refs: { base: "main", head: "pr" }, artifactUrl: url });
    const full = renderComment(huge(), { refs: { base: "main", head: "pr" }, limit: Infinity });
    expect(full.length).to.be.above(COMMENT_LIMIT);
    expect(md.length).to.be.at.most(COMMENT_LIMIT);
    expect(md).to.contain("🛑 delete `aws:s3/bucket:Bucket` **raw**");
    expect(md).to.contain("| 🆕 new | mandatory | `s3-bucket-versioning` | new-bucket |");
    expect(md.split("\n").at(-1)).to.equal(
      `✂️ Cut from section "4. Resource diff" on, to stay within GitHub's 65,536-character comment limit: the full report is in the \`pr-report\` artifact of [this workflow run](${url}).`,
    );
    // The cut section keeps the rows that fit and closes its <details>.
    expect(md.split("<details>").length).to.equal(md.split("</details>").length);
    expect(full.startsWith(md.slice(0, md.indexOf("| ~ |")))).to.equal(true);
  });

  it("a limit below the danger section still keeps the header and says where everything is", () => {
    const md = renderComment(huge(), { refs: { base: "main", head: "pr" }, limit: 900 });
    expect(md.length).to.be.at.most(900);
    expect(md.split("\n")[0]).to.equal(MARKER);
    expect(md).to.contain("🛑 delete `aws:s3/bucket:Bucket` **raw**");
    expect(md).not.to.contain("## 2. ");
    expect(md).to.match(
      /✂️ Cut from section "1\. Danger: stateful resources, protect and retention" on/,
    );
  });
});

describe("npm run pr:comment on a PR that deletes a bucket, widens a role and adds a violation", () => {
  let comment: string;
  let full: string;
  before(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pr-comment-"));
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        repo("scripts/pr-comment.ts"),
        "--base-graph",
        repo("test/fixtures/pr-comment/base.json"),
        "--head-graph",
        repo("test/fixtures/pr-comment/head.json"),
        "--stack",
        "prod",
        "--out",
        path.join(dir, "comment.md"),
        "--full",
        path.join(dir, "full.md"),
      ],
      { cwd: repo(), encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
    full = fs.readFileSync(path.join(dir, "full.md"), "utf8");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows the deleted bucket, then the new violation, then the widened role, within the limit", () => {
    const deleted = comment.indexOf(
      "- 🛑 delete `aws:s3/bucket:Bucket` **athena-results**: S3 bucket deleted",
    );
    const violation = comment.indexOf(
      "| 🆕 new | mandatory | `sns-topic-kms` | audit | SNS topic 'audit' must be encrypted with a customer managed KMS key (kmsMasterKeyId); found none. |",
    );
    const widened = comment.indexOf(
      "- role **glue-role**\n  - ➕ can newly: Allow s3:DeleteObject on arn:aws:s3:::lake-staging-5d6e7f8/*",
    );
    expect(
      [deleted, violation, widened].every((i) => i > 0),
      comment,
    ).to.equal(true);
    expect(deleted).to.be.below(violation);
    expect(violation).to.be.below(widened);
    expect(comment.length).to.be.at.most(COMMENT_LIMIT);
    expect(comment).to.equal(full);
  });

  it("runs on fixture files that are the fixture PR of test/fixtures/pr-comment/pr.ts", () => {
    const { base, head } = prGraphs();
    const read = (f: string) =>
      JSON.parse(fs.readFileSync(repo("test/fixtures/pr-comment", f), "utf8")) as unknown;
    expect(read("base.json"), "regenerate: npx tsx test/fixtures/pr-comment/pr.ts").to.deep.equal(
      base,
    );
    expect(read("head.json"), "regenerate: npx tsx test/fixtures/pr-comment/pr.ts").to.deep.equal(
      head,
    );
  });

  it("is the example in the README", () => {
    const readme = fs.readFileSync(repo("README.md"), "utf8");
    const start = readme.indexOf(MARKER);
    expect(start, "README.md must hold the rendered example").to.be.above(0);
    expect(readme.slice(start, start + comment.length)).to.equal(comment);
  });
});
