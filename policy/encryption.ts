/**
 * Encryption at rest: S3 default encryption (stack level: it is a separate resource), SNS, SQS,
 * CloudWatch Logs, KMS key rotation, Glue security configurations and their use, Athena
 * workgroups and the Glue Data Catalog.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { S3_TYPES, bucketLabel, bucketsOf, purposeOf, relatedToBucket, reportOn } from "./buckets";
import { PURPOSE_TAG, configSchemas, policyConfig } from "./config";
import {
  asList,
  at,
  checkEach,
  isSet,
  known,
  must,
  ofType,
  runChecks,
  show,
  propsOf,
  unresolvedNote,
  type Snapshot,
} from "./support";

const AWS_MANAGED_KEY = /alias\/aws\//;

/** S3 buckets: SSE-KMS with a customer managed key and bucket keys (declared SSE-S3 exceptions). */
export const s3BucketSseKms: StackValidationPolicy = {
  name: "s3-bucket-sse-kms",
  description: `Checks that every S3 bucket has default encryption SSE-KMS with a customer managed key and S3 Bucket Keys; buckets whose ${PURPOSE_TAG} tag is in sseS3Purposes (server access logs) use SSE-S3 instead.`,
  configSchema: configSchemas["s3-bucket-sse-kms"],
  validateStack: (args, report) => {
    const { sseS3Purposes } = policyConfig("s3-bucket-sse-kms", args);
    const buckets = bucketsOf(args);
    checkEach(buckets, (bucket) => {
      const purpose = purposeOf(bucket);
      const sseS3 = purpose !== undefined && sseS3Purposes.includes(purpose);
      const what = bucketLabel(bucket, sseS3 ? purpose : undefined);
      const on = reportOn(report, bucket);
      const related = relatedToBucket(bucket, args.resources, S3_TYPES.encryption);
      if (related.matched.length === 0) {
        on(
          must(
            what,
            sseS3
              ? "have default encryption SSE-S3 (an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm AES256)"
              : "have default encryption SSE-KMS (an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms)",
            `none${unresolvedNote(related, "BucketServerSideEncryptionConfiguration")}`,
          ),
        );
        return;
      }
      checkEach(related.matched, (config) => {
        const rules = asList(known(at(propsOf(config), "rules")));
        const defaults = rules.filter(
          (r) => at(r, "applyServerSideEncryptionByDefault") !== undefined,
        );
        if (defaults.length === 0) {
          on(
            must(
              what,
              "have a default encryption rule (applyServerSideEncryptionByDefault)",
              "none",
            ),
          );
          return;
        }
        checkEach(defaults, (rule) => {
          const algorithm = known(at(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm"));
          if (sseS3) {
            if (algorithm !== "AES256") {
              on(
                must(
                  what,
                  "use SSE-S3 (sseAlgorithm AES256): S3 server access log delivery cannot write to SSE-KMS buckets",
                  `sseAlgorithm ${show(algorithm)}`,
                ),
              );
            }
            return;
          }
          if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
            on(must(what, "use SSE-KMS (sseAlgorithm aws:kms)", `sseAlgorithm ${show(algorithm)}`));
            return;
          }
          runChecks([
            () => {
              const key = at(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId");
              if (!isSet(key)) {
                on(
                  must(
                    what,
                    "use a customer managed KMS key (kmsMasterKeyId)",
                    "none (the AWS managed aws/s3 key)",
                  ),
                );
              } else if (typeof key === "string" && AWS_MANAGED_KEY.test(key)) {
                on(
                  must(
                    what,
                    "use a customer managed KMS key (kmsMasterKeyId)",
                    `the AWS managed key ${key}`,
                  ),
                );
              }
            },
            () => {
              const bucketKey = known(at(rule, "bucketKeyEnabled"));
              if (bucketKey !== true) {
                on(
                  must(
                    what,
                    "enable S3 Bucket Keys (bucketKeyEnabled: true)",
                    `bucketKeyEnabled ${show(bucketKey)}`,
                  ),
                );
              }
            },
          ]);
        });
      });
    });
  },
};

/** A customer managed (or, for SQS, any) KMS key id check on one field. */
function kmsKeyField(
  kind: string,
  field: string,
  props: Snapshot,
  name: string,
  report: (m: string) => void,
  customerManaged: boolean,
  extra?: string,
): void {
  const key = at(props, field);
  const requirement = `be encrypted with ${customerManaged ? "a customer managed" : "a"} KMS key (${field})`;
  if (!isSet(key)) {
    report(must(`${kind} '${name}'`, requirement, extra ?? "none"));
  } else if (customerManaged && typeof key === "string" && AWS_MANAGED_KEY.test(key)) {
    report(must(`${kind} '${name}'`, requirement, `the AWS managed key ${key}`));
  }
}

/** SNS topics: KMS with a customer managed key. */
export const snsTopicKms: ResourceValidationPolicy = {
  name: "sns-topic-kms",
  description:
    "Checks that every SNS topic is encrypted with a customer managed KMS key (the AWS managed alias/aws/sns key cannot be used by CloudWatch alarms or EventBridge).",
  validateResource: ofType("aws:sns/topic:Topic", (props, args, report) =>
    kmsKeyField("SNS topic", "kmsMasterKeyId", props, args.name, report, true),
  ),
};

/** SQS queues: KMS. */
export const sqsQueueKms: ResourceValidationPolicy = {
  name: "sqs-queue-kms",
  description: "Checks that every SQS queue is encrypted with a KMS key (not only SSE-SQS).",
  validateResource: ofType("aws:sqs/queue:Queue", (props, args, report) => {
    const sseSqs = at(props, "sqsManagedSseEnabled") === true;
    kmsKeyField(
      "SQS queue",
      "kmsMasterKeyId",
      props,
      args.name,
      report,
      false,
      sseSqs ? "SSE-SQS (sqsManagedSseEnabled)" : undefined,
    );
  }),
};

/** CloudWatch log groups: KMS. */
export const logGroupKms: ResourceValidationPolicy = {
  name: "log-group-kms",
  description:
    "Checks that every CloudWatch Logs log group is encrypted with a customer managed KMS key.",
  validateResource: ofType("aws:cloudwatch/logGroup:LogGroup", (props, args, report) =>
    kmsKeyField("CloudWatch log group", "kmsKeyId", props, args.name, report, true),
  ),
};

/** KMS keys rotate (symmetric keys; others cannot). */
export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description: "Checks that every symmetric KMS key has automatic rotation enabled.",
  validateResource: ofType("aws:kms/key:Key", (props, args, report) => {
    const spec = known(at(props, "customerMasterKeySpec")) ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") {
      return args.notApplicable(`Key spec ${show(spec)} does not support automatic rotation`);
    }
    const rotation = known(at(props, "enableKeyRotation"));
    if (rotation !== true) {
      report(
        must(
          `KMS key '${args.name}'`,
          "rotate automatically (enableKeyRotation: true)",
          `enableKeyRotation ${show(rotation)}`,
        ),
      );
    }
  }),
};

