/**
 * `npm run policy:report -- --stack <dev|prod> [--csv] [--out-dir <dir>] [--graph <graph.json>]`
 *
 * The compliance report of a stack (tools/report/compliance.ts): per control of AWS Foundational
 * Security Best Practices / CIS AWS Foundations (else Checkov, else our baseline), the rule, its
 * status in the stack (pass, fail, suppressed with the reason, not applicable) and the resources
 * it examined. Prints Markdown, or CSV with --csv; --out-dir writes both
 * (`compliance-<stack>.md`, `compliance-<stack>.csv`). Exit 0 when the report was produced (a
 * failing control does not fail it: `policy:check` gates), 2 on usage errors or a failed synthesis.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import type { GraphResource } from "../policy/evaluate";

const USAGE =
  "usage: npm run policy:report -- --stack <dev|prod> [--csv] [--out-dir <dir>] [--graph <graph.json>]";

function fail(message: string): never {
  process.stderr.write(`policy:report: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** A saved graph: `{ resources: [...] }` (tools/synth.ts's Graph) or the array itself. */
function graphResources(raw: unknown): GraphResource[] {
  const list = Array.isArray(raw) ? raw : (raw as { resources?: unknown }).resources;
  if (!Array.isArray(list))
    fail("--graph must hold a JSON array of resources or { resources: [...] }.");
  return list as GraphResource[];
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        csv: { type: "boolean", default: false },
        "out-dir": { type: "string" },
        graph: { type: "string" },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  const stack = values.stack;
  if (!stack) fail("--stack is required (e.g. --stack dev).");
  const { loadPolicyConfig } = await import("../policy/config.js");
  let config;
  try {
    config = loadPolicyConfig(stack);
  } catch (e) {
    fail((e as Error).message);
  }
  const { evaluatePolicyPack } = await import("../policy/evaluate.js");
  const { policies } = await import("../policy/pack.js");
  const { isoDay } = await import("../policy/suppressions.js");
  const { classify } = await import("../tools/report/findings.js");
  const { complianceRows, renderComplianceCsv, renderComplianceMarkdown } =
    await import("../tools/report/compliance.js");
  let resources;
  try {
    resources = values.graph
      ? graphResources(JSON.parse(fs.readFileSync(values.graph, "utf8")) as unknown)
      : (await (await import("../tools/synth.js")).synthesize({ stack })).resources;
  } catch (e) {
    process.stderr.write(
      `policy:report: the program failed for stack "${stack}":\n${(e as Error).message}\n`,
    );
    process.exit(2);
  }
  let evaluation;
  try {
    evaluation = await evaluatePolicyPack(resources, { stack, config });
  } catch (e) {
    process.stderr.write(`policy:report: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const findings = classify(stack, evaluation, isoDay(new Date()));
  const rows = complianceRows(policies, resources, evaluation, findings);
  const markdown = renderComplianceMarkdown(stack, rows);
  const csv = renderComplianceCsv(rows);
  if (values["out-dir"]) {
    fs.mkdirSync(values["out-dir"], { recursive: true });
    for (const [ext, text] of [
      ["md", markdown],
      ["csv", csv],
    ] as const) {
      const file = path.join(values["out-dir"], `compliance-${stack}.${ext}`);
      fs.writeFileSync(file, text);
      process.stderr.write(`policy:report: wrote ${file}\n`);
    }
  }
  fs.writeSync(1, values.csv ? csv : markdown);
  process.exit(0);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`policy:report: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  });
}
