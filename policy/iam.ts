/**
 * IAM rules of the pack: least privilege for identity and trust policies (actions expanded
 * against AWS's service authorization data, resource ARNs judged segment by segment), who can
 * act through resource-side policies (`policy/access.ts`), managed policies, users.
 *
 * The document model (parsing every document kind, the action catalog, conditions, ARNs) lives
 * in `policy/document.ts`; its parsing helpers are re-exported here for existing importers.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

import {
  ANY_CONCRETE,
  type TrustedSet,
  classifyPrincipal,
  foreignGrants,
  whyNotRestricting,
} from "./access";
import { S3_TYPES, bucketKeysIn } from "./buckets";
import { configSchemas, policyConfig } from "./config";
import {
  type DocumentKind,
  type DocumentSource,
  type PolicyDocument,
  type Statement,
  IamCatalog,
  PolicyDocumentError,
  TYPE_LABELS,
  actionMatches,
  conditionKeys,
  conditionsOf,
  desiredStateOf,
  documentsOf,
  hasWildcard,
  parseArn,
  parsePolicyDocument,
  resourceName,
  statementLabel,
  typesWithDocuments,
} from "./document";
import {
  Unknown,
  UnknownValueError,
  asList,
  at,
  isUnknown,
  known,
  must,
  reportAdvisory,
  runChecks,
  show,
  snapshot,
  propsOf,
  type Snapshot,
} from "./support";

export {
  IamCatalog,
  PolicyDocumentError,
  actionMatches,
  conditionKeys,
  documentsOf,
  parsePolicyDocument,
  statementLabel,
  typesWithDocuments,
};
export type {
  ActionExpansion,
  ActionInfo,
  DocumentKind,
  DocumentSource,
  PolicyDocument,
  PrincipalEntry,
  Statement,
} from "./document";

// ------------------------------------------------------------------------------------------------
// Shared machinery of the document policies
// ------------------------------------------------------------------------------------------------

/** A parsed document with its source. */
export interface ParsedDocument {
  source: DocumentSource;
  doc: PolicyDocument;
}

interface DocumentCheckContext {
  args: ResourceValidationArgs;
  report: ReportViolation;
  docs: ParsedDocument[];
  catalog: IamCatalog;
}

/** Known action strings of a set of documents. */
function actionsIn(docs: ParsedDocument[]): string[] {
  const out: string[] = [];
  for (const { doc } of docs) {
    for (const s of doc.Statement) {
      for (const a of [...(s.Action ?? []), ...(s.NotAction ?? [])]) {
        if (typeof a === "string") out.push(a);
      }
    }
  }
  return out;
}

/**
 * A resource policy over the documents of the given kinds. Documents that are unknown (preview)
 * leave the engine's "can't run during preview" advisory after the known ones were checked;
 * documents that do not parse are reported by `iam-actions-exist` only (`onInvalid`).
 */
function documentPolicy(
  kinds: readonly DocumentKind[],
  check: (ctx: DocumentCheckContext, d: ParsedDocument) => (() => void)[],
  onInvalid?: (
    ctx: Omit<DocumentCheckContext, "docs" | "catalog">,
    source: DocumentSource,
    e: Error,
  ) => void,
): (args: ResourceValidationArgs, report: ReportViolation) => Promise<void> {
  const types = typesWithDocuments(kinds);
  return async (args, report) => {
    if (!types.includes(args.type)) {
      return args.notApplicable(
        `Policy only applies to resources with ${kinds.join("/")} policy documents`,
      );
    }
    const props = snapshot(args.props);
    let sources: DocumentSource[];
    try {
      sources = documentsOf(args.type, args.name, props).filter((s) => kinds.includes(s.kind));
    } catch (e) {
      if (!(e instanceof PolicyDocumentError)) throw e; // unknown desired state: preview
      onInvalid?.(
        { args, report },
        {
          kind: "resource",
          path: "desiredState",
          label: `${TYPE_LABELS[args.type] ?? args.type} '${args.name}'`,
          value: undefined,
        },
        e,
      );
      return;
    }
    const docs: ParsedDocument[] = [];
    const pending: (() => void)[] = [];
    for (const source of sources) {
      pending.push(() => {
        try {
          docs.push({ source, doc: parsePolicyDocument(source.value) });
        } catch (e) {
          if (e instanceof PolicyDocumentError) {
            onInvalid?.({ args, report }, source, e);
            return;
          }
          throw e;
        }
      });
    }
    let unknownError: UnknownValueError | undefined;
    try {
      runChecks(pending);
    } catch (e) {
      if (!(e instanceof UnknownValueError)) throw e;
      unknownError = e;
    }
    const catalog = await IamCatalog.load(actionsIn(docs));
    const ctx: DocumentCheckContext = { args, report, docs, catalog };
    const checks = docs.flatMap((d) => check(ctx, d));
    if (unknownError) {
      const err = unknownError;
      checks.push(() => {
        throw err;
      });
    }
    runChecks(checks);
  };
}

