import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { GLUE_WORKER_TYPES } from "../lib/config";
import {
  ASSETS_PREFIX,
  CATALOG_NAME,
  CRAWLER_EXCLUSIONS,
  CRAWLER_RECRAWL_POLICY,
  CRAWLER_SCHEMA_CHANGE_POLICY,
  GLUE_DIR,
  GLUE_VERSION,
  GOLD_TABLE,
  PROCESSED_PREFIXES,
  STAGING_INPUT_PREFIX,
  WAREHOUSE_PREFIXES,
  crawlerConfiguration,
  glueDefaultArguments,
  loadGlueAssets,
  securityConfigurationEncryption,
} from "../lib/etl";
import { glueCrawlerPolicy, glueJobPolicy, glueTrustPolicy } from "../lib/iam/etl";
import { GlueNetwork } from "./network";

/** Arguments of {@link GlueEtl}. */
export interface GlueEtlArgs {
  /** AWS account id (trust conditions, ARNs in the role policies). */
  accountId: pulumi.Input<string>;
  /** AWS region of the stack. */
  region: string;
  /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /** ARN of the pipeline key: security configuration, role KMS grants, catalog encryption. */
  keyArn: pulumi.Input<string>;
  /** Staging (bronze) bucket name: the job reads `incoming/<batch>/`. */
  stagingBucket: pulumi.Input<string>;
  /** Processed (silver) bucket name: the job writes `silver/`, `quarantine/`, `runs/`. */
  processedBucket: pulumi.Input<string>;
  /** Datawarehouse (gold) bucket name: the job writes `tracks/`, the crawler reads it. */
  datawarehouseBucket: pulumi.Input<string>;
  /** Assets bucket name: the script, SQL and contract go under `glue/<hash>/`. */
  assetsBucket: pulumi.Input<string>;
  /** Data Catalog database of the warehouse: lower-case letters, digits, underscores. */
  databaseName: string;
  /** Glue worker type. @default "G.1X" */
  workerType?: (typeof GLUE_WORKER_TYPES)[number];
  /** Workers (the maximum when auto scaling). @default 2 */
  numberOfWorkers?: number;
  /**
   * `FLEX` (spare capacity, cheaper, may start later; G.1X/G.2X only) or `STANDARD`.
   * @default "FLEX"
   * @see https://docs.aws.amazon.com/glue/latest/dg/flex-job.html
   */
  executionClass?: "FLEX" | "STANDARD";
  /** Job run timeout, minutes (1-2880). @default 60 */
  timeoutMinutes?: number;
  /**
   * Let Glue scale workers with the load (`--enable-auto-scaling`); STANDARD only.
   * @default true for STANDARD, false for FLEX
   */
  autoScaling?: boolean;
  /**
   * Run the job in private subnets of its own VPC, without internet access: S3 through a gateway
   * endpoint, Glue, Logs, KMS, STS and CloudWatch through interface endpoints.
   * @default false
   * @see https://docs.aws.amazon.com/glue/latest/dg/connection-VPC-job.html
   */
  networkIsolation?: boolean;
  /** CIDR of the isolated VPC. @default "10.42.0.0/16" */
  vpcCidr?: string;
  /** Availability zones of the isolated VPC (one subnet each). @default 2 */
  availabilityZoneCount?: number;
  /**
   * Encrypt the account's Data Catalog (metadata and connection passwords) with the key. There is
   * one such setting per account and region: turn it on in one stack only.
   * @default false
   * @see https://docs.aws.amazon.com/glue/latest/dg/encrypt-glue-data-catalog.html
   */
  dataCatalogEncryption?: boolean;
  /** Folder holding `job.py`, `contract.json` and `sql/*.sql`. @default the repository's `glue/` */
  assetsDir?: string;
}

const DEFAULTS = {
  workerType: "G.1X",
  numberOfWorkers: 2,
  executionClass: "FLEX",
  timeoutMinutes: 60,
  networkIsolation: false,
  vpcCidr: "10.42.0.0/16",
  availabilityZoneCount: 2,
  dataCatalogEncryption: false,
} as const;

const CIDR = /^(?:\d{1,3}\.){3}\d{1,3}\/(?:1[6-9]|2[0-4])$/;

/** {@link GlueEtlArgs} with every default applied. */
export interface GlueEtlSettings {
  workerType: string;
  numberOfWorkers: number;
  executionClass: "FLEX" | "STANDARD";
  timeoutMinutes: number;
  autoScaling: boolean;
  networkIsolation: boolean;
  vpcCidr: string;
  availabilityZoneCount: number;
  dataCatalogEncryption: boolean;
}

