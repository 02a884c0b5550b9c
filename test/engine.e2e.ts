/**
 * `npm run engine:e2e`: the program, the policy pack and the stack config through the REAL Pulumi
 * engine, offline. The CLI is built from the Go module proxy (tools/pulumi-cli/build.sh, run by
 * the npm script first); only the cloud is replaced, by the aws and awsx provider DOUBLES
 * (tools/engine/doubles/). It proves the engine path (step generation, URNs, dependency order,
 * state, protect, config, the analyzer the CLI launches), not that AWS accepts the resources.
 *
 * Prints one line per scenario with its time; exits 1 when any fails. `--only <text>` runs the
 * scenarios whose name contains the text (and those they build on).
 * Not a mocha file: `npm test` stays fast; this takes minutes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { type Violation, resolvePolicyConfig } from "../policy/evaluate";
import { loadPolicyConfig } from "../policy/config";
import { policies } from "../policy/pack";
import { vpcLayout } from "../tools/awsx-vpc";
import {
  type EngineOnly,
  agrees,
  compareState,
  expectedUpdates,
  stepsWith,
} from "../tools/engine/compare";
import {
  type OperationResult,
  POLICY_PACK,
  ROOT,
  type Sandbox,
  policyFlags,
  runOperation,
  sandbox as newSandbox,
} from "../tools/engine/engine";
import { type Graph, readStackConfig, synthesize } from "../tools/synth";
import { analyzeWithServer, startPolicyServer } from "./fixtures/policy/engine";

const POLICY_DIR = path.join(ROOT, POLICY_PACK);

/** Every sandbox made, removed at the end when all scenarios pass (kept for inspection otherwise). */
const sandboxes: Sandbox[] = [];
function sandbox(stacks: string[], label: string): Sandbox {
  const box = newSandbox(stacks, label);
  sandboxes.push(box);
  return box;
}
/** The preview flags CI runs (`.github/workflows`, checked by test/engine.test.ts). */
const previewPolicyFlags = policyFlags;

/** The config change each stack previews: logRetentionDays to another allowed value. */
const RETENTION_CHANGE: Record<string, number> = { dev: 30, prod: 400 };

class Failure extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Failure(message);
}
function ok(r: OperationResult, what: string): void {
  check(r.ok, `${what} must succeed; the CLI said:\n${r.error}`);
}
function failsWith(r: OperationResult, what: string, ...texts: string[]): string {
  check(!r.ok, `${what} must fail; it succeeded.`);
  const missing = texts.filter((t) => !r.error!.includes(t));
  check(
    !missing.length,
    `${what}: the CLI's error must contain ${JSON.stringify(missing)}; found:\n${r.error}`,
  );
  // The CLI's own line, verbatim.
  return r
    .error!.split("\n")
    .find((l) => l.includes(texts[0]!))!
    .trim();
}

/** The resources the awsx double registers for each awsx:ec2:Vpc of the offline graph. */
function awsxChildren(graph: Graph, region: string): EngineOnly[] {
  return graph.resources
    .filter((r) => r.type === "awsx:ec2:Vpc")
    .flatMap((r) => {
      const layout = vpcLayout(r.name, r.inputs, region);
      return [layout.vpc, ...layout.subnets.flatMap((s) => [s, s.routeTable, s.association])].map(
        ({ type, name }) => ({ type, name }),
      );
    });
}

const mandatory = (r: OperationResult) => r.policies.filter((p) => p.level === "mandatory");
const plainOutputs = (o: Record<string, unknown>) =>
  JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

interface Scenario {
  name: string;
  run: () => Promise<string>;
}

