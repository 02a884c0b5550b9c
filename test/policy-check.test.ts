/**
 * `npm run policy:check` end to end, one process per run (a process hosts one mock setup): the
 * planted-violations program, saved graphs, and usage errors. The runs start in parallel.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import { policies } from "../policy/pack";
import { T, baseline, without } from "./fixtures/policy/graph";

const ROOT = path.join(__dirname, "..");
const USAGE =
  "usage: npm run policy:check -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview] [--graph <graph.json>]";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function policyCheck(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/policy-check.ts", ...args], {
      cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The resource each policy's planted violation is on (test/programs/violations.ts). */
const PLANTED: Record<string, [string, string]> = {
  "s3-bucket-sse-kms": [T.bucket, "planted-sse"],
  "sns-topic-kms": [T.topic, "planted-topic"],
  "sqs-queue-kms": [T.queue, "planted-queue"],
  "log-group-kms": [T.logGroup, "planted-log-group-kms"],
  "kms-key-rotation": [T.key, "planted-key-rotation"],
  "glue-security-configuration-kms": [T.securityConfiguration, "planted-security-configuration"],
  "glue-security-configuration-required": [T.job, "planted-job"],
  "athena-workgroup-encryption": [T.workgroup, "planted-workgroup"],
  "glue-data-catalog-encryption": [T.catalogEncryption, "planted-catalog"],
  "s3-bucket-public-access-block": [T.bucket, "planted-pab"],
  "s3-bucket-acls-disabled": [T.bucket, "planted-acl"],
  "s3-bucket-tls-only": [T.bucket, "planted-tls"],
  "s3-bucket-versioning": [T.bucket, "planted-versioning"],
  "s3-bucket-lifecycle": [T.bucket, "planted-lifecycle"],
  "s3-bucket-access-logging": [T.bucket, "planted-logging"],
  "iam-actions-exist": [T.rolePolicy, "planted-actions-exist"],
  "iam-no-wildcard-actions": [T.rolePolicy, "planted-wildcard-actions"],
  "iam-resource-wildcard": [T.rolePolicy, "planted-resource-wildcard"],
  "iam-passrole-scoped": [T.policy, "planted-passrole"],
  "iam-no-not-elements": [T.rolePolicy, "planted-not-action"],
  "iam-foreign-access": ["aws:kms/grant:Grant", "planted-foreign-grant"],
  "sfn-encryption": [T.stateMachine, "planted-sfn-encryption"],
  "athena-database-encryption": ["aws:athena/database:Database", "planted_athena_database"],
  "cloudcontrol-resource-reviewed": [
    "aws:cloudcontrol/resource:Resource",
    "planted-cloudcontrol-bucket",
  ],
  "policy-bearing-types-reviewed": [
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "planted-unjudged-type",
  ],
  "iam-no-kms-decrypt-all-keys": [T.rolePolicy, "planted-kms-decrypt"],
  "iam-trust-policy-principals": [T.role, "planted-trust-principal"],
  "iam-trust-confused-deputy": [T.role, "planted-confused-deputy"],
  "iam-no-broad-managed-policies": [T.attachment, "planted-managed-policy"],
  "iam-no-users": [T.user, "planted-user"],
  "kms-key-policy-no-public-principal": [T.key, "planted-key-policy"],
  "iam-no-public-resource-policy": [T.topicPolicy, "planted-topic-policy"],
  "sfn-logging": [T.stateMachine, "planted-sfn-logging"],
  "sfn-tracing": [T.stateMachine, "planted-sfn-tracing"],
  "log-group-retention": [T.logGroup, "planted-log-retention"],
  "alarm-actions": [T.alarm, "planted-alarm"],
};

