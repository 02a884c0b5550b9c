/**
 * Encryption at rest: S3 default encryption (stack level: it is a separate resource), SNS, SQS,
 * CloudWatch Logs, KMS key rotation, Glue security configurations and their use, Athena
 * workgroups and the Glue Data Catalog.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

import {
  OBJECT_TYPES,
  S3_TYPES,
  bucketLabel,
  bucketsOf,
  provenPurposeOf,
  relatedToBucket,
  reportOn,
} from "./buckets";
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
  relatedTo,
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
      const purpose = provenPurposeOf(bucket, args.resources);
      const sseS3 = purpose !== undefined && sseS3Purposes.includes(purpose);
      if (!sseS3) objectsKeepKms(bucket, args.resources, report);
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

/** Object uploads into a SSE-KMS bucket must not override its encryption with SSE-S3. */
function objectsKeepKms(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
  report: ReportViolation,
): void {
  checkEach(relatedToBucket(bucket, resources, OBJECT_TYPES).matched, (object) => {
    const props = propsOf(object);
    const sse = known(at(props, "serverSideEncryption"));
    const key = at(props, "kmsKeyId");
    const what = `S3 object '${object.name}' in ${bucketLabel(bucket)}`;
    if (sse !== undefined && sse !== "aws:kms" && sse !== "aws:kms:dsse") {
      report(
        must(
          what,
          "keep the bucket's SSE-KMS encryption (leave serverSideEncryption unset or aws:kms)",
          `serverSideEncryption ${show(sse)}`,
        ),
        object.urn,
      );
    } else if (typeof key === "string" && AWS_MANAGED_KEY.test(key)) {
      report(
        must(what, "keep the bucket's customer managed KMS key (kmsKeyId)", `kmsKeyId ${key}`),
        object.urn,
      );
    }
  });
}

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

const SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration";

/**
 * What a security configuration leaves unencrypted, one `emit(requirement, found)` per part.
 * @throws UnknownValueError after emitting the known parts, when a part is unknown (preview).
 */
function securityConfigurationProblems(
  props: Snapshot,
  emit: (requirement: string, found: string) => void,
): void {
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
        emit(
          `encrypt ${data} with ${wanted} and a KMS key (${block}.${modeField}, ${block}.kmsKeyArn)`,
          `${modeField} ${show(mode)}, kmsKeyArn ${isSet(key) ? "set" : "none"}`,
        );
      }
    }),
  );
}

/** Glue security configurations encrypt S3, CloudWatch and job bookmarks with KMS. */
export const glueSecurityConfigurationKms: ResourceValidationPolicy = {
  name: "glue-security-configuration-kms",
  description:
    "Checks that every Glue security configuration encrypts S3 data (SSE-KMS), CloudWatch logs (SSE-KMS) and job bookmarks (CSE-KMS) with a KMS key.",
  validateResource: ofType(SECURITY_CONFIGURATION, (props, args, report) => {
    securityConfigurationProblems(props, (requirement, found) =>
      report(must(`Glue security configuration '${args.name}'`, requirement, found)),
    );
  }),
};

const GLUE_RUNNERS: Record<string, string> = {
  "aws:glue/job:Job": "Glue job",
  "aws:glue/crawler:Crawler": "Glue crawler",
};

/**
 * Every Glue job and crawler runs with a security configuration of this stack that encrypts
 * everything: a name that resolves to nothing in the stack, or to a non-compliant one, fails.
 */
