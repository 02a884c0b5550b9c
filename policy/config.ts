/**
 * The single place for the pack's enforcement level, its shared conventions and every policy's
 * config schema with defaults. Per-stack values live in `policy/dev.json` and `policy/prod.json`
 * (the files `pulumi preview --policy-pack-config` takes); the Pulumi CLI and the offline
 * evaluator fill unset properties from the `default`s below.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";

import { schemaDefaults } from "./schema";

/** Name of the policy pack (PolicyPack name, and what the CLI reports). */
export const PACK_NAME = "spotify-pipeline";

/**
 * Enforcement level of every policy unless a stack's config file says otherwise. Policies do not
 * set their own level: this one value is the pack's level.
 */
export const defaultEnforcementLevel: EnforcementLevel = "mandatory";

/**
 * Tag key that declares a bucket's purpose (`staging`, `access-logs`, ...). Declared exceptions
 * (the SSE-S3 access-log bucket, unversioned buckets, log targets) are keyed on it. It must be an
 * explicit tag on the bucket: provider `defaultTags` are not part of a resource's inputs.
 */
export const PURPOSE_TAG = "spotify-pipeline:purpose";

/**
 * The purpose of the server access log bucket. It exempts a bucket from SSE-KMS, versioning and
 * logging only where the graph proves it (policy/buckets.ts `provenPurposeOf`).
 */
export const LOG_BUCKET_PURPOSE = "access-logs";

/**
 * The purpose of the Athena query-results bucket. It exempts a bucket from versioning only where
 * the graph proves it (policy/buckets.ts `provenPurposeOf`).
 */
export const ATHENA_RESULTS_PURPOSE = "athena-results";

const purposes = (description: string, defaults: string[]) => ({
  type: "array" as const,
  items: { type: "string" as const, minLength: 1 },
  uniqueItems: true,
  description,
  default: defaults,
});

/** One justified exception to `iam-resource-wildcard`. */
export interface ResourceWildcardException {
  /** The action (exact, case-insensitive), e.g. `cloudwatch:PutMetricData`. */
  action: string;
  /** When set, the statement must also have a condition on this key. */
  conditionKey?: string;
  /** Why the action cannot be scoped; shown in reviews. */
  reason: string;
}

/** An allow-list entry: one exact value and why it is allowed (shown in reviews). */
export interface Reasoned {
  reason: string;
}

/**
 * Schema of an allow-list whose entries each need a reason: a missing reason fails the config
 * with "<path>: reason is required".
 */
const reasoned = (
  description: string,
  field: string,
  value: Record<string, unknown>,
  defaults: unknown[] = [],
) => ({
  type: "array" as const,
  description,
  items: {
    type: "object" as const,
    properties: {
      [field]: value,
      reason: {
        type: "string" as const,
        minLength: 20,
        description: "Why this entry is allowed (at least 20 characters).",
      },
    },
    required: [field, "reason"],
    additionalProperties: false,
  },
  default: defaults,
});

/** Config of every policy that has one, by policy name. */
export interface PolicyConfigs {
  "s3-bucket-sse-kms": { sseS3Purposes: string[] };
  "s3-bucket-versioning": { unversionedPurposes: string[] };
  "s3-bucket-lifecycle": { maxAbortIncompleteMultipartUploadDays: number };
  "s3-bucket-access-logging": { logBucketPurposes: string[] };
  "iam-no-wildcard-actions": { allowedActionPatterns: ({ pattern: string } & Reasoned)[] };
  "iam-resource-wildcard": {
    exceptions: ResourceWildcardException[];
    allowedResourcePatterns: ({ pattern: string } & Reasoned)[];
  };
  "iam-foreign-access": {
    accounts: string[];
    trustedAccounts: ({ account: string } & Reasoned)[];
    trustedOrganizations: ({ id: string } & Reasoned)[];
    callerScopedActions: ({ action: string } & Reasoned)[];
  };
  "cloudcontrol-resource-reviewed": { allowedTypeNames: ({ typeName: string } & Reasoned)[] };
  "policy-bearing-types-reviewed": { allowedTypes: ({ type: string } & Reasoned)[] };
  "iam-trust-policy-principals": { allowedPrincipals: string[] };
  "iam-trust-confused-deputy": { requiredForServices: string[] };
  "iam-no-broad-managed-policies": { allowedManagedPolicies: string[] };
  "sfn-logging": { allowIncludeExecutionData: boolean };
  "log-group-retention": { minRetentionDays: number };
}

