/**
 * IAM documents of the Glue job and crawler roles: least privilege, no AWS managed policies.
 * Pure: plain strings in, documents out; `components/etl.ts` applies them to outputs.
 *
 * @see https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html
 */
import { type PolicyDocument, type Statement, policyDocument, servicePrincipal } from "./document";

/** The tag Glue puts on the network interfaces it creates for a job in a VPC. */
export const GLUE_ENI_TAG = "aws-glue-service-resource";

/** The CloudWatch namespace of Glue job metrics and observability metrics. */
export const GLUE_METRICS_NAMESPACE = "Glue";

/** Where Glue jobs and crawlers log (with CloudWatch encryption, names gain a suffix). */
export const GLUE_LOG_GROUP_PATTERN = "/aws-glue/*";

/** Where the roles live: partition, region, account. */
export interface GlueRoleScope {
  partition: string;
  region: string;
  accountId: string;
  /** ARN of the pipeline key (S3 SSE-KMS, log encryption, catalog encryption). */
  keyArn: string;
  /** The Data Catalog is encrypted with the key (`aws.glue.DataCatalogEncryptionSettings`). */
  catalogEncrypted?: boolean;
}

/** A bucket and the top-level prefixes a role may touch in it. */
export interface BucketPrefixes {
  /** Bucket name. */
  bucket: string;
  /**
   * Prefixes without a trailing slash, e.g. `silver`. Each grants `<prefix>*`: Spark's S3 writers
   * also touch `<prefix>` itself and the `<prefix>_$folder$` marker beside it, not only `<prefix>/...`.
   */
  prefixes: string[];
}

/** The job's network, when it runs in the isolated VPC. */
export interface GlueJobNetwork {
  vpcId: string;
  /** Subnets Glue may place the job's network interfaces in. */
  subnetIds: string[];
  /** Security groups of those interfaces. */
  securityGroupIds: string[];
  /** Name of the Glue NETWORK connection the job uses. */
  connectionName: string;
}

/** What {@link glueJobPolicy} needs. */
export interface GlueJobPolicyArgs extends GlueRoleScope {
  /** Read: the batches under the staging prefix (e.g. `incoming/`). */
  input: { bucket: string; prefix: string };
  /** Read: the job's script, SQL and contract (e.g. `glue/`). */
  assets: { bucket: string; prefix: string };
  /** Read, write, delete and list: the job's outputs (processed and datawarehouse prefixes). */
  outputs: BucketPrefixes[];
  /** Present when the job runs in the isolated VPC. */
  network?: GlueJobNetwork;
}

/** What {@link glueCrawlerPolicy} needs. */
export interface GlueCrawlerPolicyArgs extends GlueRoleScope {
  /** Read: the crawled prefix (the gold table), e.g. `{ bucket, prefix: "tracks/" }`. */
  target: { bucket: string; prefix: string };
  /** The catalog database the crawler writes tables into. */
  databaseName: string;
}

const bucketArn = (p: string, bucket: string): string => `arn:${p}:s3:::${bucket}`;

/** ARN of the account's Data Catalog in a region. */
export function catalogArn(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:glue:${region}:${accountId}:catalog`;
}

/** ARNs of the catalog, a database and its tables (Glue authorizes on all three levels). */
export function catalogArns(
  partition: string,
  region: string,
  accountId: string,
  databaseName: string,
): { catalog: string; database: string; tables: string } {
  const base = `arn:${partition}:glue:${region}:${accountId}`;
  return {
    catalog: catalogArn(partition, region, accountId),
    database: `${base}:database/${databaseName}`,
    tables: `${base}:table/${databaseName}/*`,
  };
}

/** Logs under `/aws-glue/*`: create groups and streams, write events, attach the key. */
function logsStatement(s: GlueRoleScope): Statement {
  const group = `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:${GLUE_LOG_GROUP_PATTERN}`;
  return {
    Sid: "WriteGlueLogs",
    Effect: "Allow",
    Action: [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ],
    Resource: [group, `${group}:log-stream:*`],
  };
}

function kmsStatement(
  s: GlueRoleScope,
  sid: string,
  actions: string[],
  services: string[],
): Statement {
  const via = services.map((svc) => `${svc}.${s.region}.amazonaws.com`);
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: s.keyArn,
    Condition: { StringEquals: { "kms:ViaService": via.length === 1 ? via[0]! : via } },
  };
}

/**
 * The trust policy of the Glue roles: only the Glue service, only on behalf of this account.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function glueTrustPolicy(accountId: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "GlueAssumesRole",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("glue") },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ]);
}

/**
 * The object keys an output prefix covers: everything under `<prefix>/`, plus the bare `<prefix>`
 * key and the `<prefix>_$folder$` marker Spark's S3 writer may create. Not `<prefix>*`, which would
 * also grant sibling prefixes (`silver_backup/`, `tracks_by_artist/`).
 */
export function outputObjectPatterns(prefix: string): string[] {
  return [`${prefix}/*`, prefix, `${prefix}_$folder$`];
}

/**
 * The job role's policy: read the input batch and the job's assets; read, write, delete and list
 * its output prefixes (overwrite deletes and lists); use the key through S3 only; write logs under
 * `/aws-glue/*` and metrics in the `Glue` namespace. In the isolated VPC, also manage the job's
 * network interfaces in the given subnets and security groups and read its connection. The job
 * writes S3 paths, not catalog tables, so it gets no other catalog action.
 */
