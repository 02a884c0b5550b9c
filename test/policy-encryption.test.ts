import { expect } from "chai";

import {
  KEY_ARN,
  T,
  UNKNOWN,
  baseline,
  find,
  patch,
  plus,
  res,
  without,
  type Editable,
} from "./fixtures/policy/graph";
import { cannotCheck, check, mandatory } from "./fixtures/policy/run";

const only = async (policy: string, graph = baseline(), stack = "prod") =>
  (await check(graph, { stack })).filter((v) => v.policy === policy);

describe("policy: s3-bucket-sse-kms", () => {
  const policy = "s3-bucket-sse-kms";
  const kms = (edit: (rule: Editable) => void) =>
    patch(baseline(), T.sse, "staging", (i) => edit(i.rules[0]));

  it("passes the baseline (SSE-KMS with the key and bucket keys; SSE-S3 for the declared log bucket)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without default encryption", async () => {
    expect(await check(without(baseline(), T.sse, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have default encryption SSE-KMS (an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms); found none.",
      ),
    ]);
  });

  it("reports SSE-S3 on a data bucket", async () => {
    const g = kms((r) => (r.applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must use SSE-KMS (sseAlgorithm aws:kms); found sseAlgorithm AES256.",
      ),
    ]);
  });

  it("reports SSE-KMS without a customer managed key", async () => {
    const g = kms((r) => delete r.applyServerSideEncryptionByDefault.kmsMasterKeyId);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must use a customer managed KMS key (kmsMasterKeyId); found none (the AWS managed aws/s3 key).",
      ),
    ]);
  });

  it("reports the AWS managed alias/aws/s3 key", async () => {
    const g = kms((r) => (r.applyServerSideEncryptionByDefault.kmsMasterKeyId = "alias/aws/s3"));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must use a customer managed KMS key (kmsMasterKeyId); found the AWS managed key alias/aws/s3.",
      ),
    ]);
  });

  it("reports bucket keys off", async () => {
    const g = kms((r) => (r.bucketKeyEnabled = false));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must enable S3 Bucket Keys (bucketKeyEnabled: true); found bucketKeyEnabled false.",
      ),
    ]);
  });

  it("reports a configuration without a default rule", async () => {
    const g = kms((r) => delete r.applyServerSideEncryptionByDefault);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have a default encryption rule (applyServerSideEncryptionByDefault); found none.",
      ),
    ]);
  });

  it("holds the declared log bucket to SSE-S3 (log delivery cannot write to SSE-KMS)", async () => {
    const g = patch(baseline(), T.sse, "access-logs", (i) => {
      i.rules = [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
          bucketKeyEnabled: true,
        },
      ];
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "access-logs",
        "S3 bucket 'access-logs' (spotify-pipeline:purpose=access-logs) must use SSE-S3 (sseAlgorithm AES256): S3 server access log delivery cannot write to SSE-KMS buckets; found sseAlgorithm aws:kms.",
      ),
    ]);
  });

  it("gives no exception to a bucket that does not declare the access-logs purpose", async () => {
    const g = patch(
      baseline(),
      T.bucket,
      "access-logs",
      (i) => (i.tags = { "spotify-pipeline:purpose": "staging" }),
    );
    const found = await only(policy, g);
    expect(found).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "access-logs",
        "S3 bucket 'access-logs' must use SSE-KMS (sseAlgorithm aws:kms); found sseAlgorithm AES256.",
      ),
    ]);
  });

  it("takes the SSE-S3 purposes from config", async () => {
    const g = kms((r) => (r.applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }));
    const found = await check(g, {
      config: { [policy]: { sseS3Purposes: ["access-logs", "staging"] } },
    });
    expect(found).to.deep.equal([]);
  });

  it("accepts a key ARN that is unknown during preview (it is an output, not the AWS managed alias)", async () => {
    const g = kms((r) => (r.applyServerSideEncryptionByDefault.kmsMasterKeyId = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("reports an unknown algorithm as advisory and still checks the other buckets", async () => {
    let g = kms((r) => (r.applyServerSideEncryptionByDefault.sseAlgorithm = UNKNOWN));
    g = without(g, T.sse, "athena-results");
    const found = await only(policy, g);
    expect(found).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "athena-results",
        "S3 bucket 'athena-results' must have default encryption SSE-KMS (an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms); found none.",
      ),
      cannotCheck(
        policy,
        T.stack,
        "prod",
        "string value at .rules.0.applyServerSideEncryptionByDefault.sseAlgorithm can't be known during preview",
      ),
    ]);
  });

  it("accepts the deprecated V2 resource type", async () => {
    const g = structuredClone(baseline());
    find(g, T.sse, "staging").type =
      "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2";
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: sns-topic-kms", () => {
  const policy = "sns-topic-kms";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports a topic without a key", async () => {
    const g = patch(baseline(), T.topic, "alerts", (i) => delete i.kmsMasterKeyId);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.topic,
        "alerts",
        "SNS topic 'alerts' must be encrypted with a customer managed KMS key (kmsMasterKeyId); found none.",
      ),
    ]);
  });

  it("reports the AWS managed alias/aws/sns key", async () => {
    const g = patch(baseline(), T.topic, "alerts", (i) => (i.kmsMasterKeyId = "alias/aws/sns"));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.topic,
        "alerts",
        "SNS topic 'alerts' must be encrypted with a customer managed KMS key (kmsMasterKeyId); found the AWS managed key alias/aws/sns.",
      ),
    ]);
  });

  it("accepts a key that is unknown during preview", async () => {
    const g = patch(baseline(), T.topic, "alerts", (i) => (i.kmsMasterKeyId = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: sqs-queue-kms", () => {
  const policy = "sqs-queue-kms";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports a queue with SSE-SQS only", async () => {
    const g = patch(baseline(), T.queue, "dlq", (i) => {
      delete i.kmsMasterKeyId;
      i.sqsManagedSseEnabled = true;
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.queue,
        "dlq",
        "SQS queue 'dlq' must be encrypted with a KMS key (kmsMasterKeyId); found SSE-SQS (sqsManagedSseEnabled).",
      ),
    ]);
  });

  it("reports a queue without encryption", async () => {
    const g = patch(baseline(), T.queue, "dlq", (i) => delete i.kmsMasterKeyId);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.queue,
        "dlq",
        "SQS queue 'dlq' must be encrypted with a KMS key (kmsMasterKeyId); found none.",
      ),
    ]);
  });

  it("accepts a key that is unknown during preview", async () => {
    const g = patch(baseline(), T.queue, "dlq", (i) => (i.kmsMasterKeyId = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: log-group-kms", () => {
  const policy = "log-group-kms";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports a log group without a key", async () => {
    const g = patch(baseline(), T.logGroup, "sfn-logs", (i) => delete i.kmsKeyId);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.logGroup,
        "sfn-logs",
        "CloudWatch log group 'sfn-logs' must be encrypted with a customer managed KMS key (kmsKeyId); found none.",
      ),
    ]);
  });

  it("accepts a key that is unknown during preview", async () => {
    const g = patch(baseline(), T.logGroup, "sfn-logs", (i) => (i.kmsKeyId = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: kms-key-rotation", () => {
  const policy = "kms-key-rotation";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports rotation off", async () => {
    const g = patch(baseline(), T.key, "pipeline-key", (i) => (i.enableKeyRotation = false));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.key,
        "pipeline-key",
        "KMS key 'pipeline-key' must rotate automatically (enableKeyRotation: true); found enableKeyRotation false.",
      ),
    ]);
  });

  it("reports rotation unset (the provider default is off)", async () => {
    const g = patch(baseline(), T.key, "pipeline-key", (i) => delete i.enableKeyRotation);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.key,
        "pipeline-key",
        "KMS key 'pipeline-key' must rotate automatically (enableKeyRotation: true); found enableKeyRotation none.",
      ),
    ]);
  });

  it("does not apply to asymmetric keys, which cannot rotate", async () => {
    const g = plus(
      baseline(),
      res(T.key, "signing", { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" }),
    );
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("reports an unknown rotation flag as advisory", async () => {
    const g = patch(baseline(), T.key, "pipeline-key", (i) => (i.enableKeyRotation = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(
        policy,
        T.key,
        "pipeline-key",
        "string value at .enableKeyRotation can't be known during preview",
      ),
    ]);
  });
});

describe("policy: glue-security-configuration-kms", () => {
  const policy = "glue-security-configuration-kms";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  const cases: [string, string, string, string][] = [
    ["s3Encryption", "s3EncryptionMode", "SSE-KMS", "S3 data"],
    ["cloudwatchEncryption", "cloudwatchEncryptionMode", "SSE-KMS", "CloudWatch logs"],
    ["jobBookmarksEncryption", "jobBookmarksEncryptionMode", "CSE-KMS", "job bookmarks"],
  ];
  for (const [block, field, mode, data] of cases) {
    const req = `must encrypt ${data} with ${mode} and a KMS key (${block}.${field}, ${block}.kmsKeyArn)`;
    it(`reports ${block} DISABLED`, async () => {
      const g = patch(baseline(), T.securityConfiguration, "glue-security", (i) => {
        i.encryptionConfiguration[block] = { [field]: "DISABLED" };
      });
      expect(await only(policy, g)).to.deep.equal([
        mandatory(
          policy,
          T.securityConfiguration,
          "glue-security",
          `Glue security configuration 'glue-security' ${req}; found ${field} DISABLED, kmsKeyArn none.`,
        ),
      ]);
    });
    it(`reports ${block} without a key`, async () => {
      const g = patch(baseline(), T.securityConfiguration, "glue-security", (i) => {
        delete i.encryptionConfiguration[block].kmsKeyArn;
      });
      expect(await only(policy, g)).to.deep.equal([
        mandatory(
          policy,
          T.securityConfiguration,
          "glue-security",
          `Glue security configuration 'glue-security' ${req}; found ${field} ${mode}, kmsKeyArn none.`,
        ),
      ]);
    });
  }

  it("reports an unknown mode as advisory after checking the other parts", async () => {
    const g = patch(baseline(), T.securityConfiguration, "glue-security", (i) => {
      i.encryptionConfiguration.s3Encryption.s3EncryptionMode = UNKNOWN;
      i.encryptionConfiguration.jobBookmarksEncryption = { jobBookmarksEncryptionMode: "DISABLED" };
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.securityConfiguration,
        "glue-security",
        "Glue security configuration 'glue-security' must encrypt job bookmarks with CSE-KMS and a KMS key (jobBookmarksEncryption.jobBookmarksEncryptionMode, jobBookmarksEncryption.kmsKeyArn); found jobBookmarksEncryptionMode DISABLED, kmsKeyArn none.",
      ),
      cannotCheck(
        policy,
        T.securityConfiguration,
        "glue-security",
        "string value at .encryptionConfiguration.s3Encryption.s3EncryptionMode can't be known during preview",
      ),
    ]);
  });
});

describe("policy: glue-security-configuration-required", () => {
  const policy = "glue-security-configuration-required";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports a job without a security configuration", async () => {
    const g = patch(baseline(), T.job, "etl", (i) => delete i.securityConfiguration);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.job,
        "etl",
        "Glue job 'etl' must run with a Glue security configuration (securityConfiguration); found none.",
      ),
    ]);
  });

  it("reports a crawler without a security configuration", async () => {
    const g = patch(baseline(), T.crawler, "gold", (i) => delete i.securityConfiguration);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.crawler,
        "gold",
        "Glue crawler 'gold' must run with a Glue security configuration (securityConfiguration); found none.",
      ),
    ]);
  });

  it("resolves a name unknown during preview through the engine's property dependencies", async () => {
    const g = patch(baseline(), T.job, "etl", (i) => (i.securityConfiguration = UNKNOWN));
    find(g, T.job, "etl").propertyDependencies = {
      securityConfiguration: [find(g, T.securityConfiguration, "glue-security").urn],
    };
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("cannot check a name unknown during preview that nothing resolves", async () => {
    const g = patch(baseline(), T.job, "etl", (i) => (i.securityConfiguration = UNKNOWN));
    const found = await only(policy, g);
    expect(found.map((v) => v.level)).to.deep.equal(["advisory"]);
    expect(found[0]!.message).to.include("can't be known during preview");
  });

  it("reports a security configuration name that is not in the stack", async () => {
    const g = patch(baseline(), T.job, "etl", (i) => (i.securityConfiguration = "someone-elses"));
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.job,
        "etl",
        "Glue job 'etl' must run with a Glue security configuration created by this stack (aws.glue.SecurityConfiguration); found securityConfiguration someone-elses, which names none of the stack's ('glue-security').",
      ),
    ]);
  });

  it("reports a job whose security configuration leaves bookmarks unencrypted", async () => {
    const g = patch(baseline(), T.securityConfiguration, "glue-security", (i) => {
      i.encryptionConfiguration.jobBookmarksEncryption = { jobBookmarksEncryptionMode: "DISABLED" };
    });
    expect((await only(policy, g)).map((v) => [v.name, v.message])).to.deep.equal([
      [
        "etl",
        "Glue job 'etl' must run with a security configuration that encrypts S3 data, CloudWatch logs and job bookmarks with KMS; found security configuration 'glue-security', which does not encrypt job bookmarks with CSE-KMS and a KMS key (jobBookmarksEncryption.jobBookmarksEncryptionMode, jobBookmarksEncryption.kmsKeyArn).",
      ],
      [
        "gold",
        "Glue crawler 'gold' must run with a security configuration that encrypts S3 data, CloudWatch logs and job bookmarks with KMS; found security configuration 'glue-security', which does not encrypt job bookmarks with CSE-KMS and a KMS key (jobBookmarksEncryption.jobBookmarksEncryptionMode, jobBookmarksEncryption.kmsKeyArn).",
      ],
    ]);
  });
});

