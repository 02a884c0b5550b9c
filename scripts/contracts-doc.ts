/**
 * Regenerates the generated section of docs/contracts.md from glue/contract.json and
 * lib/visuals.ts (tools/contracts-doc.ts). A test fails when the file is out of date.
 *
 * Usage: `npm run docs:contracts` (writes the file), `npm run docs:contracts -- --check` (exit 1
 * if stale).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { CONTRACTS_DOC_PATH, readContractsDoc, withContractSection } from "../tools/contracts-doc";

const current = readContractsDoc();
const fresh = withContractSection(current);
const rel = path.relative(process.cwd(), CONTRACTS_DOC_PATH);
if (process.argv.includes("--check")) {
  if (fresh !== current) {
    console.error(`${rel} is out of date; run \`npm run docs:contracts\` and commit the result.`);
    process.exitCode = 1;
  } else {
    console.log(`${rel} is up to date.`);
  }
} else {
  writeFileSync(CONTRACTS_DOC_PATH, fresh);
  console.log(`wrote ${rel}.`);
}
