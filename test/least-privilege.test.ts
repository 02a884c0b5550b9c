/**
 * Least privilege, proven: every role of the synthesized program, per stack (dev, prod, and dev with
 * QuickSight on), evaluated with @cloud-copilot/iam-simulate over its actual documents. One `it` per
 * row of tools/least-privilege/<role>.ts, so a failure names the request.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { expect } from "chai";

import {
  DOC_VARIANTS,
  type Evaluation,
  OPTIONAL_FACTS,
  ROLE_TABLES,
  type Request,
  type RoleContext,
  type RoleTable,
  VARIANTS,
  type Variant,
  type VariantResult,
  appliesTo,
  checkRow,
  demanded,
  evaluateGraph,
  evaluateRow,
  factsOf,
  readDoc,
  renderDoc,
  resolve,
  roleContexts,
  roleDocumentsOf,
  tableFor,
} from "../tools/least-privilege";
import { type Graph, type GraphResource } from "../tools/synth";
import { byType, graphOf, repo } from "./harness";
import { importClosure } from "./import-graph";

const graphs = new Map<string, Promise<Graph>>();
const results = new Map<string, Promise<VariantResult>>();
/** One synthesis at a time: a process hosts one mock monitor (tools/synth.ts). */
let synthesizing: Promise<unknown> = Promise.resolve();

function graphFor(v: Variant): Promise<Graph> {
  let g = graphs.get(v.id);
  if (!g) {
    g = synthesizing.then(() =>
      graphOf(v.stack, v.configOverrides ? { configOverrides: v.configOverrides } : {}),
    );
    synthesizing = g.catch(() => undefined);
    graphs.set(v.id, g);
  }
  return g;
}

function resultFor(v: Variant): Promise<VariantResult> {
  let r = results.get(v.id);
  if (!r) {
    r = graphFor(v).then((g) => evaluateGraph(v, g));
    results.set(v.id, r);
  }
  return r;
}

/** The request as simulated and the decisive statements, for assertion messages. */
function detail(ev: Evaluation): string {
  const r = ev.request;
  return `${r.action} on ${r.resource} (account ${r.resourceAccount}) by ${r.principal}, context ${JSON.stringify(r.context)}; simulated ${ev.decision} by [${ev.reasons.join(", ")}] (${ev.engine} engine)`;
}