/** Applies the documented defaults of {@link GlueEtlArgs} (the one place they are resolved). */
export function resolveGlueEtlSettings(args: GlueEtlArgs): GlueEtlSettings {
  const executionClass = args.executionClass ?? DEFAULTS.executionClass;
  return {
    workerType: args.workerType ?? DEFAULTS.workerType,
    numberOfWorkers: args.numberOfWorkers ?? DEFAULTS.numberOfWorkers,
    executionClass,
    timeoutMinutes: args.timeoutMinutes ?? DEFAULTS.timeoutMinutes,
    autoScaling: args.autoScaling ?? executionClass === "STANDARD",
    networkIsolation: args.networkIsolation ?? DEFAULTS.networkIsolation,
    vpcCidr: args.vpcCidr ?? DEFAULTS.vpcCidr,
    availabilityZoneCount: args.availabilityZoneCount ?? DEFAULTS.availabilityZoneCount,
    dataCatalogEncryption: args.dataCatalogEncryption ?? DEFAULTS.dataCatalogEncryption,
  };
}

/**
 * Checks the plain-value args of {@link GlueEtl}; one message per problem (empty when valid), each
 * naming the arg, showing the bad value and saying what it must be.
 */
export function glueEtlProblems(args: GlueEtlArgs): string[] {
  const s = resolveGlueEtlSettings(args);
  const problems: string[] = [];
  if (!(GLUE_WORKER_TYPES as readonly string[]).includes(s.workerType)) {
    problems.push(
      `workerType: got ${JSON.stringify(s.workerType)}; expected one of ${GLUE_WORKER_TYPES.join(", ")}.`,
    );
  }
  if (!Number.isInteger(s.numberOfWorkers) || s.numberOfWorkers < 2 || s.numberOfWorkers > 299) {
    problems.push(
      `numberOfWorkers: got ${s.numberOfWorkers}; expected a whole number from 2 to 299.`,
    );
  }
  if (!["FLEX", "STANDARD"].includes(s.executionClass)) {
    problems.push(
      `executionClass: got ${JSON.stringify(s.executionClass)}; expected "FLEX" or "STANDARD".`,
    );
  } else if (s.executionClass === "FLEX" && !["G.1X", "G.2X"].includes(s.workerType)) {
    problems.push(
      `workerType: got ${JSON.stringify(s.workerType)} with executionClass FLEX; expected G.1X or G.2X (Flex runs only on those), or executionClass STANDARD.`,
    );
  }
  if (s.autoScaling && s.executionClass !== "STANDARD") {
    problems.push(
      `autoScaling: got true with executionClass ${s.executionClass}; expected false, or executionClass STANDARD.`,
    );
  }
  if (!Number.isInteger(s.timeoutMinutes) || s.timeoutMinutes < 1 || s.timeoutMinutes > 2880) {
    problems.push(
      `timeoutMinutes: got ${s.timeoutMinutes}; expected a whole number from 1 to 2880.`,
    );
  }
  if (!CATALOG_NAME.test(args.databaseName)) {
    problems.push(
      `databaseName: got ${JSON.stringify(args.databaseName)}; expected lower-case letters, digits and underscores (1-255), e.g. spotify_pipeline_dev.`,
    );
  }
  if (!CIDR.test(s.vpcCidr)) {
    problems.push(
      `vpcCidr: got ${JSON.stringify(s.vpcCidr)}; expected an IPv4 CIDR from /16 to /24, e.g. 10.42.0.0/16.`,
    );
  }
  if (
    !Number.isInteger(s.availabilityZoneCount) ||
    s.availabilityZoneCount < 1 ||
    s.availabilityZoneCount > 6
  ) {
    problems.push(
      `availabilityZoneCount: got ${s.availabilityZoneCount}; expected a whole number from 1 to 6.`,
    );
  }
  return problems;
}

/**
 * The Glue ETL of the pipeline: the job's files in the assets bucket under a content-hashed
 * prefix, a Glue 5.0 Spark job (one run at a time, no Glue retries, no bookmarks), a security
 * configuration encrypting S3 output, logs and bookmarks with the pipeline key, least-privilege
 * job and crawler roles, the warehouse's Data Catalog database and a crawler over the gold table;
 * optionally an isolated VPC (no NAT, VPC endpoints) with a Glue NETWORK connection, and the
 * account's Data Catalog encryption.
 *
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html
 */
