/**
 * `npm run policy:check -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview] [--graph <file.json>]
 *   [--format table|json|sarif] [--output <file>] [--config <policy config.json>]`
 *
 * Evaluates the policy pack (policy/) with the stack's policy config (`policy/<stack>.json`)
 * against the program's resource graph, synthesized offline under mocks with the stack's
 * `Pulumi.<stack>.yaml` (tools/synth.ts), the way `pulumi preview --policy-pack policy
 * --policy-pack-config policy/<stack>.json` would. Prints a table (level, policy, resource,
 * message) and a summary, or with --json an array of `{ policy, level, type, name, message }`.
 * Suppressions (policy/suppressions.ts) are listed under the table: those in effect, and those
 * matching nothing. `--format json` prints the whole report (findings, suppressed findings,
 * suppressions); `--format sarif` prints SARIF 2.1.0 with each finding located where the program
 * declares the resource (tools/report/sarif.ts). `--output` writes the report to a file and
 * prints the summary line instead. `--config` reads another policy config file than
 * `policy/<stack>.json` (suppression reports in tests, a config under review).
 *
 * Exit 1 when any mandatory violation is found, 0 otherwise, 2 on usage errors, invalid policy
 * config, or a program that fails to run. A process hosts one mock setup: one stack per run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { POLICY_DIR, type PolicyPackConfigFile, loadPolicyConfig } from "../policy/config";
import type { GraphResource, Violation } from "../policy/evaluate";
import { isoDay } from "../policy/suppressions";
import { type PolicyFindings, asViolations, classify, unmatched } from "../tools/report/findings";
import type { SourcePosition } from "../tools/synth";

const USAGE =
  "usage: npm run policy:check -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview] [--graph <graph.json>] [--format table|json|sarif] [--output <file>] [--config <policy config.json>]";

const FORMATS = ["table", "json", "sarif"] as const;

function exit(code: number, out: string, err = ""): never {
  if (out) fs.writeSync(1, out.endsWith("\n") ? out : `${out}\n`);
  if (err) fs.writeSync(2, err.endsWith("\n") ? err : `${err}\n`);
  process.exit(code);
}

function usage(message: string): never {
  return exit(2, "", `policy:check: ${message}\n${USAGE}`);
}

/** Renders violations as an aligned table: level, policy, resource (type name), message. */
export function renderTable(violations: Violation[]): string {
  const rows = violations.map((v) => [v.level, v.policy, `${v.type} ${v.name}`, v.message]);
  const header = ["LEVEL", "POLICY", "RESOURCE", "MESSAGE"];
  const widths = [0, 1, 2].map((i) =>
    Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)),
  );
  const line = (r: string[]) =>
    [0, 1, 2].map((i) => r[i]!.padEnd(widths[i]!)).join("  ") + "  " + r[3];
  return [line(header), ...rows.map(line)].join("\n");
}

/** The one-line summary under the table. */
export function summarize(
  stack: string,
  violations: Violation[],
  policies: number,
  resources: number,
): string {
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  const advisory = violations.length - mandatory;
  const scope = `${policies} policies, ${resources} resources`;
  if (violations.length === 0) return `policy:check ${stack}: no violations (${scope}).`;
  return `policy:check ${stack}: ${mandatory} mandatory, ${advisory} advisory violation(s) (${scope}).${mandatory > 0 ? " Mandatory violations block the deployment." : ""}`;
}

