/**
 * Compliance metadata of every policy: the controls it implements in AWS Foundational Security
 * Best Practices (Security Hub), CIS AWS Foundations Benchmark and Checkov, its severity and how
 * to remediate a violation. `policy/pack.ts` puts it on the policies with the fields
 * `@pulumi/policy` has for it (`severity`, `framework`, `tags`, `remediationSteps`, `url`), so the
 * Pulumi service, the SARIF output and the compliance report all read the same values.
 *
 * Identifiers from /work/shared/notes/policy-rules.md (Security Hub FSBP control ids, CIS AWS
 * Foundations Benchmark v3.0.0 recommendation numbers, Checkov check ids).
 */
import type { Policy, PolicyComplianceFramework, Severity } from "@pulumi/policy";

import { typesWithDocuments } from "./document";

/** The controls one policy implements, and what to do about a violation. */
export interface PolicyControls {
  /** AWS Foundational Security Best Practices control ids, e.g. `S3.17`. */
  securityHub: string[];
  /** CIS AWS Foundations Benchmark v3.0.0 recommendations, e.g. `2.1.4`. */
  cis: string[];
  /** Checkov check ids, e.g. `CKV_AWS_145`. */
  checkov: string[];
  severity: Severity;
  /** What to change in the program (or the stack's config) to comply. */
  remediation: string;
  /**
   * Stack policies only: the resource types the policy examines (resource policies report the
   * types they skip to the engine, so the compliance report counts those from the evaluation).
   */
  examines?: string[];
}

export const FSBP = "AWS Foundational Security Best Practices";
export const CIS = "CIS AWS Foundations Benchmark";
const CIS_VERSION = "3.0.0";
/** The framework of policies that no public control covers. */
export const PIPELINE_BASELINE = "spotify-pipeline baseline";

/** Tag prefixes that carry control ids on a policy (`aws-fsbp:S3.17`, `cis-aws:2.1.4`, `checkov:CKV_AWS_145`). */
export const TAG_PREFIX = { securityHub: "aws-fsbp:", cis: "cis-aws:", checkov: "checkov:" };

const c = (
  severity: Severity,
  ids: { sh?: string[]; cis?: string[]; ckv?: string[]; examines?: string[] },
  remediation: string,
): PolicyControls => ({
  securityHub: ids.sh ?? [],
  cis: ids.cis ?? [],
  checkov: ids.ckv ?? [],
  severity,
  remediation,
  ...(ids.examines ? { examines: ids.examines } : {}),
});

const BUCKETS = ["aws:s3/bucket:Bucket"];

