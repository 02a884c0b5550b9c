/**
 * Justified, expiring suppressions (policy/suppressions.ts): the pure rules table-driven, then
 * through the pack as the offline evaluator runs it (the same wrapped policies the engine loads),
 * for a stack policy and a resource policy, and in every report.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import { loadPolicyConfig } from "../policy/config";
import { type GraphResource, evaluatePolicyPack } from "../policy/evaluate";
import {
  type Suppression,
  formatNote,
  isActive,
  isoDay,
  matchesResource,
  parseNote,
  refusal,
} from "../policy/suppressions";
import { classify, unmatched } from "../tools/report/findings";
import { T, baseline, plus, res, urnOf, without } from "./fixtures/policy/graph";
import { repo } from "./harness";

const TODAY = isoDay(new Date());
const daysFromToday = (n: number) => isoDay(new Date(Date.now() + n * 86_400_000));
const REASON = "Staging data is re-creatable from the source files within an hour.";

const sup = (resource: string, expires = daysFromToday(30), reason = REASON): Suppression => ({
  resource,
  reason,
  expires,
});

describe("suppressions: rules", () => {
  const refusals: [string, Suppression, string | undefined][] = [
    ["a reason and an expiry within a year", sup("staging", "2027-06-01"), undefined],
    ["expiry exactly one year ahead", sup("staging", "2027-12-04"), undefined],
    [
      "expiry more than a year ahead",
      sup("staging", "2027-12-05"),
      'Suppression of s3-bucket-versioning for "staging" must expire within a year (by 2027-12-04); found 2027-12-05. Choose an earlier date and review the finding then.',
    ],
    [
      "no reason",
      sup("staging", "2027-01-01", ""),
      'Suppression of s3-bucket-versioning for "staging" must give a reason of at least 20 characters; found "". Say why the finding is accepted.',
    ],
    [
      "a reason too short to justify anything",
      sup("staging", "2027-01-01", "because"),
      'Suppression of s3-bucket-versioning for "staging" must give a reason of at least 20 characters; found "because". Say why the finding is accepted.',
    ],
    [
      "an impossible date",
      sup("staging", "2027-02-30"),
      'Suppression of s3-bucket-versioning for "staging" must expire on a real date written YYYY-MM-DD; found "2027-02-30".',
    ],
    [
      "no resource",
      sup(" "),
      'Suppression of s3-bucket-versioning for " " must name a resource (logical name or URN pattern); found " ". Set "resource".',
    ],
  ];
  for (const [what, s, want] of refusals) {
    it(`${want ? "refuses" : "accepts"} ${what}`, () => {
      expect(refusal("s3-bucket-versioning", s, "2026-12-04")).to.equal(want);
    });
  }

  it("is in effect through its expiry day, expired the day after", () => {
    expect(isActive(sup("x", "2026-12-04"), "2026-12-04")).to.equal(true);
    expect(isActive(sup("x", "2026-12-03"), "2026-12-04")).to.equal(false);
  });

  const urn = urnOf(T.bucket, "spotify-dev-staging");
  const matching: [string, boolean][] = [
    ["spotify-dev-staging", true],
    ["spotify-dev-*", true],
    ["spotify-prod-*", false],
    ["staging", false],
    [`urn:pulumi:prod::spotify-pipeline::${T.bucket}::*`, true],
    [`urn:pulumi:dev::*`, false],
    ["spotify-dev-stagin.", false],
  ];
  for (const [pattern, want] of matching) {
    it(`pattern ${JSON.stringify(pattern)} ${want ? "matches" : "does not match"} ${urn}`, () => {
      expect(matchesResource(pattern, urn, "spotify-dev-staging")).to.equal(want);
    });
  }

  it("writes a note into the message that reads back exactly (any reason text)", () => {
    for (const kind of ["suppressed", "expired"] as const) {
      const note = { kind, resource: 'a"b*', expires: "2027-01-31", reason: "x]: [y] (z) 100%" };
      expect(
        parseNote(`S3 bucket 'a' must be versioned; found none.${formatNote(note)}`),
      ).to.deep.equal({
        message: "S3 bucket 'a' must be versioned; found none.",
        note,
      });
    }
    expect(parseNote("plain message [not a note]")).to.deep.equal({
      message: "plain message [not a note]",
    });
  });
});

/** The baseline with one stack-policy finding (bucket 'staging' unversioned) and one resource-policy finding (topic 'plain'). */
function graphWithTwoFindings(): GraphResource[] {
  return plus(without(baseline(), T.versioning, "staging"), res(T.topic, "plain", {}));
}

