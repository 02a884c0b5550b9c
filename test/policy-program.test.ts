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
