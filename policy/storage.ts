/**
 * Storage safety: every S3 bucket blocks public access, has ACLs disabled, refuses requests
 * without TLS, keeps versions where it holds data, ages objects with lifecycle rules and sends
 * server access logs to the log bucket. All are stack policies: the facts live on separate
 * resources that point at the bucket.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

import {
  S3_TYPES,
  bucketKeysIn,
  bucketLabel,
  bucketsOf,
  provenPurposeOf,
  relatedToBucket,
  reportOn,
} from "./buckets";
import { PURPOSE_TAG, configSchemas, policyConfig } from "./config";
import { desiredStateOf } from "./document";
import {
  PolicyDocumentError,
  parsePolicyDocument,
  type PolicyDocument,
  type Statement,
} from "./iam";
import {
  Unknown,
  UnknownValueError,
  type Snapshot,
  asList,
  at,
  checkEach,
  isSet,
  known,
  must,
  relatedTo,
  runChecks,
  show,
  propsOf,
  unresolvedNote,
} from "./support";

const PAB_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

/** All four public access block flags on every bucket. */
export const s3BucketPublicAccessBlock: StackValidationPolicy = {
  name: "s3-bucket-public-access-block",
  description:
    "Checks that every S3 bucket has a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  validateStack: (args, report) => {
    checkEach(bucketsOf(args), (bucket) => {
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const requirement = `block public access with all four flags (${PAB_FLAGS.join(", ")})`;
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.publicAccessBlock);
      if (related.matched.length === 0) {
        on(
          must(
            what,
            requirement,
            `no aws.s3.BucketPublicAccessBlock${unresolvedNote(related, "BucketPublicAccessBlock")}`,
          ),
        );
        return;
      }
      checkEach(related.matched, (pab) => {
        const props = propsOf(pab);
        const off = PAB_FLAGS.flatMap((flag) => {
          const v = known(at(props, flag));
          return v === true ? [] : [`${flag} ${show(v)}`];
        });
        if (off.length > 0) on(must(what, requirement, off.join(", ")));
      });
    });
  },
};

/** ACLs disabled: ownership BucketOwnerEnforced, no ACL resources or inline ACLs. */
export const s3BucketAclsDisabled: StackValidationPolicy = {
  name: "s3-bucket-acls-disabled",
  description:
    "Checks that every S3 bucket disables ACLs: ownership controls BucketOwnerEnforced, and no aws.s3.BucketAcl, acl or grants.",
  validateStack: (args, report) => {
    checkEach(bucketsOf(args), (bucket) => {
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const props = propsOf(bucket);
      runChecks([
        () => {
          const related = relatedToBucket(bucket, args.resources, S3_TYPES.ownershipControls);
          if (related.matched.length === 0) {
            on(
              must(
                what,
                "disable ACLs with ownership controls BucketOwnerEnforced",
                `no aws.s3.BucketOwnershipControls${unresolvedNote(related, "BucketOwnershipControls")}`,
              ),
            );
            return;
          }
          checkEach(related.matched, (oc) => {
            const ownership = known(at(propsOf(oc), "rule", "objectOwnership"));
            if (ownership !== "BucketOwnerEnforced") {
              on(
                must(
                  what,
                  "disable ACLs with ownership controls BucketOwnerEnforced",
                  `objectOwnership ${show(ownership)}`,
                ),
              );
            }
          });
        },
        () => {
          const acls = relatedToBucket(bucket, args.resources, S3_TYPES.acl).matched;
          if (acls.length > 0) {
            on(
              must(
                what,
                "have no ACL resources (ACLs disabled)",
                `aws.s3.BucketAcl ${acls.map((a) => `'${a.name}'`).join(", ")}`,
              ),
            );
          }
        },
        () => {
          const acl = known(at(props, "acl"));
          if (acl !== undefined && acl !== "private") {
            on(must(what, "have no canned ACL (ACLs disabled)", `acl ${show(acl)}`));
          }
        },
        () => {
          const grants = known(at(props, "grants"));
          if (Array.isArray(grants) && grants.length > 0) {
            on(must(what, "have no ACL grants (ACLs disabled)", `${grants.length} grant(s)`));
          }
        },
      ]);
    });
  },
};

function isAnyonePrincipal(s: Statement): boolean {
  return (s.Principal ?? []).some((p) => p.value === "*" && (p.kind === "*" || p.kind === "AWS"));
}

