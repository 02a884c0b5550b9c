/**
 * `npm run pr:comment -- --base <ref> [--head <ref>] [--stack dev --stack prod] [--out <file>] [--full <file>] [--artifact-url <url>] [--preview-dir <dir>]`
 * `npm run pr:comment -- --base-graph <base.json> --head-graph <head.json> --stack <dev|prod> [...]`
 *
 * The pull-request comment that puts danger first (tools/report/pr-comment.ts). For each stack it
 * synthesizes the program on the base ref and on the head (the working tree unless --head is
 * given; each ref in its own git worktree and process) and evaluates each ref's own policy pack
 * with that ref's `policy/<stack>.json`, offline: no cloud or backend credentials, so it also runs
 * for pull requests from forks. With saved graphs (`{ resources }` or an array, as tools/synth.ts
 * makes them) the head's pack evaluates both. With --preview-dir, `preview-<stack>.json` files
 * there (`pulumi preview --json`, where credentials exist) give the exact deletions and
 * replacements. --out writes the comment (cut to GitHub's limit),
 * --full the whole report for the workflow artifact; without --out the comment goes to stdout.
 * Exit 0 when the comment was written, 1 when the head could not be synthesized, 2 on usage errors.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import type { GraphResource } from "../policy/evaluate";
import type { PolicyFindings } from "../tools/report/findings";
import type { CommentResource, StackComparison } from "../tools/report/pr-comment";
import { UnknownRefError, perStackAt } from "../tools/worktree";

const ROOT = path.resolve(__dirname, "..");
const USAGE =
  "usage: npm run pr:comment -- --base <git ref> [--head <git ref>] [--stack <name>]... [--out <file>] [--full <file>] [--artifact-url <url>] [--preview-dir <dir>]\n" +
  "       npm run pr:comment -- --base-graph <file.json> --head-graph <file.json> --stack <name> [--out <file>] [--full <file>]";

function usage(message: string): never {
  process.stderr.write(`pr:comment: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** What one ref yields for one stack. */
interface Side {
  resources: CommentResource[];
  findings?: PolicyFindings;
  policyError?: string;
}

/** Evaluates the pack found in `dir` (a checkout) over a graph, with that checkout's stack config. */
async function evaluateIn(dir: string, stack: string, resources: GraphResource[]): Promise<Side> {
  const today = new Date().toISOString().slice(0, 10);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const evaluate = require(
      path.join(dir, "policy", "evaluate.ts"),
    ) as typeof import("../policy/evaluate");
    const { classify } = await import("../tools/report/findings.js");
    const evaluation = await evaluate.evaluatePolicyPack(resources, { stack });
    return { resources, findings: classify(stack, evaluation, today) };
  } catch (e) {
    return { resources, policyError: (e as Error).message };
  }
}

/** Child mode: synthesize and evaluate the checkout in `dir`, print the result as JSON. */
async function emit(dir: string, stack: string): Promise<void> {
  const synth = ["tools/synth.ts", "lib/synth.ts"]
    .map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!synth)
    throw new Error(
      "this ref has neither tools/synth.ts nor lib/synth.ts, so it cannot be synthesized offline",
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthesize } = require(synth) as typeof import("../tools/synth");
  const graph = await synthesize({ stack });
  const side = await evaluateIn(dir, stack, graph.resources);
  fs.writeSync(1, JSON.stringify(side));
  process.exit(0);
}

/** Runs the child mode for a checkout in a fresh process (one mock monitor per process). */
function sideIn(dir: string, stack: string): Side {
  const run = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "tsx"),
    [path.join(ROOT, "scripts", "pr-comment.ts"), "--emit", dir, "--stack", stack],
    { cwd: dir, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error((run.stderr || run.stdout || `exit ${run.status}`).trim());
  return JSON.parse(run.stdout) as Side;
}

function readGraph(file: string): GraphResource[] {
  try {
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    const list = Array.isArray(raw) ? raw : (raw as { resources?: unknown }).resources;
    if (!Array.isArray(list))
      throw new Error("must hold a JSON array of resources or { resources: [...] }");
    return list as GraphResource[];
  } catch (e) {
    return usage(`cannot read graph ${file}: ${(e as Error).message}`);
  }
}