/** Per statement of a document, one check each. */
function perStatement(
  d: ParsedDocument,
  fn: (s: Statement) => void,
  effect: "Allow" | "Any" = "Allow",
): (() => void)[] {
  return d.doc.Statement.filter((s) => effect === "Any" || s.Effect === effect).map(
    (s) => () => fn(s),
  );
}

function quoteList(values: (string | Unknown)[]): string {
  return values.map((v) => (isUnknown(v) ? "(unknown)" : v)).join(", ");
}

/** Known action patterns of a statement's Action that match a given action. */
function grants(s: Statement, action: string): string[] {
  return (s.Action ?? []).filter(
    (a): a is string => typeof a === "string" && actionMatches(a, action),
  );
}

/** Statements of a resource-side document that allow Principal "*" without a restricting condition. */
function publicPrincipalCheck(ctx: DocumentCheckContext, d: ParsedDocument): (() => void)[] {
  return perStatement(d, (s) => {
    const anyone =
      s.NotPrincipal !== undefined ||
      (s.Principal ?? []).some((p) => classifyPrincipal(p, ANY_CONCRETE) === "anyone");
    if (!anyone) return;
    const conditions = conditionsOf(s);
    const why: string[] = [];
    for (const c of conditions) {
      const reason = whyNotRestricting(c, ANY_CONCRETE, false);
      if (reason === undefined) return;
      why.push(reason);
    }
    ctx.report(
      must(
        `${statementLabel(s)} of ${d.source.label}`,
        `not allow ${s.NotPrincipal ? "NotPrincipal (every principal not listed)" : 'Principal "*"'} unless a positive condition (no Not..., no ...IfExists) on a key the caller cannot choose (aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount, ...) pins it to concrete values`,
        why.length > 0 ? why.join("; ") : "no condition",
      ),
    );
  });
}

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

/** Every action named in any policy document exists in AWS's service authorization data. */
export const iamActionsExist: ResourceValidationPolicy = {
  name: "iam-actions-exist",
  description:
    "Checks that every action named in an IAM, key, bucket, topic or queue policy exists in AWS's service authorization reference (a misspelt action silently grants nothing).",
  validateResource: documentPolicy(
    ["identity", "resource", "trust", "key", "endpoint", "grant"],
    (ctx, d) =>
      d.doc.Statement.flatMap((s) =>
        [...(s.Action ?? []), ...(s.NotAction ?? [])].map((a) => () => {
          const pattern = known<string>(a);
          if (pattern === "*") return;
          const what = `Action '${pattern}' in ${statementLabel(s)} of ${d.source.label}`;
          const x = ctx.catalog.expand(pattern);
          if (x.anyService) return; // judged by iam-no-wildcard-actions
          if (!x.wellFormed) {
            ctx.report(must(what, "have the form service:Action", `'${pattern}'`));
          } else if (!x.serviceExists) {
            ctx.report(
              must(
                what,
                "name a service prefix of the AWS service authorization reference",
                `unknown service '${x.service}'`,
              ),
            );
          } else if (x.matches.length === 0) {
            ctx.report(
              must(
                what,
                "match an action of the AWS service authorization reference",
                `no ${x.service} action matching it`,
              ),
            );
          }
        }),
      ),
    ({ report }, source, e) =>
      report(
        must(
          `Policy document (${source.path}) of ${source.label}`,
          "be a valid IAM policy document",
          e.message,
        ),
      ),
  ),
};

