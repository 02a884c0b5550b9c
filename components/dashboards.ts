import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { GOLD_TABLE } from "../lib/contract";
import {
  type PrincipalAccess,
  type RefreshFrequency,
  customSql,
  dashboardDefinition,
  dashboardUrl,
  dataSetId,
  inputColumns,
  parsePrincipalArn,
  refreshSchedule,
  resourcePermissions,
} from "../lib/dashboards";
import { quickSightAccessPolicy, quickSightTrustPolicy } from "../lib/iam/dashboards";
import { loadQueries } from "../lib/queries";
import { VISUALS } from "../lib/visuals";
import { RESULTS_PREFIX } from "./analytics";

/** Default time of the daily/weekly/monthly SPICE refresh (UTC): after the 03:00 pipeline run. */
export const DEFAULT_REFRESH_TIME = "06:00";

/** The type token this component had before it was named for its module (kept as an alias). */
const PREVIOUS_TYPE = "spotify-pipeline:analytics:Dashboards";

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
 * data source in the stack's workgroup, one data set per visual of `lib/visuals.ts` running its
 * query file as custom SQL with typed columns (SPICE with a refresh schedule, or direct query),
 * and a dashboard defined in code from the same specs, all shared with one QuickSight principal.
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
  /** One data set per dashboard visual (`lib/visuals.ts`), running its query file as custom SQL. */
  readonly dataSets: aws.quicksight.DataSet[];
  /** The SPICE refresh schedule of each data set; empty with DIRECT_QUERY. */
  readonly refreshSchedules: aws.quicksight.RefreshSchedule[];
  /** The dashboard (Cloud Control `AWS::QuickSight::Dashboard`). */
  readonly dashboard: aws.cloudcontrol.Resource;
  /** The dashboard id (stack output). */
  readonly dashboardId: string;
  /** The dashboard's console URL (stack output). */
  readonly dashboardUrl: string;

  constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "spotify-pipeline:dashboards:Dashboards",
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: PREVIOUS_TYPE }],
      },
    );

    const access = args.principalAccess ?? "viewer";
    const importMode = args.importMode ?? "SPICE";
    const frequency = args.refreshScheduleFrequency ?? "DAILY";
    const timeOfDay = args.refreshTimeOfDay ?? DEFAULT_REFRESH_TIME;

    const problems: string[] = [];
    if (!VISUALS.every((v) => QUICKSIGHT_ID.test(dataSetId(name, v)))) {
      problems.push(
        `name must be letters, digits, "_" or "-" (QuickSight ids derive from it); found ${JSON.stringify(name)}.`,
      );
    }
    if (!parsePrincipalArn(args.principalArn)) {
      problems.push(
        `principalArn must be a QuickSight user or group ARN such as arn:aws:quicksight:us-east-1:123456789012:group/default/analysts; found ${JSON.stringify(args.principalArn)}. Set quicksight.principalArn.`,
      );
    }
    if (!ACCESS.includes(access)) {
      problems.push(
        `principalAccess must be "viewer" or "owner"; found ${JSON.stringify(access)}.`,
      );
    }
    if (!(IMPORT_MODES as readonly string[]).includes(importMode)) {
      problems.push(
        `importMode must be "SPICE" or "DIRECT_QUERY"; found ${JSON.stringify(importMode)}.`,
      );
    }
    if (!FREQUENCIES.includes(frequency)) {
      problems.push(
        `refreshScheduleFrequency must be one of ${FREQUENCIES.join(", ")}; found ${JSON.stringify(frequency)}.`,
      );
    }
    if (!TIME_OF_DAY.test(timeOfDay)) {
      problems.push(
        `refreshTimeOfDay must be HH:MM, e.g. "06:00"; found ${JSON.stringify(timeOfDay)}.`,
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

    const queries = loadQueries();
    this.dataSets = VISUALS.map((visual) => {
      const query = queries.find((q) => q.name === visual.query);
      if (!query) {
        throw new pulumi.ResourceError(
          `Dashboards "${name}": visual ${visual.id} must chart a query file; found no queries/${visual.query}.sql.`,
          this,
        );
      }
      const id = dataSetId(name, visual);
      return new aws.quicksight.DataSet(
        id,
        {
          awsAccountId: args.accountId,
          dataSetId: id,
          name: `${name} ${visual.title}`,
          importMode,
          physicalTableMaps: [
            {
              physicalTableMapId: visual.id,
              customSql: {
                dataSourceArn: this.dataSource.arn,
                name: visual.query,
                sqlQuery: pulumi
                  .output(args.databaseName)
                  .apply((database) => customSql(visual, query, database)),
                columns: inputColumns(visual),
              },
            },
          ],
          permissions: resourcePermissions("dataSet", args.principalArn, access),
        },
        { parent: this },
      );
    });

    this.refreshSchedules =
      importMode === "SPICE"
        ? VISUALS.map(
            (visual, i) =>
              new aws.quicksight.RefreshSchedule(
                `${dataSetId(name, visual)}-refresh`,
                {
                  awsAccountId: args.accountId,
                  dataSetId: this.dataSets[i]!.dataSetId,
                  scheduleId: `${visual.id}-${frequency.toLowerCase()}`,
                  schedule: refreshSchedule(frequency, timeOfDay),
                },
                { parent: this },
              ),
          )
        : [];

    this.dashboardId = `${name}-dashboard`;
    this.dashboardUrl = dashboardUrl(args.region, this.dashboardId);
    const tags = Object.entries(args.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    this.dashboard = new aws.cloudcontrol.Resource(
      `${name}-dashboard`,
      {
        typeName: DASHBOARD_TYPE,
        desiredState: pulumi
          .all([args.accountId, pulumi.all(this.dataSets.map((d) => d.arn))])
          .apply(([accountId, dataSetArns]) =>
            JSON.stringify({
              AwsAccountId: accountId,
              DashboardId: this.dashboardId,
              Name: `Spotify tracks (${name})`,
              VersionDescription: "Defined in code by spotify-pipeline (components/dashboards.ts)",
              Definition: dashboardDefinition(
                Object.fromEntries(VISUALS.map((v, i) => [v.id, dataSetArns[i]!])),
              ),
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
      dataSetArns: this.dataSets.map((d) => d.arn),
      dashboardId: this.dashboardId,
      dashboardUrl: this.dashboardUrl,
    });
  }
}