/** Config schemas with defaults, by policy name. */
export const configSchemas: { [P in keyof PolicyConfigs]: PolicyConfigSchema } = {
  "s3-bucket-sse-kms": {
    properties: {
      sseS3Purposes: purposes(
        `Bucket purposes (tag ${PURPOSE_TAG}) that use SSE-S3 (AES256) instead of SSE-KMS: S3 server access log delivery cannot write to SSE-KMS buckets.`,
        ["access-logs"],
      ),
    },
  },
  "s3-bucket-versioning": {
    properties: {
      unversionedPurposes: purposes(
        `Bucket purposes (tag ${PURPOSE_TAG}) that hold no data worth versioning (logs, expiring query results).`,
        ["access-logs", "athena-results"],
      ),
    },
  },
  "s3-bucket-lifecycle": {
    properties: {
      maxAbortIncompleteMultipartUploadDays: {
        type: "integer",
        minimum: 1,
        maximum: 365,
        description:
          "An enabled lifecycle rule must abort incomplete multipart uploads within this many days.",
        default: 7,
      },
    },
  },
  "s3-bucket-access-logging": {
    properties: {
      logBucketPurposes: purposes(
        `Bucket purposes (tag ${PURPOSE_TAG}) that receive server access logs: they need no logging themselves and are the only valid log targets.`,
        ["access-logs"],
      ),
    },
  },
  "iam-no-wildcard-actions": {
    properties: {
      allowedActionPatterns: reasoned(
        "Action patterns (exact, case-insensitive) that may match more than one action, each with a reason.",
        "pattern",
        { type: "string", pattern: "^[a-zA-Z0-9*?-]+:[A-Za-z0-9*?]+$|^\\*$" },
      ),
    },
  },
  "iam-foreign-access": {
    properties: {
      accounts: {
        type: "array",
        items: { type: "string", pattern: "^\\d{12}$" },
        uniqueItems: true,
        description:
          "This stack's AWS account ids: their principals and resources are not foreign. Empty means every account principal counts as foreign.",
        default: [],
      },
      trustedAccounts: reasoned(
        "Other accounts whose principals may be granted access, each with a reason.",
        "account",
        { type: "string", pattern: "^\\d{12}$" },
      ),
      trustedOrganizations: reasoned(
        "AWS Organizations whose principals may be granted access (aws:PrincipalOrgID), each with a reason.",
        "id",
        { type: "string", pattern: "^o-[a-z0-9]{10,32}$" },
      ),
      callerScopedActions: reasoned(
        'Actions a VPC endpoint policy may allow on Resource "*" (with aws:PrincipalAccount pinned to these accounts) although the service authorization data lists a resource type for them, because they act only in the caller\'s own account; each with a reason. Actions without resource types need no entry.',
        "action",
        { type: "string", pattern: "^[a-zA-Z0-9-]+:[A-Za-z0-9]+$" },
        [
          {
            action: "cloudwatch:PutMetricData",
            reason:
              "Metrics are published to the caller's own account and namespace (the optional dataset resource type is a feature this pipeline does not use); there is no other account's resource to reach.",
          },
        ],
      ),
    },
  },
  "cloudcontrol-resource-reviewed": {
    properties: {
      allowedTypeNames: reasoned(
        "Cloud Control type names the pack does not judge natively that the stack may create, each with a reason.",
        "typeName",
        { type: "string", pattern: "^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$" },
        [
          {
            typeName: "AWS::QuickSight::Dashboard",
            reason:
              "The optional QuickSight dashboard (components/dashboards.ts) is created through Cloud Control because @pulumi/aws omits its definition; its permissions name the stack's configured QuickSight principal, validated by lib/config.ts.",
          },
        ],
      ),
    },
  },
  "policy-bearing-types-reviewed": {
    properties: {
      allowedTypes: reasoned(
        "Policy-bearing resource types the pack does not judge that the stack may create, each with a reason.",
        "type",
        { type: "string", pattern: "^aws:[a-zA-Z0-9]+/[a-zA-Z0-9]+:[A-Za-z0-9]+$" },
        [
          {
            type: "aws:quicksight/dataSource:DataSource",
            reason:
              "The optional QuickSight data source (lib/quicksight.ts) grants permissions to the stack's configured QuickSight principal only, validated by lib/config.ts.",
          },
          {
            type: "aws:quicksight/dataSet:DataSet",
            reason:
              "The optional QuickSight data set (lib/quicksight.ts) grants permissions to the stack's configured QuickSight principal only, validated by lib/config.ts.",
          },
        ],
      ),
    },
  },
  "iam-resource-wildcard": {
    properties: {
      allowedResourcePatterns: reasoned(
        'Resource patterns "<service>:<resource segment>" (exact, case-insensitive, after the account) whose resource name may hold a wildcard, each with a reason.',
        "pattern",
        { type: "string", pattern: "^[a-z0-9-]+:.+$" },
        [
          {
            pattern: "ec2:network-interface/*",
            reason:
              "Glue creates the job's elastic network interfaces at run time, so their ids cannot be named; the statements pin them with the stack's subnet and security group, ec2:Vpc and aws:TagKeys conditions.",
          },
          {
            pattern: "logs:log-group:/aws-glue/*",
            reason:
              "Glue creates the job's and crawler's log groups itself, and with the security configuration's CloudWatch encryption their names gain the configuration's suffix (/aws-glue/jobs/<configuration>-role/...), so the stack cannot name them: the grant is scoped to the /aws-glue/ prefix instead.",
          },
          {
            pattern: "logs:log-group:/aws-glue/*:log-stream:*",
            reason:
              "The log streams of the Glue log groups above (one per job run and executor), named by Glue at run time.",
          },
        ],
      ),
      exceptions: {
        type: "array",
        description:
          'Actions allowed on Resource "*" although the service authorization data lists a resource type for them, each with a reason.',
        items: {
          type: "object",
          properties: {
            action: { type: "string", pattern: "^[a-zA-Z0-9-]+:[A-Za-z0-9]+$" },
            conditionKey: { type: "string", minLength: 3 },
            reason: { type: "string", minLength: 20 },
          },
          required: ["action", "reason"],
          additionalProperties: false,
        },
        default: [
          {
            action: "cloudwatch:PutMetricData",
            conditionKey: "cloudwatch:namespace",
            reason:
              "Metrics are published to namespaces, which have no ARN; the cloudwatch:namespace condition scopes the grant to the pipeline's namespace.",
          },
        ],
      },
    },
  },
  "iam-trust-policy-principals": {
    properties: {
      allowedPrincipals: {
        type: "array",
        items: { type: "string", pattern: "^arn:aws[a-z-]*:(iam|sts)::\\d{12}:" },
        uniqueItems: true,
        description:
          "AWS or federated principal ARNs that trust policies may name besides AWS service principals.",
        default: [],
      },
    },
  },
  "iam-trust-confused-deputy": {
    properties: {
      requiredForServices: {
        type: "array",
        items: { type: "string", pattern: "^[a-z0-9.-]+\\.amazonaws\\.com$" },
        uniqueItems: true,
        description:
          "Service principals that send aws:SourceArn/aws:SourceAccount when assuming a role, so a trust policy without them fails (mandatory); other services get an advisory.",
        default: ["states.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com"],
      },
    },
  },
  "iam-no-broad-managed-policies": {
    properties: {
      allowedManagedPolicies: {
        type: "array",
        items: { type: "string", pattern: "^arn:aws[a-z-]*:iam::aws:policy/" },
        uniqueItems: true,
        description: "AWS managed policy ARNs that may be attached (each one reviewed).",
        default: [],
      },
    },
  },
  "sfn-logging": {
    properties: {
      allowIncludeExecutionData: {
        type: "boolean",
        description:
          "Allow includeExecutionData: execution input and output (data) then land in CloudWatch Logs.",
        default: false,
      },
    },
  },
  "log-group-retention": {
    properties: {
      minRetentionDays: {
        type: "integer",
        minimum: 1,
        maximum: 3653,
        description: "Log groups must keep events at least this many days (and not forever).",
        default: 1,
      },
    },
  },
};