/** Metadata by policy name. Every policy of the pack must have an entry (a test checks it). */
export const CONTROLS: Record<string, PolicyControls> = {
  "s3-bucket-sse-kms": c(
    "medium",
    { sh: ["S3.17"], ckv: ["CKV_AWS_145"], examines: BUCKETS },
    "Add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms, the pipeline's key and bucketKeyEnabled (MedallionStorage does this); access-log buckets use AES256.",
  ),
  "sns-topic-kms": c(
    "medium",
    { sh: ["SNS.1"], ckv: ["CKV_AWS_26"] },
    "Set kmsMasterKeyId on the topic to the pipeline's customer managed key (not alias/aws/sns when CloudWatch or EventBridge publish to it).",
  ),
  "sqs-queue-kms": c(
    "medium",
    { sh: ["SQS.1"], ckv: ["CKV_AWS_27"] },
    "Set kmsMasterKeyId on the queue to the pipeline's customer managed key.",
  ),
  "log-group-kms": c(
    "medium",
    { ckv: ["CKV_AWS_158"] },
    "Set kmsKeyId on the log group; the key policy must allow logs.<region>.amazonaws.com with a kms:EncryptionContext:aws:logs:arn condition.",
  ),
  "kms-key-rotation": c(
    "medium",
    { sh: ["KMS.4"], cis: ["3.6"], ckv: ["CKV_AWS_7"] },
    "Set enableKeyRotation: true on the key.",
  ),
  "glue-security-configuration-kms": c(
    "medium",
    { ckv: ["CKV_AWS_99"] },
    "Encrypt S3 (SSE-KMS), CloudWatch (SSE-KMS) and job bookmarks (CSE-KMS) in the Glue security configuration with the pipeline's key.",
  ),
  "glue-security-configuration-required": c(
    "medium",
    { ckv: ["CKV_AWS_195"], examines: ["aws:glue/job:Job", "aws:glue/crawler:Crawler"] },
    "Set securityConfiguration on every Glue job and crawler.",
  ),
  "athena-workgroup-encryption": c(
    "medium",
    { sh: ["Athena.1"], ckv: ["CKV_AWS_159", "CKV_AWS_82"] },
    "Set enforceWorkgroupConfiguration and resultConfiguration.encryptionConfiguration (SSE_KMS with the key) on the workgroup.",
  ),
  "glue-data-catalog-encryption": c(
    "medium",
    { ckv: ["CKV_AWS_94"] },
    "Add aws.glue.DataCatalogEncryptionSettings with SSE-KMS at rest and password encryption on, using the pipeline's key.",
  ),
  "s3-bucket-public-access-block": c(
    "high",
    { sh: ["S3.8"], cis: ["2.1.4"], ckv: ["CKV2_AWS_6"], examines: BUCKETS },
    "Add an aws.s3.BucketPublicAccessBlock with all four flags true for the bucket.",
  ),
  "s3-bucket-acls-disabled": c(
    "medium",
    { sh: ["S3.12"], ckv: ["CKV2_AWS_65"], examines: BUCKETS },
    "Add aws.s3.BucketOwnershipControls with objectOwnership BucketOwnerEnforced and remove bucket ACLs.",
  ),
  "s3-bucket-tls-only": c(
    "medium",
    { sh: ["S3.5"], cis: ["2.1.1"], ckv: ["CKV_AWS_379"], examines: BUCKETS },
    "Add a bucket policy statement that denies s3:* when aws:SecureTransport is false.",
  ),
  "s3-bucket-versioning": c(
    "low",
    { sh: ["S3.14"], ckv: ["CKV_AWS_21"], examines: BUCKETS },
    "Add aws.s3.BucketVersioning with status Enabled, or tag the bucket with a purpose listed in unversionedPurposes.",
  ),
  "s3-bucket-lifecycle": c(
    "low",
    { sh: ["S3.13"], ckv: ["CKV2_AWS_61"], examines: BUCKETS },
    "Add an aws.s3.BucketLifecycleConfiguration with an enabled rule that aborts incomplete multipart uploads.",
  ),
  "s3-bucket-access-logging": c(
    "medium",
    { sh: ["S3.9"], ckv: ["CKV_AWS_18"], examines: BUCKETS },
    "Add aws.s3.BucketLogging that targets the access-log bucket.",
  ),
  "iam-actions-exist": c(
    "low",
    {},
    "Fix the misspelled or retired action; the message names the closest real actions from AWS's service authorization data.",
  ),
  "iam-no-wildcard-actions": c(
    "high",
    { sh: ["IAM.1", "IAM.21"], cis: ["1.16"], ckv: ["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_49"] },
    "List the exact actions the role needs instead of `*` or `service:*` (docs/least-privilege.md derives them).",
  ),
  "iam-resource-wildcard": c(
    "medium",
    // A stack policy (a wildcard must lie within one of the stack's resources): it examines
    // every resource that carries an identity policy.
    { ckv: ["CKV_AWS_355", "CKV_AWS_356"], examines: typesWithDocuments(["identity"]) },
    "Scope the statement to the resource ARNs of this stack's resources (a wildcard only after a prefix that lies within one of them); if the action cannot be scoped, add it to the iam-resource-wildcard exceptions, or the pattern to allowedResourcePatterns, with a reason.",
  ),
  "iam-passrole-scoped": c(
    "high",
    { ckv: ["CKV_AWS_286", "CKV_AWS_110"] },
    "Grant iam:PassRole on the exact role ARNs with an iam:PassedToService condition.",
  ),
  "iam-no-not-elements": c(
    "medium",
    {},
    "Rewrite Allow statements with NotAction, NotResource or NotPrincipal as explicit lists.",
  ),
  "iam-no-kms-decrypt-all-keys": c(
    "medium",
    { sh: ["KMS.1", "KMS.2"] },
    "Grant kms:Decrypt on the pipeline's key ARN (with kms:ViaService where the service uses it), not on all keys.",
  ),
  "iam-trust-policy-principals": c(
    "high",
    { ckv: ["CKV_AWS_60", "CKV_AWS_61"] },
    "Name the AWS service principal or the exact account/role ARN in the trust policy; add reviewed ARNs to allowedPrincipals.",
  ),
  "iam-trust-confused-deputy": c(
    "medium",
    {},
    "Add aws:SourceAccount and aws:SourceArn conditions to the trust policy statement of the service principal.",
  ),
  "iam-no-broad-managed-policies": c(
    "high",
    { ckv: ["CKV_AWS_274", "CKV_AWS_275"] },
    "Replace the AWS managed policy with a least-privilege inline policy, or list it in allowedManagedPolicies after review.",
  ),
  "iam-no-users": c(
    "medium",
    { sh: ["IAM.2"], cis: ["1.15"], ckv: ["CKV_AWS_40"] },
    "Use roles assumed through federation or OIDC instead of IAM users and access keys.",
  ),
  "kms-key-policy-no-public-principal": c(
    "critical",
    { sh: ["KMS.5"], ckv: ["CKV_AWS_33"] },
    "Replace the `*` principal in the key policy with the account root or service principals, or restrict it with conditions.",
  ),
  "iam-no-public-resource-policy": c(
    "critical",
    { sh: ["S3.6", "SNS.4"], ckv: ["CKV_AWS_70", "CKV_AWS_169"] },
    "Replace the `*` principal with named principals, or restrict the Allow with aws:SourceArn/aws:SourceAccount conditions.",
  ),
  "sfn-logging": c(
    "medium",
    { sh: ["StepFunctions.1"], ckv: ["CKV_AWS_285"] },
    "Set loggingConfiguration (level ERROR or ALL, a log group under /aws/vendedlogs/states/, includeExecutionData false).",
  ),
  "sfn-tracing": c(
    "low",
    { ckv: ["CKV_AWS_284"] },
    "Set tracingConfiguration.enabled: true on the state machine.",
  ),
  "log-group-retention": c(
    "low",
    { sh: ["CloudWatch.16"], ckv: ["CKV_AWS_66", "CKV_AWS_338"] },
    "Set retentionInDays on the log group to at least the stack's minRetentionDays.",
  ),
  "athena-database-encryption": c(
    "medium",
    { ckv: ["CKV_AWS_77"] },
    "Set encryptionConfiguration (encryptionOption SSE_KMS or CSE_KMS with the pipeline's key) on the aws.athena.Database.",
  ),
  "sfn-encryption": c(
    "medium",
    {},
    "Set encryptionConfiguration { type: CUSTOMER_MANAGED_KMS_KEY, kmsKeyId } on the state machine, with the pipeline's key.",
  ),
  "iam-foreign-access": c(
    "high",
    {},
    "Name only this stack's accounts, or restrict the foreign or service principal with conditions the caller cannot choose (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID) pinned to them; add a reviewed account to the policy's trusted accounts.",
  ),
  "cloudcontrol-resource-reviewed": c(
    "medium",
    {},
    "Use the native @pulumi/aws resource, or list the type name with a reason in allowedTypeNames after review.",
  ),
  "policy-bearing-types-reviewed": c(
    "medium",
    {},
    "Teach the pack to judge the type (policy/coverage.ts), or list it with a reason in allowedTypes.",
  ),
  "alarm-actions": c(
    "medium",
    { sh: ["CloudWatch.15", "CloudWatch.17"], ckv: ["CKV_AWS_319"] },
    "Give the alarm alarmActions (the pipeline's alert topic) and keep actionsEnabled true.",
  ),
};