async function evaluate(suppressions: Record<string, Suppression[]>) {
  const config = structuredClone(loadPolicyConfig("prod"));
  for (const [policy, list] of Object.entries(suppressions)) {
    const entry = config[policy];
    config[policy] = {
      ...(typeof entry === "string" ? { enforcementLevel: entry } : entry),
      suppressions: list,
    };
  }
  const evaluation = await evaluatePolicyPack(graphWithTwoFindings(), { stack: "prod", config });
  return classify("prod", evaluation, TODAY);
}

describe("suppressions: through the pack", () => {
  it("without suppressions: both findings are mandatory", async () => {
    const f = await evaluate({});
    expect(f.active.map((v) => [v.policy, v.level, v.name])).to.deep.equal([
      ["sns-topic-kms", "mandatory", "plain"],
      ["s3-bucket-versioning", "mandatory", "staging"],
    ]);
    expect(f.suppressed).to.deep.equal([]);
  });

  it("an active suppression silences a stack-policy and a resource-policy finding, kept visible as advisory with its reason", async () => {
    const f = await evaluate({
      "s3-bucket-versioning": [sup("staging")],
      "sns-topic-kms": [sup(urnOf(T.topic, "pl*"))],
    });
    expect(f.active).to.deep.equal([]);
    expect(
      f.suppressed.map((v) => [v.policy, v.level, v.policyLevel, v.name, v.suppression]),
    ).to.deep.equal([
      [
        "sns-topic-kms",
        "advisory",
        "mandatory",
        "plain",
        {
          kind: "suppressed",
          resource: urnOf(T.topic, "pl*"),
          expires: daysFromToday(30),
          reason: REASON,
        },
      ],
      [
        "s3-bucket-versioning",
        "advisory",
        "mandatory",
        "staging",
        { kind: "suppressed", resource: "staging", expires: daysFromToday(30), reason: REASON },
      ],
    ]);
    expect(f.suppressions.map((s) => [s.policy, s.state, s.matched])).to.deep.equal([
      ["sns-topic-kms", "active", 1],
      ["s3-bucket-versioning", "active", 1],
    ]);
  });

  it("an expired suppression reports the violation again at its level, noting the expiry", async () => {
    const f = await evaluate({ "s3-bucket-versioning": [sup("staging", daysFromToday(-1))] });
    const v = f.active.find((x) => x.policy === "s3-bucket-versioning")!;
    expect(v.level).to.equal("mandatory");
    expect(v.suppression).to.deep.equal({
      kind: "expired",
      resource: "staging",
      expires: daysFromToday(-1),
      reason: REASON,
    });
    expect(f.suppressions[0]).to.include({ state: "expired", matched: 1 });
  });

  it("a suppression that matches nothing is reported as stale; it suppresses nothing", async () => {
    const f = await evaluate({ "s3-bucket-versioning": [sup("staging"), sup("no-such-bucket")] });
    expect(unmatched(f).map((s) => [s.policy, s.resource])).to.deep.equal([
      ["s3-bucket-versioning", "no-such-bucket"],
    ]);
    expect(f.active.map((v) => v.name)).to.deep.equal(["plain"]);
  });

  it("refuses a suppression without a reason or expiring more than a year ahead: the evaluation fails with the rule", async () => {
    const cases: [Suppression, RegExp][] = [
      [
        sup("staging", daysFromToday(30), ""),
        /reason \(at least 20 characters\)[^]*suppressions\[0\]\.reason: must be at least 20 characters/,
      ],
      [
        sup("staging", daysFromToday(400)),
        /must expire within a year \(by \d{4}-\d{2}-\d{2}\); found \d{4}-\d{2}-\d{2}\./,
      ],
    ];
    for (const [s, message] of cases) {
      let error: Error | undefined;
      try {
        await evaluate({ "s3-bucket-versioning": [s] });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message, JSON.stringify(s)).to.match(message);
    }
  });
});