/** No action pattern that matches more than one action, unless allow-listed with a reason. */
export const iamNoWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description:
    'Checks that no Allow statement of an identity, trust, resource or VPC endpoint policy names an action pattern that matches more than one action ("*", "s3:*", "s3:Get*", "iam:?*", "*:Get*"), unless allowedActionPatterns lists that exact pattern with a reason.',
  configSchema: configSchemas["iam-no-wildcard-actions"],
  validateResource: documentPolicy(["identity", "resource", "trust", "endpoint"], (ctx, d) => {
    const { allowedActionPatterns } = policyConfig("iam-no-wildcard-actions", ctx.args);
    const allowed = new Set(allowedActionPatterns.map((a) => a.pattern.toLowerCase()));
    return perStatement(d, (s) => {
      const broad: string[] = [];
      for (const a of s.Action ?? []) {
        const pattern = known<string>(a);
        const x = ctx.catalog.expand(pattern);
        if (!x.wellFormed || !x.serviceExists) continue; // iam-actions-exist reports these
        if (!x.anyService && x.matches.length <= 1) continue;
        if (allowed.has(pattern.toLowerCase())) continue;
        broad.push(
          x.anyService
            ? `${pattern} (actions of every service)`
            : `${pattern} (${x.matches.length} actions: ${summarizeLevels(x.matches)})`,
        );
      }
      if (broad.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label}`,
            "name each action it grants (or list the exact pattern with a reason in iam-no-wildcard-actions.allowedActionPatterns)",
            `Action ${broad.join(", ")}`,
          ),
        );
      }
    });
  }),
};

/** "12 Read, 3 List" for a set of actions. */
function summarizeLevels(actions: { accessLevel: string }[]): string {
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.accessLevel, (counts.get(a.accessLevel) ?? 0) + 1);
  return [...counts].map(([level, n]) => `${n} ${level}`).join("; ");
}

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
    for (const r of args.resources) {
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

const ROLE_ARN_PATTERN = /^arn:[^:]*:(iam|[^:]*\*[^:]*):/;

/** `iam:PassRole` only on specific roles, with `iam:PassedToService`. */
export const iamPassRoleScoped: ResourceValidationPolicy = {
  name: "iam-passrole-scoped",
  description:
    "Checks that identity policies grant iam:PassRole only on specific role ARNs and only with an iam:PassedToService condition.",
  validateResource: documentPolicy(["identity"], (ctx, d) =>
    perStatement(d, (s) => {
      const via = grants(s, "iam:PassRole");
      if (via.length === 0) return;
      const what = `${statementLabel(s)} of ${d.source.label} (grants iam:PassRole via ${via.join(", ")})`;
      // Only patterns that can match role ARNs matter (`*`, or an iam/wildcard-service ARN).
      const wild = (s.Resource ?? []).filter(
        (r): r is string =>
          typeof r === "string" && r.includes("*") && (r === "*" || ROLE_ARN_PATTERN.test(r)),
      );
      if (s.Resource === undefined || wild.length > 0) {
        ctx.report(
          must(
            what,
            "name specific role ARNs",
            `Resource ${s.Resource ? wild.join(", ") : "none"}`,
          ),
        );
      }
      const keys = conditionKeys(s);
      if (!keys.includes("iam:passedtoservice")) {
        ctx.report(
          must(
            what,
            "have an iam:PassedToService condition",
            keys.length > 0 ? `condition keys ${keys.join(", ")}` : "no condition",
          ),
        );
      }
    }),
  ),
};

/** No Allow with NotAction, NotResource or NotPrincipal. */
export const iamNoNotElements: ResourceValidationPolicy = {
  name: "iam-no-not-elements",
  description:
    "Checks that no Allow statement uses NotAction, NotResource or NotPrincipal (they grant everything not listed).",
  validateResource: documentPolicy(
    ["identity", "resource", "trust", "key", "endpoint", "grant"],
    (ctx, d) =>
      perStatement(d, (s) => {
        const found: string[] = [];
        if (s.NotAction) found.push(`NotAction ${quoteList(s.NotAction)}`);
        if (s.NotResource) found.push(`NotResource ${quoteList(s.NotResource)}`);
        if (s.NotPrincipal) {
          found.push(
            `NotPrincipal ${s.NotPrincipal.map((p) => `${p.kind}:${show(p.value)}`).join(", ")}`,
          );
        }
        if (found.length > 0) {
          ctx.report(
            must(
              `${statementLabel(s)} of ${d.source.label}`,
              "not combine Allow with NotAction, NotResource or NotPrincipal",
              found.join("; "),
            ),
          );
        }
      }),
  ),
};

const ALL_KEYS = /^arn:[a-z-]+:kms:[^:]*:[^:]*:(.*\*.*)$/;

/** No `kms:Decrypt` (or `kms:ReEncryptFrom`) on all keys in identity policies. */
export const iamNoKmsDecryptAllKeys: ResourceValidationPolicy = {
  name: "iam-no-kms-decrypt-all-keys",
  description:
    'Checks that identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all KMS keys (Resource "*" or a key ARN wildcard).',
  validateResource: documentPolicy(["identity"], (ctx, d) =>
    perStatement(d, (s) => {
      const via = [...grants(s, "kms:Decrypt"), ...grants(s, "kms:ReEncryptFrom")];
      if (via.length === 0) return;
      const all = (s.Resource ?? []).filter(
        (r): r is string => typeof r === "string" && (r === "*" || ALL_KEYS.test(r)),
      );
      if (all.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label} (allows ${[...new Set(via)].join(", ")})`,
            "name specific KMS key ARNs",
            `Resource ${all.join(", ")}`,
          ),
        );
      }
    }),
  ),
};