const SECURITY_HUB_DOCS = "https://docs.aws.amazon.com/securityhub/latest/userguide";

/** The Security Hub documentation page of a control, e.g. `S3.17` -> `.../s3-controls.html#s3-17`. */
export function securityHubUrl(control: string): string {
  const [service, n] = control.split(".");
  const page = service!.toLowerCase();
  return `${SECURITY_HUB_DOCS}/${page}-controls.html#${page}-${n}`;
}

/** The framework a policy reports in `@pulumi/policy`'s single `framework` field: FSBP first. */
function frameworkOf(name: string, m: PolicyControls): PolicyComplianceFramework {
  if (m.securityHub.length > 0) {
    return {
      name: FSBP,
      version: "1.0.0",
      reference: m.securityHub.join(", "),
      specification: securityHubUrl(m.securityHub[0]!),
    };
  }
  if (m.cis.length > 0) {
    return {
      name: CIS,
      version: CIS_VERSION,
      reference: m.cis.join(", "),
      specification: "https://www.cisecurity.org/benchmark/amazon_web_services",
    };
  }
  return {
    name: PIPELINE_BASELINE,
    version: "1.0.0",
    reference: name,
    specification: "policy/README.md",
  };
}

/**
 * The policy with its compliance metadata on `@pulumi/policy`'s fields. A policy without an entry
 * in {@link CONTROLS} is returned as it is (test/report-controls.test.ts fails on it), so a new
 * policy never breaks the pack at load time.
 */
export function withControls<P extends Policy>(policy: P): P {
  const m = CONTROLS[policy.name];
  if (!m) return policy;
  return {
    ...policy,
    severity: m.severity,
    framework: frameworkOf(policy.name, m),
    tags: [
      ...(policy.tags ?? []),
      ...m.securityHub.map((id) => `${TAG_PREFIX.securityHub}${id}`),
      ...m.cis.map((id) => `${TAG_PREFIX.cis}${id}`),
      ...m.checkov.map((id) => `${TAG_PREFIX.checkov}${id}`),
    ],
    remediationSteps: m.remediation,
    ...(m.securityHub.length > 0 ? { url: securityHubUrl(m.securityHub[0]!) } : {}),
  };
}

/** Control ids of a policy, read back from its tags (what `withControls` wrote). */
export function controlsOf(policy: Pick<Policy, "tags">): {
  securityHub: string[];
  cis: string[];
  checkov: string[];
} {
  const tags = policy.tags ?? [];
  const pick = (prefix: string) =>
    tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
  return {
    securityHub: pick(TAG_PREFIX.securityHub),
    cis: pick(TAG_PREFIX.cis),
    checkov: pick(TAG_PREFIX.checkov),
  };
}
