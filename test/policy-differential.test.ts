/**
 * Differential testing of the pack's "who can act" model (policy/access.ts) against an IAM
 * simulator (@cloud-copilot/iam-simulate's core engine, as tools/least-privilege.ts calls it).
 *
 * A grammar generates resource-policy statements (principals x actions x condition operators x
 * keys x values) with fast-check, from a fixed seed. For each, the pack's verdict "a principal
 * outside the trusted account/organization can be allowed" must equal the simulator's answer for
 * a request from a foreign account whose context the caller picks adversarially: every foreign
 * identity the grammar's values could match, with or without an organization, and every value of
 * the keys the caller chooses (aws:UserAgent, aws:Referer), present or absent. Keys the caller
 * cannot choose take the values its identity gives them (aws:SourceAccount and aws:SourceArn are
 * absent on a direct call). Every disagreement ever found stays below as a fixture.
 */
import { expect } from "chai";
import fc from "fast-check";

import { type TrustedSet, foreignGrants } from "../policy/access";
import { parsePolicyDocument } from "../policy/document";
import { authorizeCore, coreModules } from "../tools/least-privilege/simulate";

const TRUSTED = "123456789012";
const FOREIGN = "999999999999";
const TRUSTED_ORG = "o-trusted1234";
const TRUST: TrustedSet = { accounts: [TRUSTED], organizations: [TRUSTED_ORG] };
const BUCKET = "arn:aws:s3:::corpus-data";
const OBJECT = `${BUCKET}/incoming/a.csv`;

type Stmt = Record<string, unknown>;

const ACCOUNT_VALUES = [TRUSTED, FOREIGN, "*", "12345678901?", "1234567890*", "9*", `${TRUSTED}*`];
const ARN_VALUES = [
  `arn:aws:iam::${TRUSTED}:role/app`,
  `arn:aws:iam::${TRUSTED}:*`,
  `arn:aws:iam::${FOREIGN}:*`,
  "arn:aws:iam::*:root",
  "arn:aws:iam::*:*",
  `arn:aws:iam::12345678901?:*`,
  "*",
];
const ORG_VALUES = [TRUSTED_ORG, "o-*", "o-foreign5678"];
const VPCE_VALUES = ["vpce-1a2b3c4d", "vpce-*"];
const FREE_VALUES = ["pipeline", "*", "x*"];

/** Condition keys by the values they take, and the operators that compare them. */
const KEYS: Record<string, { values: string[]; arn: boolean }> = {
  "aws:PrincipalAccount": { values: ACCOUNT_VALUES, arn: false },
  "aws:SourceAccount": { values: ACCOUNT_VALUES, arn: false },
  "aws:PrincipalArn": { values: ARN_VALUES, arn: true },
  "aws:SourceArn": { values: ARN_VALUES, arn: true },
  "aws:PrincipalOrgID": { values: ORG_VALUES, arn: false },
  "aws:SourceVpce": { values: VPCE_VALUES, arn: false },
  "aws:UserAgent": { values: FREE_VALUES, arn: false },
  "aws:Referer": { values: FREE_VALUES, arn: false },
};
const STRING_OPERATORS = [
  "StringEquals",
  "StringLike",
  "StringNotEquals",
  "StringNotLike",
  "StringEqualsIfExists",
  "StringLikeIfExists",
  "StringNotEqualsIfExists",
  "ForAnyValue:StringEquals",
  "ForAnyValue:StringLike",
  "ForAllValues:StringEquals",
  "ForAllValues:StringLike",
];
const ARN_OPERATORS = ["ArnEquals", "ArnLike", "ArnNotLike", "ArnLikeIfExists", "ArnNotEquals"];

const PRINCIPALS: unknown[] = [
  "*",
  { AWS: "*" },
  { AWS: `arn:aws:iam::${TRUSTED}:root` },
  { AWS: `arn:aws:iam::${TRUSTED}:role/app` },
  { AWS: `arn:aws:iam::${FOREIGN}:root` },
  { AWS: FOREIGN },
  { AWS: `arn:aws:iam::${FOREIGN}:role/attacker` },
];

const condition = fc.constantFrom(...Object.keys(KEYS)).chain((key) =>
  fc.record({
    key: fc.constant(key),
    operator: fc.constantFrom(
      ...(KEYS[key]!.arn ? [...STRING_OPERATORS, ...ARN_OPERATORS] : STRING_OPERATORS),
    ),
    values: fc.uniqueArray(fc.constantFrom(...KEYS[key]!.values), {
      minLength: 1,
      maxLength: 2,
    }),
  }),
);