const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/** Trust policies name specific (service) principals. */
export const iamTrustPolicyPrincipals: ResourceValidationPolicy = {
  name: "iam-trust-policy-principals",
  description:
    'Checks that role trust policies allow only specific AWS service principals (or configured account principals), never "*".',
  configSchema: configSchemas["iam-trust-policy-principals"],
  validateResource: documentPolicy(["trust"], (ctx, d) => {
    const { allowedPrincipals } = policyConfig("iam-trust-policy-principals", ctx.args);
    return perStatement(d, (s) => {
      const what = `${statementLabel(s)} of ${d.source.label}`;
      if (!s.Principal || s.Principal.length === 0) {
        ctx.report(must(what, "name the principals that may assume the role", "no Principal"));
        return;
      }
      const bad: string[] = [];
      for (const p of s.Principal) {
        const value = known<string>(p.value);
        if (p.kind === "Service") {
          if (!SERVICE_PRINCIPAL.test(value)) bad.push(`Service ${value}`);
        } else if (p.kind === "*" || value === "*" || !allowedPrincipals.includes(value)) {
          bad.push(p.kind === "*" ? "*" : `${p.kind} ${value}`);
        }
      }
      if (bad.length > 0) {
        ctx.report(
          must(
            what,
            "allow only specific AWS service principals (or principals listed in allowedPrincipals)",
            `Principal ${bad.join(", ")}`,
          ),
        );
      }
    });
  }),
};

/** Confused-deputy conditions in trust policies for service principals. */
export const iamTrustConfusedDeputy: ResourceValidationPolicy = {
  name: "iam-trust-confused-deputy",
  description:
    "Checks that role trust policies for AWS services pin the caller with a positive aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:SourceOrgID condition on concrete values (no Not..., no ...IfExists, no wildcard account): required for services that send them (requiredForServices), advisory for the others.",
  configSchema: configSchemas["iam-trust-confused-deputy"],
  validateResource: documentPolicy(["trust"], (ctx, d) => {
    const { requiredForServices } = policyConfig("iam-trust-confused-deputy", ctx.args);
    return perStatement(d, (s) => {
      const services = (s.Principal ?? []).filter((p) => p.kind === "Service");
      if (services.length === 0) return;
      const why: string[] = [];
      for (const c of conditionsOf(s)) {
        const reason = whyNotRestricting(c, ANY_CONCRETE, true);
        if (reason === undefined) return;
        why.push(reason);
      }
      const found = why.length > 0 ? why.join("; ") : "no condition";
      for (const p of services) {
        const service = known<string>(p.value);
        const message = must(
          `${statementLabel(s)} of ${d.source.label} (Service ${service})`,
          "pin the caller with a positive aws:SourceArn or aws:SourceAccount condition on concrete values",
          found,
        );
        if (requiredForServices.includes(service)) {
          ctx.report(message);
        } else {
          reportAdvisory(
            ctx.report,
            `${message} Advisory: ${service} is not in requiredForServices; add the condition if the service sends it.`,
          );
        }
      }
    });
  }),
};

