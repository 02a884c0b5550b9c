/**
 * Compliance metadata on every policy (policy/controls.ts) and the compliance report
 * (`npm run policy:report`, tools/report/compliance.ts) for both shipped stacks and for a graph
 * with a failing, a suppressed and a disabled rule.
 */
import { spawn } from "node:child_process";

import { expect } from "chai";

import { loadPolicyConfig } from "../policy/config";
import { CONTROLS, FSBP, controlsOf } from "../policy/controls";
import { evaluatePolicyPack } from "../policy/evaluate";
import { policies } from "../policy/pack";
import { isoDay } from "../policy/suppressions";
import {
  type ComplianceRow,
  complianceRows,
  renderComplianceCsv,
  renderComplianceMarkdown,
} from "../tools/report/compliance";
import { classify } from "../tools/report/findings";
import { T, baseline, plus, res, without } from "./fixtures/policy/graph";
import { repo } from "./harness";

describe("policy metadata (policy/controls.ts)", () => {
  it("every policy of the pack has compliance metadata: severity, framework, remediation", () => {
    const missing = policies.filter((p) => !CONTROLS[p.name]).map((p) => p.name);
    expect(missing, "add these to CONTROLS in policy/controls.ts").to.deep.equal([]);
    for (const p of policies) {
      expect(p.severity, p.name).to.be.oneOf(["low", "medium", "high", "critical"]);
      expect(p.framework?.name, p.name).to.be.a("string");
      expect(p.remediationSteps, p.name).to.have.length.above(20);
    }
  });

  it("names no policy the pack does not have", () => {
    expect(Object.keys(CONTROLS).filter((n) => !policies.some((p) => p.name === n))).to.deep.equal(
      [],
    );
  });

  it("stack policies say which resource types they examine", () => {
    for (const p of policies.filter((q) => "validateStack" in q)) {
      expect(CONTROLS[p.name]!.examines?.length ?? 0, p.name).to.be.above(0);
    }
  });

  it("puts FSBP first in the framework field, every id in the tags", () => {
    const p = policies.find((q) => q.name === "kms-key-rotation")!;
    expect(p.framework).to.deep.equal({
      name: FSBP,
      version: "1.0.0",
      reference: "KMS.4",
      specification:
        "https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-4",
    });
    expect(controlsOf(p)).to.deep.equal({
      securityHub: ["KMS.4"],
      cis: ["3.6"],
      checkov: ["CKV_AWS_7"],
    });
    const baselineOnly = policies.find((q) => q.name === "iam-trust-confused-deputy")!;
    expect(baselineOnly.framework?.name).to.equal("spotify-pipeline baseline");
  });
});

function report(
  stack: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/policy-report.ts", "--stack", stack, ...args],
      {
        cwd: repo(),
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Markdown table rows as cells. */
const tableRows = (md: string) =>
  md
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| framework"))
    .map((l) => l.slice(2, -2).split(" | "));

describe("npm run policy:report", () => {
  const runs: Record<string, { code: number | null; stdout: string; stderr: string }> = {};
  before(async () => {
    const [dev, prod, prodCsv] = await Promise.all([
      report("dev"),
      report("prod"),
      report("prod", "--csv"),
    ]);
    Object.assign(runs, { dev, prod, prodCsv });
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: one row per control and rule, every rule passing or not applicable`, () => {
      const { code, stdout, stderr } = runs[stack]!;
      expect(code, stderr).to.equal(0);
      const rows = tableRows(stdout);
      const rules = new Set(rows.map((r) => r[2]!.replace(/`/g, "")));
      expect([...rules].sort()).to.deep.equal(policies.map((p) => p.name).sort());
      for (const r of rows) expect(r[4], r.join(" | ")).to.match(/^(pass|not applicable \(.+\))$/);
      expect(stdout).to.contain(`# Compliance report: stack ${stack}`);
    });
  }

  it("prod: the S3 controls examined the six buckets; CIS rows where CIS applies", () => {
    const rows = tableRows(runs.prod!.stdout);
    const s317 = rows.find((r) => r[1] === "S3.17")!;
    expect(s317.slice(0, 5)).to.deep.equal([
      FSBP,
      "S3.17",
      "`s3-bucket-sse-kms`",
      "medium",
      "pass",
    ]);
    expect(s317[5]).to.match(/^6: spotify-prod-access-logs, spotify-prod-staging, /);
    expect(
      rows.filter((r) => r[0] === "CIS AWS Foundations Benchmark").map((r) => [r[1], r[2]]),
    ).to.deep.equal([
      ["1.15", "`iam-no-users`"],
      ["1.16", "`iam-no-wildcard-actions`"],
      ["2.1.1", "`s3-bucket-tls-only`"],
      ["2.1.4", "`s3-bucket-public-access-block`"],
      ["3.6", "`kms-key-rotation`"],
    ]);
  });

  it("prints CSV with a header and the examined resources", () => {
    const lines = runs.prodCsv!.stdout.trimEnd().split("\n");
    expect(lines[0]).to.equal(
      "framework,control,rule,severity,level,status,detail,resources_examined,resources",
    );
    const kms = lines.find((l) => l.includes(",KMS.4,"))!;
    expect(kms).to.equal(
      `${FSBP},KMS.4,kms-key-rotation,medium,mandatory,pass,,1,aws:kms/key:Key spotify-prod-key`,
    );
  });
});

describe("compliance rows: fail, suppressed, not applicable", () => {
  let rows: ComplianceRow[];
  before(async () => {
    const graph = plus(without(baseline(), T.versioning, "staging"), res(T.topic, "plain", {}));
    const config = structuredClone(loadPolicyConfig("prod"));
    config["s3-bucket-versioning"] = {
      enforcementLevel: "mandatory",
      suppressions: [
        {
          resource: "staging",
          reason: "Staging data is re-creatable from the source files.",
          expires: isoDay(new Date(Date.now() + 30 * 86_400_000)),
        },
      ],
    };
    config["sfn-tracing"] = "disabled";
    const evaluation = await evaluatePolicyPack(graph, { stack: "prod", config });
    rows = complianceRows(
      policies,
      graph,
      evaluation,
      classify("prod", evaluation, isoDay(new Date())),
    );
  });

  const row = (control: string) => rows.find((r) => r.control === control)!;

  it("fails a rule with a finding, naming the resource", () => {
    expect(row("SNS.1")).to.deep.include({ status: "fail", detail: "mandatory: plain" });
  });

  it("shows a suppressed rule with the reason and expiry", () => {
    expect(row("S3.14").status).to.equal("suppressed");
    expect(row("S3.14").detail).to.match(
      /^staging: Staging data is re-creatable from the source files\. \(until \d{4}-\d{2}-\d{2}\)$/,
    );
  });

  it("shows a disabled rule as not applicable", () => {
    expect(row("CKV_AWS_284")).to.deep.include({
      rule: "sfn-tracing",
      status: "not applicable",
      detail: "disabled in policy/prod.json",
    });
  });

  it("renders the statuses in Markdown and CSV", () => {
    const md = renderComplianceMarkdown("prod", rows);
    expect(md).to.contain("| SNS.1 | `sns-topic-kms` | medium | fail (mandatory: plain) |");
    expect(md).to.match(/Rules: \d+ pass, 1 fail, 1 suppressed, \d+ not applicable\./);
    expect(renderComplianceCsv(rows)).to.contain(
      ",S3.14,s3-bucket-versioning,low,mandatory,suppressed,",
    );
  });
});