function comparison(
  stack: string,
  base: Side | Error,
  head: Side | Error,
  baseRef: string,
): StackComparison {
  if (head instanceof Error) return { stack, error: `head: ${head.message}` };
  if (base instanceof Error) return { stack, error: `base (${baseRef}): ${base.message}` };
  const problems = [
    base.policyError ? `the base's policy pack failed: ${base.policyError}` : "",
    head.policyError ? `the head's policy pack failed: ${head.policyError}` : "",
  ].filter(Boolean);
  return {
    stack,
    ...(problems.length > 0 ? { error: problems.join("; ") } : {}),
    base: base.resources,
    head: head.resources,
    ...(base.findings ? { baseFindings: base.findings } : {}),
    ...(head.findings ? { headFindings: head.findings } : {}),
  };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string" },
        stack: { type: "string", multiple: true },
        out: { type: "string" },
        full: { type: "string" },
        "artifact-url": { type: "string" },
        "base-graph": { type: "string" },
        "head-graph": { type: "string" },
        emit: { type: "string" },
        "preview-dir": { type: "string" },
      },
      strict: true,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.emit) return emit(values.emit, values.stack?.[0] ?? usage("--emit needs --stack"));

  const fromFiles = values["base-graph"] !== undefined || values["head-graph"] !== undefined;
  if (fromFiles && (!values["base-graph"] || !values["head-graph"])) {
    usage("--base-graph and --head-graph go together.");
  }
  if (fromFiles && values.stack?.length !== 1)
    usage("--base-graph/--head-graph need one --stack (its policy config is used).");
  if (!fromFiles && !values.base) usage("--base <git ref> is required (e.g. --base origin/main).");
  const stacks = values.stack ?? ["dev", "prod"];

  const comparisons: StackComparison[] = [];
  let failed = false;
  if (fromFiles) {
    const stack = stacks[0]!;
    const base = await evaluateIn(ROOT, stack, readGraph(values["base-graph"]!));
    const head = await evaluateIn(ROOT, stack, readGraph(values["head-graph"]!));
    comparisons.push(comparison(stack, base, head, values["base-graph"]!));
  } else {
    const sides = (ref: string | undefined) => {
      try {
        return perStackAt(ref, stacks, (dir, s) => sideIn(dir, s), "pr:comment");
      } catch (e) {
        if (e instanceof UnknownRefError) usage(e.message);
        throw e;
      }
    };
    const base = sides(values.base);
    const head = sides(values.head);
    for (const s of stacks) {
      if (head.get(s) instanceof Error) failed = true;
      comparisons.push(comparison(s, base.get(s)!, head.get(s)!, values.base!));
    }
  }

  if (values["preview-dir"]) {
    const { parsePreview } = await import("../tools/report/preview.js");
    for (const c of comparisons) {
      const file = path.join(values["preview-dir"], `preview-${c.stack}.json`);
      if (!fs.existsSync(file) || c.error) continue;
      try {
        c.preview = parsePreview(fs.readFileSync(file, "utf8"), file);
      } catch (e) {
        process.stderr.write(
          `pr:comment: ${(e as Error).message} The offline comparison is used.\n`,
        );
      }
    }
  }
  const { renderComment } = await import("../tools/report/pr-comment.js");
  const refs = fromFiles
    ? { base: path.basename(values["base-graph"]!), head: path.basename(values["head-graph"]!) }
    : { base: values.base!, head: values.head ?? "working tree" };
  const artifact = values["artifact-url"] ? { artifactUrl: values["artifact-url"] } : {};
  const comment = renderComment(comparisons, { refs, ...artifact });
  if (values.full) {
    fs.writeFileSync(
      values.full,
      renderComment(comparisons, { refs, ...artifact, limit: Infinity }),
    );
    process.stderr.write(`pr:comment: wrote ${values.full}\n`);
  }
  if (values.out) {
    fs.writeFileSync(values.out, comment);
    process.stderr.write(`pr:comment: wrote ${values.out} (${comment.length} characters)\n`);
  } else {
    fs.writeSync(1, comment.endsWith("\n") ? comment : `${comment}\n`);
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`pr:comment: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  });
}