/** A resource-policy statement of the grammar. */
export const statementArbitrary: fc.Arbitrary<Stmt> = fc
  .record({
    principal: fc.constantFrom(...PRINCIPALS),
    action: fc.constantFrom("s3:GetObject", "s3:*", "*", "s3:Get*"),
    conditions: fc.uniqueArray(condition, {
      maxLength: 2,
      // Distinct keys: the pack does not solve contradictions between two conditions on one
      // caller-chosen key (it over-approximates; see the known over-approximations below).
      selector: (c) => c.key,
    }),
  })
  .map(({ principal, action, conditions }) => {
    const block: Record<string, Record<string, string[]>> = {};
    for (const c of conditions) (block[c.operator] ??= {})[c.key] = c.values;
    return {
      Effect: "Allow",
      Principal: principal,
      Action: action,
      Resource: `${BUCKET}/*`,
      ...(conditions.length > 0 ? { Condition: block } : {}),
    };
  });

/** The pack's verdict: can a principal outside the trusted set be allowed? */
export function packSaysForeignAllowed(statement: Stmt): boolean {
  const doc = parsePolicyDocument({ Version: "2012-10-17", Statement: [statement] });
  return foreignGrants(doc.Statement[0]!, TRUST).length > 0;
}

/** A wildcard value turned into a concrete one the caller could send. */
const concrete = (v: string) => v.replace(/\*/g, "zz").replace(/\?/g, "7");

/** Every context a foreign caller can bring to one statement. */
interface AdversarialRequest {
  /** An IAM principal ARN, a service principal, or iam-simulate's anonymous principal. */
  principal: string | { type: "Anonymous" };
  context: Record<string, string>;
  /** Whether the caller has an identity policy (of its own account: the attacker's, allow all). */
  identity: boolean;
}

function adversarialRequests(statement: Stmt): AdversarialRequest[] {
  const values = JSON.stringify(statement);
  const accounts = new Set([FOREIGN, "123456789010", "123456789013", "900000000000"]);
  for (const m of values.matchAll(/\d{12}/g)) if (m[0] !== TRUSTED) accounts.add(m[0]);
  const cond = (statement.Condition ?? {}) as Record<string, Record<string, string[]>>;
  const keys = new Set(Object.values(cond).flatMap((b) => Object.keys(b)));
  const choices = (key: string): (string | undefined)[] => {
    const written = Object.values(cond).flatMap((b) => b[key] ?? []);
    return [undefined, "zzz", ...written.map(concrete), ...written];
  };
  const orgs = keys.has("aws:PrincipalOrgID")
    ? [undefined, "o-foreign5678", "o-other0000"]
    : [undefined];
  const vpces = keys.has("aws:SourceVpce") ? [undefined, "vpce-foreign99"] : [undefined];
  const agents = keys.has("aws:UserAgent") ? choices("aws:UserAgent") : [undefined];
  const referers = keys.has("aws:Referer") ? choices("aws:Referer") : [undefined];
  const out: AdversarialRequest[] = [];
  for (const account of accounts) {
    for (const principal of [
      `arn:aws:iam::${account}:root`,
      `arn:aws:iam::${account}:role/attacker`,
      `arn:aws:iam::${account}:role/app`,
    ]) {
      for (const org of orgs) {
        for (const vpce of vpces) {
          for (const agent of agents) {
            for (const referer of referers) {
              const context: Record<string, string> = {
                "aws:PrincipalAccount": account,
                "aws:PrincipalArn": principal,
                "aws:PrincipalType": "AssumedRole",
                "aws:SecureTransport": "true",
              };
              if (org) context["aws:PrincipalOrgID"] = org;
              if (vpce) context["aws:SourceVpce"] = vpce;
              if (agent !== undefined) context["aws:UserAgent"] = agent;
              if (referer !== undefined) context["aws:Referer"] = referer;
              out.push({ principal, context, identity: true });
            }
          }
        }
      }
    }
  }
  // A service acting for a foreign account: the service sets the source keys to that account's
  // resource; it has no identity keys.
  const arns = Object.values(cond)
    .flatMap((b) => b["aws:SourceArn"] ?? [])
    .map(concrete);
  for (const account of accounts) {
    for (const sourceArn of [`arn:aws:sns:eu-west-1:${account}:feed`, ...arns]) {
      if (!sourceArn.includes(account) && sourceArn.includes(TRUSTED)) continue;
      out.push({
        principal: "events.amazonaws.com",
        context: {
          "aws:SourceAccount": account,
          "aws:SourceArn": sourceArn,
          "aws:PrincipalIsAWSService": "true",
          "aws:SecureTransport": "true",
        },
        identity: false,
      });
    }
  }
  // An unsigned (anonymous) request: no identity keys at all; the caller picks the rest.
  for (const vpce of vpces) {
    for (const agent of agents) {
      for (const referer of referers) {
        const context: Record<string, string> = { "aws:SecureTransport": "true" };
        if (vpce) context["aws:SourceVpce"] = vpce;
        if (agent !== undefined) context["aws:UserAgent"] = agent;
        if (referer !== undefined) context["aws:Referer"] = referer;
        out.push({ principal: { type: "Anonymous" }, context, identity: false });
      }
    }
  }
  return out;
}