/**
 * True when a statement denies s3:* to everyone without TLS on exactly the bucket's own ARN and
 * `<arn>/*` (or "*"), for one of the bucket's names. Unknown ARNs (preview) count for one each.
 */
function deniesInsecureTransport(s: Statement, names: readonly string[]): boolean {
  if (s.Effect !== "Deny" || !isAnyonePrincipal(s)) return false;
  const actions = (s.Action ?? []).filter((a): a is string => typeof a === "string");
  if (!actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) return false;
  if (Object.keys(s.Condition ?? {}).length !== 1) return false; // another condition narrows it
  const condition = Object.entries(s.Condition ?? {}).find(
    ([op]) => op.toLowerCase() === "bool",
  )?.[1];
  const value = Object.entries(condition ?? {}).find(
    ([k]) => k.toLowerCase() === "aws:securetransport",
  )?.[1];
  const values = asList(value);
  if (!values.some((v) => v === false || v === "false")) return false;
  const resources = s.Resource ?? [];
  const knownRes = resources.filter((r): r is string => typeof r === "string");
  if (knownRes.includes("*")) return true;
  const unknownCount = resources.filter((r) => r instanceof Unknown).length;
  const arn = (name: string) =>
    new RegExp(`^arn:aws[a-z-]*:s3:::${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return [...names, ""].some((name) => {
    const bucketArn = name === "" ? undefined : arn(name);
    const objectsArn =
      name === "" ? undefined : new RegExp(`${arn(name).source.slice(0, -1)}/\\*$`);
    const missing =
      (bucketArn && knownRes.some((r) => bucketArn.test(r)) ? 0 : 1) +
      (objectsArn && knownRes.some((r) => objectsArn.test(r)) ? 0 : 1);
    return missing <= unknownCount;
  });
}

const TLS_REQUIREMENT =
  'have a bucket policy that denies s3:* to Principal "*" on exactly the bucket\'s ARN and <arn>/* when aws:SecureTransport is false';

/**
 * Whether one of the policy documents denies insecure transport on the bucket named by `names`:
 * undefined when one does, else what was found.
 * @throws UnknownValueError when a document is unknown (preview) and none of the known ones does.
 */
function tlsDenyProblem(
  sources: { name: string; value: unknown }[],
  names: readonly string[],
): string | undefined {
  const docs: PolicyDocument[] = [];
  let unknownDoc: UnknownValueError | undefined;
  const invalid: string[] = [];
  for (const source of sources) {
    try {
      docs.push(parsePolicyDocument(source.value));
    } catch (e) {
      if (e instanceof UnknownValueError) unknownDoc ??= e;
      else if (e instanceof PolicyDocumentError) invalid.push(source.name);
      else throw e;
    }
  }
  if (docs.some((d) => d.Statement.some((st) => deniesInsecureTransport(st, names)))) {
    return undefined;
  }
  // A document unknown during preview may hold the statement: the engine reports it advisory.
  if (unknownDoc) throw unknownDoc;
  return sources
    .map((s) =>
      invalid.includes(s.name)
        ? `${s.name} (not a valid policy document)`
        : `${s.name} without such a statement`,
    )
    .join(", ");
}

const CLOUD_CONTROL_TYPE = "aws:cloudcontrol/resource:Resource";

/** The Cloud Control resources of a stack with a given type name (unknown type names skipped). */
function cloudControlOf(resources: readonly PolicyResource[], typeName: string): PolicyResource[] {
  return resources.filter(
    (r) => r.type === CLOUD_CONTROL_TYPE && at(propsOf(r), "typeName") === typeName,
  );
}

/**
 * A Cloud Control `AWS::S3::Bucket` must have the same TLS-only bucket policy as a native bucket:
 * an `AWS::S3::BucketPolicy` Cloud Control resource or a native aws.s3.BucketPolicy that names
 * it (its `BucketName`, or the engine's property dependencies on it). Without a `BucketName` in
 * the desired state the deny's ARNs cannot be compared: refused.
 */
function cloudControlBucketTls(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
): string | undefined {
  let state: Record<string, Snapshot>;
  try {
    state = desiredStateOf(propsOf(bucket));
  } catch (e) {
    if (e instanceof PolicyDocumentError) return undefined; // cloudcontrol-resource-reviewed
    throw e;
  }
  const name = known(state["BucketName"]);
  if (typeof name !== "string" || name === "") {
    return "no BucketName in desiredState (set it, so the TLS deny's ARNs can be checked)";
  }
  const dependsOnBucket = (r: PolicyResource, field: string) =>
    (r.propertyDependencies?.[field] ?? []).some((d) => d.urn === bucket.urn);
  const sources: { name: string; value: unknown }[] = [];
  for (const p of cloudControlOf(resources, "AWS::S3::BucketPolicy")) {
    let policyState: Record<string, Snapshot>;
    try {
      policyState = desiredStateOf(propsOf(p));
    } catch (e) {
      if (e instanceof PolicyDocumentError) continue;
      throw e;
    }
    if (known(policyState["Bucket"]) === name || dependsOnBucket(p, "desiredState")) {
      sources.push({
        name: `Cloud Control bucket policy '${p.name}'`,
        value: policyState["PolicyDocument"],
      });
    }
  }
  for (const p of resources.filter((r) =>
    (S3_TYPES.policy as readonly string[]).includes(r.type),
  )) {
    if (known(at(propsOf(p), "bucket")) === name || dependsOnBucket(p, "bucket")) {
      sources.push({ name: `bucket policy '${p.name}'`, value: at(propsOf(p), "policy") });
    }
  }
  if (sources.length === 0) return "no bucket policy";
  return tlsDenyProblem(sources, [name]);
}

/** A bucket policy that denies requests without TLS. */
export const s3BucketTlsOnly: StackValidationPolicy = {
  name: "s3-bucket-tls-only",
  description:
    'Checks that every S3 bucket (native, or a Cloud Control AWS::S3::Bucket) has a bucket policy that denies s3:* to Principal "*" on the bucket and its objects when aws:SecureTransport is false.',
  validateStack: (args, report) => {
    const native = args.resources.filter((r) =>
      (S3_TYPES.bucket as readonly string[]).includes(r.type),
    );
    const cloudControl = cloudControlOf(args.resources, "AWS::S3::Bucket");
    if (native.length === 0 && cloudControl.length === 0) {
      return args.notApplicable("The stack has no S3 buckets");
    }
    checkEach(native, (bucket) => {
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.policy);
      const sources: { name: string; value: unknown }[] = related.matched.map((p) => ({
        name: `bucket policy '${p.name}'`,
        value: at(propsOf(p), "policy"),
      }));
      const inline = at(propsOf(bucket), "policy");
      if (isSet(inline)) sources.push({ name: "inline policy", value: inline });
      if (sources.length === 0) {
        on(
          must(what, TLS_REQUIREMENT, `no bucket policy${unresolvedNote(related, "BucketPolicy")}`),
        );
        return;
      }
      const problem = tlsDenyProblem(sources, bucketKeysIn(args.resources)(bucket));
      if (problem) on(must(what, TLS_REQUIREMENT, problem));
    });
    checkEach(cloudControl, (bucket) => {
      const problem = cloudControlBucketTls(bucket, args.resources);
      if (problem) {
        report(
          must(
            `Cloud Control resource '${bucket.name}' (AWS::S3::Bucket)`,
            TLS_REQUIREMENT,
            problem,
          ),
          bucket.urn,
        );
      }
    });
  },
};

/** Versioning on data buckets. */
export const s3BucketVersioning: StackValidationPolicy = {
  name: "s3-bucket-versioning",
  description: `Checks that every S3 bucket holding data has versioning enabled (buckets whose ${PURPOSE_TAG} tag is in unversionedPurposes are exempt).`,
  configSchema: configSchemas["s3-bucket-versioning"],
  validateStack: (args, report) => {
    const { unversionedPurposes } = policyConfig("s3-bucket-versioning", args);
    checkEach(bucketsOf(args), (bucket) => {
      const purpose = provenPurposeOf(bucket, args.resources);
      if (purpose !== undefined && unversionedPurposes.includes(purpose)) return;
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.versioning);
      if (related.matched.length === 0) {
        on(
          must(
            what,
            "have versioning enabled (aws.s3.BucketVersioning status Enabled)",
            `none${unresolvedNote(related, "BucketVersioning")}`,
          ),
        );
        return;
      }
      checkEach(related.matched, (v) => {
        const status = known(at(propsOf(v), "versioningConfiguration", "status"));
        if (status !== "Enabled") {
          on(
            must(
              what,
              "have versioning enabled (versioningConfiguration.status Enabled)",
              `status ${show(status)}`,
            ),
          );
        }
      });
    });
  },
};

/** Lifecycle rules: at least one enabled, and aborting incomplete multipart uploads. */
export const s3BucketLifecycle: StackValidationPolicy = {
  name: "s3-bucket-lifecycle",
  description:
    "Checks that every S3 bucket has an enabled lifecycle configuration, including a rule that aborts incomplete multipart uploads within maxAbortIncompleteMultipartUploadDays.",
  configSchema: configSchemas["s3-bucket-lifecycle"],
  validateStack: (args, report) => {
    const { maxAbortIncompleteMultipartUploadDays: maxDays } = policyConfig(
      "s3-bucket-lifecycle",
      args,
    );
    checkEach(bucketsOf(args), (bucket) => {
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.lifecycle);
      if (related.matched.length === 0) {
        on(
          must(
            what,
            "have lifecycle rules (aws.s3.BucketLifecycleConfiguration)",
            `none${unresolvedNote(related, "BucketLifecycleConfiguration")}`,
          ),
        );
        return;
      }
      const rules = related.matched.flatMap((lc) => asList(known(at(propsOf(lc), "rules"))));
      const enabled = rules.filter((r) => known(at(r, "status")) === "Enabled");
      if (enabled.length === 0) {
        on(
          must(
            what,
            "have at least one enabled lifecycle rule",
            `${rules.length} rule(s), none enabled`,
          ),
        );
        return;
      }
      const days = enabled
        .map((r) => known(at(r, "abortIncompleteMultipartUpload", "daysAfterInitiation")))
        .filter((d) => d !== undefined);
      if (!days.some((d) => typeof d === "number" && d <= maxDays)) {
        on(
          must(
            what,
            `abort incomplete multipart uploads within ${maxDays} days in an enabled lifecycle rule (abortIncompleteMultipartUpload.daysAfterInitiation)`,
            days.length > 0 ? `daysAfterInitiation ${days.map(show).join(", ")}` : "none",
          ),
        );
      }
    });
  },
};

/** Server access logs to a dedicated log bucket. */
export const s3BucketAccessLogging: StackValidationPolicy = {
  name: "s3-bucket-access-logging",
  description: `Checks that every S3 bucket (except log buckets: ${PURPOSE_TAG} in logBucketPurposes) sends server access logs to a log bucket of the stack.`,
  configSchema: configSchemas["s3-bucket-access-logging"],
  validateStack: (args, report) => {
    const { logBucketPurposes } = policyConfig("s3-bucket-access-logging", args);
    const buckets = bucketsOf(args);
    const keys = bucketKeysIn(args.resources);
    checkEach(buckets, (bucket) => {
      const purpose = provenPurposeOf(bucket, args.resources);
      if (purpose !== undefined && logBucketPurposes.includes(purpose)) return;
      const on = reportOn(report, bucket);
      const what = bucketLabel(bucket);
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.logging);
      if (related.matched.length === 0) {
        on(
          must(
            what,
            "send server access logs to a log bucket (aws.s3.BucketLogging)",
            `none${unresolvedNote(related, "BucketLogging")}`,
          ),
        );
        return;
      }
      checkEach(related.matched, (logging) => {
        const target = buckets.find(
          (b) =>
            relatedTo(b, [logging], "targetBucket", keys, S3_TYPES.bucket, {
              exclude: [bucket.urn],
              byName: false,
            }).matched.length > 0,
        );
        // A target outside the stack (an organization log bucket) cannot be checked here.
        if (!target) return;
        const targetPurpose = provenPurposeOf(target, args.resources);
        if (targetPurpose === undefined || !logBucketPurposes.includes(targetPurpose)) {
          on(
            must(
              what,
              `send server access logs to a dedicated log bucket (${PURPOSE_TAG} one of ${logBucketPurposes.join(", ")})`,
              `target bucket '${target.name}' (${PURPOSE_TAG} ${show(targetPurpose)})`,
            ),
          );
        }
      });
    });
  },
};

/** The storage policies, in report order. */
export const storagePolicies: StackValidationPolicy[] = [
  s3BucketPublicAccessBlock,
  s3BucketAclsDisabled,
  s3BucketTlsOnly,
  s3BucketVersioning,
  s3BucketLifecycle,
  s3BucketAccessLogging,
];