function title(row: Request, list: "allowed" | "denied"): string {
  const ctx = Object.entries(row.context ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : v}`)
    .join(" ");
  const who = row.principal ? `${row.principal}: ` : "";
  const finding = row.finding ? ` [known finding: ${row.finding.actual}]` : "";
  return `${list === "allowed" ? "allows" : "denies"} ${who}${row.action} on ${row.resource}${ctx ? ` with ${ctx}` : ""} (${row.why})${finding}`;
}

function contextOf(contexts: RoleContext[], id: string): RoleContext {
  const ctx = contexts.find((c) => c.table.id === id);
  if (!ctx) throw new Error(`no role context for table ${id}`);
  return ctx;
}

function rowOf(table: RoleTable, list: "allowed" | "denied", why: string): Request {
  const row = table[list].find((r) => r.why === why);
  if (!row) throw new Error(`table ${table.id} has no ${list} row "${why}"`);
  return row;
}

describe("least privilege, proven (iam-simulate over the synthesized roles)", () => {
  describe("the tables", () => {
    it("give every role at least one allowed and one denied request", () => {
      for (const t of ROLE_TABLES) {
        expect(t.allowed.length, t.id).to.be.greaterThan(0);
        expect(t.denied.length, t.id).to.be.greaterThan(0);
      }
      expect(ROLE_TABLES.map((t) => t.id)).to.deep.equal([
        "glue-job",
        "glue-crawler",
        "state-machine",
        "eventbridge",
        "quicksight",
      ]);
    });

    it("expect Allowed in allowed lists and a denial in denied lists; Allowed and explicit denials name their statement", () => {
      const problems: string[] = [];
      for (const t of ROLE_TABLES) {
        for (const r of t.allowed) {
          if (r.expect !== "Allowed") problems.push(`${t.id} allowed ${r.action}: ${r.expect}`);
          if (!r.by) problems.push(`${t.id} allowed ${r.action} ${r.resource}: no \`by\``);
          if (r.finding)
            problems.push(`${t.id} allowed ${r.action}: findings belong to denied rows`);
        }
        for (const r of t.denied) {
          if (r.expect === "Allowed") problems.push(`${t.id} denied ${r.action}: expects Allowed`);
          if (r.expect === "ExplicitlyDenied" && !r.by) {
            problems.push(`${t.id} denied ${r.action} ${r.resource}: explicit deny without \`by\``);
          }
          if (r.expect === "ImplicitlyDenied" && r.by) {
            problems.push(`${t.id} denied ${r.action} ${r.resource}: implicit deny with \`by\``);
          }
        }
      }
      expect(problems).to.deep.equal([]);
    });

    it("deny IAM changes (iam:PassRole, iam:CreateRole, iam:PutRolePolicy) to every role", () => {
      for (const t of ROLE_TABLES) {
        expect(
          t.denied.filter((r) => r.action.startsWith("iam:")).map((r) => r.action),
          t.id,
        ).to.deep.equal(["iam:PassRole", "iam:CreateRole", "iam:PutRolePolicy"]);
      }
    });

    it("resolve placeholders and refuse unknown or unset ones", () => {
      expect(
        resolve("arn:{partition}:s3:::{staging}/x", { partition: "aws", staging: "b" }),
      ).to.equal("arn:aws:s3:::b/x");
      expect(() => resolve("{nope}", {})).to.throw("unknown placeholder {nope}");
      expect(() => resolve("{subnet}", {})).to.throw(
        'placeholder {subnet} in "{subnet}" has no value in this stack; give the row `when: "subnet"`',
      );
    });
  });

  describe("finding a role's documents", () => {
    const doc = (sid: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: sid, Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
      });
    const res = (
      type: string,
      name: string,
      inputs: Record<string, unknown>,
      deps: Record<string, string[]> = {},
    ): GraphResource => ({
      type,
      name,
      urn: `urn:pulumi:t::p::${type}::${name}`,
      custom: true,
      inputs,
      protect: false,
      retainOnDelete: false,
      dependsOn: [],
      propertyDependencies: deps,
    });
    const role = res("aws:iam/role:Role", "r", {
      name: "r",
      assumeRolePolicy: doc("Trust").replace(
        '"Action"',
        '"Principal":{"Service":"glue.amazonaws.com"},"Action"',
      ),
      inlinePolicies: [{ name: "inline", policy: doc("Inline") }],
    });
    const graph = (extra: GraphResource[]): Graph => ({
      stack: "t",
      preview: false,
      resources: [role, ...extra],
      outputs: {},
      millis: 0,
    });

    it("collects inline policies, RolePolicy resources and attached customer managed policies", () => {
      const managed = res("aws:iam/policy:Policy", "managed", { policy: doc("Managed") });
      const docs = roleDocumentsOf(
        graph([
          res("aws:iam/rolePolicy:RolePolicy", "rp", { role: "r", policy: doc("RolePolicy") }),
          managed,
          res(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "att",
            { role: "r", policyArn: "arn:aws:iam::123456789012:policy/managed-x" },
            { policyArn: [managed.urn] },
          ),
          res("aws:iam/rolePolicy:RolePolicy", "other", {
            role: "someone-else",
            policy: doc("No"),
          }),
        ]),
        role,
        "eu-west-1",
      );
      expect(docs.roleArn).to.equal("arn:aws:iam::123456789012:role/r");
      expect(docs.identity.map((d) => [d.name, statementSids(d.policy)])).to.deep.equal([
        ["r inlinePolicies[0].policy", ["Inline"]],
        ["RolePolicy rp", ["RolePolicy"]],
        ["Policy managed", ["Managed"]],
      ]);
      expect(statementSids(docs.trust.policy)).to.deep.equal(["Trust"]);
    });

    it("refuses an attached policy it cannot see (an AWS managed policy)", () => {
      expect(() =>
        roleDocumentsOf(
          graph([
            res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", {
              role: "r",
              policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
            }),
          ]),
          role,
          "eu-west-1",
        ),
      ).to.throw(
        'admin attaches "arn:aws:iam::aws:policy/AdministratorAccess" to role r, but that policy is not in the graph (an AWS managed policy?)',
      );
    });

    it("refuses an invalid document, naming it", () => {
      const broken = {
        ...role,
        inputs: { ...role.inputs, inlinePolicies: [{ name: "bad", policy: "{" }] },
      };
      expect(() => roleDocumentsOf(graph([]), broken, "eu-west-1")).to.throw(
        "inline policy 'bad' of IAM role 'r' cannot be simulated: not valid JSON",
      );
    });
  });

  for (const variant of VARIANTS) {
    describe(`stack ${variant.label}`, () => {
      it(`has exactly the optional features the variant declares (${variant.features.join(", ") || "none"})`, async () => {
        const facts = factsOf(await graphFor(variant));
        expect(OPTIONAL_FACTS.filter((f) => facts[f] !== undefined)).to.deep.equal([
          ...variant.features,
        ]);
      });

      it("has a table for every IAM role, and each role's table is the one its component implies", async () => {
        const g = await graphFor(variant);
        const roles = byType(g, "aws:iam/role:Role");
        const expected = ROLE_TABLES.filter((t) => appliesTo(t, variant)).map((t) => t.id);
        expect(roles.map((r) => tableFor(r).id).sort()).to.deep.equal([...expected].sort());
        expect(roleContexts(g).map((c) => c.table.id)).to.deep.equal(expected);
      });

      it("exercises every Allow statement of every role (identity and trust) with an allowed row", async () => {
        const contexts = roleContexts(await graphFor(variant));
        const missing: string[] = [];
        for (const ctx of contexts) {
          const named = new Set(
            ctx.table.allowed.filter((r) => appliesTo(r, variant)).map((r) => r.by),
          );
          const sids = [
            ...ctx.docs.identity.flatMap((d) =>
              statementSids(d.policy).map((s) => `identity:${s}`),
            ),
            ...statementSids(ctx.docs.trust.policy).map((s) => `trust:${s}`),
          ];
          for (const sid of sids) {
            if (!named.has(sid as Request["by"])) missing.push(`${ctx.table.id} ${sid}`);
          }
        }
        expect(missing, "add an allowed row that exercises each of these statements").to.deep.equal(
          [],
        );
      });

      for (const table of ROLE_TABLES.filter((t) => appliesTo(t, variant))) {
        describe(table.title, () => {
          for (const list of ["allowed", "denied"] as const) {
            table[list].forEach((row, index) => {
              if (!appliesTo(row, variant)) return;
              it(title(row, list), async () => {
                const res = await resultFor(variant);
                const role = res.roles.find((r) => r.table === table);
                const ev = role?.rows.find((x) => x.list === list && x.index === index)?.evaluation;
                if (!ev) throw new Error(`${table.id} ${list}[${index}] was not evaluated`);
                expect(ev.decision, detail(ev)).to.equal(demanded(row));
                if (row.by && !row.finding) expect(ev.reasons, detail(ev)).to.include(row.by);
                if (list === "denied" && !row.finding) {
                  expect(ev.decision, detail(ev)).to.not.equal("Allowed");
                }
              });
            });
          }
        });
      }
    });
  }

  describe("the harness has teeth (mutated documents flip the decisions)", () => {
    let contexts: RoleContext[];
    before(async () => {
      contexts = roleContexts(await graphFor(VARIANTS.find((v) => v.id === "dev")!));
    });

    it("a job policy that also writes staging/ fails the 'never writes the raw input' row", async () => {
      const ctx = contextOf(contexts, "glue-job");
      const row = rowOf(
        ctx.table,
        "denied",
        "never writes the raw input (bronze is immutable to the job)",
      );
      const widened: RoleContext = {
        ...ctx,
        docs: {
          ...ctx.docs,
          identity: [
            ...ctx.docs.identity,
            {
              name: "planted",
              policy: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Sid: "Planted",
                    Effect: "Allow",
                    Action: "s3:PutObject",
                    Resource: `arn:aws:s3:::${ctx.facts.staging}/*`,
                  },
                ],
              },
            },
          ],
        },
      };
      const ev = await evaluateRow(row, widened);
      expect(ev.decision).to.equal("Allowed");
      expect(ev.reasons).to.deep.equal(["identity:Planted"]);
      expect(checkRow(row, ev)).to.deep.equal([
        "expected ImplicitlyDenied, the simulator says Allowed (identity:Planted).",
      ]);
    });

    it("dropping the encryption-context condition of DecryptRunSummaries lets the state machine decrypt staging", async () => {
      const ctx = contextOf(contexts, "state-machine");
      const row = rowOf(ctx.table, "denied", "decrypts through S3 only for the summaries' bucket");
      expect((await evaluateRow(row, ctx)).decision).to.equal("ImplicitlyDenied");
      const loosened = ctx.docs.identity.map((d) => ({
        ...d,
        policy: {
          ...d.policy,
          Statement: (d.policy.Statement as Record<string, unknown>[]).map((s) =>
            s.Sid === "DecryptRunSummaries"
              ? {
                  ...s,
                  Condition: {
                    StringEquals: { "kms:ViaService": `s3.${ctx.facts.region}.amazonaws.com` },
                  },
                }
              : s,
          ),
        },
      }));
      const ev = await evaluateRow(row, { ...ctx, docs: { ...ctx.docs, identity: loosened } });
      expect(ev.engine).to.equal("core");
      expect(ev.decision).to.equal("Allowed");
      expect(ev.reasons).to.deep.equal([
        "identity:DecryptRunSummaries",
        "key-policy:EnableIamPolicies",
      ]);
    });

    it("without the bucket policy, a plain-HTTP read is no longer denied", async () => {
      const ctx = contextOf(contexts, "glue-job");
      const row = ctx.table.denied.find(
        (r) => r.by === "bucket-policy:DenyInsecureTransport" && r.action === "s3:GetObject",
      )!;
      expect((await evaluateRow(row, ctx)).decision).to.equal("ExplicitlyDenied");
      const ev = await evaluateRow(row, { ...ctx, resources: { forResource: () => undefined } });
      expect(ev.decision).to.equal("Allowed");
      expect(checkRow(row, ev)[0]).to.equal(
        "expected ExplicitlyDenied, the simulator says Allowed (identity:ReadInputBatches).",
      );
    });

    it("a trust policy without aws:SourceAccount lets Glue assume the job role for any account", async () => {
      const ctx = contextOf(contexts, "glue-job");
      const row = ctx.table.denied.find((r) => r.principal === "glue.amazonaws.com")!;
      const trust = {
        ...ctx.docs.trust.policy,
        Statement: (ctx.docs.trust.policy.Statement as Record<string, unknown>[]).map(
          ({ Condition: _c, ...s }) => s,
        ),
      };
      const ev = await evaluateRow(row, {
        ...ctx,
        docs: { ...ctx.docs, trust: { ...ctx.docs.trust, policy: trust } },
      });
      expect(ev.decision).to.equal("Allowed");
      expect(ev.reasons).to.deep.equal(["trust:GlueAssumesRole"]);
    });

    it("a row with a context key the action does not have is refused, not silently ignored", async () => {
      const ctx = contextOf(contexts, "glue-job");
      const row: Request = {
        action: "s3:GetObject",
        resource: "arn:{partition}:s3:::{staging}/incoming/x/albums.csv",
        context: { "cloudwatch:namespace": "Glue" },
        expect: "Allowed",
        why: "test",
      };
      let error: Error | undefined;
      await evaluateRow(row, ctx).catch((e: Error) => (error = e));
      expect(error?.message).to.match(
        /^context keys cloudwatch:namespace do not apply to s3:GetObject on arn:aws:s3:::spotify-dev-staging-[0-9a-f]{7}\/incoming\/x\/albums\.csv by arn:aws:sts::123456789012:assumed-role\/spotify-dev-etl-job-role-[0-9a-f]{7}\/GlueJobRunnerSession \(iam-simulate ignored them\); fix the row's context\.$/,
      );
    });

    it("a role without a table is named", async () => {
      const g = await graphFor(VARIANTS[0]!);
      const role = byType(g, "aws:iam/role:Role")[0]!;
      const stray = { ...role, name: `${role.name}-extra` };
      expect(() => tableFor(stray)).to.throw(
        `IAM role ${stray.name} (created by spotify-pipeline:etl:GlueEtl spotify-dev-etl) has no least-privilege table; add one to ROLE_TABLES in tools/least-privilege/roles.ts`,
      );
    });
  });

  it("docs/least-privilege.md is up to date (npm run docs:iam)", async () => {
    const docResults: VariantResult[] = [];
    for (const id of DOC_VARIANTS)
      docResults.push(await resultFor(VARIANTS.find((v) => v.id === id)!));
    const expected = renderDoc(docResults);
    const actual = readDoc();
    if (actual !== expected) {
      const a = actual.split("\n");
      const e = expected.split("\n");
      const line = e.findIndex((l, i) => a[i] !== l);
      throw new Error(
        `docs/least-privilege.md is out of date (first difference at line ${line + 1}: expected ${JSON.stringify(e[line])}, found ${JSON.stringify(a[line])}); run \`npm run docs:iam\`.`,
      );
    }
    expect(actual).to.contain("## Findings");
  });

  it("README links docs/least-privilege.md and states the simulator is an AGPL test-only devDependency", () => {
    const readme = fs.readFileSync(repo("README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Least privilege, proven"));
    expect(section).to.contain("(docs/least-privilege.md)");
    expect(section).to.contain("AGPL-3.0");
    const pkg = JSON.parse(fs.readFileSync(repo("package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.devDependencies["@cloud-copilot/iam-simulate"]).to.equal("0.1.173");
    expect(pkg.dependencies).to.not.have.property("@cloud-copilot/iam-simulate");
  });

  it("the deployed program (index.ts and what it imports) never reaches the simulator", () => {
    const { files, packages } = importClosure(repo("index.ts"));
    expect(files.size).to.be.greaterThan(10);
    expect(
      [...files].map((f) => path.relative(repo(), f)).filter((f) => f.startsWith("tools/")),
    ).to.deep.equal([]);
    expect([...packages]).to.not.include("@cloud-copilot/iam-simulate");
  });
});

/** Sids of a document's Allow statements. */
function statementSids(policy: Record<string, unknown>): string[] {
  return ([] as Record<string, unknown>[])
    .concat(policy.Statement as Record<string, unknown>[])
    .filter((s) => s.Effect === "Allow")
    .map((s, i) => (typeof s.Sid === "string" ? s.Sid : `#${i + 1}`));
}
