/**
 * The engine e2e's pure parts, fast (the engine itself runs in `npm run engine:e2e`): the doubles'
 * replacement table and input diff, the awsx layout shared with the mocks, the state comparison,
 * and the workflows running the preview command lines the e2e proves.
 */
import * as fs from "node:fs";

import { expect } from "chai";
import { parse } from "yaml";

import { vpcLayout } from "../tools/awsx-vpc";
import { agrees, compareState, expectedUpdates, stepsWith } from "../tools/engine/compare";
import { REPLACE_ON_CHANGE, diffInputs } from "../tools/engine/doubles/replacements";
import { parseUrn } from "../tools/engine/doubles/aws";
import { POLICY_PACK, policyPackConfig } from "../tools/engine/engine";
import type { StateResource } from "../tools/engine/engine";
import { type GraphResource, mockOutputs } from "../tools/synth";
import { STACKS, graphOf, repo } from "./harness";

describe("engine e2e: provider doubles", () => {
  const cases: {
    what: string;
    type: string;
    olds: Record<string, unknown>;
    news: Record<string, unknown>;
    changed: string[];
    replaces: string[];
  }[] = [
    {
      what: "same inputs, keys in another order",
      type: "aws:s3/bucket:Bucket",
      olds: { tags: { a: "1", b: "2" }, forceDestroy: true },
      news: { forceDestroy: true, tags: { b: "2", a: "1" } },
      changed: [],
      replaces: [],
    },
    {
      what: "a bucket's name replaces it",
      type: "aws:s3/bucket:Bucket",
      olds: { forceDestroy: true },
      news: { forceDestroy: true, bucket: "renamed" },
      changed: ["bucket"],
      replaces: ["bucket"],
    },
    {
      what: "a log group's retention updates in place",
      type: "aws:cloudwatch/logGroup:LogGroup",
      olds: { name: "/x", retentionInDays: 14 },
      news: { name: "/x", retentionInDays: 30 },
      changed: ["retentionInDays"],
      replaces: [],
    },
    {
      what: "a removed input is a change",
      type: "aws:sfn/stateMachine:StateMachine",
      olds: { name: "m", tracingConfiguration: { enabled: true } },
      news: { name: "m" },
      changed: ["tracingConfiguration"],
      replaces: [],
    },
    {
      what: "a key spec replaces the key, rotation does not",
      type: "aws:kms/key:Key",
      olds: { customerMasterKeySpec: "SYMMETRIC_DEFAULT", enableKeyRotation: false },
      news: { customerMasterKeySpec: "RSA_2048", enableKeyRotation: true },
      changed: ["customerMasterKeySpec", "enableKeyRotation"],
      replaces: ["customerMasterKeySpec"],
    },
    {
      what: "a job's name replaces it",
      type: "aws:glue/job:Job",
      olds: { name: "a", numberOfWorkers: 2 },
      news: { name: "b", numberOfWorkers: 2 },
      changed: ["name"],
      replaces: ["name"],
    },
  ];
  for (const c of cases) {
    it(`diff compares old inputs with new inputs: ${c.what}`, () => {
      expect(diffInputs(c.type, c.olds, c.news)).to.deep.equal({
        changed: c.changed,
        replaces: c.replaces,
      });
    });
  }

  it("diff refuses a type without a row in the replacement table", () => {
    expect(() => diffInputs("aws:ec2/instance:Instance", {}, {})).to.throw(
      "Resource type aws:ec2/instance:Instance must have a row in REPLACE_ON_CHANGE",
    );
  });

  it("the replacement table has a row, with a source, for every custom type the program declares", async () => {
    const types = new Set<string>();
    for (const stack of STACKS) {
      const g = await graphOf(stack);
      for (const r of g.resources) {
        if (r.custom && !r.type.startsWith("pulumi:providers:")) types.add(r.type);
        if (r.type === "awsx:ec2:Vpc") {
          const layout = vpcLayout(r.name, r.inputs, "eu-west-1");
          for (const c of [
            layout.vpc,
            ...layout.subnets.flatMap((s) => [s, s.routeTable, s.association]),
          ])
            types.add(c.type);
        }
      }
    }
    const missing = [...types].filter((t) => !REPLACE_ON_CHANGE[t]).sort();
    expect(missing).to.deep.equal([]);
    for (const [type, rule] of Object.entries(REPLACE_ON_CHANGE)) {
      expect(rule.source, type).to.match(
        /^hashicorp\/terraform-provider-aws website\/docs\/r\/\w+\.html\.markdown/,
      );
      expect(rule.properties.length, type).to.be.greaterThan(0);
    }
  });

  it("reads the type and name from a URN, through parent types", () => {
    expect(
      parseUrn(
        "urn:pulumi:dev::spotify-pipeline::spotify-pipeline:etl:GlueEtl$aws:glue/job:Job::spotify-dev-etl-job",
      ),
    ).to.deep.equal({ type: "aws:glue/job:Job", name: "spotify-dev-etl-job" });
  });

  it("the awsx layout's children get the ids the mocked awsx:ec2:Vpc outputs", () => {
    const inputs = {
      cidrBlock: "10.20.0.0/16",
      numberOfAvailabilityZones: 2,
      subnetSpecs: [{ type: "Isolated", name: "glue" }],
    };
    const layout = vpcLayout("net", inputs, "eu-west-1");
    expect(
      layout.subnets.map((s) => [s.name, s.availabilityZone, s.inputs.cidrBlock]),
    ).to.deep.equal([
      ["net-glue-1", "eu-west-1a", "10.20.0.0/17"],
      ["net-glue-2", "eu-west-1b", "10.20.128.0/17"],
    ]);
    const vpc = mockOutputs("awsx:ec2:Vpc", "net", inputs, "eu-west-1").state;
    const id = (c: { type: string; name: string; inputs: Record<string, unknown> }) =>
      mockOutputs(c.type, c.name, c.inputs, "eu-west-1").id;
    expect(vpc.vpcId).to.equal(id(layout.vpc));
    expect(vpc.isolatedSubnetIds).to.deep.equal(layout.subnets.map(id));
    expect((vpc.routeTables as { id: string }[]).map((t) => t.id)).to.deep.equal(
      layout.subnets.map((s) => id(s.routeTable)),
    );
  });
});

