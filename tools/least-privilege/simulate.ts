/** Evaluating one request with the IAM policy simulator. */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  type RequestAnalysis,
  type Simulation,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
} from "@cloud-copilot/iam-simulate";

import { ResourcePolicies, RoleDocuments } from "./documents";
import { FactName, Facts, resolve } from "./facts";
import { Decision, Reason, Request, RoleTable } from "./table";

// ------------------------------------------------------------------------------------------------
// Evaluation
// ------------------------------------------------------------------------------------------------

/** A request with its placeholders resolved, as the simulator receives it. */
export interface ResolvedRequest {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string | string[]>;
}

/** What the simulator decided for one row. */
export interface Evaluation {
  request: ResolvedRequest;
  decision: Decision;
  /** Decisive statements (grants of an allowed request, denials of an explicit deny). */
  reasons: Reason[];
  /**
   * `validated`: `runSimulation` (validates the action, the ARN against the action's resource
   * types, and the context keys). `core`: the row carries `kms:EncryptionContext:<key>` keys,
   * which that validation drops; after it checked everything else, the decision comes from the
   * package's core engine with the full context (see {@link authorizeWithFullContext}).
   */
  engine: "validated" | "core";
}

/** The context every request of a role session carries (values AWS sets for a signed request). */
export function defaultContext(roleArn: string, facts: Facts): Record<string, string> {
  return {
    "aws:PrincipalArn": roleArn,
    "aws:PrincipalAccount": facts.account!,
    "aws:PrincipalType": "AssumedRole",
    "aws:PrincipalIsAWSService": "false",
    "aws:SecureTransport": "true",
    "aws:RequestedRegion": facts.region!,
  };
}

const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;

type PolicyKind = "identity" | "trust" | "bucket-policy" | "key-policy" | "topic-policy";

interface SimInputs {
  simulation: Simulation;
  resourceKind?: PolicyKind;
}

function reasonsOf(
  analysis: RequestAnalysis,
  decision: Decision,
  resourceKind: PolicyKind | undefined,
): Reason[] {
  const label = (policyType: string, sid: string | undefined, index: number): Reason =>
    `${policyType === "resource" ? (resourceKind ?? "bucket-policy") : "identity"}:${sid ?? `#${index}`}` as Reason;
  if (decision === "Allowed") {
    return getGrantReasons(analysis).map((g) =>
      label(g.policyType, g.statementId, g.statementIndex),
    );
  }
  if (decision === "ExplicitlyDenied") {
    return getDenialReasons(analysis).flatMap((d) =>
      d.denialType === "Explicit" ? [label(d.policyType, d.statementId, d.statementIndex)] : [],
    );
  }
  return [];
}

/*
 * iam-simulate 0.1.173 validates a request's context keys against the action's condition keys and
 * drops the ones it does not recognize; it recognizes variable keys only in the `prefix/` form
 * (`aws:ResourceTag/<tag>`), so `kms:EncryptionContext:<key>` is always dropped, and its
 * `runUnsafeSimulation` (which skips that validation) crashes on any resource policy (it loads the
 * policy without the metadata it later reads). For those rows, after `runSimulation` validated
 * the action, the ARN and every other key, the request is authorized by the package's own core
 * engine, exactly as `runSimulation` calls it, with the full context.
 */
export interface CoreModules {
  authorize: (request: unknown) => RequestAnalysis;
  AwsRequestImpl: new (
    principal: string,
    resource: { resource: string; accountId: string },
    action: string,
    context: unknown,
    wildcardOnlyAction: boolean,
  ) => unknown;
  RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
  DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown;
  loadPolicy: (policy: unknown, metadata: { name: string }) => unknown;
}

export let core: CoreModules | undefined;

