/**
 * IAM documents of the analytics layer: the role QuickSight assumes to query the gold table
 * through the stack's Athena workgroup. Pure: plain strings in, documents out.
 *
 * What Athena does on the caller's behalf decides the grants: it starts and reads queries in the
 * workgroup, reads the table definition from the Glue Data Catalog (catalog, database and table
 * ARNs are all checked), reads the table's objects from S3, writes the results to the results
 * prefix, and S3 calls KMS for the SSE-KMS objects on both sides.
 *
 * @see https://docs.aws.amazon.com/athena/latest/ug/workgroups-iam-policy.html
 * @see https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
 */
import { type PolicyDocument, type Statement, policyDocument, servicePrincipal } from "./document";

/** Athena's name for the account's Glue Data Catalog. */
export const ATHENA_GLUE_CATALOG = "AwsDataCatalog";

/** Athena actions a query client needs, all scoped to one workgroup. */
export const ATHENA_WORKGROUP_ACTIONS = [
  "athena:BatchGetQueryExecution",
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:GetQueryResultsStream",
  "athena:GetWorkGroup",
  "athena:ListQueryExecutions",
  "athena:StartQueryExecution",
  "athena:StopQueryExecution",
] as const;

/** Athena metadata actions (database and table listing), scoped to the Glue data catalog. */
export const ATHENA_CATALOG_ACTIONS = [
  "athena:GetDataCatalog",
  "athena:GetDatabase",
  "athena:GetTableMetadata",
  "athena:ListDatabases",
  "athena:ListTableMetadata",
] as const;

/** Glue Data Catalog reads Athena makes for a query over a (possibly partitioned) table. */
export const GLUE_CATALOG_READ_ACTIONS = [
  "glue:BatchGetPartition",
  "glue:GetDatabase",
  "glue:GetPartition",
  "glue:GetPartitions",
  "glue:GetTable",
  "glue:GetTables",
] as const;

/** S3 object actions Athena needs to write query results (multipart included). */
export const RESULTS_OBJECT_ACTIONS = [
  "s3:AbortMultipartUpload",
  "s3:GetObject",
  "s3:ListMultipartUploadParts",
  "s3:PutObject",
] as const;

/** Inputs of {@link quickSightAccessPolicy}. */
export interface QuickSightAccessArgs {
  partition: string;
  region: string;
  accountId: string;
  /** ARN of the Athena workgroup the data source queries through. */
  workgroupArn: string;
  /** Glue database holding the gold tables. */
  databaseName: string;
  /** ARN of the datawarehouse (gold) bucket. */
  warehouseBucketArn: string;
  /** Key prefix of the gold table in that bucket, ending in `/` (e.g. `tracks/`). */
  warehousePrefix: string;
  /** ARN of the Athena results bucket. */
  resultsBucketArn: string;
  /** Key prefix the workgroup writes results under, ending in `/` (e.g. `results/`). */
  resultsPrefix: string;
  /** ARN of the pipeline key (SSE-KMS of both buckets). */
  keyArn: string;
  /**
   * The Data Catalog's metadata is encrypted with the same key: also allow `kms:Decrypt` through
   * Glue. @default false
   */
  catalogEncryptedWithKey?: boolean;
}

function checkPrefix(field: string, prefix: string): void {
  if (!/^[^/*?]+\/$/.test(prefix)) {
    throw new Error(
      `${field} must be a key prefix without wildcards that ends in "/", e.g. "tracks/"; found ${JSON.stringify(prefix)}.`,
    );
  }
}

/**
 * Trust policy of the QuickSight role: only the QuickSight service, and only on behalf of this
 * account (`aws:SourceAccount`, the confused-deputy guard).
 */
export function quickSightTrustPolicy(accountId: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "QuickSightAssumesRole",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("quicksight") },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ]);
}

/**
 * The least-privilege permissions of the QuickSight role: queries in one workgroup, catalog reads
 * of one database, reads of the gold table's prefix, read/write of the results prefix, and the
 * pipeline key only through S3 (and Glue, when the catalog is encrypted with it).
 *
 * @throws Error when a prefix is not a plain `name/` prefix.
 */
export function quickSightAccessPolicy(args: QuickSightAccessArgs): PolicyDocument {
  checkPrefix("warehousePrefix", args.warehousePrefix);
  checkPrefix("resultsPrefix", args.resultsPrefix);
  const { partition, region, accountId, databaseName } = args;
  const glue = `arn:${partition}:glue:${region}:${accountId}`;
  const listUnder = (prefix: string) => ({
    StringLike: { "s3:prefix": [prefix.slice(0, -1), `${prefix}*`] },
  });
  const statements: Statement[] = [
    {
      Sid: "AthenaQueriesInWorkgroup",
      Effect: "Allow",
      Action: [...ATHENA_WORKGROUP_ACTIONS],
      Resource: args.workgroupArn,
    },
    {
      Sid: "AthenaCatalogMetadata",
      Effect: "Allow",
      Action: [...ATHENA_CATALOG_ACTIONS],
      Resource: `arn:${partition}:athena:${region}:${accountId}:datacatalog/${ATHENA_GLUE_CATALOG}`,
    },
    {
      Sid: "GlueCatalogRead",
      Effect: "Allow",
      Action: [...GLUE_CATALOG_READ_ACTIONS],
      Resource: [
        `${glue}:catalog`,
        `${glue}:database/${databaseName}`,
        `${glue}:table/${databaseName}/*`,
      ],
    },
    {
      Sid: "ReadGoldObjects",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${args.warehouseBucketArn}/${args.warehousePrefix}*`,
    },
    {
      Sid: "ListGoldPrefix",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: args.warehouseBucketArn,
      Condition: listUnder(args.warehousePrefix),
    },
    {
      Sid: "ReadWriteQueryResults",
      Effect: "Allow",
      Action: [...RESULTS_OBJECT_ACTIONS],
      Resource: `${args.resultsBucketArn}/${args.resultsPrefix}*`,
    },
    {
      Sid: "ListQueryResultsPrefix",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: args.resultsBucketArn,
      Condition: listUnder(args.resultsPrefix),
    },
    {
      Sid: "LocateBuckets",
      Effect: "Allow",
      Action: "s3:GetBucketLocation",
      Resource: [args.warehouseBucketArn, args.resultsBucketArn],
    },
    {
      Sid: "PipelineKeyThroughS3",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: args.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    },
  ];
  if (args.catalogEncryptedWithKey) {
    statements.push({
      Sid: "PipelineKeyThroughGlue",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: args.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `glue.${region}.amazonaws.com` } },
    });
  }
  return policyDocument(statements);
}
