/**
 * S3 facts that span resources. In @pulumi/aws v7 a bucket's encryption, public access block,
 * ownership controls, policy, versioning, lifecycle and logging are separate resources that
 * point at the bucket through their `bucket` input; the stack policies here correlate them.
 */
import type { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";

import { ATHENA_RESULTS_PURPOSE, LOG_BUCKET_PURPOSE, PURPOSE_TAG } from "./config";
import { type Related, type Snapshot, at, isUnknown, known, propsOf, relatedTo } from "./support";

/** Type tokens of @pulumi/aws 7.48.0 (the V2 names are deprecated aliases). */
export const S3_TYPES = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  ownershipControls: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
  policy: ["aws:s3/bucketPolicy:BucketPolicy"],
  versioning: [
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
  ],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
  logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
} as const;

/** The values a reference to a bucket can take: physical name, id, or (under mocks) its name. */
export function bucketKeys(bucket: PolicyResource): string[] {
  const props = propsOf(bucket);
  const keys = [bucket.name];
  for (const field of ["bucket", "id"]) {
    const v = at(props, field);
    if (typeof v === "string") keys.push(v);
  }
  return keys;
}

const learned = new WeakMap<readonly PolicyResource[], Map<string, string[]>>();

/**
 * Names of buckets learned from the stack: a resource whose `bucket` input is a known string and
 * that depends on exactly one bucket names that bucket. This resolves references to auto-named
 * buckets (`bucket: bucket.id`) when a graph has neither property dependencies nor physical names.
 */
function learnedNames(resources: readonly PolicyResource[]): Map<string, string[]> {
  let names = learned.get(resources);
  if (names) return names;
  names = new Map();
  const bucketTypes: readonly string[] = S3_TYPES.bucket;
  for (const r of resources) {
    if (bucketTypes.includes(r.type)) continue;
    const value = at(propsOf(r), "bucket");
    const deps = r.dependencies.filter((d) => bucketTypes.includes(d.type));
    if (typeof value !== "string" || deps.length !== 1) continue;
    const urn = deps[0]!.urn;
    names.set(urn, [...(names.get(urn) ?? []), value]);
  }
  learned.set(resources, names);
  return names;
}

/** {@link bucketKeys} plus the names learned from the stack's other resources. */
export function bucketKeysIn(
  resources: readonly PolicyResource[],
): (bucket: PolicyResource) => string[] {
  const names = learnedNames(resources);
  return (bucket) => [...bucketKeys(bucket), ...(names.get(bucket.urn) ?? [])];
}

/** The buckets of a stack; not applicable when there are none. */
export function bucketsOf(args: StackValidationArgs): PolicyResource[] {
  const buckets = args.resources.filter((r) =>
    (S3_TYPES.bucket as readonly string[]).includes(r.type),
  );
  if (buckets.length === 0) return args.notApplicable("The stack has no S3 buckets");
  return buckets;
}

/** The resources of some types whose `field` refers to a bucket. */
export function relatedToBucket(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
  types: readonly string[],
  field = "bucket",
): Related {
  const candidates = resources.filter((r) => types.includes(r.type));
  return relatedTo(bucket, candidates, field, bucketKeysIn(resources), S3_TYPES.bucket);
}

/**
 * A bucket's declared purpose (tag {@link PURPOSE_TAG}).
 * @throws UnknownValueError when the tags are unknown (preview).
 */
export function purposeOf(bucket: PolicyResource): string | undefined {
  const v = known(at(propsOf(bucket), "tags", PURPOSE_TAG));
  return typeof v === "string" ? v : undefined;
}

/** Type tokens of object uploads (they land in a bucket through their `bucket` input). */
export const OBJECT_TYPES = [
  "aws:s3/bucketObject:BucketObject",
  "aws:s3/bucketObjectv2:BucketObjectv2",
];

/** Type token of Athena workgroups (their results land in a bucket through `outputLocation`). */
export const WORKGROUP_TYPE = "aws:athena/workgroup:Workgroup";

/** True when the bucket is the target of an aws.s3.BucketLogging of the stack. */
function isLogTarget(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
  const keys = bucketKeysIn(resources);
  const loggings = resources.filter((r) =>
    (S3_TYPES.logging as readonly string[]).includes(r.type),
  );
  return (
    relatedTo(bucket, loggings, "targetBucket", keys, S3_TYPES.bucket, {
      byName: false,
    }).matched.filter((l) => !relatedToBucket(bucket, [l], S3_TYPES.logging).matched.includes(l))
      .length > 0
  );
}

/**
 * True when the bucket is the query-results location of an Athena workgroup of the stack: the
 * workgroup's `configuration` depends on the bucket (the engine's property dependencies), or its
 * `outputLocation` is `s3://<the bucket's name>/...`.
 * @throws UnknownValueError when an output location is unknown and no dependency resolves it.
 */
function isAthenaResultsLocation(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
): boolean {
  const keys = new Set(bucketKeysIn(resources)(bucket));
  let unknown: Snapshot;
  for (const wg of resources.filter((r) => r.type === WORKGROUP_TYPE)) {
    const deps = (wg.propertyDependencies?.["configuration"] ?? []).filter((d) =>
      (S3_TYPES.bucket as readonly string[]).includes(d.type),
    );
    if (deps.length > 0) {
      if (deps.some((d) => d.urn === bucket.urn)) return true;
      continue;
    }
    const location = at(propsOf(wg), "configuration", "resultConfiguration", "outputLocation");
    if (isUnknown(location)) unknown ??= location;
    if (typeof location !== "string") continue;
    const name = /^s3:\/\/([^/]+)/.exec(location)?.[1];
    if (name !== undefined && keys.has(name)) return true;
  }
  if (unknown !== undefined) known(unknown);
  return false;
}

/**
 * A bucket's purpose where the graph proves it. The exempting purposes count only with proof,
 * otherwise the bucket is judged as a data bucket:
 * - `access-logs` (SSE-S3, no versioning, no logging of its own): the bucket is the target of an
 *   aws.s3.BucketLogging of the stack;
 * - `athena-results` (no versioning): the bucket is the query-results location of an Athena
 *   workgroup of the stack;
 * and, for both, it holds nothing else (no object uploads, no notifications).
 * @throws UnknownValueError when the tags, or an output location that decides it, are unknown
 * (preview).
 */
export function provenPurposeOf(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
): string | undefined {
  const purpose = purposeOf(bucket);
  if (purpose === LOG_BUCKET_PURPOSE) {
    if (!isLogTarget(bucket, resources)) return undefined;
  } else if (purpose === ATHENA_RESULTS_PURPOSE) {
    if (!isAthenaResultsLocation(bucket, resources)) return undefined;
  } else {
    return purpose;
  }
  const held = relatedToBucket(bucket, resources, [
    ...OBJECT_TYPES,
    "aws:s3/bucketNotification:BucketNotification",
  ]).matched;
  return held.length === 0 ? purpose : undefined;
}

/** "S3 bucket 'name'" or "S3 bucket 'name' (purpose access-logs)". */
export function bucketLabel(bucket: PolicyResource, purpose?: string): string {
  return `S3 bucket '${bucket.name}'${purpose ? ` (${PURPOSE_TAG}=${purpose})` : ""}`;
}

/** A stack validation reporting per bucket against the bucket's URN. */
export type BucketReport = (message: string) => void;

/** Binds `reportViolation` to a bucket's URN so violations land on the bucket. */
export function reportOn(report: ReportViolation, bucket: PolicyResource): BucketReport {
  return (message) => report(message, bucket.urn);
}
