/**
 * Test program with planted violations: one resource per policy of the pack breaks exactly that
 * policy; everything else is compliant. `npm run policy:check -- --stack prod --program
 * test/programs/violations.ts` must exit 1 and report each planted resource once.
 * Plain @pulumi/aws resources, no stack config: it runs under the offline synthesis only. The
 * expected (policy, resource) pairs are listed in test/policy-check.test.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const PURPOSE = "spotify-pipeline:purpose";

type Doc = { Version: "2012-10-17"; Statement: Record<string, unknown>[] };
const doc = (...statements: Record<string, unknown>[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements } satisfies Doc);

const keyPolicy = doc({
  Sid: "EnableIamPolicies",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: "kms:*",
  Resource: "*",
});

// ------------------------------------------------------------------ compliant foundation
const key = new aws.kms.Key("key", { enableKeyRotation: true, policy: keyPolicy });

/** What a planted bucket leaves out or changes; everything else is compliant. */
interface BucketPlant {
  sse?: "AES256";
  blockPublicPolicy?: false;
  objectOwnership?: "ObjectWriter";
  noPolicy?: true;
  noVersioning?: true;
  noLifecycle?: true;
  noLogging?: true;
}

const logs = new aws.s3.Bucket("access-logs", { tags: { [PURPOSE]: "access-logs" } });

function lakeBucket(name: string, purpose: string, plant: BucketPlant = {}): aws.s3.Bucket {
  const isLog = purpose === "access-logs";
  const bucket =
    name === "access-logs" ? logs : new aws.s3.Bucket(name, { tags: { [PURPOSE]: purpose } });
  const child = { dependsOn: [bucket] };
  new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: plant.blockPublicPolicy ?? true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    child,
  );
  new aws.s3.BucketOwnershipControls(
    name,
    {
      bucket: bucket.id,
      rule: { objectOwnership: plant.objectOwnership ?? "BucketOwnerEnforced" },
    },
    child,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        isLog || plant.sse
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
          : {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: key.arn,
              },
              bucketKeyEnabled: true,
            },
      ],
    },
    child,
  );
  if (!plant.noPolicy) {
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: bucket.id,
        policy: bucket.arn.apply((arn) =>
          doc({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ),
      },
      child,
    );
  }
  if (!isLog && !plant.noVersioning) {
    new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
  }
  if (!plant.noLifecycle) {
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      child,
    );
  }
  if (!isLog && !plant.noLogging) {
    new aws.s3.BucketLogging(
      name,
      { bucket: bucket.id, targetBucket: logs.id, targetPrefix: `${name}/` },
      {
        dependsOn: [bucket, logs],
      },
    );
  }
  return bucket;
}

lakeBucket("access-logs", "access-logs");
lakeBucket("data", "staging");

const trust = (service: string, conditions = true) =>
  doc({
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    ...(conditions ? { Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } } : {}),
  });
const role = new aws.iam.Role("role", { assumeRolePolicy: trust("glue.amazonaws.com") });
const sfnRole = new aws.iam.Role("sfn-role", { assumeRolePolicy: trust("states.amazonaws.com") });
const topic = new aws.sns.Topic("alerts", { kmsMasterKeyId: key.arn });
const sfnLogs = new aws.cloudwatch.LogGroup("sfn-logs", {
  name: "/aws/vendedlogs/states/planted",
  kmsKeyId: key.arn,
  retentionInDays: 365,
});
const securityConfiguration = new aws.glue.SecurityConfiguration("glue-security", {
  encryptionConfiguration: {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: key.arn },
  },
});
const rolePolicy = (name: string, ...statements: Record<string, unknown>[]) =>
  new aws.iam.RolePolicy(name, { role: role.name, policy: doc(...statements) });

// ------------------------------------------------------------------ planted: encryption
lakeBucket("planted-sse", "staging", { sse: "AES256" }); // s3-bucket-sse-kms
new aws.sns.Topic("planted-topic", {}); // sns-topic-kms
new aws.sqs.Queue("planted-queue", { sqsManagedSseEnabled: true }); // sqs-queue-kms
new aws.cloudwatch.LogGroup("planted-log-group-kms", { retentionInDays: 365 }); // log-group-kms
new aws.kms.Key("planted-key-rotation", { enableKeyRotation: false, policy: keyPolicy }); // kms-key-rotation
new aws.glue.SecurityConfiguration("planted-security-configuration", {
  // glue-security-configuration-kms
  encryptionConfiguration: {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "DISABLED" },
  },
});
new aws.glue.Job("planted-job", {
  // glue-security-configuration-required
  roleArn: role.arn,
  glueVersion: "5.0",
  command: { name: "glueetl", scriptLocation: "s3://planted/job.py" },
});
new aws.glue.Crawler("crawler", {
  role: role.arn,
  databaseName: "planted",
  securityConfiguration: securityConfiguration.name,
});
new aws.athena.Workgroup("planted-workgroup", {
  // athena-workgroup-encryption
  configuration: {
    enforceWorkgroupConfiguration: true,
    resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_S3" } },
  },
});
new aws.glue.DataCatalogEncryptionSettings("planted-catalog", {
  // glue-data-catalog-encryption
  dataCatalogEncryptionSettings: {
    encryptionAtRest: { catalogEncryptionMode: "DISABLED" },
    connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: key.arn },
  },
});

