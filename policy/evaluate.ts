/**
 * The offline evaluator: runs the pack against a resource graph the way the Pulumi policy engine
 * does, without the CLI or a cloud. It mirrors @pulumi/policy 1.21.0 (`server.js`) and the CLI's
 * config handling (`ReconcilePolicyPackConfig`):
 *
 * - config: schema defaults, then the file's `"all"` level, then per-policy level and properties;
 *   each policy's properties validated against its `configSchema` (a problem fails the run);
 * - enforcement level: config, else the policy's own, else the pack's; `disabled` skips a policy,
 *   `remediate` runs `remediateResource` first and reports what still fails as mandatory;
 * - resource policies per resource (inputs), then stack policies over all resources;
 * - props wrapped in `unknownCheckingProxy`: reading an unknown value throws, and the engine
 *   records an advisory "can't run policy ... during preview" instead of the policy's result;
 * - `notApplicable()` and the `__pulumiType` fast path record not-applicable, not violations;
 * - `reportViolation` in both forms (string, or object with its own `enforcementLevel`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  type EnforcementLevel,
  type Policies,
  type Policy,
  type PolicyResource,
  type PolicyResourceOptions,
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
} from "@pulumi/policy";

import {
  PACK_NAME,
  POLICY_DIR,
  type PolicyPackConfigFile,
  defaultEnforcementLevel,
  loadPolicyConfig,
} from "./config";
import { policies as packPolicies } from "./pack";
import { UnknownValueError, unknownCheckingProxy } from "./support";
import { plainCopy, toEngineProperties } from "./engine-props";
import { type ResolvedPolicyConfig, resolvePolicyConfig } from "./resolve-config";

export { POLICY_DIR, loadPolicyConfig };
export type { PolicyConfigEntry, PolicyPackConfigFile } from "./config";
export { PolicyConfigError, resolvePolicyConfig } from "./resolve-config";
export type { ResolvedPolicyConfig } from "./resolve-config";
export { toEngineProperties } from "./engine-props";

/**
 * One resource of a graph (see docs/contracts.md; `tools/synth.ts` produces it). Optional fields
 * make the evaluation closer to the engine's when the graph has them.
 */
export interface GraphResource {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent resource. */
  parent?: string;
  /** false for components. */
  custom: boolean;
  /** The resource's inputs; unknown values are Pulumi's unknown sentinel (or `undefined`). */
  inputs: Record<string, unknown>;
  protect?: boolean;
  /** URNs this resource depends on (explicit and through inputs). */
  dependsOn?: string[];
  /** Per input property, the URNs its value came from (as the engine gives stack policies). */
  propertyDependencies?: Record<string, string[]>;
}

/** One reported violation. */
export interface Violation {
  /** Policy name, e.g. `s3-bucket-sse-kms`. */
  policy: string;
  level: "mandatory" | "advisory";
  /** Type token of the resource it is about (`pulumi:pulumi:Stack` for stack-wide ones). */
  type: string;
  /** Logical name of the resource it is about (the stack name for stack-wide ones). */
  name: string;
  message: string;
}

/** A policy that did not apply (to a resource, or to the stack). */
export interface NotApplicable {
  policy: string;
  reason?: string;
  /** The resource analysed; undefined for stack policies. */
  urn?: string;
}

/** Options of {@link evaluatePolicies}. */
export interface EvaluateOptions {
  /** Stack name: picks `policy/<stack>.json` when `config` is not given. */
  stack: string;
  /**
   * Policy pack config (the content of a `--policy-pack-config` file).
   * @default the content of `policy/<stack>.json` if it exists, else `{}` (schema defaults)
   */
  config?: PolicyPackConfigFile;
  /** Policies to run. @default the pack's policies */
  policies?: Policies;
  /** The pack's enforcement level. @default defaultEnforcementLevel from policy/config.ts */
  enforcementLevel?: EnforcementLevel;
  /** Stack tags the engine passes to policies. @default {} */
  stackTags?: Record<string, string>;
}