/** Reads a saved graph: an array of GraphResource (a missing urn is derived from type and name). */
function readGraph(file: string, stack: string): GraphResource[] {
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  const list = Array.isArray(raw) ? raw : (raw as { resources?: unknown }).resources;
  if (!Array.isArray(list)) {
    throw new Error(
      `${file} must hold a JSON array of resources ({ type, name, inputs, ... }) or { resources: [...] }.`,
    );
  }
  return list.map((r: Partial<GraphResource>, i) => {
    if (typeof r.type !== "string" || typeof r.name !== "string") {
      throw new Error(
        `${file}[${i}] must have string "type" and "name"; found ${JSON.stringify(r).slice(0, 120)}.`,
      );
    }
    return {
      custom: true,
      inputs: {},
      ...r,
      urn: r.urn ?? `urn:pulumi:${stack}::graph::${r.type}::${r.name}`,
    } as GraphResource;
  });
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        program: { type: "string" },
        json: { type: "boolean", default: false },
        preview: { type: "boolean", default: false },
        graph: { type: "string" },
        format: { type: "string" },
        output: { type: "string" },
        config: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  const stack = values.stack;
  if (!stack) usage("--stack is required (e.g. --stack dev).");
  if (values.graph && values.program) usage("--graph and --program exclude each other.");
  const format = values.format ?? (values.json ? "json" : "table");
  if (!(FORMATS as readonly string[]).includes(format)) {
    usage(`--format must be one of ${FORMATS.join(", ")}; found ${JSON.stringify(format)}.`);
  }

  let config;
  try {
    config = values.config
      ? (JSON.parse(fs.readFileSync(values.config, "utf8")) as PolicyPackConfigFile)
      : loadPolicyConfig(stack);
  } catch (e) {
    usage((e as Error).message);
  }
  // Loaded only now: usage errors answer without loading the Pulumi SDK.
  const { PolicyConfigError, evaluatePolicyPack } = await import("../policy/evaluate.js");

  let resources: GraphResource[];
  try {
    resources = values.graph
      ? readGraph(path.resolve(values.graph), stack)
      : (
          await (
            await import("../tools/synth.js")
          ).synthesize({
            stack,
            ...(values.program ? { program: values.program } : {}),
            preview: values.preview,
            sourcePositions: format === "sarif",
          })
        ).resources;
  } catch (e) {
    const what = values.graph
      ? `the graph ${values.graph} could not be read`
      : `the program failed for stack "${stack}"`;
    return exit(2, "", `policy:check: ${what}:\n${(e as Error).message}`);
  }

  let evaluation;
  try {
    evaluation = await evaluatePolicyPack(resources, { stack, config });
  } catch (e) {
    if (e instanceof PolicyConfigError) {
      return exit(
        2,
        "",
        `policy:check: policy/${stack}.json does not fit the pack (${POLICY_DIR}):\n${e.message}`,
      );
    }
    return exit(2, "", `policy:check: ${(e as Error).message}`);
  }
  const findings = classify(stack, evaluation, isoDay(new Date()));
  const violations = asViolations(findings.active);
  const code = violations.some((v) => v.level === "mandatory") ? 1 : 0;
  const policyCount = Object.keys(evaluation.config).length;
  const summary = summarize(stack, violations, policyCount, resources.length);
  let report: string;
  if (format === "sarif") {
    const { policies } = await import("../policy/pack.js");
    const { toSarif } = await import("../tools/report/sarif.js");
    const sources = new Map(
      resources.flatMap((r) => {
        const at = (r as { source?: SourcePosition }).source;
        return at ? [[`${r.type}::${r.name}`, at] as const] : [];
      }),
    );
    const levels = Object.fromEntries(
      Object.entries(evaluation.config).map(([k, c]) => [k, c.enforcementLevel]),
    );
    report = JSON.stringify(
      toSarif({ findings, policies, levels, sources, version: packVersion() }),
      null,
      2,
    );
  } else if (format === "json" && values.format === "json") {
    report = JSON.stringify(
      {
        stack,
        violations,
        suppressed: findings.suppressed,
        suppressions: findings.suppressions,
      },
      null,
      2,
    );
  } else if (format === "json") {
    // --json: the array of violations, as before suppressions existed.
    report = JSON.stringify(violations, null, 2);
  } else {
    const extra = renderSuppressions(findings);
    report = [violations.length > 0 ? renderTable(violations) : "", extra, summary]
      .filter(Boolean)
      .join("\n\n");
  }
  if (values.output) {
    fs.writeFileSync(values.output, report.endsWith("\n") ? report : `${report}\n`);
    exit(code, `${summary} Wrote ${values.output}.`);
  }
  exit(code, report);
}

/** The suppressions in effect and the stale ones, under the table; empty when there are none. */
export function renderSuppressions(f: PolicyFindings): string {
  const lines: string[] = [];
  if (f.suppressed.length > 0) {
    lines.push(`Suppressed (${f.suppressed.length}, policy/${f.stack}.json):`);
    for (const s of f.suppressed) {
      lines.push(
        `  ${s.policyLevel}  ${s.policy}  ${s.type} ${s.name}  until ${s.suppression!.expires}: ${s.suppression!.reason}`,
      );
    }
  }
  const stale = unmatched(f);
  if (stale.length > 0) {
    lines.push(`Suppressions matching nothing (remove them from policy/${f.stack}.json):`);
    for (const s of stale) {
      lines.push(`  ${s.policy}  ${JSON.stringify(s.resource)}  until ${s.expires}: ${s.reason}`);
    }
  }
  return lines.join("\n");
}

/** The pack's version (policy/package.json). */
function packVersion(): string {
  return (
    JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

if (require.main === module) {
  main().catch((e: unknown) => exit(2, "", `policy:check: ${(e as Error).stack ?? String(e)}`));
}