describe("engine e2e: comparing the engine with the offline synthesis", () => {
  const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
  const res = (
    name: string,
    inputs: Record<string, unknown>,
    extra: Partial<GraphResource> = {},
  ): GraphResource => ({
    type: "aws:sns/topic:Topic",
    name,
    urn: `urn:pulumi:dev::p::aws:sns/topic:Topic::${name}`,
    custom: true,
    inputs,
    protect: false,
    retainOnDelete: false,
    dependsOn: [],
    propertyDependencies: {},
    ...extra,
  });
  const state = (r: GraphResource, patch: Partial<StateResource> = {}): StateResource => ({
    urn: r.urn,
    type: r.type,
    parent: stack,
    protect: r.protect,
    inputs: r.inputs,
    ...patch,
  });

  it("agrees when URNs, inputs, parents and protect match; the Stack and default providers are the engine's own", () => {
    const a = res("a", { name: "a" });
    const c = compareState(
      [a],
      [
        state(a),
        { urn: stack, type: "pulumi:pulumi:Stack" },
        {
          urn: "urn:pulumi:dev::p::pulumi:providers:awsx::default_3_9_0",
          type: "pulumi:providers:awsx",
        },
      ],
    );
    expect(agrees(c)).to.equal(true);
    expect(c.compared).to.equal(1);
  });

  it("reports missing and unexpected resources, differing inputs and protect flags", () => {
    const a = res("a", { name: "a" });
    const b = res("b", { name: "b" }, { protect: true });
    const gone = res("gone", {});
    const extra = res("extra", {});
    const c = compareState(
      [a, b, gone],
      [state(a, { inputs: { name: "A" } }), state(b, { protect: false }), state(extra)],
    );
    expect(c.missing).to.deep.equal([gone.urn]);
    expect(c.unexpected).to.deep.equal([extra.urn]);
    expect(c.inputs).to.deep.equal([{ urn: a.urn, paths: ["name"] }]);
    expect(c.options).to.deep.equal([{ urn: b.urn, field: "protect" }]);
  });

  it("accepts children the engine alone holds only when named (the awsx double's)", () => {
    const child = {
      urn: "urn:pulumi:dev::p::awsx:ec2:Vpc$aws:ec2/subnet:Subnet::net-glue-1",
      type: "aws:ec2/subnet:Subnet",
    };
    expect(compareState([], [child]).unexpected).to.deep.equal([child.urn]);
    expect(
      compareState([], [child], [{ type: "aws:ec2/subnet:Subnet", name: "net-glue-1" }]).unexpected,
    ).to.deep.equal([]);
  });

  it("compares assets as assets and ignores the inputs the engine adds to providers", () => {
    const obj = res(
      "o",
      { source: { __pulumiAsset: true, path: {} } },
      { type: "aws:s3/bucketObjectv2:BucketObjectv2" },
    );
    const provider = res("prov", { region: "eu-west-1" }, { type: "pulumi:providers:aws" });
    const c = compareState(
      [obj, provider],
      [
        state(obj, {
          inputs: {
            source: {
              "4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17",
              path: "/x/job.py",
              hash: "ab",
            },
          },
        }),
        state(provider, { inputs: { region: "eu-west-1", version: "7.48.0", __internal: {} } }),
      ],
    );
    expect(c.inputs).to.deep.equal([]);
  });

  it("expects as updates exactly the resources whose inputs a config change alters", async () => {
    const before = await graphOf("dev");
    const after = await graphOf("dev", { configOverrides: { logRetentionDays: 30 } });
    expect(expectedUpdates(before.resources, after.resources)).to.deep.equal([
      "aws:cloudwatch/logGroup:LogGroup::spotify-dev-orchestration-states-logs",
    ]);
    expect(
      stepsWith(
        [
          {
            op: "update",
            urn: "urn:pulumi:dev::p::aws:cloudwatch/logGroup:LogGroup::l",
            type: "aws:cloudwatch/logGroup:LogGroup",
            diffs: [],
            replaces: [],
          },
          {
            op: "create",
            urn: "urn:pulumi:dev::p::pulumi:providers:aws::default_7_48_0",
            type: "pulumi:providers:aws",
            diffs: [],
            replaces: [],
          },
        ],
        "update",
        "create",
      ),
    ).to.deep.equal(["aws:cloudwatch/logGroup:LogGroup::l"]);
  });
});