/** The simulator's verdict: does any adversarial foreign request get Allowed? */
export function simulatorSaysForeignAllowed(statement: Stmt): boolean {
  const m = coreModules();
  const resourcePolicy = m.loadPolicy(
    { Version: "2012-10-17", Statement: [statement] },
    { name: "resource policy" },
  );
  const identity = m.loadPolicy(
    { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
    { name: "attacker identity" },
  );
  return adversarialRequests(statement).some(({ principal, context, identity: own }) => {
    const analysis = authorizeCore({
      // iam-simulate takes its anonymous principal object where the type says string.
      principal: principal as string,
      resource: { resource: OBJECT, accountId: TRUSTED },
      action: "s3:GetObject",
      context,
      identityPolicies: own ? [identity] : [],
      resourcePolicy,
    });
    return analysis.result === "Allowed";
  });
}

/** Statements on which the two once disagreed (kept as fixtures, with what was wrong). */
const FIXTURES: { statement: Stmt; foreignAllowed: boolean; was: string }[] = [
  {
    statement: {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` },
      Action: "s3:*",
      Resource: `${BUCKET}/*`,
      Condition: { ArnEquals: { "aws:PrincipalArn": ["arn:aws:iam::12345678901?:*"] } },
    },
    foreignAllowed: false,
    was: "a named foreign principal whose own account no condition value matches was judged by the values alone",
  },
  ...(
    [
      [
        { AWS: `arn:aws:iam::${FOREIGN}:role/attacker` },
        { "ForAllValues:StringEquals": { "aws:PrincipalArn": [`arn:aws:iam::${FOREIGN}:*`] } },
        false,
        "ForAllValues on a key every IAM principal carries restricts a named principal",
      ],
      [
        { AWS: `arn:aws:iam::${FOREIGN}:root` },
        {
          "ForAnyValue:StringLike": {
            "aws:SourceArn": [`arn:aws:iam::${TRUSTED}:role/app`, "arn:aws:iam::*:root"],
          },
        },
        false,
        "a principal's own request carries no aws:SourceArn, so a positive condition on it never holds",
      ],
      [
        { AWS: "*" },
        { StringLike: { "aws:SourceArn": ["*", "arn:aws:iam::*:*"] } },
        true,
        "Principal * includes services acting for a foreign account (the simulator needed a service request)",
      ],
      [
        { AWS: "*" },
        {
          StringNotLike: { "aws:SourceArn": ["*", "arn:aws:iam::12345678901?:*"] },
          StringEqualsIfExists: { "aws:PrincipalAccount": ["9*"] },
        },
        true,
        "Principal * includes anonymous callers, who carry neither key (the simulator needed an anonymous request)",
      ],
      [
        "*",
        {
          "ForAnyValue:StringEquals": {
            "aws:SourceArn": [`arn:aws:iam::${FOREIGN}:*`, `arn:aws:iam::${TRUSTED}:*`],
          },
        },
        false,
        "StringEquals compares literally: no ARN holds a `*`",
      ],
      [
        "*",
        {
          "ForAllValues:StringEquals": { "aws:UserAgent": ["pipeline", "*"] },
          "ForAnyValue:StringEquals": { "aws:PrincipalOrgID": ["o-*"] },
        },
        false,
        "no organization id holds a `*`",
      ],
      [
        { AWS: "*" },
        {
          StringLike: {
            "aws:PrincipalArn": [`arn:aws:iam::${FOREIGN}:*`, "arn:aws:iam::12345678901?:*"],
          },
          "ForAllValues:StringEquals": { "aws:PrincipalAccount": ["9*"] },
        },
        false,
        "a caller with aws:PrincipalArn also carries aws:PrincipalAccount: the two conditions together admit nobody",
      ],
      [
        { AWS: "*" },
        { ArnLike: { "aws:SourceArn": ["*"] } },
        false,
        "ArnLike compares six ARN segments: `*` alone matches no ARN",
      ],
      [
        "*",
        {
          "ForAnyValue:StringLike": {
            "aws:SourceAccount": ["*", "9*"],
            "aws:SourceVpce": ["vpce-1a2b3c4d", "vpce-*"],
          },
        },
        false,
        "a service's request carries no aws:SourceVpce, an IAM principal's no aws:SourceAccount",
      ],
      [
        { AWS: `arn:aws:iam::${FOREIGN}:role/attacker` },
        {
          StringNotLike: { "aws:UserAgent": ["pipeline"] },
          ArnLikeIfExists: { "aws:PrincipalArn": ["*"] },
        },
        false,
        "ArnLike `*` matches no ARN, also against a named principal's own ARN",
      ],
      [
        { AWS: `arn:aws:iam::${FOREIGN}:role/attacker` },
        {
          ArnNotLike: { "aws:PrincipalArn": ["*", `arn:aws:iam::${TRUSTED}:*`] },
          StringLikeIfExists: { "aws:PrincipalOrgID": ["o-foreign5678", TRUSTED_ORG] },
        },
        false,
        "an ARN operator with a value that is not an ARN never holds, negated or not",
      ],
    ] as [unknown, Record<string, unknown>, boolean, string][]
  ).map(([principal, condition, foreignAllowed, was]) => ({
    statement: {
      Effect: "Allow",
      Principal: principal,
      Action: "s3:GetObject",
      Resource: `${BUCKET}/*`,
      Condition: condition,
    },
    foreignAllowed,
    was,
  })),
];

/**
 * Statements where the pack knowingly over-approximates (reports a foreign grant the simulator
 * finds unsatisfiable): contradicting conditions on one caller-chosen key. Failing safe.
 */
const OVER_APPROXIMATIONS: { statement: Stmt; was: string }[] = [
  {
    statement: {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` },
      Action: "s3:GetObject",
      Resource: `${BUCKET}/*`,
      Condition: {
        StringEquals: { "aws:Referer": ["pipeline"] },
        StringNotLike: { "aws:Referer": ["x*", "*"] },
      },
    },
    was: "aws:Referer must equal pipeline and not match *: no request satisfies both",
  },
];

describe("who can act: the pack against the IAM simulator (fast-check, fixed seed)", function () {
  this.timeout(120_000);

  for (const [i, f] of OVER_APPROXIMATIONS.entries()) {
    it(`known over-approximation #${i + 1}: ${f.was}`, () => {
      expect(packSaysForeignAllowed(f.statement)).to.equal(true);
      expect(simulatorSaysForeignAllowed(f.statement)).to.equal(false);
    });
  }

  for (const [i, f] of FIXTURES.entries()) {
    it(`fixture #${i + 1}: ${f.was}`, () => {
      expect(packSaysForeignAllowed(f.statement)).to.equal(f.foreignAllowed);
      expect(simulatorSaysForeignAllowed(f.statement)).to.equal(f.foreignAllowed);
    });
  }

  it("agrees on every generated statement", () => {
    const RUNS = 4000;
    let tried = 0;
    let allowed = 0;
    fc.assert(
      fc.property(statementArbitrary, (statement) => {
        tried++;
        const oracle = simulatorSaysForeignAllowed(statement);
        if (oracle) allowed++;
        expect(packSaysForeignAllowed(statement), JSON.stringify(statement)).to.equal(oracle);
      }),
      { seed: 20261204, numRuns: RUNS, endOnFailure: true },
    );
    expect(tried).to.equal(RUNS);
    // Both verdicts occur often enough for the comparison to mean something.
    expect(allowed).to.be.within(RUNS * 0.2, RUNS * 0.8);
    console.log(`      differential: ${tried} statements, ${allowed} allow a foreign principal`);
  });
});
