/**
 * The pull-request comment, danger first: one comment per PR (a marker lets the workflow update
 * it in place), its sections in this order across stacks:
 *   1. replacement or deletion of stateful resources, and changes to protect or retention;
 *   2. policy results new in this PR compared with the base (fixed ones too), and the
 *      suppressions in effect;
 *   3. the IAM access diff per role;
 *   4. the collapsed resource diff.
 * Over GitHub's 65,536-character limit, sections are cut from the bottom with a line that says so
 * and points to the workflow artifact holding the full report. Pure: scripts/pr-comment.ts feeds it
 * graphs synthesized offline (forks included) and the pack's findings on base and head.
 */
import { type GraphDiff, type GraphRow, diffGraphs, diffTable, diffValues } from "../graph-diff";
import type { GraphResource } from "../synth";
import { type Finding, type PolicyFindings, describe, unmatched } from "./findings";
import { type AccessResource, type RoleAccessDiff, diffAccess } from "./iam-access";
import { type Preview, destructiveSteps } from "./preview";

/** GitHub's limit on an issue comment's body. */
export const COMMENT_LIMIT = 65_536;

/** The first line of the comment: the workflow finds and updates the comment by it. */
export const MARKER = "<!-- spotify-pipeline:pr-report -->";

/** Resource types that hold data or history: replacing or deleting one loses it. */
export const STATEFUL_TYPES: Record<string, string> = {
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:kms/key:Key": "KMS key",
  "aws:glue/catalogDatabase:CatalogDatabase": "Glue catalog database",
  "aws:glue/catalogTable:CatalogTable": "Glue catalog table",
  "aws:cloudwatch/logGroup:LogGroup": "log group",
  "aws:sfn/stateMachine:StateMachine": "state machine",
};

/**
 * Inputs whose change makes the provider replace the resource (`ForceNew` in @pulumi/aws 7), for
 * the stateful types. A preview knows this exactly; offline, this list stands in for it.
 */
export const REPLACE_ON: Record<string, string[]> = {
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
  "aws:kms/key:Key": [
    "customerMasterKeySpec",
    "keyUsage",
    "multiRegion",
    "customKeyStoreId",
    "xksKeyId",
  ],
  "aws:glue/catalogDatabase:CatalogDatabase": ["name", "catalogId"],
  "aws:glue/catalogTable:CatalogTable": ["name", "databaseName", "catalogId"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:sfn/stateMachine:StateMachine": ["name", "namePrefix", "type"],
};

/** Input paths that decide how long data is kept, or whether it can be destroyed with the stack. */
const RETENTION =
  /(^|\.)(retentionInDays|expiration|noncurrentVersionExpiration|deletionWindowInDays|forceDestroy|versioningConfiguration)(\.|\[|$)/;

/** A resource as the comment compares it (a saved graph may lack the optional fields). */
export type CommentResource = AccessResource &
  Partial<Pick<GraphResource, "protect" | "retainOnDelete" | "parent">>;

/** One dangerous change. */
export interface Danger {
  kind: "delete" | "replace" | "protect" | "retention";
  type: string;
  name: string;
  /** What changes, in words. */
  detail: string;
}

const keyOf = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v));

/**
 * The dangerous changes between two graphs, in a stable order: deletions, replacements, protect,
 * retention. With the real preview, deletions and replacements come from its steps (exact);
 * without, from the graphs and {@link REPLACE_ON}.
 */
