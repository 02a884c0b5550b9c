/**
 * spotify-pipeline: composes the pipeline from validated stack config.
 * Every key is read and checked in lib/config.ts before any resource is declared.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Analytics } from "./components/analytics";
import { Dashboards } from "./components/dashboards";
import { GlueEtl } from "./components/etl";
import { SnapshotHistory } from "./components/history";
import { Monitoring } from "./components/monitoring";
import { Notifications } from "./components/notifications";
import { Orchestration } from "./components/orchestration";
import { MedallionStorage } from "./components/storage";
import { PROJECT, loadStackConfig, stackTags } from "./lib/config";
import { catalogDatabaseName } from "./lib/etl";
import { partitionOf } from "./lib/iam/document";

const config = loadStackConfig();
const prefix = `spotify-${config.stack}`;

/** Every resource goes through this provider: its default tags mark ownership and cost. */
const tags = stackTags(config);
const provider = new aws.Provider(`${prefix}-aws`, {
  region: config.region as aws.Region,
  defaultTags: { tags },
});
const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };

const identity = aws.getCallerIdentityOutput({}, { provider });
const partition = partitionOf(config.region);
/** Where every component builds its ARNs and policies: this account, region and partition. */
const account = { accountId: identity.accountId, region: config.region, partition };

const storage = new MedallionStorage(
  prefix,
  {
    ...account,
    protectData: config.protectData,
    forceDestroy: config.forceDestroy,
    rawDataTransitionDays: config.rawDataTransitionDays,
    rawDataArchiveDays: config.rawDataArchiveDays,
    noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
    athenaResultsExpirationDays: config.athenaResultsExpirationDays,
    accessLogExpirationDays: config.accessLogExpirationDays,
    keyDeletionWindowInDays: config.keyDeletionWindowInDays,
  },
  opts,
);

const etl = new GlueEtl(
  `${prefix}-etl`,
  {
    ...account,
    keyArn: storage.keyArn,
    stagingBucket: storage.buckets.staging.name,
    processedBucket: storage.buckets.processed.name,
    datawarehouseBucket: storage.buckets.datawarehouse.name,
    assetsBucket: storage.buckets.assets.name,
    databaseName: catalogDatabaseName(config.stack),
    workerType: config.glue.workerType,
    numberOfWorkers: config.glue.numberOfWorkers,
    executionClass: config.glue.executionClass,
    timeoutMinutes: config.glue.timeoutMinutes,
    networkIsolation: config.networkIsolation,
    vpcCidr: config.vpcCidr,
    dataCatalogEncryption: config.dataCatalogEncryption,
  },
  opts,
);
/** Glue job name (the state machine starts it). */
export const glueJobName = etl.jobName;
/** Glue crawler over the gold table. */
export const glueCrawlerName = etl.crawlerName;
/** Data Catalog database of the warehouse (Athena). */
export const glueDatabaseName = etl.databaseName;
// The snapshot history table (components/history.ts), read by Athena through partition projection.
const history = new SnapshotHistory(
  `${prefix}-history`,
  { databaseName: etl.databaseName, warehouseBucket: storage.buckets.datawarehouse.name },
  opts,
);
/** Glue table of the snapshot history (one partition per published snapshot date). */
export const historyTableName = history.tableName;

