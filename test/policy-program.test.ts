/**
 * The whole program (index.ts), synthesized per shipped stack with its real config, passes the
 * policy pack with that stack's policy config: no mandatory violation, in an update and in a
 * preview (where unknown values may only add advisories).
 */
import { expect } from "chai";

import { evaluatePolicies } from "../policy/evaluate";
import { STACKS, graphOf } from "./harness";

describe("policy pack over the program", () => {
  it("has a policy config for every shipped stack", () => {
    expect(STACKS).to.include.members(["dev", "prod"]);
  });

  it("prod: every VPC endpoint of the job's network has an endpoint policy pinned to the account", async () => {
    const graph = await graphOf("prod", { preview: false });
    const endpoints = graph.resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
    const policies = graph.resources.filter(
      (r) => r.type === "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
    );
    expect(endpoints.length).to.equal(6);
    expect(policies.map((p) => p.name).sort()).to.deep.equal(
      endpoints.map((e) => `${e.name}-policy`).sort(),
    );
    for (const p of policies) {
      const doc = JSON.parse(String(p.inputs["policy"])) as {
        Statement: { Condition: { StringEquals: Record<string, string> } }[];
      };
      for (const s of doc.Statement) {
        expect(s.Condition.StringEquals["aws:PrincipalAccount"]).to.equal("123456789012");
      }
    }
  });

  for (const stack of STACKS) {
    for (const preview of [false, true]) {
      it(`${stack}${preview ? " (preview)" : ""}: no mandatory violations`, async () => {
        const graph = await graphOf(stack, { preview });
        const found = await evaluatePolicies(graph.resources, { stack });
        expect(found.filter((v) => v.level === "mandatory")).to.deep.equal([]);
      });
    }
  }
});
