import { createHash } from "node:crypto";
import * as fs from "node:fs";

import { expect } from "chai";

import { Analytics } from "../components/analytics";
import { Dashboards } from "../components/dashboards";
import { quickSightAccessPolicy, quickSightTrustPolicy } from "../lib/iam/dashboards";
import { HISTORY_TABLE } from "../lib/history";
import { loadQueries } from "../lib/queries";
import { customSql, dashboardDefinition, inputColumns, refreshSchedule } from "../lib/dashboards";
import { VISUALS } from "../lib/visuals";
import { type Graph, MOCK_ACCOUNT, UNKNOWN } from "../tools/synth";
import { evaluatePolicies } from "../policy/evaluate";
import { byType, graphOf, json, one } from "./harness";

const T = {
  workgroup: "aws:athena/workgroup:Workgroup",
  namedQuery: "aws:athena/namedQuery:NamedQuery",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  dataSource: "aws:quicksight/dataSource:DataSource",
  dataSet: "aws:quicksight/dataSet:DataSet",
  refresh: "aws:quicksight/refreshSchedule:RefreshSchedule",
  cloudControl: "aws:cloudcontrol/resource:Resource",
  analytics: "spotify-pipeline:analytics:Analytics",
  dashboards: "spotify-pipeline:dashboards:Dashboards",
};

const PRINCIPAL = "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts";
const QUICKSIGHT_ON = { quicksight: { enabled: true, principalArn: PRINCIPAL } };

const graph = graphOf;
const shippedGraph = (stack: string): Promise<Graph> => graphOf(stack);

const EXPECTED = {
  dev: { cutoff: 1024 ** 3, forceDestroy: true },
  prod: { cutoff: 10 * 1024 ** 3, forceDestroy: false },
} as const;

/** The provider's default tags per stack (Pulumi.<stack>.yaml), repeated on the dashboard. */
const TAGS = {
  dev: {
    project: "spotify-pipeline",
    stack: "dev",
    environment: "dev",
    owner: "data-platform",
    "cost-center": "data-eng-dev",
  },
  prod: {
    project: "spotify-pipeline",
    stack: "prod",
    environment: "prod",
    owner: "data-platform",
    "cost-center": "data-eng-prod",
  },
} as const;

function outputs(g: Graph) {
  return g.outputs as {
    keyArn: string;
    bucketNames: Record<string, string>;
    bucketArns: Record<string, string>;
    workgroupName: string;
    glueDatabaseName: string;
    namedQueryIds: Record<string, string>;
    dashboardId?: string;
    dashboardUrl?: string;
  };
}

const quicksightTypes = [T.dataSource, T.dataSet, T.refresh, T.cloudControl, T.dashboards];

