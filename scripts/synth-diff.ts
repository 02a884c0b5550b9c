/**
 * `npm run synth:diff -- --base <ref> [--head <ref>] [--stack dev --stack prod] [--markdown <file>]`
 * `npm run synth:diff -- --base-graph <base.json> --head-graph <head.json> [--stack <label>]`
 *
 * The offline diff of a pull request: synthesizes each stack on the base ref and on the head (the
 * working tree unless --head is given), each in its own git worktree and process, and reports the
 * resources added, removed and changed with the changed inputs. Needs no cloud or backend
 * credentials, so it also runs for pull requests from forks. --markdown writes the PR comment.
 * Exit 0 when the comparison ran (changes or not), 1 when a graph could not be produced, 2 on usage errors.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import {
  type GraphDiff,
  type GraphRow,
  diffGraphs,
  renderMarkdown,
  renderText,
} from "../tools/graph-diff";
import { UnknownRefError, perStackAt } from "../tools/worktree";

const ROOT = path.resolve(__dirname, "..");
const USAGE =
  "usage: npm run synth:diff -- --base <git ref> [--head <git ref>] [--stack <name>]... [--markdown <file>]\n" +
  "       npm run synth:diff -- --base-graph <file.json> --head-graph <file.json> [--stack <label>]";

function usage(message: string): never {
  process.stderr.write(`synth:diff: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** Synthesizes one stack in a directory (a checkout of some ref) in a fresh process. */
function synthIn(dir: string, stack: string): GraphRow[] {
  const script = path.join(dir, "scripts", "synth.ts");
  if (!fs.existsSync(script)) {
    throw new Error(`this ref has no scripts/synth.ts, so it cannot be synthesized offline`);
  }
  const run = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "tsx"),
    [script, "--stack", stack, "--json"],
    {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (run.status !== 0) {
    throw new Error((run.stderr || run.stdout || `exit ${run.status}`).trim());
  }
  return JSON.parse(run.stdout) as GraphRow[];
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string" },
        stack: { type: "string", multiple: true },
        markdown: { type: "string" },
        "base-graph": { type: "string" },
        "head-graph": { type: "string" },
      },
      strict: true,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  const fromFiles = values["base-graph"] !== undefined || values["head-graph"] !== undefined;
  if (fromFiles && (!values["base-graph"] || !values["head-graph"])) {
    usage("--base-graph and --head-graph go together.");
  }
  if (!fromFiles && !values.base) usage("--base <git ref> is required (e.g. --base origin/main).");

  const stacks = values.stack ?? (fromFiles ? ["graph"] : ["dev", "prod"]);
  const sections: { stack: string; diff?: GraphDiff; error?: string }[] = [];
  let failed = false;

  if (fromFiles) {
    const read = (f: string) => {
      try {
        return JSON.parse(fs.readFileSync(f, "utf8")) as GraphRow[];
      } catch (e) {
        return usage(`cannot read graph ${f}: ${(e as Error).message}`);
      }
    };
    sections.push({
      stack: stacks[0]!,
      diff: diffGraphs(read(values["base-graph"]!), read(values["head-graph"]!)),
    });
  } else {
    const graphs = (ref: string | undefined) => {
      try {
        return perStackAt(ref, stacks, (dir, s) => synthIn(dir, s), "synth:diff");
      } catch (e) {
        if (e instanceof UnknownRefError) usage(`--base/--head ${e.message}`);
        throw e;
      }
    };
    const base = graphs(values.base);
    const head = graphs(values.head);
    for (const s of stacks) {
      const b = base.get(s)!;
      const h = head.get(s)!;
      if (h instanceof Error) {
        failed = true;
        sections.push({ stack: s, error: `head: ${h.message}` });
      } else if (b instanceof Error) {
        sections.push({ stack: s, error: `base (${values.base}): ${b.message}` });
      } else {
        sections.push({ stack: s, diff: diffGraphs(b, h) });
      }
    }
  }

  for (const s of sections) {
    process.stdout.write(
      `${s.diff ? renderText(s.stack, s.diff) : `stack ${s.stack}: ${s.error}`}\n`,
    );
  }
  if (values.markdown) {
    const refs = fromFiles
      ? { base: values["base-graph"]!, head: values["head-graph"]! }
      : { base: values.base!, head: values.head ?? "working tree" };
    fs.writeFileSync(values.markdown, renderMarkdown(sections, refs));
    process.stderr.write(`synth:diff: wrote ${values.markdown}\n`);
  }
  process.exit(failed ? 1 : 0);
}

main();