function stackScenarios(stack: string): Scenario[] {
  let box: Sandbox;
  let graph: Graph;
  let region: string;
  const engineOnly = () => awsxChildren(graph, region);
  const list: Scenario[] = [
    {
      name: `${stack}: preview --policy-pack policy --policy-pack-config policy/${stack}.json`,
      run: async () => {
        box = sandbox([stack], stack);
        graph = await synthesize({ stack });
        region = readStackConfig(stack)["aws:region"] ?? "us-east-1";
        const r = await runOperation(box, {
          op: "preview",
          stack,
          program: "index.ts",
          ...previewPolicyFlags(stack),
        });
        ok(r, "preview");
        check(
          r.diagnostics.some((d) => d.includes("pulumi-analyzer-policy-nodejs")),
          "the CLI must launch the policy pack through pulumi-analyzer-policy-nodejs",
        );
        check(
          !mandatory(r).length,
          `no mandatory violation may be reported; found ${JSON.stringify(mandatory(r), null, 1)}`,
        );
        const creates = stepsWith(r.steps, "create");
        const expected = graph.resources.length + engineOnly().length + 1; // + the Stack
        check(
          creates.length === expected,
          `preview must create ${expected} resources (offline graph + awsx children + stack); found ${creates.length}`,
        );
        const unknown = r.policies.filter((p) =>
          /can't run policy .* during preview/.test(p.message),
        );
        return (
          `${creates.length} creates, no mandatory violation; ${r.policies.length} advisory ` +
          `findings, of which ${unknown.length} are "can't run during preview" (values unknown ` +
          `before the first up)`
        );
      },
    },
    {
      name: `${stack}: up; outputs and stack export agree with the offline synthesis`,
      run: async () => {
        const r = await runOperation(box, { op: "up", stack, program: "index.ts" });
        ok(r, "up");
        const expectedOutputs = plainOutputs(graph.outputs);
        const outputs = plainOutputs(r.outputs ?? {});
        check(
          JSON.stringify(outputs, Object.keys(outputs).sort()) ===
            JSON.stringify(expectedOutputs, Object.keys(expectedOutputs).sort()) &&
            JSON.stringify(outputs) !== "{}",
          `stack outputs must equal npm run synth's; engine ${JSON.stringify(outputs)}\noffline ${JSON.stringify(expectedOutputs)}`,
        );
        const c = compareState(graph.resources, r.resources ?? [], engineOnly());
        check(agrees(c), `state must agree with the offline graph: ${JSON.stringify(c, null, 1)}`);
        return `${r.resources?.length} resources in state; ${c.compared} compared (URN, inputs, parent, protect), ${Object.keys(outputs).length} outputs equal`;
      },
    },
    {
      name: `${stack}: second preview with expectNoChanges`,
      run: async () => {
        const r = await runOperation(box, {
          op: "preview",
          stack,
          program: "index.ts",
          expectNoChanges: true,
          ...previewPolicyFlags(stack),
        });
        ok(r, "preview --expect-no-changes");
        const changed = r.steps.filter((s) => s.op !== "same");
        check(!changed.length, `no step may change; found ${JSON.stringify(changed)}`);
        return `${r.steps.length} resources the same`;
      },
    },
  ];
  if (stack === "prod") {
    list.push({
      name: "prod: a change that replaces a protected resource is refused",
      run: async () => {
        const bucket = graph.resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.protect);
        check(bucket, "prod must have a protected bucket");
        const r = await runOperation(box, {
          op: "up",
          stack,
          program: "index.ts",
          replaceProperty: {
            type: bucket.type,
            name: bucket.name,
            property: "bucket",
            value: "renamed-bucket",
          },
        });
        const line = failsWith(r, "up replacing a protected bucket", "unable to replace resource");
        check(r.error!.includes(bucket.urn), `the refusal must name ${bucket.urn}`);
        return `refused: ${line}`;
      },
    });
  }
  list.push({
    name: `${stack}: logRetentionDays -> ${RETENTION_CHANGE[stack]} previews exactly the expected updates`,
    run: async () => {
      const days = RETENTION_CHANGE[stack]!;
      const changed = await synthesize({
        stack,
        configOverrides: { logRetentionDays: days },
      });
      const expected = expectedUpdates(graph.resources, changed.resources);
      const r = await runOperation(box, {
        op: "preview",
        stack,
        program: "index.ts",
        config: { "spotify-pipeline:logRetentionDays": String(days) },
        ...previewPolicyFlags(stack),
      });
      ok(r, "preview after the config change");
      const updates = stepsWith(r.steps, "update");
      const replaced = stepsWith(
        r.steps,
        "replace",
        "create-replacement",
        "delete-replaced",
        "create",
        "delete",
      );
      check(
        !replaced.length,
        `no replacement, create or delete may be previewed; found ${replaced}`,
      );
      check(
        JSON.stringify(updates) === JSON.stringify(expected) && updates.length > 0,
        `updates must be exactly the offline diff's ${JSON.stringify(expected)}; found ${JSON.stringify(updates)}`,
      );
      return `${updates.length} update(s): ${updates.map((u) => u.split("::")[1]).join(", ")}; no replacement`;
    },
  });
  if (stack === "dev") {
    list.push({
      name: "dev: destroy",
      run: async () => {
        const r = await runOperation(box, { op: "destroy", stack, program: "index.ts" });
        ok(r, "destroy");
        const deleted = stepsWith(r.steps, "delete").length;
        check(
          deleted === graph.resources.length + 1,
          `destroy must delete every resource; deleted ${deleted}`,
        );
        return `${deleted} resources deleted`;
      },
    });
  } else {
    list.push({
      name: "prod: destroy is refused while protectData is on",
      run: async () => {
        const r = await runOperation(box, { op: "destroy", stack, program: "index.ts" });
        const line = failsWith(r, "destroy prod", "cannot be deleted", "because it is protected");
        return `refused: ${line}`;
      },
    });
  }
  return list;
}