/** KMS key policies and grants without unrestricted `*` principals. */
export const kmsKeyPolicyNoPublicPrincipal: ResourceValidationPolicy = {
  name: "kms-key-policy-no-public-principal",
  description:
    'Checks that KMS key policies and grants do not allow Principal "*" (or NotPrincipal) unless a positive condition on a key the caller cannot choose pins it to concrete values (Resource "*" in a key policy means the key itself and is fine).',
  validateResource: documentPolicy(["key", "grant"], publicPrincipalCheck),
};

/** Bucket, topic, queue, Glue and Logs resource policies without unrestricted `*` principals. */
export const iamNoPublicResourcePolicy: ResourceValidationPolicy = {
  name: "iam-no-public-resource-policy",
  description:
    'Checks that S3 bucket, SNS topic, SQS queue, Glue and CloudWatch Logs resource policies do not allow Principal "*" (or NotPrincipal) unless a positive condition on a key the caller cannot choose pins it to concrete values.',
  validateResource: documentPolicy(["resource"], publicPrincipalCheck),
};

/** The trusted set of a stack from the iam-foreign-access config. */
function trustedSet(args: ResourceValidationArgs): TrustedSet {
  const { accounts, trustedAccounts, trustedOrganizations } = policyConfig(
    "iam-foreign-access",
    args,
  );
  return {
    accounts: [...accounts, ...trustedAccounts.map((a) => a.account)],
    organizations: trustedOrganizations.map((o) => o.id),
  };
}

const ACCOUNT_SCOPE_KEYS = ["aws:resourceaccount", "aws:resourceorgid", "s3:resourceaccount"];

/** Resource ARNs of a statement that belong to an account outside the trusted set. */
function foreignResources(s: Statement, trusted: TrustedSet): string[] {
  return (s.Resource ?? [])
    .filter((r): r is string => typeof r === "string")
    .filter((r) => {
      const arn = parseArn(r);
      return (
        arn !== undefined && /^\d{12}$/.test(arn.account) && !trusted.accounts.includes(arn.account)
      );
    });
}

const PRINCIPAL_ACCOUNT_KEYS = ["aws:principalaccount", "aws:principalarn", "aws:principalorgid"];

/**
 * `Resource: "*"` in an endpoint statement reaches no other account's resource when every
 * action it allows acts only in the caller's own account (no resource type in the data, e.g.
 * `sts:GetCallerIdentity`, or listed in `callerScopedActions` with a reason, e.g.
 * `cloudwatch:PutMetricData`) and a restricting condition pins the caller to the trusted
 * accounts (`aws:PrincipalAccount`, ...). The data's "required" flag cannot decide this: S3 marks
 * alternative resource types (object or access point object) as optional.
 */
function callerScopedWildcard(
  s: Statement,
  trusted: TrustedSet,
  catalog: IamCatalog,
  listed: readonly string[],
): boolean {
  const pinned = conditionsOf(s).some(
    (c) => PRINCIPAL_ACCOUNT_KEYS.includes(c.key) && !whyNotRestricting(c, trusted, false),
  );
  if (!pinned || s.NotAction || (s.Action ?? []).length === 0) return false;
  return (s.Action ?? []).every((a) => {
    const pattern = known<string>(a);
    if (listed.includes(pattern.toLowerCase())) return true;
    const x = catalog.expand(pattern);
    return (
      x.wellFormed &&
      x.serviceExists &&
      !x.anyService &&
      x.matches.length > 0 &&
      x.matches.every((m) => m.resourceTypes.length === 0)
    );
  });
}

