/** Variants (stacks and optional features), whole-stack evaluation and docs/least-privilege.md. */
import * as fs from "node:fs";
import * as path from "node:path";

import { type Graph, type GraphResource } from "../synth";
import { RoleDocuments, resourcePoliciesOf, roleDocumentsOf, tableFor } from "./documents";
import { FACT_DESCRIPTIONS, FactName, Facts, T, factsOf } from "./facts";
import { Evaluation, RoleContext, applies, evaluateRow, whenList } from "./simulate";
import { Decision, Request, RoleTable } from "./table";
import { ROLE_TABLES } from "./roles";

// ------------------------------------------------------------------------------------------------
// Variants, whole-stack evaluation and the doc
// ------------------------------------------------------------------------------------------------

/** Facts only some stacks have; rows and tables depend on them through `when`. */
export const OPTIONAL_FACTS = [
  "scheduleRule",
  "vpc",
  "subnet",
  "securityGroup",
  "connection",
  "dashboard",
  "catalogKey",
] as const satisfies readonly FactName[];

/** A stack (with optional config overrides) the tables are evaluated against. */
export interface Variant {
  id: string;
  stack: string;
  label: string;
  configOverrides?: Record<string, unknown>;
  /**
   * The optional facts this variant has (declared, so tests can be listed before synthesis; a
   * test checks the graph agrees).
   */
  features: readonly (typeof OPTIONAL_FACTS)[number][];
}

/** The QuickSight principal used for the QuickSight-enabled variant. */
export const QUICKSIGHT_PRINCIPAL =
  "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts";

/**
 * The variants of the tests and the doc: the shipped stacks, dev with QuickSight on, and prod with
 * every optional feature on (QuickSight and Data Catalog encryption add statements to roles).
 */
export const VARIANTS: readonly Variant[] = [
  { id: "dev", stack: "dev", label: "dev", features: [] },
  {
    id: "dev-quicksight",
    stack: "dev",
    label: "dev + QuickSight",
    configOverrides: { quicksight: { enabled: true, principalArn: QUICKSIGHT_PRINCIPAL } },
    features: ["dashboard"],
  },
  {
    id: "prod",
    stack: "prod",
    label: "prod",
    features: ["scheduleRule", "vpc", "subnet", "securityGroup", "connection"],
  },
  {
    id: "prod-everything",
    stack: "prod",
    label: "prod + QuickSight + catalog encryption",
    configOverrides: {
      quicksight: { enabled: true, principalArn: QUICKSIGHT_PRINCIPAL },
      dataCatalogEncryption: true,
    },
    // Every optional feature.
    features: [...OPTIONAL_FACTS],
  },
];

/**
 * The variants `docs/least-privilege.md` shows (dev + QuickSight covers every role of dev; the last
 * one turns on every optional statement).
 */
export const DOC_VARIANTS: readonly string[] = ["dev-quicksight", "prod", "prod-everything"];

/** True when a row or table applies to a variant, by its declared features. */
export function appliesTo(
  item: { when?: FactName | readonly FactName[] },
  variant: Variant,
): boolean {
  return whenList(item).every(
    (f) =>
      !(OPTIONAL_FACTS as readonly string[]).includes(f) ||
      (variant.features as readonly string[]).includes(f),
  );
}

/** One row's outcome in one variant. */
export interface RowResult {
  row: Request;
  /** `allowed` or `denied` list of the table. */
  list: "allowed" | "denied";
  /** Position in that list (stable id across variants). */
  index: number;
  /** Undefined when the row does not apply to the variant. */
  evaluation?: Evaluation;
}

/** A role's outcome in one variant. */
export interface RoleResult {
  table: RoleTable;
  docs: RoleDocuments;
  rows: RowResult[];
}

/** A variant's outcome: facts and every role's rows. */
export interface VariantResult {
  variant: Variant;
  facts: Facts;
  roles: RoleResult[];
}

/**
 * The role of the graph each table covers, with its documents and the stack's facts and resource
 * policies: every role of the graph must have exactly one table (see {@link tableFor}), and each
 * table that applies must find its role.
 * @throws Error naming the role without a table, or the table without a role.
 */