describe("policy: athena-workgroup-encryption", () => {
  const policy = "athena-workgroup-encryption";
  const encReq =
    "must encrypt query results with KMS (resultConfiguration.encryptionConfiguration: encryptionOption SSE_KMS or CSE_KMS, kmsKeyArn)";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports a workgroup that does not enforce its configuration", async () => {
    const g = patch(
      baseline(),
      T.workgroup,
      "analytics",
      (i) => (i.configuration.enforceWorkgroupConfiguration = false),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.workgroup,
        "analytics",
        "Athena workgroup 'analytics' must enforce its configuration (enforceWorkgroupConfiguration: true); found false.",
      ),
    ]);
  });

  it("reports SSE_S3 results", async () => {
    const g = patch(baseline(), T.workgroup, "analytics", (i) => {
      i.configuration.resultConfiguration.encryptionConfiguration = { encryptionOption: "SSE_S3" };
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.workgroup,
        "analytics",
        `Athena workgroup 'analytics' ${encReq}; found encryptionOption SSE_S3, kmsKeyArn none.`,
      ),
    ]);
  });

  it("reports SSE_KMS without a key", async () => {
    const g = patch(baseline(), T.workgroup, "analytics", (i) => {
      delete i.configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn;
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.workgroup,
        "analytics",
        `Athena workgroup 'analytics' ${encReq}; found encryptionOption SSE_KMS, kmsKeyArn none.`,
      ),
    ]);
  });

  it("reports a workgroup without any configuration", async () => {
    const g = patch(baseline(), T.workgroup, "analytics", (i) => delete i.configuration);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.workgroup,
        "analytics",
        `Athena workgroup 'analytics' ${encReq}; found encryptionOption none, kmsKeyArn none.`,
      ),
      // Without an output location nothing proves the athena-results purpose any more.
      mandatory(
        "s3-bucket-versioning",
        T.bucket,
        "athena-results",
        "S3 bucket 'athena-results' must have versioning enabled (aws.s3.BucketVersioning status Enabled); found none.",
      ),
    ]);
  });

  it("accepts a key that is unknown during preview", async () => {
    const g = patch(baseline(), T.workgroup, "analytics", (i) => {
      i.configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn = UNKNOWN;
    });
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: glue-data-catalog-encryption", () => {
  const policy = "glue-data-catalog-encryption";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports metadata not encrypted at rest", async () => {
    const g = patch(baseline(), T.catalogEncryption, "catalog", (i) => {
      i.dataCatalogEncryptionSettings.encryptionAtRest = { catalogEncryptionMode: "DISABLED" };
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.catalogEncryption,
        "catalog",
        "Glue Data Catalog encryption settings 'catalog' must encrypt the catalog at rest with SSE-KMS and a key (encryptionAtRest.catalogEncryptionMode, sseAwsKmsKeyId); found catalogEncryptionMode DISABLED, sseAwsKmsKeyId none.",
      ),
    ]);
  });

  it("reports connection passwords returned in clear", async () => {
    const g = patch(baseline(), T.catalogEncryption, "catalog", (i) => {
      i.dataCatalogEncryptionSettings.connectionPasswordEncryption = {
        returnConnectionPasswordEncrypted: false,
      };
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.catalogEncryption,
        "catalog",
        "Glue Data Catalog encryption settings 'catalog' must encrypt connection passwords with a KMS key (connectionPasswordEncryption.returnConnectionPasswordEncrypted: true, awsKmsKeyId); found returnConnectionPasswordEncrypted false, awsKmsKeyId none.",
      ),
    ]);
  });

  it("does not apply when the stack configures no catalog encryption", async () => {
    const g = without(baseline(), T.catalogEncryption, "catalog");
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("reports an unknown mode as advisory", async () => {
    const g = patch(baseline(), T.catalogEncryption, "catalog", (i) => {
      i.dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode = UNKNOWN;
    });
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(
        policy,
        T.catalogEncryption,
        "catalog",
        "string value at .dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode can't be known during preview",
      ),
    ]);
  });
});