/** What one evaluation found. */
export interface Evaluation {
  violations: Violation[];
  notApplicable: NotApplicable[];
  config: Record<string, ResolvedPolicyConfig>;
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    // Thrown for most (policy, resource) pairs: skip the costly stack trace.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(reason ?? "Policy does not apply");
    Error.stackTraceLimit = limit;
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** What the engine does with a policy call's error. */
interface CallOutcomes {
  /** An unknown value was read (a preview): the engine records an advisory. */
  unknown: (e: UnknownValueError) => void;
  /** The policy called `notApplicable()`. */
  notApplicable: (reason?: string) => void;
  /** Any other error aborts the run: the error to throw. */
  failed: (e: Error) => Error;
}

/**
 * Runs one policy call (validation, remediation, stack validation) and classifies its error the
 * way the engine does; the one place that classification is written.
 * @returns the call's result, or undefined when it threw an unknown value or not-applicable.
 */
async function runPolicyCall<T>(
  call: () => T | Promise<T>,
  on: CallOutcomes,
): Promise<T | undefined> {
  try {
    return await Promise.resolve(call());
  } catch (e) {
    if (e instanceof UnknownValueError) on.unknown(e);
    else if (e instanceof NotApplicableError) on.notApplicable(e.reason);
    else throw on.failed(e as Error);
    return undefined;
  }
}

/** The pack's version, as the engine reports it in "can't run ... during preview" messages. */
function packVersion(): string {
  const file = path.join(POLICY_DIR, "package.json");
  version ??= (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  return version;
}

let version: string | undefined;

function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  const r = p as ResourceValidationPolicy;
  if (typeof r.validateResource === "function") return true;
  if (Array.isArray(r.validateResource))
    return r.validateResource.every((v) => typeof v === "function");
  return typeof r.remediateResource === "function";
}

function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

function pulumiTypeOf(fn: unknown): string | undefined {
  const t = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof t === "string" && t.length > 0 ? t : undefined;
}

/**
 * Why a resource policy's handler does not apply to a resource of `type` (the engine's wording),
 * or undefined when it does: no handler, or a handler typed for another resource type.
 */
function inapplicable(handler: unknown, what: string, type: string): string | undefined {
  if (!handler) return `Policy does not implement ${what}`;
  const t = Array.isArray(handler) ? undefined : pulumiTypeOf(handler);
  return t && t !== type ? `Policy only applies to resources of type '${t}'` : undefined;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const t = pulumiTypeOf(resourceClass);
  if (t) return type === t;
  const isInstance = (resourceClass as { isInstance?: unknown }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function emptyOptions(r: GraphResource): PolicyResourceOptions {
  return {
    protect: r.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

interface Diagnostic {
  policy: string;
  level: EnforcementLevel;
  message: string;
  urn?: string;
}

function makeReport(p: Policy, level: EnforcementLevel, ds: Diagnostic[]): ReportViolation {
  // Mirrors makeReportViolationFun: a string message, or an object with its own fields.
  return ((message: unknown, urn?: string) => {
    if (message !== null && typeof message === "object") {
      const info = message as {
        name?: string;
        message?: string;
        description?: string;
        urn?: string;
        enforcementLevel?: EnforcementLevel;
      };
      // `||` as in the engine: empty strings fall through too.
      ds.push({
        policy: info.name || p.name,
        level: info.enforcementLevel || level,
        message: info.message || info.description || p.description,
        ...(info.urn ? { urn: info.urn } : {}),
      });
      return;
    }
    ds.push({
      policy: p.name,
      level,
      message: typeof message === "string" && message !== "" ? message : p.description,
      ...(urn ? { urn } : {}),
    });
  }) as ReportViolation;
}

/**
 * Runs the pack over a graph as the policy engine would over a preview, returning violations,
 * not-applicable records and the resolved config.
 * @throws PolicyConfigError for a config that does not fit the pack.
 * @throws Error when a policy fails with an error other than an unknown value (the engine aborts too).
 */
export async function evaluatePolicyPack(
  resources: readonly GraphResource[],
  opts: EvaluateOptions,
): Promise<Evaluation> {
  const policies = opts.policies ?? packPolicies;
  const file =
    opts.config ??
    (fs.existsSync(path.join(POLICY_DIR, `${opts.stack}.json`))
      ? loadPolicyConfig(opts.stack)
      : {});
  const config = resolvePolicyConfig(
    policies,
    file,
    opts.enforcementLevel ?? defaultEnforcementLevel,
  );
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
  const pack = `'${PACK_NAME}@v${packVersion()}'`;
  const levelOf = (p: Policy) => config[p.name]!.enforcementLevel;
  const getConfig =
    (p: Policy) =>
    <T extends object>() =>
      structuredClone(config[p.name]!.properties) as T;

  const ds: Diagnostic[] = [];
  const notApplicable: NotApplicable[] = [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const props = new Map<string, Record<string, unknown>>();
  for (const r of resources) {
    props.set(
      r.urn,
      toEngineProperties(r.inputs ?? {}, `${r.urn} inputs`) as Record<string, unknown>,
    );
  }

  /** Props as the engine hands them to one policy call: a fresh proxied copy, made on first read. */
  const lazyProps = (current: Record<string, unknown>) => {
    let proxied: Record<string, unknown> | undefined;
    return () => (proxied ??= unknownCheckingProxy(structuredClone(current)));
  };

  const resourceArgs = (
    r: GraphResource,
    p: Policy,
    current: Record<string, unknown>,
  ): ResourceValidationArgs => {
    const props = lazyProps(current);
    return {
      type: r.type,
      get props() {
        return props();
      },
      urn: r.urn,
      name: r.name,
      opts: emptyOptions(r),
      stackTags,
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) =>
        isTypeOf(r.type, cls) ? props() : undefined) as ResourceValidationArgs["asType"],
      getConfig: getConfig(p),
      notApplicable: throwNotApplicable,
    };
  };

  // Resource policies: remediations first (they change the inputs), then validations.
  for (const r of resources) {
    if (r.type.startsWith("pulumi:providers:")) continue;
    let current = props.get(r.urn)!;
    for (const p of policies) {
      if (levelOf(p) !== "remediate" || !isResourcePolicy(p)) continue;
      const skip = inapplicable(p.remediateResource, "remediateResource", r.type);
      if (skip) {
        notApplicable.push({ policy: p.name, reason: skip, urn: r.urn });
        continue;
      }
      const remediate = p.remediateResource!;
      const result = await runPolicyCall(() => remediate(resourceArgs(r, p, current)), {
        unknown: (e) =>
          ds.push({
            policy: p.name,
            level: "advisory",
            message: `can't run remediation '${p.name}' from policy pack ${pack} during preview: ${e.message}`,
            urn: r.urn,
          }),
        notApplicable: (reason) =>
          notApplicable.push({ policy: p.name, ...(reason ? { reason } : {}), urn: r.urn }),
        failed: (e) =>
          new Error(
            `Error remediating resource ${r.urn} with remediation '${p.name}' from policy pack ${pack}: ${e.message}`,
            { cause: e },
          ),
      });
      if (result) current = plainCopy(result) as Record<string, unknown>;
    }
    props.set(r.urn, current);

    for (const p of policies) {
      let level = levelOf(p);
      if (level === "disabled" || !isResourcePolicy(p)) continue;
      const skip = inapplicable(p.validateResource, "validateResource", r.type);
      if (skip) {
        notApplicable.push({ policy: p.name, reason: skip, urn: r.urn });
        continue;
      }
      if (level === "remediate") level = "mandatory";
      if (!p.validateResource) continue; // (inapplicable said so; narrows the type)
      const validations = Array.isArray(p.validateResource)
        ? p.validateResource
        : [p.validateResource];
      const sink: Diagnostic[] = [];
      const report = makeReport(p, level, sink);
      for (const validation of validations) {
        await runPolicyCall(() => validation(resourceArgs(r, p, current), report), {
          unknown: (e) =>
            sink.push({
              policy: p.name,
              level: "advisory",
              message: `can't run policy '${p.name}' from policy pack ${pack} during preview: ${e.message}`,
            }),
          notApplicable: (reason) =>
            notApplicable.push({ policy: p.name, ...(reason ? { reason } : {}), urn: r.urn }),
          failed: (e) =>
            new Error(
              `Error validating resource ${r.urn} with policy '${p.name}' from policy pack ${pack}: ${e.message}`,
              { cause: e },
            ),
        });
      }
      // A resource policy's diagnostics are about the resource analysed.
      for (const d of sink) ds.push({ ...d, urn: r.urn });
    }
  }

  // Stack policies: every resource, with parents and dependencies linked.
  for (const p of policies) {
    let level = levelOf(p);
    if (level === "disabled" || !isStackPolicy(p)) continue;
    if (level === "remediate") level = "mandatory";
    const t = pulumiTypeOf(p.validateStack);
    if (t && !resources.some((r) => r.type === t)) {
      notApplicable.push({
        policy: p.name,
        reason: `Policy only applies to resources of type '${t}'`,
      });
      continue;
    }
    const report = makeReport(p, level, ds);
    const validateStack = p.validateStack;
    await runPolicyCall(
      () => {
        const list: PolicyResource[] = resources.map((r) => {
          const lazy = lazyProps(props.get(r.urn)!);
          return {
            type: r.type,
            get props() {
              return lazy();
            },
            urn: r.urn,
            name: r.name,
            opts: emptyOptions(r),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) =>
              isTypeOf(r.type, cls) ? lazy() : undefined) as PolicyResource["asType"],
          };
        });
        const linked = new Map(list.map((pr) => [pr.urn, pr]));
        for (const [i, r] of resources.entries()) {
          const pr = list[i]!;
          if (r.parent && linked.has(r.parent)) pr.parent = linked.get(r.parent)!;
          pr.dependencies = (r.dependsOn ?? []).flatMap((u) =>
            linked.has(u) ? [linked.get(u)!] : [],
          );
          for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            pr.propertyDependencies[k] = urns.flatMap((u) =>
              linked.has(u) ? [linked.get(u)!] : [],
            );
          }
        }
        const args: StackValidationArgs = {
          resources: list,
          getConfig: getConfig(p),
          stackTags,
          notApplicable: throwNotApplicable,
        };
        return validateStack(args, report);
      },
      {
        unknown: (e) =>
          ds.push({
            policy: p.name,
            level: "advisory",
            message: `can't run policy '${p.name}' from policy pack ${pack} during preview: ${e.message}`,
          }),
        notApplicable: (reason) =>
          notApplicable.push({ policy: p.name, ...(reason ? { reason } : {}) }),
        failed: (e) =>
          new Error(
            `Error validating stack with policy '${p.name}' from policy pack ${pack}: ${e.message}`,
            { cause: e },
          ),
      },
    );
  }

  const violations: Violation[] = [];
  for (const d of ds) {
    if (d.level !== "mandatory" && d.level !== "advisory") continue;
    const r = d.urn ? byUrn.get(d.urn) : undefined;
    violations.push({
      policy: d.policy,
      level: d.level,
      type: r?.type ?? "pulumi:pulumi:Stack",
      name: r?.name ?? opts.stack,
      message: d.message,
    });
  }
  return { violations, notApplicable, config };
}

/**
 * Evaluates the policy pack against a resource graph offline, as `pulumi preview --policy-pack`
 * would, and returns the violations (mandatory and advisory) in the engine's order: resource
 * policies per resource, then stack policies.
 * @throws PolicyConfigError for a config that does not fit the pack.
 */
export async function evaluatePolicies(
  resources: readonly GraphResource[],
  opts: EvaluateOptions,
): Promise<Violation[]> {
  return (await evaluatePolicyPack(resources, opts)).violations;
}
