/**
 * The evasion corpus: policies a hurried engineer or an attacker writes to get too much through,
 * each its own resource named `evade-<family>-<what>`, and compliant controls real projects write,
 * each named `control-<what>`. test/policy-corpus.test.ts synthesizes this program (prod stack
 * config) and requires a mandatory violation on every `evade-*` resource and no violation at all
 * on any `control-*` resource. Plain @pulumi/aws resources; runs under the offline synthesis only.
 *
 * Families (issue #12): cond = conditions judged by key name; glob = wildcards not spelled `*`;
 * arn = wildcarded ARN segments; type = policy-bearing types; foreign = foreign accounts;
 * proof = presence instead of proof; claim = encryption not claimed before.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "123456789012";
const FOREIGN = "999999999999";
const REGION = "eu-west-1";
const PURPOSE = "spotify-pipeline:purpose";

type Stmt = Record<string, unknown>;
const doc = (...statements: Stmt[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

// ------------------------------------------------------------------ compliant foundation
const key = new aws.kms.Key("corpus-key", {
  enableKeyRotation: true,
  policy: doc({
    Sid: "EnableIamPolicies",
    Effect: "Allow",
    Principal: { AWS: ROOT },
    Action: "kms:*",
    Resource: "*",
  }),
});
const logs = new aws.s3.Bucket("corpus-access-logs", { tags: { [PURPOSE]: "access-logs" } });

interface BucketOptions {
  purpose?: string;
  /** Extra statements of the bucket policy, given the bucket ARN. */
  statements?: (arn: string) => Stmt[];
  /** The TLS deny's Resource, given the bucket ARN. */
  tlsResource?: (arn: string) => string[];
  /** Default encryption SSE-S3 (log buckets). */
  sseS3?: boolean;
  /** No server access logging (log buckets). */
  noLogging?: boolean;
  /** No versioning (buckets whose purpose is exempt from it, e.g. Athena results). */
  noVersioning?: boolean;
}

/** A bucket with every companion resource the storage and encryption rules ask for. */
function lakeBucket(name: string, o: BucketOptions = {}, existing?: aws.s3.Bucket): aws.s3.Bucket {
  const bucket =
    existing ?? new aws.s3.Bucket(name, { tags: { [PURPOSE]: o.purpose ?? "staging" } });
  const child = { dependsOn: [bucket] };
  new aws.s3.BucketPublicAccessBlock(
    name,
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
    name,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    child,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        o.sseS3
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
  new aws.s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: bucket.arn.apply((arn) =>
        doc(
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: o.tlsResource ? o.tlsResource(arn) : [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          ...(o.statements ? o.statements(arn) : []),
        ),
      ),
    },
    child,
  );
  if (!o.sseS3 && !o.noVersioning) {
    new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
  }
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
  if (!o.noLogging) {
    new aws.s3.BucketLogging(
      name,
      { bucket: bucket.id, targetBucket: logs.id, targetPrefix: `${name}/` },
      { dependsOn: [bucket, logs] },
    );
  }
  return bucket;
}

/** An Athena workgroup of the stack that writes its query results to `bucket`. */
function athenaWorkgroup(name: string, bucket: aws.s3.Bucket): aws.athena.Workgroup {
  return new aws.athena.Workgroup(name, {
    configuration: {
      enforceWorkgroupConfiguration: true,
      resultConfiguration: {
        outputLocation: pulumi.interpolate`s3://${bucket.bucket}/results/`,
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: key.arn },
      },
    },
  });
}

lakeBucket(
  "corpus-access-logs",
  {
    sseS3: true,
    noLogging: true,
    statements: (arn) => [
      {
        Sid: "AllowServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${arn}/*`,
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ],
  },
  logs,
);
const data = lakeBucket("corpus-data");

const trust = (service: string, condition: Record<string, unknown>) =>
  doc({
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    Condition: condition,
  });
const role = new aws.iam.Role("corpus-role", {
  assumeRolePolicy: trust("glue.amazonaws.com", {
    StringEquals: { "aws:SourceAccount": ACCOUNT },
  }),
});
const topic = new aws.sns.Topic("corpus-topic", { kmsMasterKeyId: key.arn });
const securityConfiguration = new aws.glue.SecurityConfiguration("corpus-security", {
  encryptionConfiguration: {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: key.arn },
  },
});
const weakSecurity = new aws.glue.SecurityConfiguration("evade-proof-weak-security", {
  encryptionConfiguration: {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: key.arn },
  },
});

