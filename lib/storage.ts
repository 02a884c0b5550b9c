/**
 * Pure facts of the medallion storage: which buckets exist, how each is protected and aged,
 * and the bucket and key policy documents. `components/storage.ts` turns them into resources.
 */
import { type PolicyDocument, type Statement, policyDocument } from "./iam/document";

/** The buckets of the lake, by purpose. */
export type BucketPurpose =
  "staging" | "processed" | "datawarehouse" | "athena-results" | "assets" | "access-logs";

/** Tag key that declares a bucket's purpose; the policy pack reads it (e.g. for the SSE-S3 exception). */
export const PURPOSE_TAG = "spotify-pipeline:purpose";

/** Static facts per bucket. */
export interface BucketSpec {
  purpose: BucketPurpose;
  /** Medallion layer, for tags and docs. */
  layer: "bronze" | "silver" | "gold" | "query-results" | "code" | "audit";
  /** Holds data worth keeping: versioned, protected in prod. */
  dataBucket: boolean;
  /** Encrypted with the pipeline key (SSE-KMS); `false` only for the access-log bucket (S3 requires SSE-S3). */
  kms: boolean;
  /** Server access logs of this bucket go to the access-log bucket. */
  accessLogged: boolean;
  description: string;
}

/** Every bucket of the lake, in creation order. */
export const BUCKETS: readonly BucketSpec[] = [
  {
    purpose: "staging",
    layer: "bronze",
    dataBucket: true,
    kms: true,
    accessLogged: true,
    description: "raw CSVs as landed (incoming/<batch>/) and the _READY marker",
  },
  {
    purpose: "processed",
    layer: "silver",
    dataBucket: true,
    kms: true,
    accessLogged: true,
    description:
      "typed, deduplicated data (silver/), quarantined rows (quarantine/), run summaries (runs/)",
  },
  {
    purpose: "datawarehouse",
    layer: "gold",
    dataBucket: true,
    kms: true,
    accessLogged: true,
    description: "the joined tables Athena reads (tracks/), Snappy Parquet",
  },
  {
    purpose: "athena-results",
    layer: "query-results",
    dataBucket: false,
    kms: true,
    accessLogged: true,
    description: "Athena query results, expiring",
  },
  {
    purpose: "assets",
    layer: "code",
    dataBucket: true,
    kms: true,
    accessLogged: true,
    description: "the Glue script and SQL files",
  },
  {
    purpose: "access-logs",
    layer: "audit",
    dataBucket: false,
    kms: false,
    accessLogged: false,
    description:
      "S3 server access logs of every other bucket (SSE-S3: log delivery cannot use SSE-KMS)",
  },
];

/** Ageing knobs, from stack config. */
export interface LifecycleSettings {
  rawDataTransitionDays: number;
  rawDataArchiveDays: number;
  noncurrentVersionExpirationDays: number;
  athenaResultsExpirationDays: number;
  accessLogExpirationDays: number;
}

/** One lifecycle rule in the shape of `aws.s3.BucketLifecycleConfiguration` `rules`. */
export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
  transitions?: { days: number; storageClass: string }[];
  expiration?: { days: number };
  noncurrentVersionExpiration?: { noncurrentDays: number };
}

/**
 * The lifecycle rules of a bucket: every bucket aborts incomplete multipart uploads after a day;
 * raw data moves to STANDARD_IA then GLACIER_IR; old versions of data expire; Athena results and
 * access logs expire.
 */
export function lifecycleRules(purpose: BucketPurpose, s: LifecycleSettings): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    {
      id: "abort-incomplete-multipart-uploads",
      status: "Enabled",
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
  ];
  const spec = BUCKETS.find((b) => b.purpose === purpose);
  if (spec?.dataBucket) {
    rules.push({
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: { prefix: "" },
      noncurrentVersionExpiration: { noncurrentDays: s.noncurrentVersionExpirationDays },
    });
  }
  if (purpose === "staging") {
    rules.push({
      id: "tier-cold-raw-data",
      status: "Enabled",
      filter: { prefix: "incoming/" },
      transitions: [
        { days: s.rawDataTransitionDays, storageClass: "STANDARD_IA" },
        { days: s.rawDataArchiveDays, storageClass: "GLACIER_IR" },
      ],
    });
  }
  if (purpose === "athena-results") {
    rules.push({
      id: "expire-query-results",
      status: "Enabled",
      filter: { prefix: "" },
      expiration: { days: s.athenaResultsExpirationDays },
    });
  }
  if (purpose === "access-logs") {
    rules.push({
      id: "expire-access-logs",
      status: "Enabled",
      filter: { prefix: "" },
      expiration: { days: s.accessLogExpirationDays },
    });
  }
  return rules;
}

/** Denies every request that does not use TLS (Security Hub S3.5). */
export function denyInsecureTransport(bucketArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": false } },
  };
}

/**
 * The bucket policy of a lake bucket: TLS only; the access-log bucket also lets the S3 logging
 * service write, but only for this account's source buckets.
 */
export function bucketPolicy(args: {
  bucketArn: string;
  accountId: string;
  /** Only for the access-log bucket: the ARNs of the buckets whose logs it receives. */
  logSourceBucketArns?: string[];
}): PolicyDocument {
  const statements: Statement[] = [denyInsecureTransport(args.bucketArn)];
  if (args.logSourceBucketArns && args.logSourceBucketArns.length > 0) {
    statements.push({
      Sid: "AllowServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${args.bucketArn}/*`,
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnLike: { "aws:SourceArn": args.logSourceBucketArns },
      },
    });
  }
  return policyDocument(statements);
}

/** The key policy of the pipeline's customer-managed key. */
export function pipelineKeyPolicy(args: {
  partition: string;
  region: string;
  accountId: string;
  /** Log group name patterns the key may encrypt (CloudWatch Logs encryption context). */
  logGroupPatterns: string[];
}): PolicyDocument {
  const { partition, region, accountId } = args;
  const account = `arn:${partition}:iam::${accountId}:root`;
  const sourceAccount = { "aws:SourceAccount": accountId };
  return policyDocument([
    {
      // The AWS default: lets IAM policies of this account grant use of the key. Without it the
      // key becomes unmanageable. In a key policy, Resource "*" means this key.
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: account },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "AllowCloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": args.logGroupPatterns.map(
            (p) => `arn:${partition}:logs:${region}:${accountId}:log-group:${p}`,
          ),
        },
      },
    },
    {
      // CloudWatch alarms publish to the KMS-encrypted topic; SNS calls KMS on their behalf.
      Sid: "AllowCloudWatchAlarmsToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { ...sourceAccount, "kms:ViaService": `sns.${region}.amazonaws.com` },
      },
    },
    {
      Sid: "AllowEventBridgeToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { ...sourceAccount, "kms:ViaService": `sns.${region}.amazonaws.com` },
      },
    },
  ]);
}
