/**
 * Fail closed on coverage: every @pulumi/aws resource type whose inputs carry a policy document,
 * a principal, a policy attachment or a grant (derived from the SDK's type definitions, so a
 * provider upgrade that adds one fails here) is either judged by the pack or listed, with a
 * reason, as refused (policy/coverage.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { expect } from "chai";

import { CHECKED_TYPES, NOT_IAM_TYPES, REFUSED_TYPES } from "../policy/coverage";

const SDK = path.join(__dirname, "..", "node_modules", "@pulumi", "aws");

/** Input names that carry an IAM document, a principal, an attachment or a grant. */
export const POLICY_BEARING_INPUT =
  /^(policy|policyDocument|assumeRolePolicy|accessPolicy|accessPolicies|resourcePolicy|repositoryPolicy|inlinePolicy|inlinePolicies|sessionPolicy|principal|principals|principalArn|granteePrincipal|retiringPrincipal|sharePrincipals|allowedPrincipals|servicePrincipal|policyArn|policyArns|managedPolicyArn|managedPolicyArns|grants|grant|accessControlPolicy|permissions|desiredState)$|PolicyDocument$/;

const INPUT = /^\s+(?:readonly\s+)?([A-Za-z0-9]+)\??:\s*pulumi\.Input</;

/** Type token -> the policy-bearing inputs of its Args, from the SDK's .d.ts and .js files. */
export function policyBearingTypes(root = SDK): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "types" && e.name !== "node_modules") walk(p);
        continue;
      }
      if (!e.name.endsWith(".d.ts")) continue;
      const args = /export interface ([A-Za-z0-9]+)Args \{([\s\S]*?)\n\}/.exec(
        fs.readFileSync(p, "utf8"),
      );
      if (!args) continue;
      const fields = args[2]!
        .split("\n")
        .flatMap((line) => INPUT.exec(line)?.[1] ?? [])
        .filter((f) => POLICY_BEARING_INPUT.test(f));
      if (fields.length === 0) continue;
      const js = p.replace(/\.d\.ts$/, ".js");
      if (!fs.existsSync(js)) continue;
      const token = /__pulumiType = '([^']+)'/.exec(fs.readFileSync(js, "utf8"))?.[1];
      if (token) out.set(token, fields);
    }
  };
  walk(root);
  return out;
}

describe("policy pack coverage of @pulumi/aws", () => {
  const derived = policyBearingTypes();

  it("finds the policy-bearing types in the SDK (sanity: the known ones are there)", () => {
    expect(derived.size).to.be.greaterThan(100);
    expect(derived.get("aws:iam/role:Role")).to.include.members([
      "assumeRolePolicy",
      "managedPolicyArns",
    ]);
    expect(derived.get("aws:kms/grant:Grant")).to.include("granteePrincipal");
    expect(derived.get("aws:cloudcontrol/resource:Resource")).to.include("desiredState");
  });

  it("judges or refuses, with a reason, every policy-bearing type", () => {
    const unlisted = [...derived.keys()].filter(
      (t) => !CHECKED_TYPES.includes(t) && !(t in REFUSED_TYPES) && !(t in NOT_IAM_TYPES),
    );
    expect(
      unlisted,
      "add each to CHECKED_TYPES (with a rule) or REFUSED_TYPES (with a reason)",
    ).to.deep.equal([]);
  });

  it("lists no type twice and no type the SDK does not have", () => {
    const both = CHECKED_TYPES.filter((t) => t in REFUSED_TYPES);
    expect(both).to.deep.equal([]);
    const listed = [...CHECKED_TYPES, ...Object.keys(REFUSED_TYPES), ...Object.keys(NOT_IAM_TYPES)];
    expect(new Set(listed).size).to.equal(listed.length);
    const stale = listed.filter((t) => !derived.has(t));
    expect(stale).to.deep.equal([]);
    for (const [t, reason] of Object.entries({ ...REFUSED_TYPES, ...NOT_IAM_TYPES })) {
      expect(reason.length, t).to.be.greaterThan(20);
    }
  });
});
