/**
 * Generates docs/least-privilege.md: every role of the program, each request of its table, the
 * expected decision and the decision `@cloud-copilot/iam-simulate` returns over the role's actual
 * documents, in the stacks of DOC_VARIANTS (tools/least-privilege/doc.ts). A test fails when the file is
 * out of date.
 *
 * Usage: `npm run docs:iam` (writes the file), `npm run docs:iam -- --check` (exit 1 if stale).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import {
  DOC_PATH,
  DOC_VARIANTS,
  VARIANTS,
  type VariantResult,
  checkRow,
  evaluateGraph,
  readDoc,
  renderDoc,
} from "../tools/least-privilege";
import { synthesize } from "../tools/synth";

/** Synthesizes and evaluates the doc's variants, in order. */
export async function docResults(): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const id of DOC_VARIANTS) {
    const variant = VARIANTS.find((v) => v.id === id);
    if (!variant) throw new Error(`DOC_VARIANTS names ${id}, which is not in VARIANTS.`);
    const graph = await synthesize({
      stack: variant.stack,
      ...(variant.configOverrides ? { configOverrides: variant.configOverrides } : {}),
    });
    out.push(await evaluateGraph(variant, graph));
  }
  return out;
}

async function main(): Promise<void> {
  const results = await docResults();
  const text = renderDoc(results);
  const rel = path.relative(process.cwd(), DOC_PATH);
  const failing = results.flatMap((v) =>
    v.roles.flatMap((r) =>
      r.rows.flatMap((x) =>
        x.evaluation && checkRow(x.row, x.evaluation).length > 0
          ? [`${v.variant.label} ${r.table.id} ${x.row.action} ${x.row.resource}`]
          : [],
      ),
    ),
  );
  if (process.argv.includes("--check")) {
    if (readDoc() !== text) {
      console.error(`${rel} is out of date; run \`npm run docs:iam\` and commit the result.`);
      process.exitCode = 1;
      return;
    }
    console.log(`${rel} is up to date.`);
  } else {
    writeFileSync(DOC_PATH, text);
    const rows = results.reduce(
      (n, v) => n + v.roles.reduce((m, r) => m + r.rows.filter((x) => x.evaluation).length, 0),
      0,
    );
    console.log(`wrote ${rel}: ${rows} simulated requests in ${results.length} stacks.`);
  }
  if (failing.length > 0) {
    console.error(
      `${failing.length} request(s) do not get the decision their table demands (marked MISMATCH in the doc):\n  ${failing.join("\n  ")}`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
