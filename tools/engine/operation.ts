/**
 * ONE engine operation in this process: `tsx tools/engine/operation.ts <request.json> <result.json>`.
 * The Automation API runs the inline program in the calling process and Node caches modules, so
 * tools/engine/engine.ts starts a fresh process per operation. The program (index.ts or a test
 * program) runs as an inline program (the Node.js language host is not available here) against
 * the Pulumi CLI built by tools/pulumi-cli/build.sh, with the project files in `workDir`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import {
  type EngineEvent,
  LocalWorkspace,
  PulumiCommand,
  type Stack,
} from "@pulumi/pulumi/automation";

import { PROJECT } from "../../lib/config";
import type {
  OperationRequest,
  OperationResult,
  PolicyFinding,
  StateResource,
  Step,
} from "./engine";

const ROOT = path.resolve(__dirname, "../..");

function inlineProgram(request: OperationRequest): () => Promise<Record<string, unknown>> {
  return () => {
    if (request.replaceProperty) {
      const { type, name, property, value } = request.replaceProperty;
      pulumi.runtime.registerResourceTransform((args) =>
        args.type === type && args.name === name
          ? { props: { ...args.props, [property]: value }, opts: args.opts }
          : undefined,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(path.resolve(ROOT, request.program)) as Record<string, unknown>;
    return Promise.resolve(
      Object.fromEntries(Object.entries(exported).filter(([key]) => key !== "__esModule")),
    );
  };
}

async function run(request: OperationRequest): Promise<OperationResult> {
  const steps: Step[] = [];
  const policies: PolicyFinding[] = [];
  const diagnostics: string[] = [];
  const onEvent = (event: EngineEvent) => {
    const pre = event.resourcePreEvent?.metadata;
    if (pre) {
      steps.push({
        op: pre.op,
        urn: pre.urn,
        type: pre.type,
        diffs: pre.diffs ?? [],
        replaces: pre.keys ?? [],
      });
    }
    const policy = event.policyEvent;
    if (policy) {
      policies.push({
        policy: policy.policyName,
        pack: policy.policyPackName,
        level: policy.enforcementLevel,
        urn: policy.resourceUrn ?? "",
        message: policy.message,
      });
    }
    const diag = event.diagnosticEvent;
    if (diag && (diag.severity === "error" || diag.severity === "warning")) {
      diagnostics.push(`${diag.severity}: ${diag.message.trim()}`);
    }
  };
  const pulumiCommand = await PulumiCommand.get({ root: request.cliRoot });
  let stack: Stack | undefined;
  try {
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: request.stack, projectName: PROJECT, program: inlineProgram(request) },
      { workDir: request.workDir, pulumiCommand },
    );
    if (request.config) {
      for (const [key, value] of Object.entries(request.config)) {
        await stack.setConfig(key, { value });
      }
    }
    const policy = {
      ...(request.policyPacks ? { policyPacks: request.policyPacks } : {}),
      ...(request.policyPackConfigs ? { policyPackConfigs: request.policyPackConfigs } : {}),
    };
    let summary: Record<string, number> = {};
    if (request.op === "preview") {
      const result = await stack.preview({
        onEvent,
        ...policy,
        ...(request.expectNoChanges ? { expectNoChanges: true } : {}),
      });
      summary = result.changeSummary as Record<string, number>;
    } else if (request.op === "up") {
      const result = await stack.up({ onEvent, ...policy });
      summary = (result.summary.resourceChanges ?? {}) as Record<string, number>;
    } else {
      const result = await stack.destroy({ onEvent });
      summary = (result.summary.resourceChanges ?? {}) as Record<string, number>;
    }
    const state = request.op === "up" ? await stack.exportStack() : undefined;
    const outputs = request.op === "up" ? await stack.outputs() : undefined;
    return {
      ok: true,
      summary,
      steps,
      policies,
      diagnostics,
      ...(state
        ? { resources: (state.deployment as { resources?: StateResource[] }).resources ?? [] }
        : {}),
      ...(outputs
        ? { outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value])) }
        : {}),
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message, steps, policies, diagnostics };
  }
}

async function main(): Promise<void> {
  const [requestFile, resultFile] = process.argv.slice(2);
  if (!requestFile || !resultFile) {
    process.stderr.write("usage: tsx tools/engine/operation.ts <request.json> <result.json>\n");
    process.exit(2);
  }
  const request = JSON.parse(fs.readFileSync(requestFile, "utf8")) as OperationRequest;
  const result = await run(request);
  fs.writeFileSync(resultFile, JSON.stringify(result));
  // The Pulumi runtime may keep handles open; the result is written.
  process.exit(0);
}

if (require.main === module) void main();