/** A topic policy on the corpus topic with one Allow statement. */
const topicPolicy = (name: string, statement: Stmt) =>
  new aws.sns.TopicPolicy(name, {
    arn: topic.arn,
    policy: topic.arn.apply((arn) =>
      doc({ Effect: "Allow", Action: "sns:Publish", Resource: arn, ...statement }),
    ),
  });
/** A key policy (separate resource) with the root statement and one more. */
const keyPolicy = (name: string, statement: Stmt) =>
  new aws.kms.KeyPolicy(name, {
    keyId: key.id,
    policy: doc(
      { Sid: "Root", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
      { Sid: "Extra", Effect: "Allow", Resource: "*", ...statement },
    ),
  });
/** An inline role policy with one statement. */
const rolePolicy = (name: string, statement: Stmt) =>
  new aws.iam.RolePolicy(name, {
    role: role.name,
    policy: doc({ Effect: "Allow", ...statement }),
  });
/** A role with one trust statement. */
const trustRole = (name: string, statement: Stmt) =>
  new aws.iam.Role(name, {
    assumeRolePolicy: doc({ Effect: "Allow", Action: "sts:AssumeRole", ...statement }),
  });
const anyone = { Principal: "*" };

// ------------------------------------------------------------------ cond: conditions by key name
topicPolicy("evade-cond-ifexists", {
  ...anyone,
  Condition: { StringEqualsIfExists: { "aws:PrincipalAccount": ACCOUNT } },
});
topicPolicy("evade-cond-not-equals", {
  ...anyone,
  Condition: { StringNotEquals: { "aws:PrincipalAccount": ACCOUNT } },
});
topicPolicy("evade-cond-like-star", {
  ...anyone,
  Condition: { StringLike: { "aws:PrincipalAccount": "*" } },
});
keyPolicy("evade-cond-caller-account-star", {
  ...anyone,
  Action: "kms:Decrypt",
  Condition: { StringLike: { "kms:CallerAccount": "*" } },
});
keyPolicy("evade-cond-caller-account-glob", {
  ...anyone,
  Action: "kms:Decrypt",
  Condition: { StringLike: { "kms:CallerAccount": "12345678901?" } },
});
topicPolicy("evade-cond-source-arn-wild", {
  Principal: { Service: "events.amazonaws.com" },
  Condition: { ArnLike: { "aws:SourceArn": "arn:aws:events:*:*:rule/*" } },
});
topicPolicy("evade-cond-forallvalues", {
  ...anyone,
  Condition: { "ForAllValues:StringEquals": { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
});
topicPolicy("evade-cond-arn-not-like", {
  ...anyone,
  Condition: { ArnNotLike: { "aws:PrincipalArn": `arn:aws:iam::${FOREIGN}:*` } },
});
topicPolicy("evade-cond-null", {
  ...anyone,
  Condition: { Null: { "aws:PrincipalAccount": "false" } },
});
topicPolicy("evade-cond-secure-transport", {
  ...anyone,
  Condition: { Bool: { "aws:SecureTransport": "true" } },
});
topicPolicy("evade-cond-user-agent", {
  ...anyone,
  Condition: { StringEquals: { "aws:UserAgent": "pipeline" } },
});
topicPolicy("evade-cond-source-ip", {
  ...anyone,
  Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } },
});
topicPolicy("evade-cond-principal-arn-any-account", {
  ...anyone,
  Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/pipeline" } },
});
topicPolicy("evade-cond-org-like", {
  ...anyone,
  Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } },
});
topicPolicy("evade-cond-source-account-ifexists", {
  Principal: { Service: "cloudwatch.amazonaws.com" },
  Condition: { StringEqualsIfExists: { "aws:SourceAccount": ACCOUNT } },
});
keyPolicy("evade-cond-service-no-condition", {
  Principal: { Service: `logs.${REGION}.amazonaws.com` },
  Action: ["kms:Encrypt", "kms:Decrypt"],
});
keyPolicy("evade-cond-service-via-only", {
  Principal: { Service: "events.amazonaws.com" },
  Action: "kms:Decrypt",
  Condition: { StringEquals: { "kms:ViaService": `sns.${REGION}.amazonaws.com` } },
});
keyPolicy("evade-cond-context-any-account", {
  Principal: { Service: `logs.${REGION}.amazonaws.com` },
  Action: "kms:Decrypt",
  Condition: {
    ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:*:log-group:*` },
  },
});
lakeBucket("evade-cond-not-principal", {
  statements: (arn) => [
    {
      Effect: "Allow",
      NotPrincipal: { AWS: ROOT },
      Action: "s3:GetObject",
      Resource: `${arn}/*`,
    },
  ],
});
topicPolicy("evade-cond-any-account-root", { Principal: { AWS: "arn:aws:iam::*:root" } });
topicPolicy("evade-cond-principal-account-foreign", {
  ...anyone,
  Condition: { StringEquals: { "aws:PrincipalAccount": FOREIGN } },
});

// ------------------------------------------------------------------ glob: actions
const objects = data.arn.apply((arn) => `${arn}/incoming/*`);
const onObjects = (name: string, action: string | string[]) =>
  new aws.iam.RolePolicy(name, {
    role: role.name,
    policy: objects.apply((r) => doc({ Effect: "Allow", Action: action, Resource: r })),
  });
onObjects("evade-glob-double-star", "s3:**");
onObjects("evade-glob-question-star", "iam:?*");
onObjects("evade-glob-get-star", "s3:Get*");
onObjects("evade-glob-service-wild", "*:GetObject");
onObjects("evade-glob-infix", "s3:*Object");
onObjects("evade-glob-case", "S3:GET*");
onObjects("evade-glob-kms-all", "kms:*");
onObjects("evade-glob-question-marks", "s3:???Object");
trustRole("evade-glob-trust-action", {
  Principal: { Service: "glue.amazonaws.com" },
  Action: "sts:*",
  Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
});
lakeBucket("evade-glob-bucket-policy", {
  statements: (arn) => [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` },
      Action: "s3:Get*",
      Resource: `${arn}/*`,
    },
  ],
});

// ------------------------------------------------------------------ arn: resource segments
rolePolicy("evade-arn-any-bucket", { Action: "s3:GetObject", Resource: "arn:aws:s3:::*/*" });
rolePolicy("evade-arn-any-partition-key", {
  Action: "kms:Decrypt",
  Resource: "arn:*:kms:*:*:key/*",
});
rolePolicy("evade-arn-short", { Action: "kms:Decrypt", Resource: "arn:aws:kms:*" });
rolePolicy("evade-arn-any-service", { Action: "s3:GetObject", Resource: "arn:aws:*:*:*:*" });
rolePolicy("evade-arn-glue-all", { Action: "glue:GetTable", Resource: "arn:aws:glue:*:*:*" });
rolePolicy("evade-arn-bucket-prefix", {
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::spotify-*/*",
});
rolePolicy("evade-arn-any-account", {
  Action: "logs:PutLogEvents",
  Resource: `arn:aws:logs:${REGION}:*:log-group:x:*`,
});
rolePolicy("evade-arn-any-region", {
  Action: "sns:Publish",
  Resource: `arn:aws:sns:*:${ACCOUNT}:alerts`,
});
rolePolicy("evade-arn-any-machine", {
  Action: "states:StartExecution",
  Resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:*`,
});
rolePolicy("evade-arn-resource-star", { Action: "s3:GetObject", Resource: "*" });
rolePolicy("evade-arn-not-resource", {
  Action: "s3:GetObject",
  NotResource: `arn:aws:s3:::corpus-private/*`,
});
rolePolicy("evade-arn-any-key", {
  Action: "kms:Decrypt",
  Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
});
// A wildcard after a concrete first name component still reaches resources that are not this
// stack's: only prefixes that lie within one of the stack's resources are proven.
rolePolicy("evade-arn-log-group-prefix", {
  Action: "logs:PutLogEvents",
  Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/corpus/*:log-stream:*`,
});
rolePolicy("evade-arn-other-bucket-prefix", {
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::corpus-elsewhere/incoming/*",
});
rolePolicy("evade-arn-bucket-name-extends", {
  Action: "s3:GetObject",
  Resource: data.arn.apply((arn) => `${arn}*/incoming/*`),
});
rolePolicy("evade-arn-other-database-tables", {
  Action: "glue:GetTable",
  Resource: `arn:aws:glue:${REGION}:${ACCOUNT}:table/other_db/*`,
});
rolePolicy("evade-arn-other-machine-executions", {
  Action: "states:DescribeExecution",
  Resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:other-machine:*`,
});

// ------------------------------------------------------------------ type: policy-bearing types
new aws.iam.RolePolicyAttachmentsExclusive("evade-type-exclusive-admin", {
  roleName: role.name,
  policyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
});
new aws.iam.GroupPolicyAttachmentsExclusive("evade-type-group-exclusive-admin", {
  groupName: "corpus-group",
  policyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
});
new aws.iam.PolicyAttachment("evade-type-policy-attachment", {
  roles: [role.name],
  policyArn: "arn:aws:iam::aws:policy/IAMFullAccess",
});
new aws.kms.Grant("evade-type-grant-foreign", {
  keyId: key.keyId,
  granteePrincipal: `arn:aws:iam::${FOREIGN}:root`,
  operations: ["Decrypt", "GenerateDataKey"],
});
new aws.kms.Grant("evade-type-grant-retiring-foreign", {
  keyId: key.keyId,
  granteePrincipal: role.arn,
  retiringPrincipal: `arn:aws:iam::${FOREIGN}:root`,
  operations: ["Decrypt"],
});
new aws.glue.ResourcePolicy("evade-type-glue-resource-policy", {
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "glue:GetTable",
    Resource: `arn:aws:glue:${REGION}:${ACCOUNT}:*`,
  }),
});
new aws.cloudwatch.LogResourcePolicy("evade-type-logs-resource-policy", {
  policyName: "corpus",
  policyDocument: doc({
    Effect: "Allow",
    Principal: { Service: "delivery.logs.amazonaws.com" },
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/corpus/*`,
  }),
});
new aws.ec2.VpcEndpoint("evade-type-endpoint-anything", {
  vpcId: "vpc-0corpus",
  serviceName: `com.amazonaws.${REGION}.s3`,
  vpcEndpointType: "Gateway",
  policy: doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }),
});
new aws.ec2.VpcEndpointPolicy("evade-type-endpoint-policy-foreign", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::*/*",
  }),
});
// Resource "*" through an endpoint: only for actions that need no resource, pinned to the
// trusted accounts' principals.
new aws.ec2.VpcEndpointPolicy("evade-arn-endpoint-star-unpinned", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "cloudwatch:PutMetricData",
    Resource: "*",
  }),
});
new aws.ec2.VpcEndpointPolicy("evade-arn-endpoint-star-needs-resource", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalAccount": ACCOUNT } },
  }),
});
new aws.ec2.VpcEndpointPolicy("evade-arn-endpoint-star-foreign-pin", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "sts:GetCallerIdentity",
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalAccount": FOREIGN } },
  }),
});
new aws.ec2.VpcEndpointPolicy("evade-arn-endpoint-star-pin-ifexists", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "cloudwatch:PutMetricData",
    Resource: "*",
    Condition: { StringEqualsIfExists: { "aws:PrincipalAccount": ACCOUNT } },
  }),
});
const ccBucketSecure = {
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
  OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
  VersioningConfiguration: { Status: "Enabled" },
};
new aws.cloudcontrol.Resource("evade-type-cc-unencrypted-bucket", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify(ccBucketSecure),
});
/** A Cloud Control bucket with everything the native rules ask of the bucket itself. */
const ccBucketComplete = (bucketName: string) => ({
  ...ccBucketSecure,
  BucketName: bucketName,
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [
      {
        ServerSideEncryptionByDefault: {
          SSEAlgorithm: "aws:kms",
          KMSMasterKeyID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/corpus`,
        },
        BucketKeyEnabled: true,
      },
    ],
  },
  LifecycleConfiguration: {
    Rules: [
      {
        Id: "abort",
        Status: "Enabled",
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ],
  },
  LoggingConfiguration: { DestinationBucketName: "corpus-access-logs", LogFilePrefix: "cc/" },
});
/** A TLS-only deny on a bucket name. */
const tlsDeny = (bucketName: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ],
});
new aws.cloudcontrol.Resource("evade-type-cc-bucket-no-tls", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify(ccBucketComplete("corpus-cc-no-tls")),
});
new aws.cloudcontrol.Resource("evade-type-cc-bucket-tls-other-bucket", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify(ccBucketComplete("corpus-cc-tls-other")),
});
new aws.cloudcontrol.Resource("corpus-cc-tls-other-policy", {
  typeName: "AWS::S3::BucketPolicy",
  desiredState: JSON.stringify({
    Bucket: "corpus-cc-tls-other",
    PolicyDocument: tlsDeny("corpus-elsewhere"),
  }),
});
new aws.cloudcontrol.Resource("evade-type-cc-bucket-unnamed", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify({ ...ccBucketComplete("x"), BucketName: undefined }),
});
new aws.cloudcontrol.Resource("evade-type-cc-bucket-no-lifecycle", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify({
    ...ccBucketComplete("corpus-cc-no-lifecycle"),
    LifecycleConfiguration: undefined,
  }),
});
new aws.cloudcontrol.Resource("corpus-cc-no-lifecycle-policy", {
  typeName: "AWS::S3::BucketPolicy",
  desiredState: JSON.stringify({
    Bucket: "corpus-cc-no-lifecycle",
    PolicyDocument: tlsDeny("corpus-cc-no-lifecycle"),
  }),
});
new aws.cloudcontrol.Resource("evade-type-cc-bucket-no-logging", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify({
    ...ccBucketComplete("corpus-cc-no-logging"),
    LoggingConfiguration: undefined,
  }),
});
new aws.s3.BucketPolicy("corpus-cc-no-logging-policy", {
  bucket: "corpus-cc-no-logging",
  policy: JSON.stringify(tlsDeny("corpus-cc-no-logging")),
});
new aws.cloudcontrol.Resource("evade-type-cc-admin-role", {
  typeName: "AWS::IAM::Role",
  desiredState: JSON.stringify({
    AssumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "glue.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    },
    ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
  }),
});
new aws.cloudcontrol.Resource("evade-type-cc-foreign-trust", {
  typeName: "AWS::IAM::Role",
  desiredState: JSON.stringify({
    AssumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` },
          Action: "sts:AssumeRole",
        },
      ],
    },
  }),
});
new aws.cloudcontrol.Resource("evade-type-cc-inline-star", {
  typeName: "AWS::IAM::Role",
  desiredState: JSON.stringify({
    AssumeRolePolicyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "glue.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    },
    Policies: [
      {
        PolicyName: "all",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
        },
      },
    ],
  }),
});
new aws.cloudcontrol.Resource("evade-type-cc-unjudged", {
  typeName: "AWS::Lambda::Permission",
  desiredState: JSON.stringify({ Action: "lambda:InvokeFunction", Principal: "*" }),
});
new aws.cloudcontrol.Resource("evade-type-cc-unencrypted-topic", {
  typeName: "AWS::SNS::Topic",
  desiredState: JSON.stringify({ TopicName: "corpus-plain" }),
});
new aws.ecr.RepositoryPolicy("evade-type-ecr-policy", {
  repository: "corpus",
  policy: doc({ Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage" }),
});
new aws.lambda.Permission("evade-type-lambda-permission", {
  action: "lambda:InvokeFunction",
  function: "corpus-function",
  principal: "*",
});
new aws.secretsmanager.SecretPolicy("evade-type-secret-policy", {
  secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:corpus`,
  policy: doc({ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue" }),
});

// ------------------------------------------------------------------ foreign: other accounts
keyPolicy("evade-foreign-key-root", {
  Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` },
  Action: "kms:*",
});
lakeBucket("evade-foreign-bucket-read", {
  statements: (arn) => [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${FOREIGN}:role/reader` },
      Action: "s3:GetObject",
      Resource: `${arn}/*`,
    },
  ],
});
topicPolicy("evade-foreign-topic-account-id", { Principal: { AWS: FOREIGN } });
rolePolicy("evade-foreign-identity-resource", {
  Action: "sns:Publish",
  Resource: `arn:aws:sns:${REGION}:${FOREIGN}:exfiltrate`,
});
trustRole("evade-foreign-trust-role", {
  Principal: { AWS: `arn:aws:iam::${FOREIGN}:role/ci` },
});
trustRole("evade-foreign-trust-source-account", {
  Principal: { Service: "states.amazonaws.com" },
  Condition: { StringEquals: { "aws:SourceAccount": FOREIGN } },
});
new aws.sqs.QueuePolicy("evade-foreign-queue", {
  queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/corpus`,
  policy: doc({
    Effect: "Allow",
    Principal: { Service: "sns.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:corpus`,
    Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:sns:${REGION}:${FOREIGN}:feed` } },
  }),
});

// ------------------------------------------------------------------ proof: presence, not proof
const job = (name: string, security?: pulumi.Input<string>) =>
  new aws.glue.Job(name, {
    roleArn: role.arn,
    glueVersion: "5.0",
    command: { name: "glueetl", scriptLocation: "s3://corpus/job.py" },
    ...(security ? { securityConfiguration: security } : {}),
  });
job("evade-proof-job-foreign-security", "someone-elses-configuration");
new aws.glue.Crawler("evade-proof-crawler-weak-security", {
  role: role.arn,
  databaseName: "corpus",
  securityConfiguration: weakSecurity.name,
  s3Targets: [{ path: "s3://corpus/tracks/" }],
});
lakeBucket("evade-proof-self-declared-logs", { purpose: "access-logs", sseS3: true });
// An athena-results purpose without a workgroup writing there: judged as a data bucket, so the
// missing versioning is a violation.
lakeBucket("evade-proof-self-declared-athena-results", {
  purpose: "athena-results",
  noVersioning: true,
});
// A workgroup's results bucket that also receives other uploads is not proven either.
const sharedResults = lakeBucket("evade-proof-athena-results-shared", {
  purpose: "athena-results",
  noVersioning: true,
});
athenaWorkgroup("corpus-workgroup-shared", sharedResults);
new aws.s3.BucketObjectv2("corpus-shared-results-upload", {
  bucket: sharedResults.id,
  key: "incoming/extra.csv",
  content: "a,b\n",
});
new aws.s3.BucketObjectv2("evade-proof-object-aes256", {
  bucket: data.id,
  key: "incoming/override.csv",
  content: "a,b\n",
  serverSideEncryption: "AES256",
});
new aws.s3.BucketObjectv2("evade-proof-object-aws-key", {
  bucket: data.id,
  key: "incoming/aws-key.csv",
  content: "a,b\n",
  serverSideEncryption: "aws:kms",
  kmsKeyId: "alias/aws/s3",
});
lakeBucket("evade-proof-tls-one-prefix", {
  tlsResource: (arn) => [arn, `${arn}/incoming/*`],
});
lakeBucket("evade-proof-tls-other-bucket", {
  tlsResource: () => ["arn:aws:s3:::somewhere-else", "arn:aws:s3:::somewhere-else/*"],
});

// ------------------------------------------------------------------ claim: encryption gaps
new aws.athena.Database("evade_claim_athena_database", {
  name: "evade_claim_athena_database",
  bucket: data.bucket,
});
new aws.sfn.StateMachine("evade-claim-state-machine", {
  roleArn: role.arn,
  definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
  loggingConfiguration: { level: "OFF" },
  tracingConfiguration: { enabled: true },
});

// ------------------------------------------------------------------ controls
lakeBucket("control-cloudfront-oac", {
  statements: (arn) => [
    {
      Sid: "AllowCloudFrontServicePrincipalReadOnly",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${arn}/*`,
      Condition: {
        StringEquals: {
          "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/EDFDVBD6EXAMPLE`,
        },
      },
    },
  ],
});
lakeBucket("control-same-account-role-read", {
  statements: (arn) => [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/analyst` },
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [arn, `${arn}/*`],
    },
  ],
});
lakeBucket("control-principal-account-pin", {
  statements: (arn) => [
    {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `${arn}/*`,
      Condition: { StringEquals: { "aws:PrincipalAccount": ACCOUNT } },
    },
  ],
});
lakeBucket("control-data-perimeter-deny", {
  statements: (arn) => [
    {
      Sid: "DenyOutsideAccount",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { StringNotEqualsIfExists: { "aws:PrincipalAccount": ACCOUNT } },
    },
  ],
});
topicPolicy("control-eventbridge-to-topic", {
  Principal: { Service: "events.amazonaws.com" },
  Condition: {
    ArnEquals: { "aws:SourceArn": `arn:aws:events:${REGION}:${ACCOUNT}:rule/corpus-failed` },
  },
});
topicPolicy("control-alarms-to-topic", {
  Principal: { Service: "cloudwatch.amazonaws.com" },
  Condition: {
    StringEquals: { "aws:SourceAccount": ACCOUNT },
    ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:corpus-*` },
  },
});
keyPolicy("control-logs-encryption-context", {
  Principal: { Service: `logs.${REGION}.amazonaws.com` },
  Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
  Condition: {
    ArnLike: {
      "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-glue/*`,
    },
  },
});
new aws.sqs.QueuePolicy("control-topic-to-queue", {
  queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/corpus`,
  policy: topic.arn.apply((arn) =>
    doc({
      Effect: "Allow",
      Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:corpus`,
      Condition: { ArnEquals: { "aws:SourceArn": arn } },
    }),
  ),
});
new aws.ec2.VpcEndpoint("control-gateway-endpoint", {
  vpcId: "vpc-0corpus",
  serviceName: `com.amazonaws.${REGION}.s3`,
  vpcEndpointType: "Gateway",
  policy: data.arn.apply((arn) =>
    doc({
      Sid: "StackBucketsOnly",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [arn, `${arn}/*`],
    }),
  ),
});
new aws.ec2.VpcEndpoint("control-interface-endpoint-account-pin", {
  vpcId: "vpc-0corpus",
  serviceName: `com.amazonaws.${REGION}.kms`,
  vpcEndpointType: "Interface",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: "*",
    Condition: { StringEquals: { "aws:ResourceAccount": ACCOUNT } },
  }),
});
new aws.ec2.VpcEndpointPolicy("control-interface-endpoint-caller-scoped", {
  vpcEndpointId: "vpce-0corpus",
  policy: doc({
    Effect: "Allow",
    Principal: "*",
    Action: "cloudwatch:PutMetricData",
    Resource: "*",
    Condition: {
      StringEquals: { "aws:PrincipalAccount": ACCOUNT, "cloudwatch:namespace": "Glue" },
    },
  }),
});
const database = new aws.glue.CatalogDatabase("corpus-database", { name: "corpus_db" });
new aws.iam.RolePolicy("control-glue-own-tables", {
  role: role.name,
  policy: database.name.apply((db) =>
    doc({
      Effect: "Allow",
      Action: "glue:GetTable",
      Resource: [
        `arn:aws:glue:${REGION}:${ACCOUNT}:catalog`,
        `arn:aws:glue:${REGION}:${ACCOUNT}:database/${db}`,
        `arn:aws:glue:${REGION}:${ACCOUNT}:table/${db}/*`,
      ],
    }),
  ),
});
athenaWorkgroup(
  "control-athena-workgroup",
  lakeBucket("control-athena-results", { purpose: "athena-results", noVersioning: true }),
);
new aws.cloudcontrol.Resource("control-cc-bucket-cc-policy", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify(ccBucketComplete("corpus-cc-bucket")),
});
new aws.cloudcontrol.Resource("control-cc-bucket-policy", {
  typeName: "AWS::S3::BucketPolicy",
  desiredState: JSON.stringify({
    Bucket: "corpus-cc-bucket",
    PolicyDocument: tlsDeny("corpus-cc-bucket"),
  }),
});
new aws.cloudcontrol.Resource("control-cc-bucket-native-policy", {
  typeName: "AWS::S3::Bucket",
  desiredState: JSON.stringify(ccBucketComplete("corpus-cc-bucket-native")),
});
new aws.s3.BucketPolicy("control-cc-bucket-native-tls", {
  bucket: "corpus-cc-bucket-native",
  policy: JSON.stringify(tlsDeny("corpus-cc-bucket-native")),
});
job("control-job-own-security", securityConfiguration.name);
new aws.iam.Role("control-states-trust", {
  assumeRolePolicy: trust("states.amazonaws.com", {
    StringEquals: { "aws:SourceAccount": ACCOUNT },
    ArnLike: { "aws:SourceArn": `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:*` },
  }),
});
new aws.iam.RolePolicy("control-scoped-identity", {
  role: role.name,
  policy: pulumi.all([data.arn, key.arn]).apply(([arn, keyArn]) =>
    doc(
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${arn}/incoming/*` },
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: arn,
        Condition: { StringLike: { "s3:prefix": "incoming/*" } },
      },
      {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
      },
    ),
  ),
});
new aws.kms.Grant("control-grant-own-role", {
  keyId: key.keyId,
  granteePrincipal: role.arn,
  operations: ["Decrypt"],
  constraints: [{ encryptionContextEquals: { pipeline: "corpus" } }],
});
new aws.glue.ResourcePolicy("control-glue-resource-policy", {
  policy: doc({
    Effect: "Allow",
    Principal: { AWS: ROOT },
    Action: ["glue:GetDatabase", "glue:GetTable"],
    Resource: [
      `arn:aws:glue:${REGION}:${ACCOUNT}:catalog`,
      `arn:aws:glue:${REGION}:${ACCOUNT}:database/corpus`,
      `arn:aws:glue:${REGION}:${ACCOUNT}:table/corpus/*`,
    ],
  }),
});
new aws.cloudwatch.LogResourcePolicy("control-route53-query-logs", {
  policyName: "corpus-route53",
  policyDocument: doc({
    Effect: "Allow",
    Principal: { Service: "route53.amazonaws.com" },
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/route53/*`,
    Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
  }),
});
new aws.cloudcontrol.Resource("control-cc-encrypted-topic", {
  typeName: "AWS::SNS::Topic",
  desiredState: key.arn.apply((arn) => JSON.stringify({ KmsMasterKeyId: arn })),
});
new aws.s3.BucketObjectv2("control-object-default-encryption", {
  bucket: data.id,
  key: "incoming/plain.csv",
  content: "a,b\n",
});
new aws.athena.Database("control_athena_database", {
  name: "control_athena_database",
  bucket: data.bucket,
  encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKey: key.arn },
});
new aws.sfn.StateMachine("control-encrypted-state-machine", {
  roleArn: role.arn,
  definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
  loggingConfiguration: {
    level: "ERROR",
    includeExecutionData: false,
    logDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/corpus:*`,
  },
  tracingConfiguration: { enabled: true },
  encryptionConfiguration: { type: "CUSTOMER_MANAGED_KMS_KEY", kmsKeyId: key.arn },
});
