/**
 * The evasion corpus (test/programs/evasions.ts) under the pack with the prod policy config:
 * every `evade-*` resource draws a mandatory violation, no `control-*` resource draws any
 * violation (mandatory or advisory), and the compliant foundation stays clean.
 */
import { expect } from "chai";

import { type Violation, evaluatePolicies } from "../policy/evaluate";
import type { Graph } from "../tools/synth";
import { corpusGraph } from "./fixtures/policy/corpus";

const VARIANT = /^evade[-_]/;
const CONTROL = /^control[-_]/;

/** Logical names of the corpus's own resources (components and providers aside). */
function namesOf(g: Graph, pattern: RegExp): string[] {
  return [
    ...new Set(
      g.resources
        .filter((r) => r.custom && !r.type.startsWith("pulumi:") && pattern.test(r.name))
        .map((r) => r.name),
    ),
  ].sort();
}

describe("policy pack over the evasion corpus (test/programs/evasions.ts)", function () {
  let graph: Graph;
  let found: Violation[];

  before(async () => {
    graph = await corpusGraph();
    found = await evaluatePolicies(graph.resources, { stack: "prod" });
  });

  it("holds at least 60 variants and 15 controls", () => {
    expect(namesOf(graph, VARIANT).length).to.be.at.least(60);
    expect(namesOf(graph, CONTROL).length).to.be.at.least(15);
  });

  it("reports every variant as mandatory", () => {
    const caught = new Set(found.filter((v) => v.level === "mandatory").map((v) => v.name));
    expect(namesOf(graph, VARIANT).filter((n) => !caught.has(n))).to.deep.equal([]);
  });

  it("reports nothing at all on the controls", () => {
    expect(found.filter((v) => CONTROL.test(v.name))).to.deep.equal([]);
  });

  it("reports nothing on the compliant foundation", () => {
    expect(found.filter((v) => !VARIANT.test(v.name))).to.deep.equal([]);
  });
});
