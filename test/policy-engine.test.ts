/**
 * The real pack, served by @pulumi/policy's analyzer (what `pulumi preview --policy-pack policy`
 * talks to), against the offline evaluator: same graph, same config, same findings.
 */
import { expect } from "chai";

import { type Violation, evaluatePolicyPack, resolvePolicyConfig } from "../policy/evaluate";
import { loadPolicyConfig } from "../policy/config";
import { policies } from "../policy/pack";
import {
  type PolicyServer,
  type ServerDiagnostic,
  analyzeWithServer,
  analyzerInfo,
  startPolicyServer,
} from "./fixtures/policy/engine";
import {
  T,
  UNKNOWN,
  baseline,
  editDocument,
  find,
  patch,
  plus,
  res,
  without,
} from "./fixtures/policy/graph";
import type { GraphResource } from "../policy/evaluate";
import { corpusGraph } from "./fixtures/policy/corpus";

/** A graph that breaks resource and stack policies, with an unknown value and an advisory. */
function troubled(): GraphResource[] {
  let g = without(baseline(), T.pab, "staging");
  g = patch(g, T.topic, "alerts", (i) => delete i.kmsMasterKeyId);
  g = patch(g, T.rolePolicy, "sfn-role", (i) => (i.policy = UNKNOWN));
  g = patch(g, T.lifecycle, "athena-results", (i) => (i.rules[0].status = UNKNOWN));
  g = patch(g, T.role, "glue-role", (i) => {
    i.assumeRolePolicy = editDocument(i.assumeRolePolicy, (s) => delete s[0]!.Condition);
  });
  g = patch(g, T.logGroup, "sfn-logs", (i) => (i.retentionInDays = 30));
  return plus(g, res(T.user, "ci", {}));
}

describe("policy pack under @pulumi/policy's analyzer server", function () {
  let server: PolicyServer;

  before(async () => {
    server = await startPolicyServer();
  });
  after(() => server?.stop());

  it("announces the pack as the CLI sees it: name, version, 36 policies, config schemas", async () => {
    const info = await analyzerInfo(server);
    expect(info.getName()).to.equal("spotify-pipeline");
    expect(info.getVersion()).to.equal("0.1.0");
    expect(info.getSupportsconfig()).to.equal(true);
    const listed = info.getPoliciesList().map((p: { getName(): string }) => p.getName());
    expect(listed).to.deep.equal(policies.map((p) => p.name));
    const retention = info
      .getPoliciesList()
      .find((p: { getName(): string }) => p.getName() === "log-group-retention");
    expect(
      retention.getConfigschema().getProperties().toJavaScript().minRetentionDays.default,
    ).to.equal(1);
    expect(retention.getEnforcementlevel()).to.equal(1); // MANDATORY
  });

  /** Offline and online findings for a graph, as comparable keys, and the offline violations. */
  async function bothWays(graph: GraphResource[], stack: string) {
    const file = loadPolicyConfig(stack);
    const offline = await evaluatePolicyPack(graph, { stack, config: file });
    const online = await analyzeWithServer(server, graph, resolvePolicyConfig(policies, file));
    const description = new Map(policies.map((p) => [p.name, p.description]));
    const byUrn = new Map(graph.map((r) => [`${r.type}::${r.name}`, r.urn]));
    // The engine prefixes string reports with the policy's description; object reports and
    // "can't run during preview" messages are as given.
    const expected: ServerDiagnostic[] = offline.violations.map((v: Violation) => ({
      policy: v.policy,
      level: v.level,
      urn: v.type === T.stack ? "" : byUrn.get(`${v.type}::${v.name}`)!,
      message:
        v.message.startsWith("can't run policy") || v.message.includes(" Advisory: ")
          ? v.message
          : `${description.get(v.policy)}\n${v.message}`,
    }));
    const key = (d: ServerDiagnostic) => JSON.stringify([d.policy, d.urn, d.level, d.message]);
    return {
      online: online.map(key).sort(),
      offline: expected.map(key).sort(),
      violations: offline.violations,
    };
  }

  for (const stack of ["prod", "dev"]) {
    it(`reports what the offline evaluator reports (${stack} config)`, async () => {
      const { online, offline, violations } = await bothWays(troubled(), stack);
      expect(online).to.deep.equal(offline);
      // 2 mandatory + 1 user + 7 unknown-document + 1 unknown-status + 1 advisory trust (+ retention in prod)
      expect(violations.length).to.equal(stack === "prod" ? 13 : 12);
    });
  }

  it("reports what the offline evaluator reports over the whole evasion corpus", async () => {
    const { online, offline, violations } = await bothWays((await corpusGraph()).resources, "prod");
    expect(online).to.deep.equal(offline);
    expect(violations.length).to.be.greaterThan(60);
  });

  it("finds a bucket's resources through property dependencies sent by the engine", async () => {
    let g = patch(baseline(), T.pab, "staging", (i) => (i.bucket = UNKNOWN));
    find(g, T.pab, "staging").propertyDependencies = { bucket: [find(g, T.bucket, "staging").urn] };
    g = patch(g, T.pab, "athena-results", (i) => (i.bucket = UNKNOWN));
    const config = resolvePolicyConfig(policies, loadPolicyConfig("prod"));
    const online = await analyzeWithServer(server, g, config);
    expect(online.map((d) => [d.policy, d.urn, d.level])).to.deep.equal([
      ["s3-bucket-public-access-block", find(g, T.bucket, "athena-results").urn, "mandatory"],
    ]);
  });
});