/** An endpoint statement's resources are pinned to the trusted accounts. */
function endpointScopeProblem(
  s: Statement,
  trusted: TrustedSet,
  catalog: IamCatalog,
  listed: readonly string[],
): string | undefined {
  for (const c of conditionsOf(s)) {
    if (!ACCOUNT_SCOPE_KEYS.includes(c.key) || c.negated || c.ifExists) continue;
    if (c.set === "ForAllValues" || !/^string(equals|like)$/i.test(c.base)) continue;
    const values = c.values.map((v) => known<string>(v));
    const ok = c.key.endsWith("orgid")
      ? values.every((v) => trusted.organizations.includes(v))
      : values.every((v) => trusted.accounts.includes(v));
    if (ok && values.length > 0) return undefined;
  }
  const callerScoped = callerScopedWildcard(s, trusted, catalog, listed);
  const open = (s.Resource ?? [])
    .filter((r): r is string => typeof r === "string")
    .filter((r) => {
      if (r === "*") return !callerScoped;
      const arn = parseArn(r);
      if (!arn) return true;
      if (arn.service === "s3" && arn.account === "") {
        return hasWildcard(arn.resource.split("/")[0] ?? "");
      }
      return hasWildcard(arn.account) || !trusted.accounts.includes(arn.account);
    });
  if (s.NotResource) return "NotResource (every resource not listed)";
  return open.length > 0 ? `Resource ${open.join(", ")}` : undefined;
}

/** Who can act: no principal outside the trusted accounts, in any document kind. */
export const iamForeignAccess: ResourceValidationPolicy = {
  name: "iam-foreign-access",
  description:
    "Checks that no policy lets a principal outside this stack's accounts (accounts) or the configured trusted accounts and organizations act: resource, key, Glue, Logs and VPC endpoint policies, KMS grants, trust policies and Cloud Control documents allow foreign, public or service principals only under a restricting condition (positive operator, a key the caller cannot choose, concrete values inside the trusted set; service principals need confused-deputy conditions pinning these accounts); identity policies name no resource of a foreign account; VPC endpoint policies reach only these accounts' resources.",
  configSchema: configSchemas["iam-foreign-access"],
  validateResource: documentPolicy(
    ["resource", "key", "grant", "endpoint", "trust", "identity"],
    (ctx, d) => {
      const trusted = trustedSet(ctx.args);
      const hint =
        trusted.accounts.length === 0
          ? " (iam-foreign-access.accounts is empty: list this stack's account id in policy/<stack>.json)"
          : "";
      return perStatement(d, (s) => {
        const what = `${statementLabel(s)} of ${d.source.label}`;
        if (d.source.kind === "identity") {
          const foreign = foreignResources(s, trusted);
          if (foreign.length > 0) {
            ctx.report(
              must(
                what,
                `name only resources of this stack's accounts (${trusted.accounts.join(", ") || "none configured"}) or trusted accounts`,
                `Resource ${foreign.join(", ")}${hint}`,
              ),
            );
          }
          return;
        }
        if (d.source.kind === "endpoint") {
          const problem = endpointScopeProblem(
            s,
            trusted,
            ctx.catalog,
            policyConfig("iam-foreign-access", ctx.args).callerScopedActions.map((a) =>
              a.action.toLowerCase(),
            ),
          );
          if (problem) {
            ctx.report(
              must(
                what,
                "reach only this stack's accounts' resources (concrete ARNs of these accounts, a positive aws:ResourceAccount condition on them, or Resource \"*\" only for actions that need no resource with aws:PrincipalAccount pinned to them)",
                `${problem}${hint}`,
              ),
            );
          }
        }
        // Trust policies: service principals without deputy conditions are judged by
        // iam-trust-confused-deputy; with them, their values must be trusted.
        const deputy =
          d.source.kind !== "trust" ||
          conditionsOf(s).some((c) =>
            ["aws:sourceaccount", "aws:sourcearn", "aws:sourceowner"].includes(c.key),
          );
        // Principal "*" (or NotPrincipal) with no restricting condition at all is reported by
        // kms-key-policy-no-public-principal / iam-no-public-resource-policy; here, the ones a
        // condition pins to values outside the trusted set.
        const unpinned =
          d.source.kind !== "endpoint" &&
          d.source.kind !== "trust" &&
          conditionsOf(s).every((c) => whyNotRestricting(c, ANY_CONCRETE, false) !== undefined);
        const grants = foreignGrants(s, trusted, deputy).filter(
          (g) =>
            !(
              unpinned &&
              (g.principal === "*" ||
                g.principal === "AWS:*" ||
                g.principal.startsWith("NotPrincipal"))
            ),
        );
        const open =
          d.source.kind === "endpoint" ? grants.filter((g) => g.principal !== "*") : grants;
        if (open.length > 0) {
          ctx.report(
            must(
              what,
              "allow only principals of this stack's accounts or trusted accounts and organizations (or restrict the others with a positive condition on aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn, ... whose values are all trusted)",
              `${open.map((g) => `${g.principal}: ${g.reasons.join("; ")}`).join(" | ")}${hint}`,
            ),
          );
        }
      });
    },
  ),
};