export class GlueEtl extends pulumi.ComponentResource {
  /** The Glue job. */
  readonly job: aws.glue.Job;
  /** Name of the job (the state machine starts it). */
  readonly jobName: pulumi.Output<string>;
  /** ARN of the job. */
  readonly jobArn: pulumi.Output<string>;
  /** The crawler over the gold table. */
  readonly crawler: aws.glue.Crawler;
  /** Name of the crawler (the state machine starts it after the job). */
  readonly crawlerName: pulumi.Output<string>;
  /** ARN of the crawler. */
  readonly crawlerArn: pulumi.Output<string>;
  /** Name of the warehouse's Data Catalog database (Athena's database). */
  readonly databaseName: pulumi.Output<string>;
  /** ARN of the database. */
  readonly databaseArn: pulumi.Output<string>;
  /** The job's role. */
  readonly jobRoleArn: pulumi.Output<string>;
  /** The crawler's role. */
  readonly crawlerRoleArn: pulumi.Output<string>;
  /** Name of the security configuration the job and the crawler use. */
  readonly securityConfigurationName: pulumi.Output<string>;
  /** `s3://<assets>/glue/<hash>/job.py`. */
  readonly scriptLocation: pulumi.Output<string>;
  /** Content hash of the deployed job files (the `glue/<hash>/` prefix). */
  readonly assetsHash: string;
  /** The NETWORK connection of the job; undefined without network isolation. */
  readonly connectionName?: pulumi.Output<string>;
  /** The isolated VPC; undefined without network isolation. */
  readonly vpcId?: pulumi.Output<string>;

