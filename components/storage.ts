import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import {
  BUCKETS,
  type BucketPurpose,
  PURPOSE_TAG,
  bucketPolicy,
  lifecycleRules,
  pipelineKeyPolicy,
} from "../lib/storage";

/** Arguments of {@link MedallionStorage}. */
export interface MedallionStorageArgs {
  /** AWS account id that owns the lake (key policy, log delivery conditions). */
  accountId: pulumi.Input<string>;
  /** AWS region of the stack. */
  region: string;
  /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /**
   * Protect the key and the data buckets from deletion (`protect` + `retainOnDelete`).
   * @default false
   */
  protectData?: boolean;
  /**
   * Let `pulumi destroy` delete non-empty buckets. Refused together with `protectData`.
   * @default false
   */
  forceDestroy?: boolean;
  /** Days before raw CSVs move to STANDARD_IA. @default 30 */
  rawDataTransitionDays?: number;
  /** Days before raw CSVs move to GLACIER_IR. @default 180 */
  rawDataArchiveDays?: number;
  /** Days before old object versions expire. @default 30 */
  noncurrentVersionExpirationDays?: number;
  /** Days before Athena query results expire. @default 7 */
  athenaResultsExpirationDays?: number;
  /** Days before S3 server access logs expire. @default 365 */
  accessLogExpirationDays?: number;
  /**
   * Log group name patterns the pipeline key may encrypt (CloudWatch Logs encryption context).
   * @default ["/aws/vendedlogs/states/*", "/aws-glue/*"]
   */
  logGroupPatterns?: string[];
  /**
   * KMS key deletion window in days.
   * @default 30
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
   */
  keyDeletionWindowInDays?: number;
}

/** One bucket of the lake and its name and ARN. */
export interface LakeBucket {
  bucket: aws.s3.Bucket;
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
}

const DEFAULT_LOG_GROUP_PATTERNS = ["/aws/vendedlogs/states/*", "/aws-glue/*"];

/**
 * The medallion data lake on S3: one customer-managed KMS key and the staging (bronze),
 * processed (silver), datawarehouse (gold), athena-results, assets and access-logs buckets,
 * each encrypted, private, TLS-only, versioned where it holds data, aged by lifecycle rules,
 * and access-logged.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
 */
export class MedallionStorage extends pulumi.ComponentResource {
  /** The pipeline's customer-managed key. */
  readonly key: aws.kms.Key;
  /** ARN of the pipeline key. */
  readonly keyArn: pulumi.Output<string>;
  /** Every bucket, by purpose. */
  readonly buckets: Record<BucketPurpose, LakeBucket>;
  /** Bucket names by purpose (stack output). */
  readonly bucketNames: pulumi.Output<Record<BucketPurpose, string>>;
  /** Bucket ARNs by purpose (stack output). */
  readonly bucketArns: pulumi.Output<Record<BucketPurpose, string>>;

  constructor(name: string, args: MedallionStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:storage:MedallionStorage", name, {}, opts);

    const problems: string[] = [];
    if (args.forceDestroy && args.protectData) {
      problems.push(
        "forceDestroy: got true with protectData true; expected false: protected buckets are never emptied. Turn protectData off first.",
      );
    }
    const days = {
      rawDataTransitionDays: args.rawDataTransitionDays ?? 30,
      rawDataArchiveDays: args.rawDataArchiveDays ?? 180,
      noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays ?? 30,
      athenaResultsExpirationDays: args.athenaResultsExpirationDays ?? 7,
      accessLogExpirationDays: args.accessLogExpirationDays ?? 365,
    };
    for (const [k, v] of Object.entries(days)) {
      if (!Number.isInteger(v) || v < 1)
        problems.push(`${k}: got ${v}; expected a whole number of days >= 1.`);
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`MedallionStorage "${name}": ${problems.join(" ")}`, this);
    }