describe("Analytics and Dashboards wiring (whole program under mocks)", () => {
  for (const stack of ["dev", "prod"] as const) {
    describe(`stack ${stack}`, () => {
      it("creates one workgroup with exactly the enforced settings", async () => {
        const g = await shippedGraph(stack);
        const o = outputs(g);
        const wg = one(g, T.workgroup, `spotify-${stack}-analytics-workgroup`);
        expect(wg.inputs).to.deep.equal({
          name: `spotify-${stack}-analytics`,
          description: `spotify-pipeline spotify-${stack}-analytics: queries over the gold tables`,
          forceDestroy: EXPECTED[stack].forceDestroy,
          configuration: {
            enforceWorkgroupConfiguration: true,
            engineVersion: { selectedEngineVersion: "Athena engine version 3" },
            bytesScannedCutoffPerQuery: EXPECTED[stack].cutoff,
            publishCloudwatchMetricsEnabled: true,
            resultConfiguration: {
              outputLocation: `s3://${o.bucketNames["athena-results"]}/results/`,
              expectedBucketOwner: MOCK_ACCOUNT,
              encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: o.keyArn },
            },
          },
        });
        expect(o.keyArn).to.match(/^arn:aws:kms:eu-west-1:123456789012:key\//);
        expect(byType(g, T.workgroup)).to.have.length(1);
        expect(o.workgroupName).to.equal(`spotify-${stack}-analytics`);
      });

      it("deploys one named query per query file, byte for byte, in the workgroup and database", async () => {
        const g = await shippedGraph(stack);
        const o = outputs(g);
        const queries = loadQueries();
        // The database is the one GlueEtl creates (its crawler registers the gold table there).
        expect(
          byType(g, "aws:glue/catalogDatabase:CatalogDatabase").map((d) => d.inputs.name),
        ).to.deep.equal([o.glueDatabaseName]);
        const named = byType(g, T.namedQuery);
        expect(named.map((n) => n.name).sort()).to.deep.equal(
          queries.map((q) => `spotify-${stack}-analytics-${q.name}`).sort(),
        );
        const component = one(g, T.analytics, `spotify-${stack}-analytics`);
        for (const q of queries) {
          const n = one(g, T.namedQuery, `spotify-${stack}-analytics-${q.name}`);
          const file = fs.readFileSync(q.file);
          expect(typeof n.inputs.query).to.equal("string");
          expect(Buffer.from(n.inputs.query as string, "utf8").equals(file), q.name).to.equal(true);
          expect(n.inputs).to.deep.equal({
            name: q.title,
            description: q.answers,
            database: o.glueDatabaseName,
            workgroup: o.workgroupName,
            query: file.toString("utf8"),
          });
          expect(n.parent).to.equal(component.urn);
        }
        // The history query reads tracks_history, a table of that same database.
        expect(queries.filter((q) => q.reads === HISTORY_TABLE).map((q) => q.name)).to.deep.equal([
          "artist_popularity_by_snapshot",
        ]);
        const tables = byType(g, "aws:glue/catalogTable:CatalogTable");
        expect(tables.find((t) => t.inputs.name === HISTORY_TABLE)?.inputs.databaseName).to.equal(
          o.glueDatabaseName,
        );
        expect(Object.keys(o.namedQueryIds).sort()).to.deep.equal(queries.map((q) => q.name));
        for (const id of Object.values(o.namedQueryIds)) {
          expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
        }
      });

      it("creates no QuickSight resource while quicksight.enabled is false", async () => {
        const g = await shippedGraph(stack);
        for (const type of quicksightTypes) expect(byType(g, type), type).to.deep.equal([]);
        expect(byType(g, T.role).filter((r) => r.name.includes("quicksight"))).to.deep.equal([]);
        expect(outputs(g).dashboardId).to.equal(undefined);
        expect(outputs(g).dashboardUrl).to.equal(undefined);
      });

      describe("with QuickSight enabled", () => {
        let g: Graph;
        before(async () => {
          g = await graph(stack, { configOverrides: QUICKSIGHT_ON });
        });
        const name = `spotify-${stack}-quicksight`;

        it("adds exactly the role, its policy, data source, a data set and refresh schedule per visual, and the dashboard", () => {
          const qs = one(g, T.dashboards, name);
          const children = g.resources.filter((r) => r.parent === qs.urn);
          // Registration order follows when each child's inputs resolve: compare sorted.
          expect(children.map((r) => `${r.type} ${r.name}`).sort()).to.deep.equal(
            [
              `${T.role} ${name}-role`,
              `${T.rolePolicy} ${name}-role-policy`,
              `${T.dataSource} ${name}-athena`,
              ...VISUALS.map((v) => `${T.dataSet} ${name}-${v.id}`),
              ...VISUALS.map((v) => `${T.refresh} ${name}-${v.id}-refresh`),
              `${T.cloudControl} ${name}-dashboard`,
            ].sort(),
          );
        });

        it("gives QuickSight a role it alone assumes, with the least-privilege policy", () => {
          const o = outputs(g);
          const role = one(g, T.role, `${name}-role`);
          expect(json(role.inputs.assumeRolePolicy)).to.deep.equal(
            quickSightTrustPolicy(MOCK_ACCOUNT),
          );
          const policy = one(g, T.rolePolicy, `${name}-role-policy`);
          expect(policy.inputs.role).to.equal(autoName(`${name}-role`));
          expect(json(policy.inputs.policy)).to.deep.equal(
            quickSightAccessPolicy({
              partition: "aws",
              region: "eu-west-1",
              accountId: MOCK_ACCOUNT,
              workgroupArn: workgroupArn(stack),
              databaseName: o.glueDatabaseName,
              warehouseBucketArn: o.bucketArns.datawarehouse!,
              warehousePrefix: "tracks/",
              resultsBucketArn: o.bucketArns["athena-results"]!,
              resultsPrefix: "results/",
              keyArn: o.keyArn,
              catalogEncryptedWithKey: false,
            }),
          );
        });

        it("connects an ATHENA data source through the workgroup and the role, shared with the principal as viewer", () => {
          const o = outputs(g);
          const ds = one(g, T.dataSource, `${name}-athena`);
          expect(ds.inputs).to.deep.equal({
            awsAccountId: MOCK_ACCOUNT,
            dataSourceId: `${name}-athena`,
            name: `${name} Athena`,
            type: "ATHENA",
            parameters: {
              athena: {
                workGroup: o.workgroupName,
                roleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${autoName(`${name}-role`)}`,
              },
            },
            permissions: [
              {
                principal: PRINCIPAL,
                actions: [
                  "quicksight:DescribeDataSource",
                  "quicksight:DescribeDataSourcePermissions",
                  "quicksight:PassDataSource",
                ],
              },
            ],
          });
          const policy = one(g, T.rolePolicy, `${name}-role-policy`);
          expect(ds.dependsOn).to.include(policy.urn);
        });

        it("builds a SPICE data set per visual running its query file as custom SQL, shared as viewer", () => {
          const o = outputs(g);
          for (const visual of VISUALS) {
            const set = one(g, T.dataSet, `${name}-${visual.id}`);
            const query = loadQueries().find((q) => q.name === visual.query)!;
            expect(set.inputs, visual.id).to.deep.equal({
              awsAccountId: MOCK_ACCOUNT,
              dataSetId: `${name}-${visual.id}`,
              name: `${name} ${visual.title}`,
              importMode: "SPICE",
              physicalTableMaps: [
                {
                  physicalTableMapId: visual.id,
                  customSql: {
                    dataSourceArn: `arn:aws:quicksight:eu-west-1:${MOCK_ACCOUNT}:datasource/${name}-athena`,
                    name: visual.query,
                    sqlQuery: customSql(visual, query, o.glueDatabaseName),
                    columns: inputColumns(visual),
                  },
                },
              ],
              permissions: [
                {
                  principal: PRINCIPAL,
                  actions: [
                    "quicksight:DescribeDataSet",
                    "quicksight:DescribeDataSetPermissions",
                    "quicksight:DescribeIngestion",
                    "quicksight:ListIngestions",
                    "quicksight:PassDataSet",
                  ],
                },
              ],
            });
          }
        });

        it("refreshes each data set's SPICE copy daily at 06:00 UTC (the default frequency)", () => {
          for (const visual of VISUALS) {
            expect(one(g, T.refresh, `${name}-${visual.id}-refresh`).inputs).to.deep.equal({
              awsAccountId: MOCK_ACCOUNT,
              dataSetId: `${name}-${visual.id}`,
              scheduleId: `${visual.id}-daily`,
              schedule: {
                refreshType: "FULL_REFRESH",
                scheduleFrequency: { interval: "DAILY", timezone: "UTC", timeOfTheDay: "06:00" },
              },
            });
          }
        });

        it("defines the dashboard in code (Cloud Control), shared with the principal as viewer", () => {
          const d = one(g, T.cloudControl, `${name}-dashboard`);
          expect(d.inputs.typeName).to.equal("AWS::QuickSight::Dashboard");
          expect(Object.keys(d.inputs).sort()).to.deep.equal(["desiredState", "typeName"]);
          expect(json(d.inputs.desiredState)).to.deep.equal({
            AwsAccountId: MOCK_ACCOUNT,
            DashboardId: `${name}-dashboard`,
            Name: `Spotify tracks (${name})`,
            VersionDescription: "Defined in code by spotify-pipeline (components/dashboards.ts)",
            Definition: dashboardDefinition(
              Object.fromEntries(
                VISUALS.map((v) => [
                  v.id,
                  `arn:aws:quicksight:eu-west-1:${MOCK_ACCOUNT}:dataset/${name}-${v.id}`,
                ]),
              ),
            ),
            Permissions: [
              {
                Principal: PRINCIPAL,
                Actions: [
                  "quicksight:DescribeDashboard",
                  "quicksight:ListDashboardVersions",
                  "quicksight:QueryDashboard",
                ],
              },
            ],
            Tags: Object.entries(TAGS[stack]).map(([Key, Value]) => ({ Key, Value })),
          });
        });

        it("passes the policy pack: no violation on any analytics or QuickSight resource", async () => {
          const mine = new Set(
            g.resources
              .filter((r) => r.type === T.analytics || r.type === T.dashboards)
              .map((r) => r.urn),
          );
          const names = new Set(
            g.resources.filter((r) => r.parent && mine.has(r.parent)).map((r) => r.name),
          );
          // Analytics: the workgroup and a named query per file; Dashboards: role, policy, data
          // source, a data set and a refresh schedule per visual, the dashboard.
          expect(names.size).to.equal(loadQueries().length + 1 + 4 + 2 * VISUALS.length);
          const violations = await evaluatePolicies(g.resources, { stack });
          expect(violations.filter((v) => names.has(v.name))).to.deep.equal([]);
        });

        it("exports the dashboard id and console URL", () => {
          expect(outputs(g).dashboardId).to.equal(`${name}-dashboard`);
          expect(outputs(g).dashboardUrl).to.equal(
            `https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/${name}-dashboard`,
          );
        });
      });
    });
  }

  it("with DIRECT_QUERY, creates no refresh schedule and imports nothing into SPICE", async () => {
    const g = await graph("dev", {
      configOverrides: { quicksight: { ...QUICKSIGHT_ON.quicksight, importMode: "DIRECT_QUERY" } },
    });
    expect(byType(g, T.refresh)).to.deep.equal([]);
    for (const set of byType(g, T.dataSet)) {
      expect(set.inputs.importMode, set.name).to.equal("DIRECT_QUERY");
    }
    expect(byType(g, T.cloudControl)).to.have.length(1);
  });

  it("takes the refresh frequency and the bytes-scanned cutoff from config; catalog encryption adds the Glue KMS grant", async () => {
    const g = await graph("prod", {
      configOverrides: {
        quicksight: { ...QUICKSIGHT_ON.quicksight, refreshScheduleFrequency: "WEEKLY" },
        athenaBytesScannedCutoff: 10_485_760,
        dataCatalogEncryption: true,
      },
    });
    const refresh = one(g, T.refresh, "spotify-prod-quicksight-duration-trends-refresh");
    expect(refresh.inputs.scheduleId).to.equal("duration-trends-weekly");
    expect(refresh.inputs.schedule).to.deep.equal(refreshSchedule("WEEKLY", "06:00"));
    const wg = one(g, T.workgroup, "spotify-prod-analytics-workgroup");
    expect(
      (wg.inputs.configuration as Record<string, unknown>).bytesScannedCutoffPerQuery,
    ).to.equal(10_485_760);
    const doc = json<{ Statement: { Sid: string }[] }>(
      one(g, T.rolePolicy, "spotify-prod-quicksight-role-policy").inputs.policy,
    );
    expect(doc.Statement.map((s) => s.Sid).at(-1)).to.equal("PipelineKeyThroughGlue");
  });

  it("survives a preview with QuickSight on: every resource registers, computed inputs unknown", async () => {
    const g = await graph("prod", { preview: true, configOverrides: QUICKSIGHT_ON });
    expect(byType(g, T.namedQuery)).to.have.length(loadQueries().length);
    expect(byType(g, T.dataSource)).to.have.length(1);
    expect(byType(g, T.dataSet)).to.have.length(VISUALS.length);
    expect(byType(g, T.refresh)).to.have.length(VISUALS.length);
    expect(byType(g, T.cloudControl)).to.have.length(1);
    expect(
      one(g, T.cloudControl, "spotify-prod-quicksight-dashboard").inputs.desiredState,
    ).to.equal(UNKNOWN);
  });

  describe("argument validation (before any child exists)", () => {
    before(async () => {
      // Sets up the mock monitor the components register with.
      await shippedGraph("dev");
    });

    it("Analytics refuses a cutoff below 10 MiB, a bad workgroup name and no queries, in one error", () => {
      expect(
        () =>
          new Analytics("bad name", {
            accountId: MOCK_ACCOUNT,
            databaseName: "db",
            resultsBucketName: "b",
            keyArn: "k",
            bytesScannedCutoffPerQuery: 1000,
            queries: [],
          }),
      ).to.throw(
        'Analytics "bad name": name: got "bad name"; expected 1-128 letters, digits, ".", "_" or "-" (it becomes the workgroup name). ' +
          "bytesScannedCutoffPerQuery: got 1000; expected a whole number of bytes, at least 10485760 (10 MiB, Athena's minimum). " +
          "queries: got an empty list; expected at least one query (queries/*.sql).",
      );
    });

    it("Analytics refuses two queries with the same name", () => {
      const q = loadQueries()[0]!;
      expect(
        () =>
          new Analytics("dupes", {
            accountId: MOCK_ACCOUNT,
            databaseName: "db",
            resultsBucketName: "b",
            keyArn: "k",
            queries: [q, q],
          }),
      ).to.throw(
        `Analytics "dupes": queries: got the name "${q.name}" more than once; expected each query name once (one file per query).`,
      );
    });

    it("Dashboards refuses a bad principal, import mode, frequency and refresh time, in one error", () => {
      expect(
        () =>
          new Dashboards("qs", {
            accountId: MOCK_ACCOUNT,
            region: "eu-west-1",
            partition: "aws",
            workgroupName: "wg",
            workgroupArn: "arn",
            databaseName: "db",
            warehouseBucketArn: "arn:aws:s3:::wh",
            resultsBucketArn: "arn:aws:s3:::res",
            keyArn: "k",
            principalArn: "arn:aws:iam::123456789012:role/analysts",
            importMode: "EAGER" as "SPICE",
            refreshScheduleFrequency: "YEARLY" as "DAILY",
            refreshTimeOfDay: "6am",
          }),
      ).to.throw(
        'Dashboards "qs": principalArn must be a QuickSight user or group ARN such as arn:aws:quicksight:us-east-1:123456789012:group/default/analysts; found "arn:aws:iam::123456789012:role/analysts". Set quicksight.principalArn. ' +
          'importMode must be "SPICE" or "DIRECT_QUERY"; found "EAGER". ' +
          'refreshScheduleFrequency must be one of HOURLY, DAILY, WEEKLY, MONTHLY; found "YEARLY". ' +
          'refreshTimeOfDay must be HH:MM, e.g. "06:00"; found "6am".',
      );
    });
  });
});

/** The ARN the mocks give the stack's workgroup (named `spotify-<stack>-analytics`). */
function workgroupArn(stack: string): string {
  return `arn:aws:athena:eu-west-1:${MOCK_ACCOUNT}:workgroup/spotify-${stack}-analytics`;
}

/** The physical name the mocks auto-name a resource with (`<name>-<7 hex digits>`, tools/synth.ts). */
function autoName(name: string): string {
  return `${name}-${createHash("sha256").update(name).digest("hex").slice(0, 7)}`;
}
