import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { quickSightAccessPolicy, quickSightTrustPolicy } from "../lib/iam/analytics";
import {
  GOLD_TRACKS_COLUMNS,
  type PrincipalAccess,
  type RefreshFrequency,
  dashboardDefinition,
  dashboardUrl,
  inputColumns,
  parsePrincipalArn,
  refreshSchedule,
  resourcePermissions,
} from "../lib/quicksight";
import { RESULTS_PREFIX } from "./analytics";

/** Default time of the daily/weekly/monthly SPICE refresh (UTC): after the 03:00 pipeline run. */
export const DEFAULT_REFRESH_TIME = "06:00";

/** The gold table the data set reads (columns: docs/contracts.md, `GOLD_TRACKS_COLUMNS`). */
export const GOLD_TABLE = "tracks";

/** The CloudFormation type the dashboard is created as (through Cloud Control). */
export const DASHBOARD_TYPE = "AWS::QuickSight::Dashboard";

const IMPORT_MODES = ["SPICE", "DIRECT_QUERY"] as const;
const FREQUENCIES: readonly RefreshFrequency[] = ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"];
const ACCESS: readonly PrincipalAccess[] = ["viewer", "owner"];
const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const QUICKSIGHT_ID = /^[\w-]{1,460}$/;

/** Arguments of {@link Dashboards}. */
export interface DashboardsArgs {
  /** AWS account id (QuickSight resources, trust condition). */
  accountId: pulumi.Input<string>;
  /** AWS region of the stack: the data source, data set and dashboard live here. */
  region: string;
  /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /** Athena workgroup the data source queries through. */
  workgroupName: pulumi.Input<string>;
  /** ARN of that workgroup (scopes the role's Athena actions). */
  workgroupArn: pulumi.Input<string>;
  /** Glue database holding the gold table. */
  databaseName: pulumi.Input<string>;
  /** ARN of the datawarehouse (gold) bucket; the table lives under `tracks/`. */
  warehouseBucketArn: pulumi.Input<string>;
  /** ARN of the athena-results bucket (the workgroup writes under `results/`). */
  resultsBucketArn: pulumi.Input<string>;
  /** ARN of the pipeline key. */
  keyArn: pulumi.Input<string>;
  /**
   * The Glue Data Catalog's metadata is encrypted with the pipeline key: the role may also decrypt
   * through Glue. @default false
   */
  catalogEncryptedWithKey?: boolean;
  /**
   * QuickSight user or group the dashboard, data set and data source are shared with, e.g.
   * `arn:aws:quicksight:us-east-1:123456789012:group/default/analysts`. Its region is the
   * QuickSight identity region, which may differ from the stack's.
   */
  principalArn: string;
  /**
   * What the principal may do. `viewer`: open and query the dashboard, build analyses on the data
   * set; nothing the stack manages can be changed outside code. `owner`: also update, delete and
   * re-share (changes made in the console are overwritten by the next deployment).
   * @default "viewer"
   */
  principalAccess?: PrincipalAccess;
  /**
   * `SPICE` (imported, refreshed on a schedule; needs SPICE capacity) or `DIRECT_QUERY` (every
   * render runs Athena queries, billed per byte scanned).
   * @default "SPICE"
   */
  importMode?: "SPICE" | "DIRECT_QUERY";
  /** SPICE refresh frequency (SPICE only). @default "DAILY" */
  refreshScheduleFrequency?: RefreshFrequency;
  /** Time of day (`HH:MM`, UTC) of non-hourly SPICE refreshes. @default "06:00" */
  refreshTimeOfDay?: string;
  /** Tags of the dashboard (Cloud Control resources do not get the provider's `defaultTags`). */
  tags?: Record<string, string>;
}

/**
 * QuickSight over the gold table: a least-privilege role QuickSight assumes for Athena, an ATHENA
 * data source in the stack's workgroup, a data set over `tracks` with typed columns (SPICE with a
 * refresh schedule, or direct query), and a dashboard defined in code with the three product
 * visuals, all shared with one QuickSight principal.
 *
 * The dashboard is an `AWS::QuickSight::Dashboard` created through Cloud Control
 * (`aws.cloudcontrol.Resource`): `@pulumi/aws` leaves `definition` out of
 * `aws.quicksight.Dashboard`. Cloud Control patches from the previous desired state, so the
 * service's normalised read-back of the definition causes no perpetual diff.
 *
 * QuickSight needs a paid account subscription: create this component only when the stack opts in.
 *
 * @see https://docs.aws.amazon.com/quicksight/latest/user/quicksight-connect-athena.html
 */
export class Dashboards extends pulumi.ComponentResource {
  /** The role QuickSight assumes to run Athena queries. */
  readonly role: aws.iam.Role;
  /** The ATHENA data source. */
  readonly dataSource: aws.quicksight.DataSource;
  /** The data set over the gold table. */
  readonly dataSet: aws.quicksight.DataSet;
  /** The SPICE refresh schedule; undefined with DIRECT_QUERY. */
  readonly refreshSchedule?: aws.quicksight.RefreshSchedule;
  /** The dashboard (Cloud Control `AWS::QuickSight::Dashboard`). */
  readonly dashboard: aws.cloudcontrol.Resource;
  /** The dashboard id (stack output). */
  readonly dashboardId: string;
  /** The dashboard's console URL (stack output). */
  readonly dashboardUrl: string;

  constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:analytics:Dashboards", name, {}, opts);

    const access = args.principalAccess ?? "viewer";
    const importMode = args.importMode ?? "SPICE";
    const frequency = args.refreshScheduleFrequency ?? "DAILY";
    const timeOfDay = args.refreshTimeOfDay ?? DEFAULT_REFRESH_TIME;