/**
 * One justified, expiring exception to a policy for the resources a pattern names: the
 * `suppressions` property every policy's config accepts (applied by policy/suppressions.ts).
 */
export interface Suppression {
  /** A resource's logical name, or a URN; `*` matches any characters. */
  resource: string;
  /** Why the finding is accepted; shown in every report. */
  reason: string;
  /** Last day (UTC, YYYY-MM-DD) the suppression applies; at most a year ahead. */
  expires: string;
}

/** Schema of the `suppressions` property, added to every policy's `configSchema`. */
export const suppressionsSchema = {
  type: "array" as const,
  description:
    "Accepted findings of this policy: resource (name or URN, * matches anything), reason (at least 20 characters) and expires (YYYY-MM-DD, at most a year ahead).",
  items: {
    type: "object" as const,
    properties: {
      resource: { type: "string" as const, minLength: 1 },
      reason: { type: "string" as const, minLength: 20 },
      expires: { type: "string" as const, pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
    },
    required: ["resource", "reason", "expires"],
    additionalProperties: false,
  },
  default: [] as Suppression[],
};

/**
 * A policy's config: the schema defaults overlaid with what the engine passes (`getConfig`).
 * The CLI already fills defaults; overlaying them again keeps a policy correct under any harness.
 */
export function policyConfig<P extends keyof PolicyConfigs>(
  name: P,
  args: { getConfig<T extends object>(): T },
): PolicyConfigs[P] {
  return {
    ...schemaDefaults(configSchemas[name]),
    ...args.getConfig<Partial<PolicyConfigs[P]>>(),
  } as PolicyConfigs[P];
}

/** The directory of the pack, where the per-stack config files `<stack>.json` live. */
export const POLICY_DIR = __dirname;

/** A policy's entry in a config file: a level, or a level and properties. */
export type PolicyConfigEntry =
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);

/** A `--policy-pack-config` file: policy name (or `"all"`) to entry. */
export type PolicyPackConfigFile = Record<string, PolicyConfigEntry>;

const NOT_STACK_FILES = new Set(["package.json", "package-lock.json", "tsconfig.json"]);

/**
 * Reads a stack's policy config file, `policy/<stack>.json`.
 * @throws Error naming the file and the stacks that have one, when it does not exist.
 */
export function loadPolicyConfig(stack: string, dir = POLICY_DIR): PolicyPackConfigFile {
  const file = path.join(dir, `${stack}.json`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json") && !NOT_STACK_FILES.has(f))
      .map((f) => f.slice(0, -".json".length));
    throw new Error(
      `No policy config ${file} for stack "${stack}"; stacks with one: ${known.join(", ") || "(none)"}. Create policy/${stack}.json (see policy/README.md).`,
    );
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as PolicyPackConfigFile;
}