const violations: Scenario = {
  name: "violations: engine, analyzer protocol and policy:check --preview report the same findings",
  run: async () => {
    const stack = "prod";
    const program = "test/programs/violations.ts";
    const box = sandbox([stack], "violations");
    const r = await runOperation(box, {
      op: "preview",
      stack,
      program,
      ...previewPolicyFlags(stack),
    });
    check(!r.ok, "preview of the planted violations must fail on mandatory violations");
    const graph = await synthesize({ stack, program, preview: true });
    const file = loadPolicyConfig(stack);
    // `npm run policy:check` itself, on the same program as a preview (unknowns as the engine sees them).
    const cli = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/policy-check.ts",
        "--stack",
        stack,
        "--program",
        program,
        "--preview",
        "--json",
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    check(
      cli.status === 1,
      `policy:check must exit 1 on the planted violations; exit ${cli.status}: ${cli.stderr}`,
    );
    const offline = { violations: JSON.parse(cli.stdout) as Violation[] };
    const server = await startPolicyServer();
    let online;
    try {
      online = await analyzeWithServer(
        server,
        graph.resources,
        resolvePolicyConfig(policies, file),
      );
    } finally {
      server.stop();
    }
    const byKey = new Map(graph.resources.map((x) => [`${x.type}::${x.name}`, x.urn]));
    const stackUrn = (u: string) => (u.includes("::pulumi:pulumi:Stack::") ? "" : u);
    const key = (policy: string, urn: string, message: string) =>
      JSON.stringify([policy, stackUrn(urn), message.trim()]);
    const engine = r.policies.map((p) => key(p.policy, p.urn, p.message)).sort();
    const analyzer = online.map((d) => key(d.policy, d.urn, d.message)).sort();
    const evaluator = offline.violations
      .map((v) =>
        key(
          v.policy,
          v.type === "pulumi:pulumi:Stack" ? "" : byKey.get(`${v.type}::${v.name}`)!,
          v.message,
        ),
      )
      .sort();
    const diff = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
    check(
      !diff(engine, analyzer).length && !diff(analyzer, engine).length,
      `engine and analyzer protocol must agree;\nonly engine: ${diff(engine, analyzer).join("\n")}\nonly analyzer: ${diff(analyzer, engine).join("\n")}`,
    );
    // The analyzer prefixes string reports with the policy's description (see
    // test/policy-engine.test.ts); compare the offline messages on their own text.
    const strip = (k: string) => {
      const [policy, urn, message] = JSON.parse(k) as string[];
      const description = policies.find((p) => p.name === policy)?.description ?? "";
      return JSON.stringify([
        policy,
        urn,
        message!.startsWith(`${description}\n`) ? message!.slice(description.length + 1) : message,
      ]);
    };
    const engineText = engine.map(strip).sort();
    check(
      !diff(engineText, evaluator).length && !diff(evaluator, engineText).length,
      `engine and offline evaluator must agree;\nonly engine: ${diff(engineText, evaluator).join("\n")}\nonly offline: ${diff(evaluator, engineText).join("\n")}`,
    );
    const m = r.policies.filter((p) => p.level === "mandatory").length;
    check(m > 0, "the planted violations must include mandatory findings");
    return `${engine.length} findings (${m} mandatory) identical in all three`;
  },
};