/** Glue security configurations encrypt S3, CloudWatch and job bookmarks with KMS. */
export const glueSecurityConfigurationKms: ResourceValidationPolicy = {
  name: "glue-security-configuration-kms",
  description:
    "Checks that every Glue security configuration encrypts S3 data (SSE-KMS), CloudWatch logs (SSE-KMS) and job bookmarks (CSE-KMS) with a KMS key.",
  validateResource: ofType(
    "aws:glue/securityConfiguration:SecurityConfiguration",
    (props, args, report) => {
      const what = `Glue security configuration '${args.name}'`;
      const parts: [string, string, string, string][] = [
        ["s3Encryption", "s3EncryptionMode", "SSE-KMS", "S3 data"],
        ["cloudwatchEncryption", "cloudwatchEncryptionMode", "SSE-KMS", "CloudWatch logs"],
        ["jobBookmarksEncryption", "jobBookmarksEncryptionMode", "CSE-KMS", "job bookmarks"],
      ];
      runChecks(
        parts.map(([block, modeField, wanted, data]) => () => {
          const mode = known(at(props, "encryptionConfiguration", block, modeField));
          const key = at(props, "encryptionConfiguration", block, "kmsKeyArn");
          if (mode !== wanted || !isSet(key)) {
            report(
              must(
                what,
                `encrypt ${data} with ${wanted} and a KMS key (${block}.${modeField}, ${block}.kmsKeyArn)`,
                `${modeField} ${show(mode)}, kmsKeyArn ${isSet(key) ? "set" : "none"}`,
              ),
            );
          }
        }),
      );
    },
  ),
};

function usesSecurityConfiguration(kind: string) {
  return (props: Snapshot, args: { name: string }, report: (m: string) => void) => {
    const config = at(props, "securityConfiguration");
    if (!isSet(config)) {
      report(
        must(
          `${kind} '${args.name}'`,
          "run with a Glue security configuration (securityConfiguration)",
          "none",
        ),
      );
    }
  };
}