export function findDangers(
  base: readonly CommentResource[],
  head: readonly CommentResource[],
  preview?: Preview,
): Danger[] {
  const after = new Map(head.map((r) => [keyOf(r), r]));
  const before = new Map(base.map((r) => [keyOf(r), r]));
  const out: Danger[] = [];
  if (preview) {
    for (const step of destructiveSteps(preview)) {
      const b = before.get(keyOf(step));
      const label = STATEFUL_TYPES[step.type];
      if (!label && !b?.protect && !b?.retainOnDelete) continue;
      const what = label ?? step.type;
      out.push({
        kind: step.kind,
        type: step.type,
        name: step.name,
        detail:
          step.kind === "delete"
            ? `${what} deleted (preview)${b?.retainOnDelete ? " (retainOnDelete: it stays in AWS, unmanaged)" : ""}${b?.protect ? " (protected: the deployment will fail until protect is removed)" : ""}`
            : `${what} replaced (preview)${step.reasons.length > 0 ? `: ${step.reasons.map((r) => `\`${r}\``).join(", ")} changed` : ""}`,
      });
    }
  }
  for (const b of base) {
    const a = after.get(keyOf(b));
    const label = STATEFUL_TYPES[b.type];
    if (!a) {
      if (!preview && (label || b.protect || b.retainOnDelete)) {
        out.push({
          kind: "delete",
          type: b.type,
          name: b.name,
          detail: `${label ?? b.type} deleted${b.retainOnDelete ? " (retainOnDelete: it stays in AWS, unmanaged)" : ""}${b.protect ? " (protected: the deployment will fail until protect is removed)" : ""}`,
        });
      }
      continue;
    }
    if (label && !preview) {
      const forced = (REPLACE_ON[b.type] ?? []).filter(
        (k) => JSON.stringify(b.inputs[k]) !== JSON.stringify(a.inputs[k]),
      );
      if (forced.length > 0) {
        out.push({
          kind: "replace",
          type: b.type,
          name: b.name,
          detail: `${label} replaced: ${forced.map((k) => `\`${k}\` ${show(b.inputs[k])} → ${show(a.inputs[k])}`).join(", ")}`,
        });
      } else if ((b.parent ?? null) !== (a.parent ?? null)) {
        out.push({
          kind: "replace",
          type: b.type,
          name: b.name,
          detail: `${label} moved to another parent: a new URN, so it is deleted and created again unless an alias keeps the old one`,
        });
      }
    }
    if (
      Boolean(b.protect) !== Boolean(a.protect) ||
      Boolean(b.retainOnDelete) !== Boolean(a.retainOnDelete)
    ) {
      const parts: string[] = [];
      if (Boolean(b.protect) !== Boolean(a.protect))
        parts.push(`protect ${Boolean(b.protect)} → ${Boolean(a.protect)}`);
      if (Boolean(b.retainOnDelete) !== Boolean(a.retainOnDelete)) {
        parts.push(`retainOnDelete ${Boolean(b.retainOnDelete)} → ${Boolean(a.retainOnDelete)}`);
      }
      out.push({ kind: "protect", type: b.type, name: b.name, detail: parts.join(", ") });
    }
    const retention = diffValues(b.inputs, a.inputs).filter((c) => RETENTION.test(c.path));
    if (retention.length > 0) {
      out.push({
        kind: "retention",
        type: b.type,
        name: b.name,
        detail: retention
          .map((c) => `\`${c.path}\` ${show(c.before)} → ${show(c.after)}`)
          .join(", "),
      });
    }
  }
  const order = ["delete", "replace", "protect", "retention"];
  return out.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));
}

/** Policy results new in head and fixed since base, keyed by (policy, resource). */
export interface PolicyDelta {
  added: Finding[];
  fixed: Finding[];
}

/** Findings in head that base did not have, and those base had that head no longer has. */
export function diffFindings(base: readonly Finding[], head: readonly Finding[]): PolicyDelta {
  const key = (f: Finding) => `${f.policy}\0${f.type}\0${f.name}`;
  const before = new Set(base.map(key));
  const after = new Set(head.map(key));
  return {
    added: head.filter((f) => !before.has(key(f))),
    fixed: base.filter((f) => !after.has(key(f))),
  };
}