export function roleContexts(graph: Graph, label: string = graph.stack): RoleContext[] {
  const facts = factsOf(graph);
  const region = facts.region!;
  const resources = resourcePoliciesOf(graph, region);
  const roles = graph.resources.filter((r) => r.type === T.role);
  const byTable = new Map<RoleTable, GraphResource>();
  for (const role of roles) {
    const table = tableFor(role);
    const other = byTable.get(table);
    if (other) {
      throw new Error(
        `stack ${label}: roles ${other.name} and ${role.name} both match table ${table.id}; give each role its own table.`,
      );
    }
    byTable.set(table, role);
  }
  const out: RoleContext[] = [];
  for (const table of ROLE_TABLES) {
    const role = byTable.get(table);
    if (!role) {
      if (applies(table, facts)) {
        throw new Error(
          `stack ${label}: no role of the graph matches table ${table.id} (a ${table.component} child named <component>${table.suffix}); roles: ${roles.map((r) => r.name).join(", ")}.`,
        );
      }
      continue;
    }
    out.push({ facts, docs: roleDocumentsOf(graph, role, region), resources, table });
  }
  return out;
}

/** Evaluates every applicable row of every role of a synthesized graph. */
export async function evaluateGraph(variant: Variant, graph: Graph): Promise<VariantResult> {
  const contexts = roleContexts(graph, variant.label);
  const roles: RoleResult[] = [];
  for (const ctx of contexts) {
    const rows: RowResult[] = [];
    for (const list of ["allowed", "denied"] as const) {
      for (const [index, row] of ctx.table[list].entries()) {
        rows.push({
          row,
          list,
          index,
          ...(applies(row, ctx.facts) ? { evaluation: await evaluateRow(row, ctx) } : {}),
        });
      }
    }
    roles.push({ table: ctx.table, docs: ctx.docs, rows });
  }
  return { variant, facts: contexts[0]?.facts ?? factsOf(graph), roles };
}

/**
 * What a row's simulated decision must be: `expect`, or, for a row with a known finding, the
 * decision the finding records.
 */
export function demanded(row: Request): Decision {
  return row.finding ? row.finding.actual : row.expect;
}