export function coreModules(): CoreModules {
  if (core) return core;
  const dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
  const load = (rel: string): Record<string, unknown> => {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) {
      throw new Error(
        `${file} is missing: tools/least-privilege/simulate.ts evaluates kms:EncryptionContext rows with iam-simulate's core engine, whose layout changed in this version; re-check the workaround (see coreModules).`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as Record<string, unknown>;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const policy = require(require.resolve("@cloud-copilot/iam-policy", { paths: [dir] })) as {
    loadPolicy: CoreModules["loadPolicy"];
  };
  core = {
    authorize: load("core_engine/CoreSimulatorEngine.js").authorize as CoreModules["authorize"],
    AwsRequestImpl: load("request/request.js").AwsRequestImpl as CoreModules["AwsRequestImpl"],
    RequestContextImpl: load("requestContext.js")
      .RequestContextImpl as CoreModules["RequestContextImpl"],
    DiscoveryContextKeyConstraints: load("context_keys/discoveryContextKeyConstraints.js")
      .DiscoveryContextKeyConstraints as CoreModules["DiscoveryContextKeyConstraints"],
    loadPolicy: policy.loadPolicy,
  };
  return core;
}

/** One request for {@link authorizeCore}: policies already loaded with `loadPolicy`. */
export interface CoreRequest {
  /** The principal's ARN (iam-simulate also takes its anonymous principal object here). */
  principal: string;
  resource: { resource: string; accountId: string };
  action: string;
  context: Record<string, string | string[]>;
  identityPolicies: unknown[];
  resourcePolicy?: unknown;
}

/**
 * Authorizes one request through iam-simulate's core engine, exactly as `runSimulation` calls it
 * (strict mode; no session, SCP, RCP, boundary or VPC endpoint policy), with the full context.
 */
export function authorizeCore(r: CoreRequest): RequestAnalysis {
  const m = coreModules();
  return m.authorize({
    request: new m.AwsRequestImpl(
      r.principal,
      r.resource,
      r.action,
      new m.RequestContextImpl(r.context),
      false,
    ),
    sessionPolicy: undefined,
    identityPolicies: r.identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: r.resourcePolicy,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: "Strict",
      discoveryContextKeyConstraints: new m.DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
}

/** Authorizes a (validated) simulation with its full context through iam-simulate's core engine. */
function authorizeWithFullContext(sim: Simulation): RequestAnalysis {
  const m = coreModules();
  const r = sim.request;
  if (typeof r.principal !== "string" || r.resource.resource.includes("*")) {
    throw new Error(
      `the full-context path handles one named principal on one concrete resource; got ${JSON.stringify(r)}.`,
    );
  }
  return authorizeCore({
    principal: r.principal,
    resource: { resource: r.resource.resource, accountId: r.resource.accountId },
    action: r.action,
    context: r.contextVariables,
    identityPolicies: sim.identityPolicies.map((p) => m.loadPolicy(p.policy, { name: p.name })),
    resourcePolicy: sim.resourcePolicy
      ? m.loadPolicy(sim.resourcePolicy, { name: "resource policy" })
      : undefined,
  });
}

async function simulate({
  simulation,
  resourceKind,
}: SimInputs): Promise<Omit<Evaluation, "request">> {
  const result = await runSimulation(simulation, {});
  const r = simulation.request;
  const where = `${r.action} on ${r.resource.resource} by ${String(r.principal)}`;
  if (result.resultType === "error") {
    throw new Error(
      `iam-simulate refused ${where}: ${JSON.stringify(result.errors)}. Fix the row (action name, ARN shape for the action's resource type) or the document.`,
    );
  }
  const runs = result.resultType === "single" ? [result.result] : result.results;
  const ignored = [...new Set(runs.flatMap((x) => x.ignoredContextKeys ?? []))];
  const unsupported = ignored.filter((k) => !ENCRYPTION_CONTEXT.test(k));
  if (unsupported.length > 0) {
    throw new Error(
      `context keys ${unsupported.join(", ")} do not apply to ${where} (iam-simulate ignored them); fix the row's context.`,
    );
  }
  if (ignored.length > 0) {
    const analysis = authorizeWithFullContext(simulation);
    return {
      decision: analysis.result,
      reasons: reasonsOf(analysis, analysis.result, resourceKind),
      engine: "core",
    };
  }
  const decision = result.overallResult;
  const reasons = [...new Set(runs.flatMap((x) => reasonsOf(x.analysis, decision, resourceKind)))];
  return { decision, reasons, engine: "validated" };
}

/** Everything needed to evaluate one role's rows. */
export interface RoleContext {
  facts: Facts;
  docs: RoleDocuments;
  resources: ResourcePolicies;
  table: RoleTable;
}

/** True when a row (or table) applies to the stack the facts describe. */
export function applies(item: { when?: FactName | readonly FactName[] }, facts: Facts): boolean {
  return whenList(item).every((f) => facts[f] !== undefined);
}

export function whenList(item: { when?: FactName | readonly FactName[] }): readonly FactName[] {
  return item.when === undefined ? [] : typeof item.when === "string" ? [item.when] : item.when;
}

/** Resolves a row against the role and the stack. */
export function resolveRequest(row: Request, ctx: RoleContext): ResolvedRequest {
  const facts = { ...ctx.facts, role: ctx.docs.roleArn };
  const principal = row.principal
    ? resolve(row.principal, facts)
    : `arn:${facts.partition}:sts::${facts.account}:assumed-role/${ctx.docs.roleName}/${ctx.table.session}`;
  const context: Record<string, string | string[]> = row.principal
    ? { "aws:SecureTransport": "true" }
    : defaultContext(ctx.docs.roleArn, facts);
  for (const [k, v] of Object.entries(row.context ?? {})) {
    context[k] = Array.isArray(v) ? v.map((x) => resolve(x, facts)) : resolve(v, facts);
  }
  return {
    principal,
    action: row.action,
    resource: resolve(row.resource, facts),
    resourceAccount: resolve(row.resourceAccount ?? "{account}", facts),
    context,
  };
}

/**
 * Simulates one row: a request of the role's session against the role's identity policies and the
 * resource policy of the target (bucket, key or topic policy); a trust row (`principal` set,
 * `sts:AssumeRole` on the role) against the role's trust policy alone.
 */
export async function evaluateRow(row: Request, ctx: RoleContext): Promise<Evaluation> {
  const request = resolveRequest(row, ctx);
  const trustRow = row.principal !== undefined;
  if (trustRow && !(request.action === "sts:AssumeRole" && request.resource === ctx.docs.roleArn)) {
    throw new Error(
      `row ${row.action} on ${row.resource} names a principal: only trust rows (sts:AssumeRole on {role}) may; other requests are made by the role's session.`,
    );
  }
  const resource = trustRow
    ? { kind: "trust" as const, policy: ctx.docs.trust.policy }
    : ctx.resources.forResource(request.resource);
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context,
    },
    identityPolicies: trustRow
      ? []
      : ctx.docs.identity.map((d) => ({ name: d.name, policy: d.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resource ? { resourcePolicy: resource.policy } : {}),
  };
  return { request, ...(await simulate({ simulation, resourceKind: resource?.kind })) };
}
