/**
 * `policy:check --format sarif` on the planted-violations program: valid against the official
 * SARIF 2.1.0 schema (vendored from oasis-tcs/sarif-spec), one rule per policy with its metadata,
 * one result per planted violation located at the line that declares the resource.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { expect } from "chai";

import { CONTROLS } from "../policy/controls";
import { policies } from "../policy/pack";
import { SARIF_SCHEMA, sarifLevel } from "../tools/report/sarif";
import { repo } from "./harness";

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region: { startLine: number; startColumn?: number };
    };
    logicalLocations: { name: string; fullyQualifiedName: string }[];
  }[];
}
interface Rule {
  id: string;
  fullDescription: { text: string };
  help: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: { tags: string[]; "security-severity": string };
}
interface Log {
  $schema: string;
  version: string;
  runs: { tool: { driver: { rules: Rule[] } }; results: Result[] }[];
}

const PROGRAM = "test/programs/violations.ts";

/** The 1-based line of the program that contains `text`. */
function lineOf(file: string, text: string): number {
  const i = fs
    .readFileSync(repo(file), "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${file} has no line with ${text}`);
  return i + 1;
}

describe("policy:check --format sarif", () => {
  let log: Log;
  let status: number | null;

  before(() => {
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        repo("scripts/policy-check.ts"),
        "--stack",
        "prod",
        "--program",
        PROGRAM,
        "--format",
        "sarif",
      ],
      { cwd: repo(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    status = run.status;
    if (!run.stdout) throw new Error(run.stderr);
    log = JSON.parse(run.stdout) as Log;
  });

  it("is valid SARIF 2.1.0 against the official schema", () => {
    const schema = JSON.parse(
      fs.readFileSync(repo("tools/report/schemas/sarif-schema-2.1.0.json"), "utf8"),
    ) as { id: string };
    expect(schema.id).to.equal(SARIF_SCHEMA);
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const ok = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5))).to.deep.equal([]);
    expect(ok).to.equal(true);
    expect(log.version).to.equal("2.1.0");
    expect(status).to.equal(1);
  });

  it("the schema check catches a broken log (the validator is not vacuous)", () => {
    const schema = JSON.parse(
      fs.readFileSync(repo("tools/report/schemas/sarif-schema-2.1.0.json"), "utf8"),
    ) as object;
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const broken = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    broken.runs[0]!.results[0]!.level = "fatal";
    expect(ajv.validate(schema, broken)).to.equal(false);
  });

  it("has one rule per policy with description, remediation help, control ids as tags and severities", () => {
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).to.deep.equal(policies.map((p) => p.name));
    const sse = rules.find((r) => r.id === "s3-bucket-sse-kms")!;
    expect(sse.help.text).to.equal(CONTROLS["s3-bucket-sse-kms"]!.remediation);
    expect(sse.helpUri).to.equal(
      "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-17",
    );
    expect(sse.properties.tags).to.include.members(["aws-fsbp:S3.17", "checkov:CKV_AWS_145"]);
    expect(sse.properties["security-severity"]).to.equal("5.5");
    expect(sse.defaultConfiguration.level).to.equal("error");
    const pab = rules.find((r) => r.id === "s3-bucket-public-access-block")!;
    expect(pab.properties.tags).to.include.members([
      "aws-fsbp:S3.8",
      "cis-aws:2.1.4",
      "checkov:CKV2_AWS_6",
    ]);
    expect(pab.properties["security-severity"]).to.equal("7.5");
    expect([sarifLevel("advisory"), sarifLevel("disabled")]).to.deep.equal(["warning", "none"]);
  });

  it("has results for every policy (each plants a violation), each pointing at its rule and a planted resource", () => {
    const results = log.runs[0]!.results;
    expect([...new Set(results.map((r) => r.ruleId))].sort()).to.deep.equal(
      policies.map((p) => p.name).sort(),
    );
    for (const r of results) {
      expect(r.locations[0]!.logicalLocations[0]!.name, r.ruleId).to.match(/^planted[-_]/);
    }
    const rules = log.runs[0]!.tool.driver.rules;
    for (const r of results) {
      expect(rules[r.ruleIndex]!.id).to.equal(r.ruleId);
      expect(r.level).to.equal("error");
    }
  });

  const located: [string, string, string][] = [
    // [policy, resource, text on the declaring line]
    ["sns-topic-kms", "planted-topic", 'new aws.sns.Topic("planted-topic"'],
    ["sqs-queue-kms", "planted-queue", 'new aws.sqs.Queue("planted-queue"'],
    ["iam-no-users", "planted-user", '"planted-user"'],
    // A bucket made by the program's helper is declared on the helper's line.
    ["s3-bucket-sse-kms", "planted-sse", ": new aws.s3.Bucket(name,"],
  ];
  for (const [policy, name, text] of located) {
    it(`locates ${policy} at the line that declares ${name}`, () => {
      const r = log.runs[0]!.results.find((x) => x.ruleId === policy)!;
      const [loc] = r.locations;
      expect(loc!.physicalLocation.artifactLocation).to.deep.equal({
        uri: PROGRAM,
        uriBaseId: "%SRCROOT%",
      });
      expect(loc!.physicalLocation.region.startLine).to.equal(lineOf(PROGRAM, text));
      expect(loc!.logicalLocations[0]!.name).to.equal(name);
    });
  }
});