const MANAGED_POLICY_FIELDS: Record<string, { field: string; list: boolean }> = {
  "aws:iam/role:Role": { field: "managedPolicyArns", list: true },
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/policyAttachment:PolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": { field: "policyArn", list: false },
};

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

/** No AWS managed policies attached, except reviewed ones. */
export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-broad-managed-policies",
  description:
    "Checks that no AWS managed policy (broad by design, e.g. AdministratorAccess, AWSGlueServiceRole) is attached unless listed in allowedManagedPolicies.",
  configSchema: configSchemas["iam-no-broad-managed-policies"],
  validateResource: (args, report) => {
    const spec = MANAGED_POLICY_FIELDS[args.type];
    const cloudControl =
      args.type === "aws:cloudcontrol/resource:Resource" &&
      at(snapshot(args.props), "typeName") === "AWS::IAM::Role";
    if (!spec && !cloudControl) {
      return args.notApplicable("Policy only applies to roles and policy attachments");
    }
    const { allowedManagedPolicies } = policyConfig("iam-no-broad-managed-policies", args);
    const value = spec
      ? at(snapshot(args.props), spec.field)
      : at(desiredStateOf(snapshot(args.props)), "ManagedPolicyArns");
    // An unknown ARN is the output of a customer managed policy: AWS managed ARNs are literals.
    const arns = asList(value).filter((v): v is string => typeof v === "string");
    const bad = arns.filter((a) => AWS_MANAGED.test(a) && !allowedManagedPolicies.includes(a));
    if (bad.length > 0) {
      report(
        must(
          `Managed policy attached by ${TYPE_LABELS[args.type] ?? args.type} '${args.name}'`,
          "be a customer managed policy scoped to the pipeline (or be listed in allowedManagedPolicies)",
          bad.join(", "),
        ),
      );
    }
  },
};

const USER_TYPES: Record<string, string> = {
  "aws:iam/user:User": "IAM user",
  "aws:iam/accessKey:AccessKey": "IAM access key",
  "aws:iam/userPolicy:UserPolicy": "IAM user policy",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "IAM user policy attachment",
  "aws:iam/userLoginProfile:UserLoginProfile": "IAM user login profile",
};

/** No IAM users or access keys. */
export const iamNoUsers: ResourceValidationPolicy = {
  name: "iam-no-users",
  description:
    "Checks that the stack creates no IAM users, access keys or user policies: services use roles with temporary credentials.",
  validateResource: (args, report) => {
    const kind = USER_TYPES[args.type];
    if (!kind)
      return args.notApplicable("Policy only applies to IAM users and their keys and policies");
    report(
      must(
        `${kind} '${args.name}'`,
        "not be created (use an IAM role with temporary credentials)",
        args.type,
      ),
    );
  },
};

/** The IAM policies, in report order. */
export const iamPolicies: ResourceValidationPolicy[] = [
  iamActionsExist,
  iamNoWildcardActions,
  iamResourceWildcard,
  iamPassRoleScoped,
  iamNoNotElements,
  iamNoKmsDecryptAllKeys,
  iamTrustPolicyPrincipals,
  iamTrustConfusedDeputy,
  iamNoBroadManagedPolicies,
  iamNoUsers,
  kmsKeyPolicyNoPublicPrincipal,
  iamNoPublicResourcePolicy,
  iamForeignAccess,
];