/** Every Glue job and crawler uses a security configuration. */
export const glueSecurityConfigurationRequired: ResourceValidationPolicy = {
  name: "glue-security-configuration-required",
  description: "Checks that every Glue job and crawler runs with a Glue security configuration.",
  validateResource: [
    ofType("aws:glue/job:Job", usesSecurityConfiguration("Glue job")),
    ofType("aws:glue/crawler:Crawler", usesSecurityConfiguration("Glue crawler")),
  ],
};

/** Athena workgroups enforce their configuration and encrypt results with KMS. */
export const athenaWorkgroupEncryption: ResourceValidationPolicy = {
  name: "athena-workgroup-encryption",
  description:
    "Checks that every Athena workgroup enforces its configuration and encrypts query results with KMS (SSE_KMS or CSE_KMS with a key).",
  validateResource: ofType("aws:athena/workgroup:Workgroup", (props, args, report) => {
    const what = `Athena workgroup '${args.name}'`;
    runChecks([
      () => {
        // The provider defaults enforceWorkgroupConfiguration to true; only an explicit false fails.
        const enforce = known(at(props, "configuration", "enforceWorkgroupConfiguration"));
        if (enforce === false) {
          report(
            must(what, "enforce its configuration (enforceWorkgroupConfiguration: true)", "false"),
          );
        }
      },
      () => {
        const enc = ["configuration", "resultConfiguration", "encryptionConfiguration"];
        const option = known(at(props, ...enc, "encryptionOption"));
        const key = at(props, ...enc, "kmsKeyArn");
        if ((option !== "SSE_KMS" && option !== "CSE_KMS") || !isSet(key)) {
          report(
            must(
              what,
              "encrypt query results with KMS (resultConfiguration.encryptionConfiguration: encryptionOption SSE_KMS or CSE_KMS, kmsKeyArn)",
              `encryptionOption ${show(option)}, kmsKeyArn ${isSet(key) ? "set" : "none"}`,
            ),
          );
        }
      },
    ]);
  }),
};

/** Data Catalog encryption settings, where the stack configures them. */
export const glueDataCatalogEncryption: ResourceValidationPolicy = {
  name: "glue-data-catalog-encryption",
  description:
    "Checks that Glue Data Catalog encryption settings, where configured, encrypt metadata at rest (SSE-KMS) and connection passwords with a KMS key.",
  validateResource: ofType(
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
    (props, args, report) => {
      const what = `Glue Data Catalog encryption settings '${args.name}'`;
      const base = ["dataCatalogEncryptionSettings"];
      runChecks([
        () => {
          const mode = known(at(props, ...base, "encryptionAtRest", "catalogEncryptionMode"));
          const key = at(props, ...base, "encryptionAtRest", "sseAwsKmsKeyId");
          const kms = mode === "SSE-KMS" || mode === "SSE-KMS-WITH-SERVICE-ROLE";
          if (!kms || !isSet(key)) {
            report(
              must(
                what,
                "encrypt the catalog at rest with SSE-KMS and a key (encryptionAtRest.catalogEncryptionMode, sseAwsKmsKeyId)",
                `catalogEncryptionMode ${show(mode)}, sseAwsKmsKeyId ${isSet(key) ? "set" : "none"}`,
              ),
            );
          }
        },
        () => {
          const on = known(
            at(props, ...base, "connectionPasswordEncryption", "returnConnectionPasswordEncrypted"),
          );
          const key = at(props, ...base, "connectionPasswordEncryption", "awsKmsKeyId");
          if (on !== true || !isSet(key)) {
            report(
              must(
                what,
                "encrypt connection passwords with a KMS key (connectionPasswordEncryption.returnConnectionPasswordEncrypted: true, awsKmsKeyId)",
                `returnConnectionPasswordEncrypted ${show(on)}, awsKmsKeyId ${isSet(key) ? "set" : "none"}`,
              ),
            );
          }
        },
      ]);
    },
  ),
};

/** The encryption policies, in report order. */
export const encryptionPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  s3BucketSseKms,
  snsTopicKms,
  sqsQueueKms,
  logGroupKms,
  kmsKeyRotation,
  glueSecurityConfigurationKms,
  glueSecurityConfigurationRequired,
  athenaWorkgroupEncryption,
  glueDataCatalogEncryption,
];