describe("suppressions: in every report", () => {
  let dir: string;
  const check = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", repo("scripts/policy-check.ts"), ...args], {
      cwd: repo(),
      encoding: "utf8",
    });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "suppressions-"));
    fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(graphWithTwoFindings()));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A policy config file (prod's, with suppressions on s3-bucket-versioning) for --config. */
  function withStackConfig<T>(
    suppressions: Suppression[],
    fn: (stack: string, file: string) => T,
  ): T {
    const file = path.join(dir, "policy.json");
    const config = loadPolicyConfig("prod");
    config["s3-bucket-versioning"] = { enforcementLevel: "mandatory", suppressions };
    fs.writeFileSync(file, JSON.stringify(config));
    return fn("prod", file);
  }

  it("table, JSON and SARIF list the suppression in effect and the stale one", () => {
    withStackConfig([sup("staging"), sup("gone-bucket")], (stack, config) => {
      const graph = path.join(dir, "graph.json");
      const run = (...args: string[]) => check(...args, "--config", config);
      const table = run("--stack", stack, "--graph", graph);
      expect(table.status, table.stderr).to.equal(1); // the topic is still mandatory
      expect(table.stdout).to.contain(
        `Suppressed (1, policy/${stack}.json):\n  mandatory  s3-bucket-versioning  ${T.bucket} staging  until ${daysFromToday(30)}: ${REASON}`,
      );
      expect(table.stdout).to.contain(
        `Suppressions matching nothing (remove them from policy/${stack}.json):\n  s3-bucket-versioning  "gone-bucket"  until ${daysFromToday(30)}: ${REASON}`,
      );
      expect(table.stdout).to.match(/: 1 mandatory, 0 advisory violation\(s\)/);

      const json = JSON.parse(
        run("--stack", stack, "--graph", graph, "--format", "json").stdout,
      ) as {
        violations: { policy: string }[];
        suppressed: { policy: string; name: string }[];
        suppressions: { resource: string; matched: number }[];
      };
      expect(json.violations.map((v) => v.policy)).to.deep.equal(["sns-topic-kms"]);
      expect(json.suppressed.map((v) => [v.policy, v.name])).to.deep.equal([
        ["s3-bucket-versioning", "staging"],
      ]);
      expect(json.suppressions.map((s) => [s.resource, s.matched])).to.deep.equal([
        ["staging", 1],
        ["gone-bucket", 0],
      ]);

      const sarif = JSON.parse(
        run("--stack", stack, "--graph", graph, "--format", "sarif").stdout,
      ) as {
        runs: {
          results: { ruleId: string; level: string; suppressions?: unknown[] }[];
          invocations: { toolExecutionNotifications: { message: { text: string } }[] }[];
        }[];
      };
      const [r] = sarif.runs;
      const suppressed = r!.results.find((x) => x.ruleId === "s3-bucket-versioning")!;
      expect(suppressed.level).to.equal("error");
      expect(suppressed.suppressions).to.deep.equal([
        {
          kind: "external",
          status: "accepted",
          justification: `${REASON} (until ${daysFromToday(30)}; policy/${stack}.json)`,
        },
      ]);
      expect(
        r!.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text),
      ).to.deep.equal([
        `Suppression of s3-bucket-versioning for "gone-bucket" matches no finding in stack ${stack}; remove it from policy/${stack}.json.`,
      ]);
    });
  });
});
