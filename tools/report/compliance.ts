/**
 * The compliance report of `npm run policy:report`: per control (AWS Foundational Security Best
 * Practices, CIS AWS Foundations where one applies, else the Checkov checks or our own baseline),
 * the rule that implements it, its status in the stack and the resources it examined. Rows come
 * from the metadata on the policies (policy/controls.ts) and one evaluation of the stack.
 */
import type { EnforcementLevel, Policy } from "@pulumi/policy";

import { CIS, CONTROLS, FSBP, PIPELINE_BASELINE, controlsOf } from "../../policy/controls";
import type { Evaluation, GraphResource } from "../../policy/evaluate";
import type { PolicyFindings } from "./findings";

export type ComplianceStatus = "pass" | "fail" | "suppressed" | "not applicable";

export interface ComplianceRow {
  framework: string;
  control: string;
  rule: string;
  severity: string;
  level: EnforcementLevel;
  status: ComplianceStatus;
  /** Why: the failing resources, or the suppressions' reasons, or why not applicable. */
  detail: string;
  /** Resources the rule examined (`type name`). */
  examined: string[];
}

const CHECKOV = "Checkov";

/** The resources a policy examined in this evaluation. */
export function examinedBy(
  policy: Policy,
  resources: readonly GraphResource[],
  evaluation: Evaluation,
): GraphResource[] {
  const stackTypes = CONTROLS[policy.name]?.examines;
  if ("validateStack" in policy) {
    return stackTypes ? resources.filter((r) => stackTypes.includes(r.type)) : [];
  }
  const skipped = new Set(
    evaluation.notApplicable.filter((n) => n.policy === policy.name && n.urn).map((n) => n.urn),
  );
  return resources.filter(
    (r) => r.custom && !r.type.startsWith("pulumi:providers:") && !skipped.has(r.urn),
  );
}

/** One row per (control, rule). */
export function complianceRows(
  policies: readonly Policy[],
  resources: readonly GraphResource[],
  evaluation: Evaluation,
  findings: PolicyFindings,
): ComplianceRow[] {
  const rows: ComplianceRow[] = [];
  for (const p of policies) {
    const level = evaluation.config[p.name]?.enforcementLevel ?? "mandatory";
    const examined = examinedBy(p, resources, evaluation).map((r) => `${r.type} ${r.name}`);
    const failing = findings.active.filter((f) => f.policy === p.name);
    const suppressed = findings.suppressed.filter((f) => f.policy === p.name);
    let status: ComplianceStatus;
    let detail: string;
    if (level === "disabled") {
      status = "not applicable";
      detail = `disabled in policy/${findings.stack}.json`;
    } else if (failing.length > 0) {
      status = "fail";
      detail = `${level}: ${[...new Set(failing.map((f) => f.name))].join(", ")}`;
    } else if (suppressed.length > 0) {
      status = "suppressed";
      detail = [
        ...new Set(
          suppressed.map(
            (f) => `${f.name}: ${f.suppression!.reason} (until ${f.suppression!.expires})`,
          ),
        ),
      ].join("; ");
    } else if (examined.length === 0) {
      status = "not applicable";
      detail = "no resource of the types it checks";
    } else {
      status = "pass";
      detail = "";
    }
    const ids = controlsOf(p);
    const controls: [string, string][] = [
      ...ids.securityHub.map((id): [string, string] => [FSBP, id]),
      ...ids.cis.map((id): [string, string] => [CIS, id]),
    ];
    if (controls.length === 0) {
      controls.push(
        ids.checkov.length > 0 ? [CHECKOV, ids.checkov.join(", ")] : [PIPELINE_BASELINE, "-"],
      );
    }
    for (const [framework, control] of controls) {
      rows.push({
        framework,
        control,
        rule: p.name,
        severity: p.severity ?? "",
        level,
        status,
        detail,
        examined,
      });
    }
  }
  const order = [FSBP, CIS, CHECKOV, PIPELINE_BASELINE];
  return rows.sort(
    (a, b) =>
      order.indexOf(a.framework) - order.indexOf(b.framework) ||
      a.control.localeCompare(b.control, "en", { numeric: true }) ||
      a.rule.localeCompare(b.rule),
  );
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** How a list of examined resources is summarized in one cell. */
function examinedCell(examined: string[], max = 6): string {
  if (examined.length === 0) return "none";
  // Names repeat across types (a role and its inline policy): the count is of resources.
  const names = [...new Set(examined.map((e) => e.split(" ")[1]!))];
  const shown = names.slice(0, max).join(", ");
  return `${examined.length}: ${shown}${names.length > max ? `, +${names.length - max} more` : ""}`;
}

/** The Markdown report. */
export function renderComplianceMarkdown(stack: string, rows: ComplianceRow[]): string {
  const count = (s: ComplianceStatus) =>
    new Set(rows.filter((r) => r.status === s).map((r) => r.rule)).size;
  const lines = [
    `# Compliance report: stack ${stack}`,
    "",
    `Rules: ${count("pass")} pass, ${count("fail")} fail, ${count("suppressed")} suppressed, ${count("not applicable")} not applicable. Generated by \`npm run policy:report -- --stack ${stack}\` from the offline synthesis and policy/${stack}.json.`,
    "",
    "| framework | control | rule | severity | status | resources examined |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const status = r.detail ? `${r.status} (${r.detail})` : r.status;
    lines.push(
      `| ${r.framework} | ${r.control} | \`${r.rule}\` | ${r.severity} | ${cell(status)} | ${cell(examinedCell(r.examined))} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The CSV report: one row per (control, rule); examined resources joined with `;`. */
export function renderComplianceCsv(rows: ComplianceRow[]): string {
  const header = [
    "framework",
    "control",
    "rule",
    "severity",
    "level",
    "status",
    "detail",
    "resources_examined",
    "resources",
  ];
  const lines = [header.join(",")];
  for (const r of rows) {
    lines.push(
      [
        r.framework,
        r.control,
        r.rule,
        r.severity,
        r.level,
        r.status,
        r.detail,
        String(r.examined.length),
        r.examined.join(";"),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
