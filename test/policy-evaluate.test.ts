import { expect } from "chai";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";

import {
  type GraphResource,
  PolicyConfigError,
  evaluatePolicies,
  evaluatePolicyPack,
  resolvePolicyConfig,
  toEngineProperties,
} from "../policy/evaluate";
import { policies } from "../policy/pack";
import { T, UNKNOWN, baseline, find, res, without } from "./fixtures/policy/graph";

const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const RESOURCE_SIG = { "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e" };

/** A test policy that reports each topic's `displayName`, reading it through the engine proxy. */
function topicNamePolicy(extra: Partial<ResourceValidationPolicy> = {}): ResourceValidationPolicy {
  const validate: ResourceValidationPolicy["validateResource"] = (args, report) => {
    if (args.type !== T.topic) return args.notApplicable("topics only");
    report(`display name ${String(args.props.displayName)}`);
  };
  return {
    name: "topic-name",
    description: "Checks that topics have names.",
    validateResource: validate,
    ...extra,
  };
}

const topics: GraphResource[] = [
  res(T.topic, "a", { displayName: "alpha" }),
  res(T.queue, "q", {}),
];

describe("policy/evaluate: config like the Pulumi CLI", () => {
  it("fills every policy's schema defaults and the pack's level", () => {
    const config = resolvePolicyConfig(policies, {});
    expect(config["log-group-retention"]).to.deep.equal({
      enforcementLevel: "mandatory",
      properties: { minRetentionDays: 1 },
    });
    expect(config["sfn-tracing"]).to.deep.equal({ enforcementLevel: "mandatory", properties: {} });
    expect(Object.keys(config)).to.have.length(policies.length);
  });

  it('applies "all" first, then per-policy levels and properties (shallow merge)', () => {
    const config = resolvePolicyConfig(policies, {
      "sfn-tracing": "mandatory",
      all: "advisory",
      "s3-bucket-lifecycle": { maxAbortIncompleteMultipartUploadDays: 3 },
    });
    expect(config["sfn-tracing"]!.enforcementLevel).to.equal("mandatory");
    expect(config["sfn-logging"]!.enforcementLevel).to.equal("advisory");
    expect(config["s3-bucket-lifecycle"]).to.deep.equal({
      enforcementLevel: "advisory",
      properties: { maxAbortIncompleteMultipartUploadDays: 3 },
    });
  });

  it("rejects unknown policies, bad levels and schema violations, listing every problem", () => {
    let error: unknown;
    try {
      resolvePolicyConfig(policies, {
        "sfn-traceing": "advisory",
        "sfn-tracing": "warn" as "advisory",
        "log-group-retention": { minRetentionDays: "30" },
        "s3-bucket-versioning": { unversionedPurposes: ["logs", "logs"] },
        "iam-resource-wildcard": { exceptions: [{ action: "s3:GetObject" }] },
      });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(PolicyConfigError);
    expect((error as PolicyConfigError).problems).to.deep.equal([
      `sfn-traceing: no such policy in the pack; policies: ${policies.map((p) => p.name).join(", ")}`,
      'sfn-tracing: enforcementLevel must be one of advisory, mandatory, remediate, disabled; found "warn"',
      's3-bucket-versioning: unversionedPurposes: must have unique items; found "logs" twice',
      "iam-resource-wildcard: exceptions[0]: reason is required",
      'log-group-retention: minRetentionDays: must be of type integer; found "30"',
    ]);
  });

  it("reads policy/<stack>.json when no config is given, and defaults for a stack without one", async () => {
    const g = without(baseline(), T.versioning, "staging");
    const levels = async (stack: string) =>
      (await evaluatePolicies(g, { stack })).map((v) => [v.policy, v.level]);
    expect(await levels("dev")).to.deep.equal([["s3-bucket-versioning", "advisory"]]);
    expect(await levels("prod")).to.deep.equal([["s3-bucket-versioning", "mandatory"]]);
    // Without a config file, iam-foreign-access knows no account: every account principal and
    // resource is foreign (fail closed).
    const defaults = await levels("staging-test");
    expect(defaults.filter(([p]) => p !== "iam-foreign-access")).to.deep.equal([
      ["s3-bucket-versioning", "mandatory"],
    ]);
    expect(defaults.filter(([p]) => p === "iam-foreign-access").length).to.be.greaterThan(5);
  });
});

describe("policy/evaluate: the engine's evaluation", () => {
  it("reports with the policy's level, on the analysed resource, with the policy's message", async () => {
    const found = await evaluatePolicies(topics, {
      stack: "t",
      policies: [topicNamePolicy()],
      config: {},
    });
    expect(found).to.deep.equal([
      {
        policy: "topic-name",
        level: "mandatory",
        type: T.topic,
        name: "a",
        message: "display name alpha",
      },
    ]);
  });

  it("skips disabled policies and downgrades advisory ones", async () => {
    const p = [topicNamePolicy()];
    expect(
      await evaluatePolicies(topics, {
        stack: "t",
        policies: p,
        config: { "topic-name": "disabled" },
      }),
    ).to.deep.equal([]);
    const advisory = await evaluatePolicies(topics, {
      stack: "t",
      policies: p,
      config: { all: "advisory" },
    });
    expect(advisory.map((v) => v.level)).to.deep.equal(["advisory"]);
  });

  it("records not-applicable for other types, through notApplicable() and the __pulumiType fast path", async () => {
    const fast = topicNamePolicy({ name: "fast" });
    (fast.validateResource as { __pulumiType?: string }).__pulumiType = T.topic;
    const r = await evaluatePolicyPack(topics, {
      stack: "t",
      policies: [topicNamePolicy(), fast],
      config: {},
    });
    expect(r.notApplicable).to.deep.equal([
      { policy: "topic-name", reason: "topics only", urn: find(topics, T.queue, "q").urn },
      {
        policy: "fast",
        reason: `Policy only applies to resources of type '${T.topic}'`,
        urn: find(topics, T.queue, "q").urn,
      },
    ]);
    expect(r.violations.map((v) => v.policy)).to.deep.equal(["topic-name", "fast"]);
  });

  it("turns a read of an unknown value into the engine's advisory", async () => {
    const g = [res(T.topic, "a", { displayName: UNKNOWN })];
    expect(
      await evaluatePolicies(g, { stack: "t", policies: [topicNamePolicy()], config: {} }),
    ).to.deep.equal([
      {
        policy: "topic-name",
        level: "advisory",
        type: T.topic,
        name: "a",
        message:
          "can't run policy 'topic-name' from policy pack 'spotify-pipeline@v0.1.0' during preview: string value at .displayName can't be known during preview",
      },
    ]);
  });

  it("runs remediations first at level remediate and reports what still fails as mandatory", async () => {
    const remediating = topicNamePolicy({
      remediateResource: (args) =>
        args.type === T.topic ? { ...args.props, displayName: "fixed" } : undefined,
    });
    const found = await evaluatePolicies(topics, {
      stack: "t",
      policies: [remediating],
      config: { "topic-name": "remediate" },
    });
    expect(found).to.deep.equal([
      {
        policy: "topic-name",
        level: "mandatory",
        type: T.topic,
        name: "a",
        message: "display name fixed",
      },
    ]);
  });

  it("attributes stack violations to the URN they name, else to the stack", async () => {
    const stackPolicy: StackValidationPolicy = {
      name: "count",
      description: "Checks that there are resources.",
      validateStack: (args, report) => {
        const topic = args.resources.find((r) => r.type === T.topic)!;
        report(`parent ${topic.parent?.name ?? "none"}`, topic.urn);
        report(`${args.resources.length} resources`);
      },
    };
    const g = baseline();
    expect(
      await evaluatePolicies(g, { stack: "prod", policies: [stackPolicy], config: {} }),
    ).to.deep.equal([
      {
        policy: "count",
        level: "mandatory",
        type: T.topic,
        name: "alerts",
        message: "parent spotify-pipeline-prod",
      },
      {
        policy: "count",
        level: "mandatory",
        type: T.stack,
        name: "prod",
        message: `${g.length} resources`,
      },
    ]);
  });

  it("gives each policy its own copy of the props", async () => {
    const mutating = topicNamePolicy({
      name: "mutating",
      validateResource: (args) => {
        args.props.displayName = "changed";
      },
    });
    const found = await evaluatePolicies(topics, {
      stack: "t",
      policies: [mutating, topicNamePolicy()],
      config: {},
    });
    expect(found.map((v) => v.message)).to.deep.equal(["display name alpha"]);
  });

  it("fails the run, naming the resource and policy, when a policy throws", async () => {
    const broken = topicNamePolicy({
      validateResource: () => {
        throw new Error("boom");
      },
    });
    let error: Error | undefined;
    try {
      await evaluatePolicies(topics, { stack: "t", policies: [broken], config: {} });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.equal(
      `Error validating resource ${find(topics, T.topic, "a").urn} with policy 'topic-name' from policy pack 'spotify-pipeline@v0.1.0': boom`,
    );
  });

  it("does not analyse providers with resource policies", async () => {
    const g = [res("pulumi:providers:aws", "default", { region: "us-east-1" })];
    const all = topicNamePolicy({ validateResource: (_args, report) => report("seen") });
    expect(await evaluatePolicies(g, { stack: "t", policies: [all], config: {} })).to.deep.equal(
      [],
    );
  });

  it("passes the whole baseline with both shipped configs", async () => {
    expect(await evaluatePolicies(baseline(), { stack: "prod" })).to.deep.equal([]);
    expect(await evaluatePolicies(baseline(), { stack: "dev" })).to.deep.equal([]);
  });
});

describe("policy/evaluate: graph values as the engine sends them", () => {
  it("unwraps secrets, turns resource references into ids and SDK unknowns into the sentinel", () => {
    expect(
      toEngineProperties({
        password: { ...SECRET_SIG, value: "hunter2" },
        role: { ...RESOURCE_SIG, urn: "urn:pulumi:s::p::aws:iam/role:Role::r", id: "r-123" },
        component: { ...RESOURCE_SIG, urn: "urn:pulumi:s::p::my:C::c" },
        later: pulumi.unknown,
        marker: { __pulumiUnknown: true },
        gone: undefined,
        list: ["a", undefined],
      }),
    ).to.deep.equal({
      password: "hunter2",
      role: "r-123",
      component: "urn:pulumi:s::p::my:C::c",
      later: UNKNOWN,
      marker: UNKNOWN,
      list: ["a", null],
    });
  });

  it("refuses live Outputs, saying where", () => {
    expect(() => toEngineProperties({ arn: pulumi.output("x") }, "urn:x inputs")).to.throw(
      "urn:x inputs.arn is a live Pulumi Output; the graph must hold plain values (synthesize serializes them).",
    );
  });
});