export const glueSecurityConfigurationRequired: StackValidationPolicy = {
  name: "glue-security-configuration-required",
  description:
    "Checks that every Glue job and crawler runs with a Glue security configuration of this stack that encrypts S3 data, CloudWatch logs and job bookmarks with KMS.",
  validateStack: (args, report) => {
    const configs = args.resources.filter((r) => r.type === SECURITY_CONFIGURATION);
    const runners = args.resources.filter((r) => r.type in GLUE_RUNNERS);
    const keys = (c: PolicyResource) => {
      const name = at(propsOf(c), "name");
      return typeof name === "string" ? [c.name, name] : [c.name];
    };
    checkEach(runners, (runner) => {
      const what = `${GLUE_RUNNERS[runner.type]} '${runner.name}'`;
      const value = at(propsOf(runner), "securityConfiguration");
      if (!isSet(value)) {
        report(
          must(what, "run with a Glue security configuration (securityConfiguration)", "none"),
          runner.urn,
        );
        return;
      }
      const used = configs.filter(
        (c) =>
          relatedTo(c, [runner], "securityConfiguration", keys, [SECURITY_CONFIGURATION]).matched
            .length > 0,
      );
      if (used.length === 0) {
        known(value); // unknown and unresolvable: cannot check during preview
        report(
          must(
            what,
            "run with a Glue security configuration created by this stack (aws.glue.SecurityConfiguration)",
            `securityConfiguration ${show(value)}, which names none of the stack's (${configs.map((c) => `'${c.name}'`).join(", ") || "none"})`,
          ),
          runner.urn,
        );
        return;
      }
      for (const c of used) {
        const problems: string[] = [];
        securityConfigurationProblems(propsOf(c), (requirement) => problems.push(requirement));
        if (problems.length > 0) {
          report(
            must(
              what,
              "run with a security configuration that encrypts S3 data, CloudWatch logs and job bookmarks with KMS",
              `security configuration '${c.name}', which does not ${problems.join("; ")}`,
            ),
            runner.urn,
          );
        }
      }
    });
  },
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

/** Athena databases (aws.athena.Database) encrypt their query results with KMS. */
export const athenaDatabaseEncryption: ResourceValidationPolicy = {
  name: "athena-database-encryption",
  description:
    "Checks that every Athena database created through aws.athena.Database encrypts the results of its creation query with KMS (encryptionConfiguration: SSE_KMS or CSE_KMS with a customer managed key).",
  validateResource: ofType("aws:athena/database:Database", (props, args, report) => {
    const option = known(at(props, "encryptionConfiguration", "encryptionOption"));
    const key = at(props, "encryptionConfiguration", "kmsKey");
    const what = `Athena database '${args.name}'`;
    if (option !== "SSE_KMS" && option !== "CSE_KMS") {
      report(
        must(
          what,
          "encrypt with KMS (encryptionConfiguration.encryptionOption SSE_KMS or CSE_KMS, kmsKey)",
          `encryptionOption ${show(option)}`,
        ),
      );
    } else if (!isSet(key) || (typeof key === "string" && AWS_MANAGED_KEY.test(key))) {
      report(
        must(what, "use a customer managed KMS key (encryptionConfiguration.kmsKey)", show(key)),
      );
    }
  }),
};

/** Step Functions state machines encrypt their data with a customer managed key. */
export const sfnEncryption: ResourceValidationPolicy = {
  name: "sfn-encryption",
  description:
    "Checks that every Step Functions state machine encrypts its definition and execution data with a customer managed KMS key (encryptionConfiguration type CUSTOMER_MANAGED_KMS_KEY, kmsKeyId).",
  validateResource: ofType("aws:sfn/stateMachine:StateMachine", (props, args, report) => {
    const type = known(at(props, "encryptionConfiguration", "type"));
    const key = at(props, "encryptionConfiguration", "kmsKeyId");
    if (type !== "CUSTOMER_MANAGED_KMS_KEY" || !isSet(key)) {
      report(
        must(
          `State machine '${args.name}'`,
          "encrypt with a customer managed KMS key (encryptionConfiguration: type CUSTOMER_MANAGED_KMS_KEY, kmsKeyId)",
          `type ${show(type)}, kmsKeyId ${isSet(key) ? "set" : "none"}`,
        ),
      );
    }
  }),
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
  athenaDatabaseEncryption,
  sfnEncryption,
];
