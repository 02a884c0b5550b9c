/**
 * Runs the real Pulumi engine offline: the CLI built from the Go module proxy
 * (tools/pulumi-cli/), the aws and awsx provider DOUBLES and the policy analyzer launcher on PATH
 * (tools/engine/bin/), a file backend and Pulumi home in a temporary folder. Each operation runs
 * in a fresh process (tools/engine/operation.ts).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "../..");
/** Where tools/pulumi-cli/build.sh puts the CLI (`<root>/bin/pulumi`). */
export const CLI_ROOT = path.join(ROOT, "tools/pulumi-cli");
/** The doubles' and the analyzer launcher's folder. */
export const DOUBLES_BIN = path.join(ROOT, "tools/engine/bin");

/** The policy pack folder, relative to the repository root, as CI passes it (`--policy-pack`). */
export const POLICY_PACK = "policy";
/** A stack's policy config file, relative to the repository root (`--policy-pack-config`). */
export const policyPackConfig = (stack: string): string => `${POLICY_PACK}/${stack}.json`;

/** `--policy-pack policy --policy-pack-config policy/<stack>.json` as Automation API options. */
export function policyFlags(stack: string): { policyPacks: string[]; policyPackConfigs: string[] } {
  return {
    policyPacks: [path.join(ROOT, POLICY_PACK)],
    policyPackConfigs: [path.join(ROOT, policyPackConfig(stack))],
  };
}

/** What one engine operation is asked to do. */
export interface OperationRequest {
  op: "preview" | "up" | "destroy";
  stack: string;
  /** Program entry, relative to the repository root. */
  program: string;
  /** Folder with Pulumi.yaml and Pulumi.<stack>.yaml (a temporary copy: the CLI writes to it). */
  workDir: string;
  cliRoot: string;
  /** Config to set before the operation (full keys, string values). */
  config?: Record<string, string>;
  policyPacks?: string[];
  policyPackConfigs?: string[];
  expectNoChanges?: boolean;
  /** A resource transform: set `property` of resource `type`/`name` to `value`. */
  replaceProperty?: { type: string; name: string; property: string; value: unknown };
}

/** One step the engine announced (resourcePreEvent). */
export interface Step {
  op: string;
  urn: string;
  type: string;
  diffs: string[];
  replaces: string[];
}

/** One policy finding the CLI reported (policyEvent). */
export interface PolicyFinding {
  policy: string;
  pack: string;
  level: string;
  urn: string;
  message: string;
}

/** A resource of `pulumi stack export`. */
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  parent?: string;
  protect?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** What an operation returned. */
export interface OperationResult {
  ok: boolean;
  /** The CLI's error, verbatim (CommandError message: the command line, stdout and stderr). */
  error?: string;
  summary?: Record<string, number>;
  steps: Step[];
  policies: PolicyFinding[];
  diagnostics: string[];
  resources?: StateResource[];
  outputs?: Record<string, unknown>;
}

/** A self-contained place for the engine: backend, Pulumi home and project copy. */
export interface Sandbox {
  dir: string;
  workDir: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Creates a sandbox: a file backend and PULUMI_HOME in a new temporary folder, and a copy of the
 * project's Pulumi.yaml and the given stack files (byte for byte; the CLI adds an encryption salt
 * and config changes to its copy, never to the repository's).
 */
export function sandbox(stacks: string[], label: string): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `engine-${label}-`));
  const workDir = path.join(dir, "project");
  fs.mkdirSync(workDir);
  for (const file of ["Pulumi.yaml", ...stacks.map((s) => `Pulumi.${s}.yaml`)]) {
    fs.copyFileSync(path.join(ROOT, file), path.join(workDir, file));
  }
  // Pulumi.yaml's `main` must exist beside it; the inline program is what runs.
  fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(workDir, "index.ts"));
  fs.mkdirSync(path.join(dir, "state"));
  fs.mkdirSync(path.join(dir, "home"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [path.join(CLI_ROOT, "bin"), DOUBLES_BIN, process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_CONFIG_PASSPHRASE: "engine-e2e",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  return { dir, workDir, env };
}

/** Runs one operation in a fresh Node process and returns its result. */
export async function runOperation(
  box: Sandbox,
  request: Omit<OperationRequest, "workDir" | "cliRoot">,
): Promise<OperationResult> {
  const id = `${request.stack}-${request.op}-${Date.now()}`;
  const requestFile = path.join(box.dir, `${id}.request.json`);
  const resultFile = path.join(box.dir, `${id}.result.json`);
  const full: OperationRequest = { ...request, workDir: box.workDir, cliRoot: CLI_ROOT };
  fs.writeFileSync(requestFile, JSON.stringify(full));
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "tools/engine/operation.ts"), requestFile, resultFile],
      { cwd: ROOT, env: box.env, stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (!fs.existsSync(resultFile)) {
    throw new Error(
      `Engine operation ${request.op} on stack ${request.stack} must write a result; it exited ${code} with:\n${stderr.join("")}`,
    );
  }
  return JSON.parse(fs.readFileSync(resultFile, "utf8")) as OperationResult;
}