export function glueJobPolicy(a: GlueJobPolicyArgs): PolicyDocument {
  const p = a.partition;
  const outputBuckets = a.outputs.map((o) => bucketArn(p, o.bucket));
  const statements: Statement[] = [
    {
      Sid: "ReadInputBatches",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucketArn(p, a.input.bucket)}/${a.input.prefix}*`,
    },
    {
      Sid: "ListInputBatches",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(p, a.input.bucket),
      Condition: { StringLike: { "s3:prefix": `${a.input.prefix}*` } },
    },
    {
      Sid: "ReadJobAssets",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucketArn(p, a.assets.bucket)}/${a.assets.prefix}*`,
    },
    {
      Sid: "ListJobAssets",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(p, a.assets.bucket),
      Condition: { StringLike: { "s3:prefix": `${a.assets.prefix}*` } },
    },
    {
      Sid: "OverwriteOutputs",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: a.outputs.flatMap((o) =>
        o.prefixes.flatMap((prefix) =>
          outputObjectPatterns(prefix).map((k) => `${bucketArn(p, o.bucket)}/${k}`),
        ),
      ),
    },
    ...a.outputs.map((o, i): Statement => ({
      Sid: `ListOutputs${i}`,
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(p, o.bucket),
      Condition: {
        StringLike: { "s3:prefix": o.prefixes.flatMap((prefix) => [prefix, `${prefix}/*`]) },
      },
    })),
    {
      Sid: "LocateBuckets",
      Effect: "Allow",
      Action: "s3:GetBucketLocation",
      Resource: [
        bucketArn(p, a.input.bucket),
        bucketArn(p, a.assets.bucket),
        ...outputBuckets.filter((b, i) => outputBuckets.indexOf(b) === i),
      ],
    },
    kmsStatement(a, "UseKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"], ["s3"]),
    logsStatement(a),
    {
      Sid: "PutGlueMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      // PutMetricData is authorized per namespace, not per resource.
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": GLUE_METRICS_NAMESPACE } },
    },
  ];
  if (a.network) statements.push(...networkStatements(a, a.network));
  return policyDocument(statements);
}

/** What Glue does with the job role to put the job into the VPC (its network interfaces). */
function networkStatements(s: GlueJobPolicyArgs, n: GlueJobNetwork): Statement[] {
  const ec2 = `arn:${s.partition}:ec2:${s.region}:${s.accountId}`;
  const vpcArn = `${ec2}:vpc/${n.vpcId}`;
  const catalog = catalogArn(s.partition, s.region, s.accountId);
  const statements: Statement[] = [
    {
      Sid: "DescribeNetwork",
      Effect: "Allow",
      Action: [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcs",
      ],
      // EC2 Describe* actions have no resource type: they cannot be scoped to ARNs.
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": s.region } },
    },
    {
      Sid: "DescribeJobVpc",
      Effect: "Allow",
      Action: "ec2:DescribeVpcAttribute",
      Resource: vpcArn,
    },
    {
      Sid: "CreateJobNetworkInterfaces",
      Effect: "Allow",
      Action: "ec2:CreateNetworkInterface",
      Resource: [
        `${ec2}:network-interface/*`,
        ...n.subnetIds.map((id) => `${ec2}:subnet/${id}`),
        ...n.securityGroupIds.map((id) => `${ec2}:security-group/${id}`),
      ],
    },
    {
      Sid: "DeleteJobNetworkInterfaces",
      Effect: "Allow",
      Action: "ec2:DeleteNetworkInterface",
      Resource: `${ec2}:network-interface/*`,
      Condition: { ArnEquals: { "ec2:Vpc": vpcArn } },
    },
    {
      Sid: "TagJobNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: `${ec2}:network-interface/*`,
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [GLUE_ENI_TAG] } },
    },
    {
      Sid: "ReadJobConnection",
      Effect: "Allow",
      Action: "glue:GetConnection",
      Resource: [
        catalog,
        `arn:${s.partition}:glue:${s.region}:${s.accountId}:connection/${n.connectionName}`,
      ],
    },
  ];
  if (s.catalogEncrypted) {
    statements.push(kmsStatement(s, "ReadEncryptedConnection", ["kms:Decrypt"], ["glue"]));
  }
  return statements;
}

/**
 * The crawler role's policy: read the gold prefix (and use the key through S3 to decrypt it);
 * read and write tables and partitions of its one database (catalog, database and table ARNs);
 * write logs under `/aws-glue/*`. With catalog encryption, use the key through Glue.
 */
export function glueCrawlerPolicy(a: GlueCrawlerPolicyArgs): PolicyDocument {
  const p = a.partition;
  const bucket = bucketArn(p, a.target.bucket);
  const { catalog, database, tables } = catalogArns(p, a.region, a.accountId, a.databaseName);
  const statements: Statement[] = [
    {
      Sid: "ReadCrawledObjects",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucket}/${a.target.prefix}*`,
    },
    {
      Sid: "ListCrawledPrefix",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": `${a.target.prefix}*` } },
    },
    {
      Sid: "LocateCrawledBucket",
      Effect: "Allow",
      Action: "s3:GetBucketLocation",
      Resource: bucket,
    },
    kmsStatement(a, "DecryptThroughS3", ["kms:Decrypt"], ["s3"]),
    {
      Sid: "UpdateCatalogTables",
      Effect: "Allow",
      Action: [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
        "glue:CreatePartition",
        "glue:BatchCreatePartition",
        "glue:UpdatePartition",
        "glue:BatchUpdatePartition",
      ],
      Resource: [catalog, database, tables],
    },
    logsStatement(a),
  ];
  if (a.catalogEncrypted) {
    statements.push(
      kmsStatement(a, "UseKeyThroughGlue", ["kms:Decrypt", "kms:GenerateDataKey"], ["glue"]),
    );
  }
  return policyDocument(statements);
}
