/**
 * `npm run synth -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview]`
 *
 * Runs the Pulumi program under mocks with the stack's config and prints every resource: a
 * readable tree (type, name, parent, inputs), or with --json what a policy engine sees (URN,
 * parent, inputs with auto-names, protection, dependencies, property dependencies; see
 * `engineView`), which `npm run policy:check -- --graph <file>` reads back. The offline counterpart of
 * `pulumi preview`. Exit 0 on success, 2 on usage errors or a program that fails to run.
 */
import { parseArgs } from "node:util";

import { type Graph, type GraphResource, mockOutputs, synthesize } from "../tools/synth";

const USAGE =
  "usage: npm run synth -- --stack <dev|prod> [--program <entry.ts>] [--json] [--preview]";

function fail(message: string): never {
  process.stderr.write(`synth: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** Renders the graph as an indented tree (children under their parent), inputs as compact JSON. */
export function renderTree(resources: GraphResource[]): string {
  const children = new Map<string | undefined, GraphResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort((a, b) =>
      `${a.type}${a.name}`.localeCompare(`${b.type}${b.name}`),
    );
    for (const r of list) {
      const flags = [r.protect ? "protect" : "", r.retainOnDelete ? "retainOnDelete" : ""].filter(
        Boolean,
      );
      lines.push(
        `${"  ".repeat(depth)}${r.type} ${r.name}${flags.length ? ` [${flags.join(", ")}]` : ""}`,
      );
      for (const [k, v] of Object.entries(r.inputs).sort(([a], [b]) => a.localeCompare(b))) {
        const text = JSON.stringify(v);
        lines.push(
          `${"  ".repeat(depth + 2)}${k}: ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`,
        );
      }
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join("\n");
}

/** Input fields the AWS provider fills with an auto-name when a program leaves them unset. */
const AUTO_NAMED: readonly string[] = ["bucket", "name"];

/**
 * What a policy engine sees of each resource: type, name, URN, parent, its inputs with the
 * provider's auto-names filled in (the physical names the mocks give, the same ones that appear
 * in other resources' ARNs), protection, and the dependencies and property dependencies the
 * engine hands stack policies. `npm run policy:check -- --graph <file>` reads it back.
 */
export function engineView(
  graph: Graph,
): (Omit<GraphResource, "parent"> & { parent: string | null })[] {
  return graph.resources.map((resource) => {
    // `parent: null` at the top level, as tools/graph-diff.ts reads rows.
    const r = { ...resource, parent: resource.parent ?? null };
    if (!r.custom || r.type.startsWith("pulumi:")) return r;
    // Physical names do not depend on the region; ARNs are not inputs.
    const { state } = mockOutputs(r.type, r.name, r.inputs, "");
    const inputs = { ...r.inputs };
    for (const field of AUTO_NAMED) {
      if (inputs[field] === undefined && typeof state[field] === "string") {
        inputs[field] = state[field];
      }
    }
    return { ...r, inputs };
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
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (!values.stack) fail("--stack is required (e.g. --stack dev).");
  let graph;
  try {
    graph = await synthesize({
      stack: values.stack,
      ...(values.program ? { program: values.program } : {}),
      preview: values.preview,
    });
  } catch (e) {
    process.stderr.write(
      `synth: the program failed for stack "${values.stack}":\n${(e as Error).message}\n`,
    );
    process.exit(2);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(engineView(graph), null, 2)}\n`);
  } else {
    process.stdout.write(
      `${renderTree(graph.resources)}\n\n${graph.resources.length} resources in stack "${graph.stack}" (${Math.round(graph.millis)} ms)\n`,
    );
  }
  // Pulumi's runtime may keep handles open; the graph is printed, so leave now.
  process.exit(0);
}

if (require.main === module) void main();