    const problems: string[] = [];
    if (!QUICKSIGHT_ID.test(`${name}-dashboard`)) {
      problems.push(
        `name: got ${JSON.stringify(name)}; expected letters, digits, "_" or "-" (QuickSight ids derive from it).`,
      );
    }
    if (!parsePrincipalArn(args.principalArn)) {
      problems.push(
        `principalArn: got ${JSON.stringify(args.principalArn)}; expected a QuickSight user or group ARN such as arn:aws:quicksight:us-east-1:123456789012:group/default/analysts (set quicksight.principalArn).`,
      );
    }
    if (!ACCESS.includes(access)) {
      problems.push(
        `principalAccess: got ${JSON.stringify(access)}; expected "viewer" or "owner".`,
      );
    }
    if (!(IMPORT_MODES as readonly string[]).includes(importMode)) {
      problems.push(
        `importMode: got ${JSON.stringify(importMode)}; expected "SPICE" or "DIRECT_QUERY".`,
      );
    }
    if (!FREQUENCIES.includes(frequency)) {
      problems.push(
        `refreshScheduleFrequency: got ${JSON.stringify(frequency)}; expected one of ${FREQUENCIES.join(", ")}.`,
      );
    }
    if (!TIME_OF_DAY.test(timeOfDay)) {
      problems.push(
        `refreshTimeOfDay: got ${JSON.stringify(timeOfDay)}; expected HH:MM, e.g. "06:00".`,
      );
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`Dashboards "${name}": ${problems.join(" ")}`, this);
    }

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `QuickSight runs Athena queries over the gold tables (${name})`,
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((accountId) => JSON.stringify(quickSightTrustPolicy(accountId))),
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([
            args.accountId,
            args.workgroupArn,
            args.databaseName,
            args.warehouseBucketArn,
            args.resultsBucketArn,
            args.keyArn,
          ])
          .apply(
            ([
              accountId,
              workgroupArn,
              databaseName,
              warehouseBucketArn,
              resultsBucketArn,
              keyArn,
            ]) =>
              JSON.stringify(
                quickSightAccessPolicy({
                  partition: args.partition,
                  region: args.region,
                  accountId,
                  workgroupArn,
                  databaseName,
                  warehouseBucketArn,
                  warehousePrefix: `${GOLD_TABLE}/`,
                  resultsBucketArn,
                  resultsPrefix: RESULTS_PREFIX,
                  keyArn,
                  catalogEncryptedWithKey: args.catalogEncryptedWithKey ?? false,
                }),
              ),
          ),
      },
      { parent: this },
    );

    this.dataSource = new aws.quicksight.DataSource(
      `${name}-athena`,
      {
        awsAccountId: args.accountId,
        dataSourceId: `${name}-athena`,
        name: `${name} Athena`,
        type: "ATHENA",
        parameters: { athena: { workGroup: args.workgroupName, roleArn: this.role.arn } },
        permissions: resourcePermissions("dataSource", args.principalArn, access),
      },
      // The role must hold its permissions before QuickSight validates the connection.
      { parent: this, dependsOn: [policy] },
    );

    this.dataSet = new aws.quicksight.DataSet(
      `${name}-${GOLD_TABLE}`,
      {
        awsAccountId: args.accountId,
        dataSetId: `${name}-${GOLD_TABLE}`,
        name: `${name} ${GOLD_TABLE}`,
        importMode,
        physicalTableMaps: [
          {
            physicalTableMapId: GOLD_TABLE,
            relationalTable: {
              dataSourceArn: this.dataSource.arn,
              catalog: "AwsDataCatalog",
              schema: args.databaseName,
              name: GOLD_TABLE,
              inputColumns: inputColumns(GOLD_TRACKS_COLUMNS),
            },
          },
        ],
        permissions: resourcePermissions("dataSet", args.principalArn, access),
      },
      { parent: this },
    );

    if (importMode === "SPICE") {
      this.refreshSchedule = new aws.quicksight.RefreshSchedule(
        `${name}-${GOLD_TABLE}-refresh`,
        {
          awsAccountId: args.accountId,
          dataSetId: this.dataSet.dataSetId,
          scheduleId: `${GOLD_TABLE}-${frequency.toLowerCase()}`,
          schedule: refreshSchedule(frequency, timeOfDay),
        },
        { parent: this },
      );
    }

    this.dashboardId = `${name}-dashboard`;
    this.dashboardUrl = dashboardUrl(args.region, this.dashboardId);
    const tags = Object.entries(args.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    this.dashboard = new aws.cloudcontrol.Resource(
      `${name}-dashboard`,
      {
        typeName: DASHBOARD_TYPE,
        desiredState: pulumi
          .all([args.accountId, this.dataSet.arn])
          .apply(([accountId, dataSetArn]) =>
            JSON.stringify({
              AwsAccountId: accountId,
              DashboardId: this.dashboardId,
              Name: `Spotify tracks (${name})`,
              VersionDescription: "Defined in code by spotify-pipeline (components/dashboards.ts)",
              Definition: dashboardDefinition(dataSetArn),
              Permissions: resourcePermissions("dashboard", args.principalArn, access).map((p) => ({
                Principal: p.principal,
                Actions: p.actions,
              })),
              ...(tags.length > 0 ? { Tags: tags } : {}),
            }),
          ),
      },
      { parent: this },
    );

    this.registerOutputs({
      roleArn: this.role.arn,
      dataSourceArn: this.dataSource.arn,
      dataSetArn: this.dataSet.arn,
      dashboardId: this.dashboardId,
      dashboardUrl: this.dashboardUrl,
    });
  }
}