/** What the comment knows about one stack. */
export interface StackComparison {
  stack: string;
  /** Why the stack could not be compared (then nothing else is set). */
  error?: string;
  base?: CommentResource[];
  head?: CommentResource[];
  baseFindings?: PolicyFindings;
  headFindings?: PolicyFindings;
  /** The real `pulumi preview --json` of the head, where credentials exist. */
  preview?: Preview;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function dangerSection(stacks: StackComparison[]): string[] {
  const lines = ["## 1. Danger: stateful resources, protect and retention", ""];
  let any = false;
  for (const s of stacks) {
    if (!s.base || !s.head) continue;
    const dangers = findDangers(s.base, s.head, s.preview);
    if (dangers.length === 0) continue;
    any = true;
    lines.push(
      `**${s.stack}**${s.preview ? " (deletions and replacements from `pulumi preview`)" : ""}`,
      "",
    );
    const icon = {
      delete: "🛑 delete",
      replace: "🛑 replace",
      protect: "⚠️ protect",
      retention: "⚠️ retention",
    };
    for (const d of dangers)
      lines.push(`- ${icon[d.kind]} \`${d.type}\` **${d.name}**: ${d.detail}`);
    lines.push("");
  }
  if (!any)
    lines.push(
      "No stateful resource is replaced or deleted; protect and retention are unchanged.",
      "",
    );
  return lines;
}

function policySection(stacks: StackComparison[]): string[] {
  const lines = ["## 2. Policy results compared with the base", ""];
  for (const s of stacks) {
    if (!s.headFindings) continue;
    const delta = diffFindings(s.baseFindings?.active ?? [], s.headFindings.active);
    const stale = unmatched(s.headFindings);
    const open = s.headFindings.active.length;
    lines.push(
      `**${s.stack}**: ${delta.added.length} new, ${delta.fixed.length} fixed, ${open} open in total${s.baseFindings ? "" : " (the base could not be evaluated)"}.`,
      "",
    );
    if (delta.added.length + delta.fixed.length > 0) {
      lines.push("| | level | policy | resource | message |", "|---|---|---|---|---|");
      for (const f of delta.added) {
        lines.push(
          `| 🆕 new | ${f.level} | \`${f.policy}\` | ${cell(f.name)} | ${cell(describe(f))} |`,
        );
      }
      for (const f of delta.fixed) {
        lines.push(
          `| ✅ fixed | ${f.level} | \`${f.policy}\` | ${cell(f.name)} | ${cell(describe(f))} |`,
        );
      }
      lines.push("");
    }
    const inEffect = s.headFindings.suppressed;
    if (inEffect.length > 0) {
      lines.push(`Suppressions in effect (policy/${s.stack}.json):`, "");
      for (const f of inEffect) {
        lines.push(
          `- \`${f.policy}\` on ${f.name} until ${f.suppression!.expires}: ${f.suppression!.reason}`,
        );
      }
      lines.push("");
    }
    if (stale.length > 0) {
      lines.push(`Suppressions matching nothing (remove them from policy/${s.stack}.json):`, "");
      for (const x of stale)
        lines.push(`- \`${x.policy}\` ${JSON.stringify(x.resource)} until ${x.expires}`);
      lines.push("");
    }
  }
  return lines;
}

function iamSection(stacks: StackComparison[]): string[] {
  const lines = ["## 3. IAM access per role", ""];
  let any = false;
  for (const s of stacks) {
    if (!s.base || !s.head) continue;
    const diffs: RoleAccessDiff[] = diffAccess(s.base, s.head);
    if (diffs.length === 0) continue;
    any = true;
    lines.push(`**${s.stack}**`, "");
    for (const d of diffs) {
      lines.push(`- role **${d.role}**${d.status === "changed" ? "" : ` (${d.status})`}`);
      for (const g of d.granted) lines.push(`  - ➕ can newly: ${g}`);
      for (const g of d.revoked) lines.push(`  - ➖ no longer: ${g}`);
      for (const t of d.trustAdded) lines.push(`  - ➕ may newly be assumed by: ${t}`);
      for (const t of d.trustRemoved) lines.push(`  - ➖ no longer assumed by: ${t}`);
    }
    lines.push("");
  }
  if (!any) lines.push("No role gains or loses access.", "");
  return lines;
}

function diffSection(stacks: StackComparison[]): string[] {
  const lines = ["## 4. Resource diff", ""];
  for (const s of stacks) {
    if (!s.base || !s.head) continue;
    const rows = (g: CommentResource[]): GraphRow[] =>
      g.map((r) => ({ type: r.type, name: r.name, parent: r.parent ?? null, inputs: r.inputs }));
    const d: GraphDiff = diffGraphs(rows(s.base), rows(s.head));
    const total = d.added.length + d.removed.length + d.changed.length;
    const title = `${s.stack}: ${total === 0 ? "no changes" : `${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove`} (${d.unchanged} unchanged)`;
    if (total === 0) {
      lines.push(`**${title}**`, "");
      continue;
    }
    lines.push("<details>", `<summary>${title}</summary>`, "", ...diffTable(d));
    lines.push("", "</details>", "");
  }
  return lines;
}

/** Options of {@link renderComment}. */
export interface CommentOptions {
  refs: { base: string; head: string };
  /** Where the full report is (the workflow run with the `pr-report` artifact). */
  artifactUrl?: string;
  /** @default COMMENT_LIMIT; Infinity for the full report */
  limit?: number;
}

/** The comment, cut to the limit when needed. */
export function renderComment(stacks: StackComparison[], o: CommentOptions): string {
  const limit = o.limit ?? COMMENT_LIMIT;
  const header = [
    MARKER,
    `### Infrastructure review (\`${o.refs.base}\` → \`${o.refs.head}\`)`,
    "",
    stacks.some((x) => x.preview)
      ? "Danger first. Built from each stack's synthesized graph and the policy pack, with deletions and replacements from the real `pulumi preview`."
      : "Danger first. Built offline from each stack's synthesized graph and the policy pack (no cloud credentials), so it works for forks too.",
    "",
  ];
  for (const s of stacks)
    if (s.error) header.push(`> **${s.stack}: could not compare.** ${cell(s.error)}`, "");
  const sections = [
    dangerSection(stacks),
    policySection(stacks),
    iamSection(stacks),
    diffSection(stacks),
  ];
  const full = [...header, ...sections.flat()].join("\n");
  if (full.length <= limit) return full;

  const where = o.artifactUrl
    ? `the \`pr-report\` artifact of [this workflow run](${o.artifactUrl})`
    : "the `pr-report` workflow artifact";
  const titles = sections.map((x) => x[0]!.replace(/^## /, ""));
  const cutLine = (i: number) =>
    `\n\n---\n\n✂️ Cut from section "${titles[i]}" on, to stay within GitHub's ${COMMENT_LIMIT.toLocaleString("en")}-character comment limit: the full report is in ${where}.`;
  const reserve = Math.max(...titles.map((_, i) => cutLine(i).length));
  const size = (lines: string[]) => lines.join("\n").length;
  const out = [...header];
  for (const [i, section] of sections.entries()) {
    if (size([...out, ...section]) + reserve <= limit) {
      out.push(...section);
      continue;
    }
    // Keep the lines of this section that fit, closing a <details> left open.
    const closers = (lines: string[]) =>
      lines.filter((l) => l === "<details>").length > lines.filter((l) => l === "</details>").length
        ? ["", "</details>"]
        : [];
    const kept: string[] = [];
    for (const line of section) {
      const next = [...kept, line];
      if (size([...out, ...next, ...closers(next)]) + reserve > limit) break;
      kept.push(line);
    }
    // A heading alone says nothing: keep a section's lines only past its heading.
    if (kept.length > 2) out.push(...kept, ...closers(kept));
    return `${out.join("\n")}${cutLine(i)}`;
  }
  return out.join("\n");
}