    const protect = args.protectData ?? false;
    const dataOpts: pulumi.CustomResourceOptions = {
      parent: this,
      protect,
      retainOnDelete: protect,
    };

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `spotify-pipeline ${name}: data lake, logs and notifications`,
        enableKeyRotation: true,
        deletionWindowInDays: args.keyDeletionWindowInDays ?? 30,
        policy: pulumi.output(args.accountId).apply((accountId) =>
          JSON.stringify(
            pipelineKeyPolicy({
              partition: args.partition,
              region: args.region,
              accountId,
              logGroupPatterns: args.logGroupPatterns ?? DEFAULT_LOG_GROUP_PATTERNS,
            }),
          ),
        ),
      },
      dataOpts,
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: `alias/${name}`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.keyArn = this.key.arn;

    const made = {} as Record<BucketPurpose, LakeBucket>;
    // The log bucket comes first: every other bucket logs into it.
    const ordered = [...BUCKETS].sort(
      (a, b) => Number(b.purpose === "access-logs") - Number(a.purpose === "access-logs"),
    );
    for (const spec of ordered) {
      const id = `${name}-${spec.purpose}`;
      const opts = spec.dataBucket ? dataOpts : { parent: this };
      const bucket = new aws.s3.Bucket(
        id,
        {
          forceDestroy: args.forceDestroy ?? false,
          tags: { [PURPOSE_TAG]: spec.purpose, "spotify-pipeline:layer": spec.layer },
        },
        opts,
      );
      const child = { parent: this, dependsOn: [bucket] };

      new aws.s3.BucketPublicAccessBlock(
        id,
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        child,
      );
      new aws.s3.BucketOwnershipControls(
        id,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
      );
      new aws.s3.BucketServerSideEncryptionConfiguration(
        id,
        {
          bucket: bucket.id,
          rules: [
            spec.kms
              ? {
                  applyServerSideEncryptionByDefault: {
                    sseAlgorithm: "aws:kms",
                    kmsMasterKeyId: this.key.arn,
                  },
                  bucketKeyEnabled: true,
                }
              : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
          ],
        },
        child,
      );
      if (spec.dataBucket) {
        new aws.s3.BucketVersioning(
          id,
          { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
          child,
        );
      }
      new aws.s3.BucketLifecycleConfiguration(
        id,
        { bucket: bucket.id, rules: lifecycleRules(spec.purpose, days) },
        child,
      );
      made[spec.purpose] = { bucket, name: bucket.bucket, arn: bucket.arn };
    }

    const logs = made["access-logs"];
    const logged = BUCKETS.filter((b) => b.accessLogged);
    for (const spec of logged) {
      const target = made[spec.purpose];
      new aws.s3.BucketLogging(
        `${name}-${spec.purpose}`,
        {
          bucket: target.bucket.id,
          targetBucket: logs.bucket.id,
          targetPrefix: `${spec.purpose}/`,
          targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        },
        { parent: this, dependsOn: [target.bucket, logs.bucket] },
      );
    }

    for (const spec of BUCKETS) {
      const target = made[spec.purpose];
      const sources = spec.purpose === "access-logs" ? logged.map((b) => made[b.purpose].arn) : [];
      new aws.s3.BucketPolicy(
        `${name}-${spec.purpose}`,
        {
          bucket: target.bucket.id,
          policy: pulumi
            .all([target.arn, args.accountId, pulumi.all(sources)])
            .apply(([bucketArn, accountId, logSourceBucketArns]) =>
              JSON.stringify(
                bucketPolicy({
                  bucketArn,
                  accountId,
                  ...(logSourceBucketArns.length > 0 ? { logSourceBucketArns } : {}),
                }),
              ),
            ),
        },
        { parent: this, dependsOn: [target.bucket] },
      );
    }

    // Staging sends "Object Created" events to EventBridge: the marker object starts a run.
    new aws.s3.BucketNotification(
      `${name}-staging`,
      { bucket: made.staging.bucket.id, eventbridge: true },
      { parent: this },
    );

    this.buckets = made;
    const purposes = BUCKETS.map((b) => b.purpose);
    this.bucketNames = pulumi
      .all(purposes.map((p) => made[p].name))
      .apply(
        (names) =>
          Object.fromEntries(purposes.map((p, i) => [p, names[i]])) as Record<
            BucketPurpose,
            string
          >,
      );
    this.bucketArns = pulumi
      .all(purposes.map((p) => made[p].arn))
      .apply(
        (arns) =>
          Object.fromEntries(purposes.map((p, i) => [p, arns[i]])) as Record<BucketPurpose, string>,
      );

    this.registerOutputs({
      keyArn: this.keyArn,
      bucketNames: this.bucketNames,
      bucketArns: this.bucketArns,
    });
  }
}