// ------------------------------------------------------------------ planted: storage
lakeBucket("planted-pab", "staging", { blockPublicPolicy: false }); // s3-bucket-public-access-block
lakeBucket("planted-acl", "staging", { objectOwnership: "ObjectWriter" }); // s3-bucket-acls-disabled
lakeBucket("planted-tls", "staging", { noPolicy: true }); // s3-bucket-tls-only
lakeBucket("planted-versioning", "staging", { noVersioning: true }); // s3-bucket-versioning
lakeBucket("planted-lifecycle", "staging", { noLifecycle: true }); // s3-bucket-lifecycle
lakeBucket("planted-logging", "staging", { noLogging: true }); // s3-bucket-access-logging

// ------------------------------------------------------------------ planted: IAM
const jobArn = `arn:aws:glue:${REGION}:${ACCOUNT}:job/etl`;
rolePolicy("planted-actions-exist", {
  Effect: "Allow",
  Action: "glue:StartJobRunn",
  Resource: jobArn,
}); // iam-actions-exist
rolePolicy("planted-wildcard-actions", {
  Effect: "Allow",
  Action: "s3:*",
  Resource: "arn:aws:s3:::planted/report.csv",
}); // iam-no-wildcard-actions
rolePolicy("planted-resource-wildcard", {
  Effect: "Allow",
  Action: "glue:StartJobRun",
  Resource: "*",
}); // iam-resource-wildcard
new aws.iam.Policy("planted-passrole", {
  // iam-passrole-scoped
  policy: role.arn.apply((arn) => doc({ Effect: "Allow", Action: "iam:PassRole", Resource: arn })),
});
rolePolicy("planted-not-action", { Effect: "Allow", NotAction: "iam:*", Resource: jobArn }); // iam-no-not-elements
rolePolicy("planted-kms-decrypt", {
  // iam-no-kms-decrypt-all-keys
  Effect: "Allow",
  Action: "kms:Decrypt",
  Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
});
new aws.iam.Role("planted-trust-principal", {
  // iam-trust-policy-principals
  assumeRolePolicy: doc({
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ci` },
    Action: "sts:AssumeRole",
  }),
});
new aws.iam.Role("planted-confused-deputy", {
  assumeRolePolicy: trust("states.amazonaws.com", false),
}); // iam-trust-confused-deputy
new aws.iam.RolePolicyAttachment("planted-managed-policy", {
  // iam-no-broad-managed-policies
  role: role.name,
  policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
});
new aws.iam.User("planted-user", {}); // iam-no-users
new aws.kms.Key("planted-key-policy", {
  // kms-key-policy-no-public-principal
  enableKeyRotation: true,
  policy: doc({
    Sid: "Open",
    Effect: "Allow",
    Principal: "*",
    Action: "kms:Decrypt",
    Resource: "*",
  }),
});
new aws.sns.TopicPolicy("planted-topic-policy", {
  // iam-no-public-resource-policy
  arn: topic.arn,
  policy: topic.arn.apply((arn) =>
    doc({ Sid: "Open", Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: arn }),
  ),
});

new aws.kms.Grant("planted-foreign-grant", {
  // iam-foreign-access
  keyId: key.keyId,
  granteePrincipal: "arn:aws:iam::999999999999:root",
  operations: ["Decrypt"],
});
new aws.cloudcontrol.Resource("planted-cloudcontrol-bucket", {
  // cloudcontrol-resource-reviewed
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    VersioningConfiguration: { Status: "Enabled" },
    // Everything but the encryption, so that only cloudcontrol-resource-reviewed fires.
    BucketName: "planted-cloudcontrol-bucket",
    LifecycleConfiguration: {
      Rules: [
        {
          Id: "abort",
          Status: "Enabled",
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    },
    LoggingConfiguration: { DestinationBucketName: "planted-logs" },
  }),
});
new aws.s3.BucketPolicy("planted-cloudcontrol-bucket-tls", {
  bucket: "planted-cloudcontrol-bucket",
  policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [
          "arn:aws:s3:::planted-cloudcontrol-bucket",
          "arn:aws:s3:::planted-cloudcontrol-bucket/*",
        ],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  }),
});
new aws.ecr.RepositoryPolicy("planted-unjudged-type", {
  // policy-bearing-types-reviewed
  repository: "planted",
  policy: doc({
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: "ecr:BatchGetImage",
  }),
});

// ------------------------------------------------------------------ planted: operations
const machine = (
  name: string,
  logging: aws.types.input.sfn.StateMachineLoggingConfiguration,
  tracing: boolean,
  encrypted = true,
) =>
  new aws.sfn.StateMachine(name, {
    roleArn: sfnRole.arn,
    definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
    loggingConfiguration: logging,
    tracingConfiguration: { enabled: tracing },
    ...(encrypted
      ? { encryptionConfiguration: { type: "CUSTOMER_MANAGED_KMS_KEY", kmsKeyId: key.arn } }
      : {}),
  });
const logging = {
  level: "ERROR",
  includeExecutionData: false,
  logDestination: pulumi.interpolate`${sfnLogs.arn}:*`,
};
machine("planted-sfn-logging", { ...logging, level: "OFF" }, true); // sfn-logging
machine("planted-sfn-tracing", logging, false); // sfn-tracing
machine("planted-sfn-encryption", logging, true, false); // sfn-encryption
new aws.athena.Database("planted_athena_database", {
  // athena-database-encryption
  name: "planted_athena_database",
  bucket: "planted-results",
  encryptionConfiguration: { encryptionOption: "SSE_S3" },
});
new aws.cloudwatch.LogGroup("planted-log-retention", { kmsKeyId: key.arn }); // log-group-retention
new aws.cloudwatch.MetricAlarm("planted-alarm", {
  // alarm-actions
  comparisonOperator: "GreaterThanOrEqualToThreshold",
  evaluationPeriods: 1,
  metricName: "Errors",
  namespace: "AWS/States",
  period: 300,
  statistic: "Sum",
  threshold: 1,
});
