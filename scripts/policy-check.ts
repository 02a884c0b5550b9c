/**
 * `npm run policy:check -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview] [--graph <file.json>]`
 *
 * Evaluates the policy pack (policy/) with the stack's policy config (`policy/<stack>.json`)
 * against the program's resource graph, synthesized offline under mocks with the stack's
 * `Pulumi.<stack>.yaml` (tools/synth.ts), the way `pulumi preview --policy-pack policy
 * --policy-pack-config policy/<stack>.json` would. Prints a table (level, policy, resource,
 * message) and a summary, or with --json an array of `{ policy, level, type, name, message }`.
 *
 * Exit 1 when any mandatory violation is found, 0 otherwise, 2 on usage errors, invalid policy
 * config, or a program that fails to run. A process hosts one mock setup: one stack per run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { POLICY_DIR, loadPolicyConfig } from "../policy/config";
import type { GraphResource, Violation } from "../policy/evaluate";

const USAGE =
  "usage: npm run policy:check -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview] [--graph <graph.json>]";

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

  let config;
  try {
    config = loadPolicyConfig(stack);
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
  const { violations } = evaluation;
  const code = violations.some((v) => v.level === "mandatory") ? 1 : 0;
  if (values.json) exit(code, JSON.stringify(violations, null, 2));
  const policyCount = Object.keys(evaluation.config).length;
  const summary = summarize(stack, violations, policyCount, resources.length);
  exit(code, violations.length > 0 ? `${renderTable(violations)}\n\n${summary}` : summary);
}

if (require.main === module) {
  main().catch((e: unknown) => exit(2, "", `policy:check: ${(e as Error).stack ?? String(e)}`));
}
