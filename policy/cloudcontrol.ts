/**
 * Cloud Control resources (`aws.cloudcontrol.Resource`): judged by their `typeName` and
 * `desiredState` with the same rules as the native type, or refused. The documents they carry
 * (role trust and inline policies, key policies, bucket/topic/queue policies) are read by the IAM
 * rules through `documentsOf` (policy/document.ts); this module checks the other properties the
 * native rules check, and refuses type names the pack does not judge unless config lists them.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { configSchemas, policyConfig } from "./config";
import { CLOUD_CONTROL_DOCUMENTS, PolicyDocumentError, desiredStateOf } from "./document";
import { type Snapshot, asList, at, known, must, ofType, runChecks, show } from "./support";

const AWS_MANAGED_KEY = /alias\/aws\//;

type StateCheck = (state: Snapshot, problem: (requirement: string, found: string) => void) => void;

/** The s3-bucket-lifecycle default (native buckets read it from config). */
const MAX_ABORT_DAYS = (
  configSchemas["s3-bucket-lifecycle"].properties as Record<string, { default?: unknown }>
)["maxAbortIncompleteMultipartUploadDays"]!.default as number;

const PAB = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"];

/** What the native rules require of each type, as checks of the desired state. */
const STATE_CHECKS: Record<string, StateCheck[]> = {
  "AWS::S3::Bucket": [
    (state, problem) => {
      const rules = asList(at(state, "BucketEncryption", "ServerSideEncryptionConfiguration"));
      const kms = rules.filter((r) => {
        const d = at(r, "ServerSideEncryptionByDefault");
        const key = at(d, "KMSMasterKeyID");
        return (
          at(d, "SSEAlgorithm") === "aws:kms" &&
          typeof key === "string" &&
          key !== "" &&
          !AWS_MANAGED_KEY.test(key) &&
          at(r, "BucketKeyEnabled") === true
        );
      });
      if (kms.length === 0) {
        problem(
          "have default encryption SSE-KMS with a customer managed key and BucketKeyEnabled (BucketEncryption)",
          `BucketEncryption ${show(at(state, "BucketEncryption"))}`,
        );
      }
    },
    (state, problem) => {
      const pab = at(state, "PublicAccessBlockConfiguration");
      const off = PAB.filter((f) => at(pab, f) !== true);
      if (off.length > 0) {
        problem("block public access with all four flags", `${off.join(", ")} not true`);
      }
    },
    (state, problem) => {
      const rules = asList(at(state, "OwnershipControls", "Rules"));
      if (!rules.some((r) => at(r, "ObjectOwnership") === "BucketOwnerEnforced")) {
        problem(
          "disable ACLs (OwnershipControls BucketOwnerEnforced)",
          show(at(state, "OwnershipControls")),
        );
      }
    },
    (state, problem) => {
      const status = at(state, "VersioningConfiguration", "Status");
      if (status !== "Enabled") problem("have versioning enabled", `Status ${show(status)}`);
    },
    (state, problem) => {
      const rules = asList(at(state, "LifecycleConfiguration", "Rules"));
      const aborts = rules.some((r) => {
        const days = at(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation");
        return (
          at(r, "Status") === "Enabled" &&
          typeof days === "number" &&
          days >= 1 &&
          days <= MAX_ABORT_DAYS
        );
      });
      if (!aborts) {
        problem(
          `abort incomplete multipart uploads within ${MAX_ABORT_DAYS} days in an enabled lifecycle rule (LifecycleConfiguration)`,
          show(at(state, "LifecycleConfiguration")),
        );
      }
    },
    (state, problem) => {
      const target = at(state, "LoggingConfiguration", "DestinationBucketName");
      if (typeof target !== "string" || target === "") {
        problem(
          "send server access logs to a log bucket (LoggingConfiguration.DestinationBucketName)",
          show(at(state, "LoggingConfiguration")),
        );
      }
    },
    // The TLS-only bucket policy lives on another resource: s3-bucket-tls-only judges it.
  ],
  "AWS::KMS::Key": [
    (state, problem) => {
      const rotation = at(state, "EnableKeyRotation");
      if (rotation !== true) {
        problem("enable key rotation", `EnableKeyRotation ${show(rotation)}`);
      }
    },
  ],
  "AWS::SNS::Topic": [
    (state, problem) => {
      const key = at(state, "KmsMasterKeyId");
      if (typeof key !== "string" || key === "" || AWS_MANAGED_KEY.test(key)) {
        problem("be encrypted with a customer managed KMS key", `KmsMasterKeyId ${show(key)}`);
      }
    },
  ],
  "AWS::SQS::Queue": [
    (state, problem) => {
      const key = at(state, "KmsMasterKeyId");
      if (typeof key !== "string" || key === "" || AWS_MANAGED_KEY.test(key)) {
        problem("be encrypted with a customer managed KMS key", `KmsMasterKeyId ${show(key)}`);
      }
    },
  ],
};

/** Cloud Control resources: native rules by type name, or an allow-listed type name. */
export const cloudControlResourceReviewed: ResourceValidationPolicy = {
  name: "cloudcontrol-resource-reviewed",
  description:
    "Checks that every Cloud Control resource is of a type name the pack judges with the native type's rules (S3 buckets, IAM roles and policies, KMS keys, SNS topics, SQS queues, resource policies, VPC endpoints) and passes them, or is listed with a reason in allowedTypeNames.",
  configSchema: configSchemas["cloudcontrol-resource-reviewed"],
  validateResource: ofType("aws:cloudcontrol/resource:Resource", (props, args, report) => {
    const typeName = known(at(props, "typeName"));
    const what = `Cloud Control resource '${args.name}' (${show(typeName)})`;
    const { allowedTypeNames } = policyConfig("cloudcontrol-resource-reviewed", args);
    if (typeof typeName !== "string" || !(typeName in CLOUD_CONTROL_DOCUMENTS)) {
      if (allowedTypeNames.some((a) => a.typeName === typeName)) return;
      report(
        must(
          what,
          `be of a type name the pack judges (${Object.keys(CLOUD_CONTROL_DOCUMENTS).join(", ")}) or be listed with a reason in cloudcontrol-resource-reviewed.allowedTypeNames`,
          `typeName ${show(typeName)}`,
        ),
      );
      return;
    }
    let state: Snapshot;
    try {
      state = desiredStateOf(props);
    } catch (e) {
      if (!(e instanceof PolicyDocumentError)) throw e;
      report(must(what, "have a JSON object desiredState", e.message));
      return;
    }
    runChecks(
      (STATE_CHECKS[typeName] ?? []).map(
        (check) => () =>
          check(state, (requirement, found) => report(must(what, requirement, found))),
      ),
    );
  }),
};