const errors: Scenario[] = [
  {
    name: "error: a broken Pulumi.dev.yaml key fails with the CLI's error",
    run: async () => {
      const box = sandbox(["dev"], "broken-key");
      const file = path.join(box.workDir, "Pulumi.dev.yaml");
      fs.appendFileSync(file, "  spotify-pipeline:glue:workerType: G.2X\n");
      const r = await runOperation(box, { op: "preview", stack: "dev", program: "index.ts" });
      return failsWith(r, "preview with a broken key", "spotify-pipeline:glue:workerType");
    },
  },
  {
    name: "error: a policy pack without its dependencies fails with the CLI's error",
    run: async () => {
      const box = sandbox(["dev"], "pack-deps");
      const pack = path.join(box.dir, "policy");
      fs.cpSync(POLICY_DIR, pack, { recursive: true });
      const r = await runOperation(box, {
        op: "preview",
        stack: "dev",
        program: "index.ts",
        policyPacks: [pack],
        policyPackConfigs: [path.join(pack, "dev.json")],
      });
      return failsWith(
        r,
        "preview with a pack missing its dependencies",
        "Cannot find module '@pulumi/policy'",
      );
    },
  },
  {
    name: "error: a duplicate resource name fails with the CLI's error",
    run: async () => {
      const box = sandbox(["dev"], "duplicate");
      const r = await runOperation(box, {
        op: "preview",
        stack: "dev",
        program: "test/engine-programs/duplicate-name.ts",
      });
      return failsWith(r, "preview of a program declaring a name twice", "Duplicate resource URN");
    },
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: "string" } }, strict: true });
  const groups: Scenario[][] = [
    stackScenarios("dev"),
    stackScenarios("prod"),
    [violations],
    errors,
  ];
  // A group's later scenarios build on its earlier ones: keep the group up to the last match.
  const chosen = groups.flatMap((g) => {
    if (!values.only) return g;
    const last = g.map((s) => s.name.includes(values.only!)).lastIndexOf(true);
    return g.slice(0, last + 1);
  });
  const started = performance.now();
  let failed = 0;
  for (const group of groups) {
    for (const s of group) {
      if (!chosen.includes(s)) continue;
      const t = performance.now();
      let line: string;
      try {
        const detail = await s.run();
        line = `ok    ${s.name} (${((performance.now() - t) / 1000).toFixed(1)} s): ${detail}`;
      } catch (e) {
        failed++;
        line = `FAIL  ${s.name} (${((performance.now() - t) / 1000).toFixed(1)} s): ${(e as Error).message}`;
        // A failed step leaves later steps of its group without their state.
        group.splice(group.indexOf(s) + 1);
      }
      process.stdout.write(`${line}\n`);
    }
  }
  if (failed) {
    process.stdout.write(
      `sandboxes kept for inspection:\n${sandboxes.map((b) => `  ${b.dir}`).join("\n")}\n`,
    );
  } else {
    for (const b of sandboxes) fs.rmSync(b.dir, { recursive: true, force: true });
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `engine:e2e: ${chosen.length - failed} passed, ${failed} failed (${total} s). Provider doubles, not AWS: see README "Proven here, and what still needs AWS".\n`,
  );
  process.exit(failed ? 1 : 0);
}

void main();