describe("engine e2e: the workflows run the previews the e2e proves", () => {
  interface Step {
    uses?: string;
    with?: Record<string, unknown>;
  }
  const workflows = fs
    .readdirSync(repo(".github/workflows"))
    .filter((f) => f.endsWith(".yml"))
    .map((file) => ({
      file,
      steps: Object.values(
        (
          parse(fs.readFileSync(repo(".github/workflows", file), "utf8")) as {
            jobs: Record<string, { steps: Step[] }>;
          }
        ).jobs,
      ).flatMap((j) => j.steps),
    }));
  const pulumiSteps = workflows.flatMap(({ file, steps }) =>
    steps.filter((s) => s.uses?.startsWith("pulumi/actions@")).map((s) => ({ file, step: s })),
  );

  it("every pulumi preview and up outside drift detection passes --policy-pack policy --policy-pack-config policy/<stack>.json", () => {
    const gated = pulumiSteps.filter(
      ({ file, step }) =>
        file !== "drift.yml" && ["preview", "up"].includes(String(step.with?.command)),
    );
    expect(gated.map(({ file }) => file).sort()).to.deep.equal(["deploy.yml", "pull-request.yml"]);
    for (const { file, step } of gated) {
      expect(step.with?.policyPacks, file).to.equal(POLICY_PACK);
      expect(step.with?.policyPackConfigs, file).to.equal(policyPackConfig("${{ matrix.stack }}"));
    }
  });

  it("drift detection runs the preview with expect-no-changes that the e2e's second preview proves", () => {
    const drift = pulumiSteps
      .filter(({ file }) => file === "drift.yml")
      .map(({ step }) => step.with);
    expect(drift).to.have.length(1);
    expect(drift[0]).to.include({ command: "preview", "expect-no-changes": true });
  });
});
