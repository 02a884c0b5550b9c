/**
 * spotify-pipeline: composes the pipeline from validated stack config.
 * Every key is read and checked in lib/config.ts before any resource is declared.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { MedallionStorage } from "./components/storage";
import { PROJECT, loadStackConfig } from "./lib/config";
import { partitionOf } from "./lib/iam/document";

const config = loadStackConfig();
const prefix = `spotify-${config.stack}`;

/** Every resource goes through this provider: its default tags mark ownership and cost. */
const provider = new aws.Provider(`${prefix}-aws`, {
  region: config.region as aws.Region,
  defaultTags: {
    tags: {
      project: PROJECT,
      stack: config.stack,
      environment: config.environment,
      owner: config.owner,
      ...(config.costCenter ? { "cost-center": config.costCenter } : {}),
    },
  },
});
const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };

const identity = aws.getCallerIdentityOutput({}, { provider });
const partition = partitionOf(config.region);

const storage = new MedallionStorage(
  prefix,
  {
    accountId: identity.accountId,
    region: config.region,
    partition,
    protectData: config.protectData,
    forceDestroy: config.forceDestroy,
    rawDataTransitionDays: config.rawDataTransitionDays,
    rawDataArchiveDays: config.rawDataArchiveDays,
    noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
    athenaResultsExpirationDays: config.athenaResultsExpirationDays,
    accessLogExpirationDays: Math.max(config.logRetentionDays, 90),
    keyDeletionWindowInDays: config.environment === "prod" ? 30 : 7,
  },
  opts,
);

// --- ETL (components/etl.ts: GlueEtl) goes here ---

// --- notifications, orchestration and monitoring (components/notifications.ts, orchestration.ts, monitoring.ts) go here ---

// --- analytics and dashboards (components/analytics.ts, dashboards.ts) go here ---

export const environment = config.environment;
export const region = config.region;
export const keyArn = storage.keyArn;
export const bucketNames = storage.bucketNames;
export const bucketArns = storage.bucketArns;