/** Checks one row's outcome; returns the problems (empty when it holds). */
export function checkRow(row: Request, ev: Evaluation): string[] {
  const problems: string[] = [];
  const want = demanded(row);
  if (ev.decision !== want) {
    problems.push(
      row.finding
        ? `the finding is gone: the simulator now says ${ev.decision} (expected ${row.expect}); remove \`finding\` from this row.`
        : `expected ${want}, the simulator says ${ev.decision} (${ev.reasons.join(", ") || "no decisive statement"}).`,
    );
  }
  if (row.by && ev.decision === want && !ev.reasons.includes(row.by)) {
    problems.push(
      `expected it to be decided by ${row.by}; decided by ${ev.reasons.join(", ") || "nothing"}.`,
    );
  }
  if (!row.finding && (row.expect === "Allowed" || row.expect === "ExplicitlyDenied") && !row.by) {
    problems.push(`a row expecting ${row.expect} must name the deciding statement in \`by\`.`);
  }
  return problems;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function decisionLabel(ev: Evaluation | undefined, row: Request): string {
  if (!ev) return "n/a";
  const by = ev.reasons.length > 0 ? ` by ${ev.reasons.map((r) => `\`${r}\``).join(", ")}` : "";
  const mark = ev.decision === demanded(row) ? "" : " **MISMATCH**";
  return `${ev.decision}${by}${mark}`;
}

/**
 * Renders `docs/least-privilege.md` from evaluated variants: per role, every request with the
 * expected decision and the simulated one in each variant where the role exists.
 */
export function renderDoc(results: readonly VariantResult[]): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(
    "# Least privilege, proven",
    "",
    "<!-- Generated by `npm run docs:iam` (scripts/least-privilege-doc.ts) from the role tables in tools/least-privilege/; do not edit. test/least-privilege.test.ts fails when this file is out of date. -->",
    "",
    "For every IAM role the program creates, the requests its service really makes must be **Allowed** and the requests it must never make must be **denied**. Each request below was evaluated with [`@cloud-copilot/iam-simulate`](https://github.com/cloud-copilot/iam-simulate) against the role's actual policy documents from the synthesized program (`npm run synth`), together with the resource policy that applies: the bucket policy for S3, the pipeline key's policy for KMS, the topic policy for SNS, the role's trust policy for `sts:AssumeRole`. No service control policies are assumed.",
    "",
    "`@cloud-copilot/iam-simulate` is AGPL-3.0: it is a test-only devDependency, imported only by the test and the script that writes this file, never by the deployed program.",
    "",
    "Reading the tables: placeholders such as `{staging}` stand for the stack's names (legend at the end). *Simulated* shows the decision and the statement that decided it (`identity:<Sid>` in the role's policy, `trust:`, `bucket-policy:`, `key-policy:`, `topic-policy:`); `ImplicitlyDenied` means no statement allows it. Requests of the role's session carry `aws:SecureTransport=true`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:RequestedRegion` unless the row says otherwise. `n/a`: the row needs a feature the stack does not have.",
    "",
    "Rows marked † carry `kms:EncryptionContext:<key>` context keys, which iam-simulate 0.1.173 drops while validating a request (it recognizes only `prefix/<variable>` keys): after its validated run checked the action, the ARN and every other key, their decision comes from the package's core engine with the full context.",
    "",
  );
  const findings = results
    .flatMap((v) =>
      v.roles.flatMap((r) =>
        r.rows.filter((x) => x.row.finding && x.evaluation).map((x) => ({ r, x })),
      ),
    )
    .filter(
      (f, i, all) => all.findIndex((g) => g.r.table === f.r.table && g.x.row === f.x.row) === i,
    );
  push("## Findings", "");
  if (findings.length === 0) push("None: every role allows exactly what its table allows.", "");
  for (const { r, x } of findings) {
    push(
      `- **${r.table.title}**: \`${x.row.action}\` on \`${x.row.resource}\` should be ${x.row.expect} (${x.row.why}) but is ${x.row.finding!.actual}. Fix: ${x.row.finding!.fix}`,
    );
  }
  if (findings.length > 0) push("");

  push("## Roles", "");
  for (const table of ROLE_TABLES) {
    const present = results.filter((v) => v.roles.some((r) => r.table === table));
    if (present.length === 0) continue;
    const first = present[0]!.roles.find((r) => r.table === table)!;
    push(
      `### ${table.title}`,
      "",
      `Logical name \`<${table.component.split(":").pop()}>${table.suffix}\` (e.g. \`${first.docs.role.name}\`); in ${present.map((v) => v.variant.label).join(", ")}. Allowed rows: ${table.allowed.length}; denied rows: ${table.denied.length}.`,
      "",
    );
    const header = [
      "#",
      "Action",
      "Resource",
      "Context",
      "Expected",
      ...present.map((v) => v.variant.label),
      "Why",
    ];
    push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
    for (const list of ["allowed", "denied"] as const) {
      table[list].forEach((row, index) => {
        const ctx = Object.entries(row.context ?? {})
          .map(([k, v]) => `\`${k}=${Array.isArray(v) ? v.join(",") : v}\``)
          .join(" ");
        const who = row.principal ? `${row.principal} → ` : "";
        const evs = present.map(
          (v) =>
            v.roles
              .find((r) => r.table === table)!
              .rows.find((x) => x.list === list && x.index === index)!.evaluation,
        );
        const dagger = evs.some((e) => e?.engine === "core") ? " †" : "";
        const expected = row.finding ? `${row.expect} ⚠ finding` : row.expect;
        push(
          `| ${cell(`${list === "allowed" ? "A" : "D"}${index + 1}`)} | ${cell(`${who}\`${row.action}\``)} | ${cell(`\`${row.resource}\``)} | ${cell(ctx)}${dagger} | ${cell(expected)} | ${evs.map((e) => cell(decisionLabel(e, row))).join(" | ")} | ${cell(row.why)} |`,
        );
      });
    }
    push("");
  }

  push(
    "## Legend",
    "",
    "What each placeholder stood for in each stack (names from the offline synthesis's mocks).",
    "",
  );
  const header = ["Placeholder", "Meaning", ...results.map((v) => v.variant.label)];
  push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
  for (const [name, meaning] of Object.entries(FACT_DESCRIPTIONS)) {
    if (name === "role") continue;
    const shown = (v: VariantResult) => {
      const value = v.facts[name as FactName];
      if (value === undefined) return "—";
      // Content-addressed: the folder changes with every edit of glue/, not with IAM.
      if (CONTENT_ADDRESSED.has(name))
        return `\`${value.replace(/[^/]+\/(?=[^/]*$)/, "<content hash>/")}\``;
      return `\`${value}\``;
    };
    push(
      `| \`{${name}}\` | ${cell(meaning)} | ${results.map((v) => cell(shown(v))).join(" | ")} |`,
    );
  }
  push("");
  return lines.join("\n");
}

/** Facts whose value derives from file contents (the job's assets folder is a content hash). */
const CONTENT_ADDRESSED = new Set<string>(["scriptKey", "assetsDir"]);

/** Where the doc lives. */
export const DOC_PATH = path.join(__dirname, "..", "..", "docs", "least-privilege.md");

/** Reads the committed doc ("" when missing). */
export function readDoc(): string {
  return fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, "utf8") : "";
}
