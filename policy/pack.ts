/**
 * The pack's policies and arguments. Importing this module does not start the policy server
 * (only `policy/index.ts` constructs the `PolicyPack`), so tests and the offline evaluator use it.
 */
import type { Policies, PolicyPackArgs } from "@pulumi/policy";

import { cloudControlResourceReviewed } from "./cloudcontrol";
import { defaultEnforcementLevel } from "./config";
import { policyBearingTypesReviewed } from "./coverage";
import { encryptionPolicies } from "./encryption";
import { iamPolicies } from "./iam";
import { operationsPolicies } from "./operations";
import { storagePolicies } from "./storage";

/** Every policy of the pack, grouped by domain, in report order. */
export const policies: Policies = [
  ...encryptionPolicies,
  ...storagePolicies,
  ...iamPolicies,
  ...operationsPolicies,
  cloudControlResourceReviewed,
  policyBearingTypesReviewed,
];

/** The arguments `policy/index.ts` gives the `PolicyPack`. */
export const packArgs: PolicyPackArgs = {
  policies,
  enforcementLevel: defaultEnforcementLevel,
  displayName: "spotify-pipeline: encryption, storage safety, IAM least privilege, operations",
  description:
    "Guards the spotify-pipeline stack: KMS encryption everywhere, private TLS-only versioned S3 buckets, least-privilege IAM checked against AWS's service authorization data, and operable Step Functions, logs and alarms.",
  tags: ["aws", "s3", "kms", "iam", "glue", "athena", "stepfunctions"],
};