const pipelineName = `${PROJECT}-${config.stack}`;
// The topic policy names the state machine's role and the Glue failure rule, which both need the
// topic's ARN first: deferred outputs, resolved once they exist.
const [stateMachineRoleArn, resolveStateMachineRoleArn] = pulumi.deferredOutput<string>();
const [glueFailureRuleArn, resolveGlueFailureRuleArn] = pulumi.deferredOutput<string>();
const notifications = new Notifications(
  `${prefix}-notifications`,
  {
    ...account,
    keyArn: storage.keyArn,
    publisherRoleArns: [stateMachineRoleArn],
    eventRuleArns: [glueFailureRuleArn],
    alarmNamePrefix: `${prefix}-monitoring-`,
    emails: config.notificationEmails,
    displayName: pipelineName,
  },
  opts,
);
const orchestration = new Orchestration(
  `${prefix}-orchestration`,
  {
    ...account,
    keyArn: storage.keyArn,
    jobName: etl.jobName,
    jobArn: etl.jobArn,
    crawlerName: etl.crawlerName,
    crawlerArn: etl.crawlerArn,
    topicArn: notifications.topicArn,
    stagingBucketName: storage.buckets.staging.name,
    summaryBucketName: storage.buckets.processed.name,
    summaryBucketArn: storage.buckets.processed.arn,
    pipelineName,
    logRetentionDays: config.logRetentionDays,
    jobTimeoutMinutes: config.glue.timeoutMinutes,
    crawlerPollSeconds: config.crawlerPollSeconds,
    maxCrawlerPolls: config.maxCrawlerPolls,
    schedule: config.schedule,
    qualityGates: config.qualityGates,
  },
  opts,
);
const monitoring = new Monitoring(
  `${prefix}-monitoring`,
  {
    region: config.region,
    stateMachineArn: orchestration.stateMachineArn,
    logGroupName: orchestration.logGroupName,
    jobName: etl.jobName,
    topicArn: notifications.topicArn,
    pipelineName,
    dashboardName: pipelineName,
    qualityGates: config.qualityGates,
  },
  opts,
);
resolveStateMachineRoleArn(orchestration.roleArn);
resolveGlueFailureRuleArn(monitoring.glueFailureRuleArn);
/** The pipeline's state machine (`aws stepfunctions start-execution --state-machine-arn`). */
export const stateMachineArn = orchestration.stateMachineArn;
/** SNS topic of run notifications, alarms and Glue job failures. */
export const notificationTopicArn = notifications.topicArn;
/** CloudWatch dashboard of the pipeline: name and console URL. */
export const monitoringDashboardName = monitoring.dashboardName;
export const monitoringDashboardUrl = monitoring.dashboardUrl;

const analytics = new Analytics(
  `${prefix}-analytics`,
  {
    accountId: identity.accountId,
    databaseName: etl.databaseName,
    resultsBucketName: storage.buckets["athena-results"].name,
    keyArn: storage.keyArn,
    bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoff,
    forceDestroy: config.forceDestroy,
  },
  opts,
);
// QuickSight needs a paid account subscription: only when the stack opts in.
const dashboards = config.quicksight.enabled
  ? new Dashboards(
      `${prefix}-quicksight`,
      {
        ...account,
        workgroupName: analytics.workgroupName,
        workgroupArn: analytics.workgroupArn,
        databaseName: analytics.databaseName,
        warehouseBucketArn: storage.buckets.datawarehouse.arn,
        resultsBucketArn: storage.buckets["athena-results"].arn,
        keyArn: storage.keyArn,
        catalogEncryptedWithKey: config.dataCatalogEncryption,
        // Present whenever enabled: lib/config.ts refuses quicksight.enabled without it.
        principalArn: config.quicksight.principalArn ?? "",
        importMode: config.quicksight.importMode,
        refreshScheduleFrequency: config.quicksight.refreshScheduleFrequency,
        // Cloud Control resources (the dashboard) do not receive the provider's defaultTags.
        tags,
      },
      opts,
    )
  : undefined;
/** Athena workgroup for queries over the warehouse (`aws athena start-query-execution --work-group`). */
export const workgroupName = analytics.workgroupName;
/** Athena named query ids, by query file name. */
export const namedQueryIds = analytics.namedQueryIds;
/** QuickSight dashboard id and console URL (only with quicksight.enabled). */
export const dashboardId = dashboards?.dashboardId;
export const dashboardUrl = dashboards?.dashboardUrl;

export const environment = config.environment;
export const region = config.region;
export const keyArn = storage.keyArn;
export const bucketNames = storage.bucketNames;
export const bucketArns = storage.bucketArns;
