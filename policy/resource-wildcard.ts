/**
 * The rule `iam-resource-wildcard` and its owned-prefix machinery: which resource ARN patterns of
 * identity policies are proven to match only this stack's resources.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

import { S3_TYPES, bucketKeysIn } from "./buckets";
import { configSchemas, policyConfig } from "./config";
import { conditionKeys, hasWildcard, parseArn, resourceName, statementLabel } from "./document";
import { UnknownValueError, at, isUnknown, known, must, propsOf, type Snapshot } from "./support";
import { documentPolicy, perStatement } from "./document-policy";

/**
 * Where the stack's own resources live: prefixes a wildcarded resource ARN must start with to
 * match only them. Full ARNs (`<arn>/`, `<arn>:`) where a resource's ARN is known, and
 * `<service>:<resource segment prefix>` from names, which are known also in a preview:
 * a bucket's objects, a Glue database's tables, a log group's streams, a state machine's
 * executions.
 */
export interface OwnedPrefixes {
  arns: string[];
  names: string[];
  /** A name or ARN of the stack that is unknown (preview): reading it throws. */
  unknown?: Snapshot;
}

const OWNED_NAMES: Record<string, { field: string; prefix: (name: string) => string }[]> = {
  "aws:glue/catalogDatabase:CatalogDatabase": [
    { field: "name", prefix: (n) => `glue:table/${n}/` },
    { field: "name", prefix: (n) => `glue:userDefinedFunction/${n}/` },
  ],
  "aws:cloudwatch/logGroup:LogGroup": [{ field: "name", prefix: (n) => `logs:log-group:${n}:` }],
  "aws:sfn/stateMachine:StateMachine": [{ field: "name", prefix: (n) => `states:execution:${n}:` }],
};

/** The prefixes of {@link OwnedPrefixes} for the stack's resources. */
export function ownedPrefixes(resources: readonly PolicyResource[]): OwnedPrefixes {
  const out: OwnedPrefixes = { arns: [], names: [] };
  const bucketNames = bucketKeysIn(resources);
  for (const r of resources) {
    if ((S3_TYPES.bucket as readonly string[]).includes(r.type)) {
      // Physical names only: the first key is the logical name, which proves nothing.
      const names = bucketNames(r).slice(1);
      out.names.push(...names.map((n) => `s3:${n}/`));
      if (names.length === 0) {
        const pending = [r, ...resources.filter((d) => d.dependencies.includes(r))]
          .map((d) => at(propsOf(d), "bucket"))
          .find(isUnknown);
        if (pending !== undefined) out.unknown ??= pending;
      }
    }
    const props = propsOf(r);
    const arn = at(props, "arn");
    if (typeof arn === "string" && arn.startsWith("arn:")) out.arns.push(`${arn}/`, `${arn}:`);
    for (const spec of OWNED_NAMES[r.type] ?? []) {
      const name = at(props, spec.field);
      if (isUnknown(name)) out.unknown ??= name;
      else if (typeof name === "string" && name !== "") out.names.push(spec.prefix(name));
    }
  }
  return out;
}