describe("npm run policy:check", () => {
  const runs: Record<string, Run> = {};
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
    const unversioned = path.join(dir, "unversioned.json");
    fs.writeFileSync(unversioned, JSON.stringify(without(baseline(), T.versioning, "staging")));
    const todo: Record<string, string[]> = {
      planted: ["--stack", "prod", "--program", "test/programs/violations.ts", "--json"],
      devTable: ["--stack", "dev", "--graph", unversioned],
      noStack: ["--json"],
      badFlag: ["--stack", "dev", "--yaml"],
      noConfig: ["--stack", "qa", "--graph", unversioned],
      noProgram: ["--stack", "dev", "--program", "test/programs/missing.ts"],
    };
    const results = await Promise.all(Object.values(todo).map((args) => policyCheck(...args)));
    Object.keys(todo).forEach((k, i) => (runs[k] = results[i]!));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exits 1 on the planted-violations program and reports each planted violation exactly once", () => {
    const { code, stdout, stderr } = runs.planted!;
    expect(stderr).to.equal("");
    expect(code).to.equal(1);
    const found = JSON.parse(stdout) as {
      policy: string;
      level: string;
      type: string;
      name: string;
      message: string;
    }[];
    const got = found.map((v) => [v.policy, v.level, v.type, v.name]).sort();
    const want = [
      ...Object.entries(PLANTED).map(([policy, [type, name]]) => [policy, "mandatory", type, name]),
      // kms:Decrypt on every key is also a wildcard resource name.
      ["iam-resource-wildcard", "mandatory", T.rolePolicy, "planted-kms-decrypt"],
    ].sort();
    expect(got).to.deep.equal(want);
    for (const v of found) expect(v.message, v.policy).to.include(`'${v.name}'`);
  });

  it("agrees with a graph printed by `npm run synth -- --json` (what an external engine sees)", async function () {
    this.timeout(60_000);
    const program = ["--stack", "prod", "--program", "test/programs/evasions.ts"];
    const synth = await new Promise<Run>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "scripts/synth.ts", ...program, "--json"],
        {
          cwd: ROOT,
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(synth.code, synth.stderr).to.equal(0);
    const printed = JSON.parse(synth.stdout) as {
      urn: string;
      type: string;
      inputs: Record<string, unknown>;
      dependsOn: string[];
      propertyDependencies: Record<string, string[]>;
    }[];
    const bucket = printed.find((r) => r.type === T.bucket)!;
    expect(bucket.inputs.bucket, "auto-name").to.be.a("string");
    expect(printed.some((r) => Object.keys(r.propertyDependencies).length > 0)).to.equal(true);
    expect(printed.some((r) => r.dependsOn.length > 0)).to.equal(true);
    const file = path.join(dir, "corpus.json");
    fs.writeFileSync(file, synth.stdout);
    const [fromGraph, fromProgram] = await Promise.all([
      policyCheck("--stack", "prod", "--graph", file, "--json"),
      policyCheck(...program, "--json"),
    ]);
    expect(fromGraph.code).to.equal(1);
    const rows = (r: Run) =>
      (JSON.parse(r.stdout) as { policy: string; level: string; name: string; message: string }[])
        .map((v) => JSON.stringify([v.policy, v.level, v.name, v.message]))
        .sort();
    expect(rows(fromGraph)).to.deep.equal(rows(fromProgram));
  });

  it("plants one violation for every policy of the pack", () => {
    expect(Object.keys(PLANTED).sort()).to.deep.equal(policies.map((p) => p.name).sort());
  });

  it("prints a table and summary; advisory-only findings exit 0 (dev)", () => {
    const { code, stdout } = runs.devTable!;
    expect(code).to.equal(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).to.match(/^LEVEL +POLICY +RESOURCE +MESSAGE$/);
    expect(lines[1]!.split(/ {2,}/)).to.deep.equal([
      "advisory",
      "s3-bucket-versioning",
      "aws:s3/bucket:Bucket staging",
      "S3 bucket 'staging' must have versioning enabled (aws.s3.BucketVersioning status Enabled); found none.",
    ]);
    expect(lines.slice(2)).to.deep.equal([
      "",
      `policy:check dev: 0 mandatory, 1 advisory violation(s) (${policies.length} policies, ${baseline().length - 1} resources).`,
    ]);
  });

  it("exits 2 with the usage when --stack is missing or a flag is unknown", () => {
    expect(runs.noStack).to.deep.equal({
      code: 2,
      stdout: "",
      stderr: `policy:check: --stack is required (e.g. --stack dev).\n${USAGE}\n`,
    });
    expect(runs.badFlag!.code).to.equal(2);
    expect(runs.badFlag!.stderr).to.equal(`policy:check: Unknown option '--yaml'\n${USAGE}\n`);
  });

  it("exits 2 for a stack without a policy config, naming the stacks that have one", () => {
    expect(runs.noConfig!.code).to.equal(2);
    expect(runs.noConfig!.stderr).to.equal(
      `policy:check: No policy config ${path.join(ROOT, "policy", "qa.json")} for stack "qa"; stacks with one: dev, prod. Create policy/qa.json (see policy/README.md).\n${USAGE}\n`,
    );
  });

  it("exits 2 with the error when the program cannot run", () => {
    expect(runs.noProgram!.code).to.equal(2);
    expect(runs.noProgram!.stdout).to.equal("");
    expect(runs.noProgram!.stderr).to.match(
      /^policy:check: the program failed for stack "dev":\nProgram test\/programs\/missing.ts not found/,
    );
  });
});