  constructor(name: string, args: GlueEtlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:etl:GlueEtl", name, {}, opts);

    const problems = glueEtlProblems(args);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`GlueEtl "${name}": ${problems.join(" ")}`, this);
    }
    const s = resolveGlueEtlSettings(args);
    const autoScaling = s.autoScaling;
    // Reads job.py, contract.json and sql/*.sql; throws naming any missing file.
    const assets = loadGlueAssets(args.assetsDir ?? GLUE_DIR);
    this.assetsHash = assets.hash;

    const { partition, region } = args;
    const keyArn = pulumi.output(args.keyArn);
    const child = { parent: this };

    // --- the job's files, all under glue/<hash>/ ---
    const objects = assets.all.map(
      (file) =>
        new aws.s3.BucketObjectv2(
          `${name}-${file.name}`,
          {
            bucket: args.assetsBucket,
            key: file.key,
            source: new pulumi.asset.FileAsset(file.localPath!),
            sourceHash: file.sha256,
            contentType: file.contentType,
          },
          child,
        ),
    );
    this.scriptLocation = pulumi.interpolate`s3://${args.assetsBucket}/${assets.script.key}`;

    // --- security configuration ---
    const securityConfiguration = new aws.glue.SecurityConfiguration(
      `${name}-security`,
      { encryptionConfiguration: keyArn.apply(securityConfigurationEncryption) },
      child,
    );
    this.securityConfigurationName = securityConfiguration.name;

    // --- catalog ---
    if (s.dataCatalogEncryption) {
      new aws.glue.DataCatalogEncryptionSettings(
        `${name}-catalog-encryption`,
        {
          dataCatalogEncryptionSettings: {
            encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: keyArn },
            connectionPasswordEncryption: {
              returnConnectionPasswordEncrypted: true,
              awsKmsKeyId: keyArn,
            },
          },
        },
        child,
      );
    }
    const database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      {
        name: args.databaseName,
        description: `spotify-pipeline ${name}: the gold tables Athena reads (crawled from the datawarehouse bucket).`,
      },
      child,
    );
    this.databaseName = database.name;
    this.databaseArn = database.arn;

    // --- network isolation ---
    let network: GlueNetwork | undefined;
    if (s.networkIsolation) {
      network = new GlueNetwork(
        name,
        {
          region: args.region,
          cidrBlock: s.vpcCidr,
          availabilityZoneCount: s.availabilityZoneCount,
        },
        { parent: this, childAliasParent: this },
      );
      this.vpcId = network.vpcId;
      this.connectionName = network.connection.name;
    }

    // --- roles ---
    const trust = pulumi.output(args.accountId).apply((id) => JSON.stringify(glueTrustPolicy(id)));
    const jobRole = new aws.iam.Role(
      `${name}-job-role`,
      { assumeRolePolicy: trust, description: `Glue job of ${name}` },
      child,
    );
    const jobPolicy = new aws.iam.RolePolicy(
      `${name}-job-role`,
      {
        role: jobRole.id,
        policy: pulumi
          .all([
            args.accountId,
            keyArn,
            args.stagingBucket,
            args.processedBucket,
            args.datawarehouseBucket,
            args.assetsBucket,
            network
              ? pulumi.all([
                  network.vpcId,
                  network.subnetIds,
                  network.securityGroupId,
                  network.connection.name,
                ])
              : undefined,
          ])
          .apply(([accountId, key, staging, processed, warehouse, assetsBucket, net]) =>
            JSON.stringify(
              glueJobPolicy({
                partition,
                region,
                accountId,
                keyArn: key,
                catalogEncrypted: s.dataCatalogEncryption,
                input: { bucket: staging, prefix: STAGING_INPUT_PREFIX },
                assets: { bucket: assetsBucket, prefix: ASSETS_PREFIX },
                outputs: [
                  { bucket: processed, prefixes: [...PROCESSED_PREFIXES] },
                  { bucket: warehouse, prefixes: [...WAREHOUSE_PREFIXES] },
                ],
                ...(net
                  ? {
                      network: {
                        vpcId: net[0],
                        subnetIds: net[1],
                        securityGroupIds: [net[2]],
                        connectionName: net[3],
                      },
                    }
                  : {}),
              }),
            ),
          ),
      },
      child,
    );
    this.jobRoleArn = jobRole.arn;
    // Endpoint policies mirror the job's role policy (lib/iam/network.ts).
    const endpointPolicies = network
      ? network.restrictEndpoints(jobPolicy.policy, args.accountId)
      : [];

    const crawlerRole = new aws.iam.Role(
      `${name}-crawler-role`,
      { assumeRolePolicy: trust, description: `Glue crawler of ${name}` },
      child,
    );
    const crawlerPolicy = new aws.iam.RolePolicy(
      `${name}-crawler-role`,
      {
        role: crawlerRole.id,
        policy: pulumi
          .all([args.accountId, keyArn, args.datawarehouseBucket, database.name])
          .apply(([accountId, key, warehouse, databaseName]) =>
            JSON.stringify(
              glueCrawlerPolicy({
                partition,
                region,
                accountId,
                keyArn: key,
                catalogEncrypted: s.dataCatalogEncryption,
                target: { bucket: warehouse, prefix: `${GOLD_TABLE}/` },
                databaseName,
              }),
            ),
          ),
      },
      child,
    );
    this.crawlerRoleArn = crawlerRole.arn;

    // --- job ---
    this.job = new aws.glue.Job(
      `${name}-job`,
      {
        description: `spotify-pipeline ${name}: CSV batch -> silver, quarantine, gold tracks (full refresh).`,
        roleArn: jobRole.arn,
        glueVersion: GLUE_VERSION,
        command: { name: "glueetl", pythonVersion: "3", scriptLocation: this.scriptLocation },
        workerType: s.workerType,
        numberOfWorkers: s.numberOfWorkers,
        executionClass: s.executionClass,
        timeout: s.timeoutMinutes,
        maxRetries: 0,
        executionProperty: { maxConcurrentRuns: 1 },
        securityConfiguration: securityConfiguration.name,
        ...(network ? { connections: [network.connection.name] } : {}),
        defaultArguments: pulumi
          .all([args.processedBucket, args.datawarehouseBucket, args.assetsBucket])
          .apply(([processedBucket, warehouseBucket, assetsBucket]) =>
            glueDefaultArguments({
              processedBucket,
              warehouseBucket,
              assetsBucket,
              assets,
              autoScaling,
            }),
          ),
      },
      {
        parent: this,
        dependsOn: [
          jobPolicy,
          ...objects,
          ...(network ? network.endpoints : []),
          ...endpointPolicies,
        ],
      },
    );
    this.jobName = this.job.name;
    this.jobArn = this.job.arn;

    // --- crawler ---
    this.crawler = new aws.glue.Crawler(
      `${name}-crawler`,
      {
        description: `spotify-pipeline ${name}: catalogs the gold ${GOLD_TABLE} table after each job run.`,
        role: crawlerRole.arn,
        databaseName: database.name,
        s3Targets: [
          {
            path: pulumi.interpolate`s3://${args.datawarehouseBucket}/${GOLD_TABLE}/`,
            exclusions: [...CRAWLER_EXCLUSIONS],
          },
        ],
        schemaChangePolicy: { ...CRAWLER_SCHEMA_CHANGE_POLICY },
        recrawlPolicy: { ...CRAWLER_RECRAWL_POLICY },
        securityConfiguration: securityConfiguration.name,
        configuration: crawlerConfiguration(),
      },
      { parent: this, dependsOn: [crawlerPolicy] },
    );
    this.crawlerName = this.crawler.name;
    this.crawlerArn = this.crawler.arn;

    this.registerOutputs({
      jobName: this.jobName,
      jobArn: this.jobArn,
      crawlerName: this.crawlerName,
      crawlerArn: this.crawlerArn,
      databaseName: this.databaseName,
      databaseArn: this.databaseArn,
      jobRoleArn: this.jobRoleArn,
      crawlerRoleArn: this.crawlerRoleArn,
      securityConfigurationName: this.securityConfigurationName,
      scriptLocation: this.scriptLocation,
      assetsHash: this.assetsHash,
      connectionName: this.connectionName,
      vpcId: this.vpcId,
    });
  }
}