/** The part of a pattern before its first wildcard (`*`, `?`, or a `${...}` policy variable). */
function fixedPrefix(value: string): string {
  const i = value.search(/[*?]|\$\{/);
  return i < 0 ? value : value.slice(0, i);
}

/** True when every resource a wildcarded ARN pattern can match is one of the stack's. */
export function provenOwned(value: string, owned: OwnedPrefixes): boolean {
  const arn = parseArn(value);
  if (!arn) return false;
  const fixed = fixedPrefix(value);
  if (owned.arns.some((p) => fixed.startsWith(p))) return true;
  const local = fixedPrefix(`${arn.service.toLowerCase()}:${arn.resource}`);
  return owned.names.some((p) => local.startsWith(p));
}

/** Why a resource ARN pattern of an identity policy reaches too far, or undefined. */
function resourceScopeProblem(
  value: string,
  allowed: Set<string>,
  owned: OwnedPrefixes,
): string | undefined {
  if (value === "*") return undefined; // judged with the actions below
  const arn = parseArn(value);
  if (!arn) return `${value} (not an ARN)`;
  const wild = (["partition", "service", "region", "account"] as const).filter((k) =>
    hasWildcard(arn[k]),
  );
  if (wild.length > 0) return `${value} (wildcard in the ${wild.join(", ")} segment)`;
  if (allowed.has(`${arn.service}:${arn.resource}`.toLowerCase())) return undefined;
  if (!hasWildcard(arn.resource) && !arn.resource.includes("${")) return undefined;
  if (provenOwned(value, owned)) return undefined;
  // A name unknown during preview may be the one that proves it: the engine reports advisory.
  if (owned.unknown !== undefined) known(owned.unknown);
  return `${value} (wildcard in the resource name '${resourceName(arn)}': nothing proves every resource it matches is this stack's)`;
}

/**
 * `Resource: "*"` only for actions without resource types, and resource ARNs that name this
 * stack's resources: no wildcard partition, service, region or account, no wildcard resource name.
 */
export const iamResourceWildcard: StackValidationPolicy = {
  name: "iam-resource-wildcard",
  description:
    'Checks that identity policies use Resource "*" only for actions that AWS\'s service authorization data lists without resource types (or configured, justified exceptions), and name resource ARNs without wildcards in the partition, service, region, account or resource name (or configured, justified patterns).',
  configSchema: configSchemas["iam-resource-wildcard"],
  validateStack: async (args, report) => {
    const owned = ownedPrefixes(args.resources);
    let first: UnknownValueError | undefined;
    // URN order: in a preview, the unknown value reported ("can't run ... during preview") must
    // not depend on the order in which the engine (or the offline evaluator) lists the resources.
    const byUrn = [...args.resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    for (const r of byUrn) {
      try {
        await resourceWildcardOf(owned)(
          {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: r.props,
            getConfig: args.getConfig,
            notApplicable: () => undefined,
          } as unknown as ResourceValidationArgs,
          (message) => report(message, r.urn),
        );
      } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
        first ??= e;
      }
    }
    if (first) throw first;
  },
};

/** The per-resource part of {@link iamResourceWildcard}, given the stack's own prefixes. */
function resourceWildcardOf(
  owned: OwnedPrefixes,
): (args: ResourceValidationArgs, report: ReportViolation) => Promise<void> {
  return documentPolicy(["identity"], (ctx, d) => {
    const { exceptions, allowedResourcePatterns } = policyConfig("iam-resource-wildcard", ctx.args);
    const allowed = new Set(allowedResourcePatterns.map((a) => a.pattern.toLowerCase()));
    return perStatement(d, (s) => {
      const scope = (s.Resource ?? [])
        .filter((r): r is string => typeof r === "string")
        .flatMap((r) => resourceScopeProblem(r, allowed, owned) ?? []);
      if (scope.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label}`,
            "name this stack's resources by ARN (no wildcard partition, service, region, account or resource name; or list the pattern with a reason in iam-resource-wildcard.allowedResourcePatterns)",
            `Resource ${scope.join(", ")}`,
          ),
        );
      }
      if (!(s.Resource ?? []).includes("*")) return;
      const keys = conditionKeys(s);
      const offending: string[] = [];
      for (const a of s.Action ?? []) {
        const pattern = known<string>(a);
        const x = ctx.catalog.expand(pattern);
        if (!x.wellFormed || !x.serviceExists) continue;
        if (x.anyService) {
          offending.push(pattern);
          continue;
        }
        const scoped = x.matches.filter((m) => m.resourceTypes.length > 0);
        if (scoped.length === 0) continue;
        const excepted = exceptions.some(
          (e) =>
            e.action.toLowerCase() === pattern.toLowerCase() &&
            (e.conditionKey === undefined || keys.includes(e.conditionKey.toLowerCase())),
        );
        if (excepted) continue;
        const first = scoped[0]!;
        const types = `resource types: ${first.resourceTypes.join(", ")}`;
        offending.push(
          scoped.length > 1
            ? `${pattern} (matches ${scoped.length} actions with resource types, e.g. ${first.action})`
            : first.action.toLowerCase() === pattern.toLowerCase()
              ? `${pattern} (${types})`
              : `${pattern} (matches ${first.action}, ${types})`,
        );
      }
      if (offending.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label}`,
            "name resource ARNs for actions that support resource-level permissions",
            `Resource * with ${offending.join("; ")}`,
          ),
        );
      }
    });
  });
}
