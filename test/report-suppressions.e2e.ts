/**
 * `npm run suppressions:e2e`: justified, expiring suppressions through the REAL Pulumi engine
 * (tools/engine/, provider doubles, not AWS) and offline, on the planted-violations program with
 * one policy config: a suppression in effect on a resource policy and on a stack policy, an
 * expired one, a stale one; then a suppression expiring more than a year ahead, which both
 * refuse. The engine's findings for those policies must equal `policy:check --preview`'s.
 * Not a mocha file (the engine takes tens of seconds); exits 1 on any difference.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { loadPolicyConfig } from "../policy/config";
import { type SuppressionNote, formatNote, isoDay, parseNote } from "../policy/suppressions";
import { describe } from "../tools/report/findings";
import { ROOT, runOperation, sandbox } from "../tools/engine/engine";

const STACK = "prod";
const PROGRAM = "test/programs/violations.ts";
const day = (offset: number) => isoDay(new Date(Date.now() + offset * 86_400_000));
const SUPPRESSED = ["sns-topic-kms", "sqs-queue-kms", "s3-bucket-sse-kms"];

function configWith(expiresInEffect: string): Record<string, unknown> {
  const config: Record<string, unknown> = loadPolicyConfig(STACK);
  const reason = "Accepted for the suppressions e2e: the engine and policy:check must agree.";
  config["sns-topic-kms"] = {
    enforcementLevel: "mandatory",
    suppressions: [{ resource: "planted-topic", reason, expires: expiresInEffect }],
  };
  config["sqs-queue-kms"] = {
    enforcementLevel: "mandatory",
    suppressions: [{ resource: "planted-queue", reason, expires: day(-1) }],
  };
  config["s3-bucket-sse-kms"] = {
    enforcementLevel: "mandatory",
    suppressions: [
      { resource: "planted-s*", reason, expires: expiresInEffect },
      { resource: "no-such-bucket", reason, expires: expiresInEffect },
    ],
  };
  return config;
}

function fail(message: string): never {
  process.stdout.write(`FAIL  ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const started = performance.now();
  const box = sandbox([STACK], "suppressions");
  const file = path.join(box.dir, "policy.json");
  fs.writeFileSync(file, JSON.stringify(configWith(day(30))));
  const flags = { policyPacks: [path.join(ROOT, "policy")], policyPackConfigs: [file] };
  const r = await runOperation(box, { op: "preview", stack: STACK, program: PROGRAM, ...flags });
  // The engine's message: the policy's own text (after its description line), with the note.
  const engine = r.policies
    .filter((p) => SUPPRESSED.includes(p.policy))
    .map((p) => {
      const { message, note } = parseNote(p.message.trim().split("\n").pop()!);
      const text =
        note?.kind === "suppressed"
          ? `${message}${formatNote(note)}`
          : describe({
              ...p,
              type: "",
              name: "",
              policyLevel: "mandatory",
              level: "mandatory",
              message,
              ...(note ? { suppression: note } : {}),
            });
      return `${p.policy} ${p.level} ${p.urn.split("::").pop()} ${text}`;
    })
    .sort();
  const cli = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/policy-check.ts", "--stack", STACK, "--program", PROGRAM].concat([
      "--preview",
      "--format",
      "json",
      "--config",
      file,
    ]),
    { cwd: ROOT, encoding: "utf8" },
  );
  const report = JSON.parse(cli.stdout || "{}") as {
    violations?: { policy: string; level: string; name: string; message: string }[];
    suppressed?: {
      policy: string;
      level: string;
      name: string;
      message: string;
      suppression: SuppressionNote;
    }[];
    suppressions?: { resource: string; matched: number }[];
  };
  if (!report.violations)
    fail(`policy:check must print the report; exit ${cli.status}: ${cli.stderr}`);
  const offline = [
    ...report.violations
      .filter((v) => SUPPRESSED.includes(v.policy))
      .map((v) => `${v.policy} ${v.level} ${v.name} ${v.message}`),
    ...report
      .suppressed!.filter((v) => SUPPRESSED.includes(v.policy))
      .map((v) => `${v.policy} ${v.level} ${v.name} ${v.message}${formatNote(v.suppression)}`),
  ].sort();
  process.stdout.write(`engine:\n  ${engine.join("\n  ")}\n`);
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  if (only(engine, offline).length || only(offline, engine).length) {
    fail(
      `the engine and policy:check must report the same;\nonly engine:\n  ${only(engine, offline).join("\n  ")}\nonly policy:check:\n  ${only(offline, engine).join("\n  ")}`,
    );
  }
  const stale = report.suppressions!.filter((s) => s.matched === 0).map((s) => s.resource);
  if (JSON.stringify(stale) !== JSON.stringify(["no-such-bucket"])) fail(`stale: ${stale}`);

  fs.writeFileSync(file, JSON.stringify(configWith(day(400))));
  const refused = await runOperation(box, {
    op: "preview",
    stack: STACK,
    program: PROGRAM,
    ...flags,
  });
  const want = `Suppression of sns-topic-kms for "planted-topic" must expire within a year`;
  if (refused.ok || !refused.error?.includes(want))
    fail(`the engine must refuse: ${refused.error}`);
  const cliRefused = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/policy-check.ts", "--stack", STACK, "--program", PROGRAM].concat([
      "--preview",
      "--config",
      file,
    ]),
    { cwd: ROOT, encoding: "utf8" },
  );
  if (cliRefused.status !== 2 || !cliRefused.stderr.includes(want)) {
    fail(`policy:check must refuse (exit 2): ${cliRefused.status} ${cliRefused.stderr}`);
  }
  fs.rmSync(box.dir, { recursive: true, force: true });
  process.stdout.write(
    `ok    suppressions: ${engine.length} findings identical through the engine and offline, the stale one reported, the far expiry refused by both (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  process.exit(0);
}

void main();
