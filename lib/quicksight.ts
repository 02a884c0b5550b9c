/**
 * Pure facts of the QuickSight layer: the gold table's columns as QuickSight input columns, the
 * resource-permission action lists, the SPICE refresh schedule, and the dashboard definition.
 * `components/dashboards.ts` turns them into resources.
 *
 * The dashboard definition is written in the QuickSight API / CloudFormation shape (PascalCase),
 * typed here for exactly the subset it uses, and kept minimal: the provider's typed
 * `aws.quicksight.Dashboard` cannot take a `definition` at all (the field is left out of
 * `@pulumi/aws` because the type tree is too large), so the component sends it through Cloud
 * Control as an `AWS::QuickSight::Dashboard`.
 *
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DashboardVersionDefinition.html
 */

/** Column types of the gold table, as docs/contracts.md writes them (Spark). */
export type GoldColumnType = "STRING" | "INT" | "BIGINT" | "DOUBLE" | "BOOLEAN" | "DATE";

/** One column of the gold table. */
export interface GoldColumn {
  name: string;
  type: GoldColumnType;
}

/** The gold table `tracks`, column for column as docs/contracts.md fixes it. */
export const GOLD_TRACKS_COLUMNS: readonly GoldColumn[] = [
  { name: "track_id", type: "STRING" },
  { name: "track_name", type: "STRING" },
  { name: "track_number", type: "INT" },
  { name: "duration_ms", type: "INT" },
  { name: "duration_min", type: "DOUBLE" },
  { name: "explicit", type: "BOOLEAN" },
  { name: "track_popularity", type: "INT" },
  { name: "album_id", type: "STRING" },
  { name: "album_name", type: "STRING" },
  { name: "album_type", type: "STRING" },
  { name: "total_tracks", type: "INT" },
  { name: "release_date", type: "DATE" },
  { name: "release_year", type: "INT" },
  { name: "label", type: "STRING" },
  { name: "album_popularity", type: "INT" },
  { name: "artist_id", type: "STRING" },
  { name: "artist_name", type: "STRING" },
  { name: "artist_popularity", type: "INT" },
  { name: "followers", type: "BIGINT" },
  { name: "artist_genres", type: "STRING" },
];

/** Types a QuickSight relational table's input column can have. */
export type InputColumnType = "STRING" | "INTEGER" | "DECIMAL" | "DATETIME" | "BIT" | "BOOLEAN";

/**
 * How each gold type reaches QuickSight. Athena `boolean` arrives as `BIT` (QuickSight promotes
 * booleans to integers), `date` as `DATETIME`, `double` as `DECIMAL`, `int`/`bigint` as `INTEGER`.
 *
 * @see https://docs.aws.amazon.com/quicksight/latest/user/supported-data-types-and-values.html
 */
export const INPUT_COLUMN_TYPE: Readonly<Record<GoldColumnType, InputColumnType>> = {
  STRING: "STRING",
  INT: "INTEGER",
  BIGINT: "INTEGER",
  DOUBLE: "DECIMAL",
  BOOLEAN: "BIT",
  DATE: "DATETIME",
};

/** A relational table input column, in the provider's shape. */
export interface InputColumn {
  name: string;
  type: InputColumnType;
}

/** The typed input columns of a data set over a gold table (default: `tracks`). */
export function inputColumns(columns: readonly GoldColumn[] = GOLD_TRACKS_COLUMNS): InputColumn[] {
  return columns.map((c) => ({ name: c.name, type: INPUT_COLUMN_TYPE[c.type] }));
}

// ------------------------------------------------------------------------------------------------
// Permissions
// ------------------------------------------------------------------------------------------------

/** What a principal may do with a QuickSight resource. */
export type PrincipalAccess = "viewer" | "owner";

/** The QuickSight resources the stack shares. */
export type SharedResource = "dashboard" | "dataSet" | "dataSource";

/**
 * The documented action lists per resource and access level (the console's "Viewer" and
 * "Owner"/"Co-owner"). A viewer can open and query the dashboard and build their own analyses on
 * the data set (`PassDataSet`, `PassDataSource`) but cannot change or delete what the stack
 * manages; an owner can also update, delete and re-share.
 *
 * @see https://docs.aws.amazon.com/quicksight/latest/developerguide/update-dashboard-permissions.html
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_ResourcePermission.html
 */
export const PERMISSION_ACTIONS: Readonly<
  Record<SharedResource, Readonly<Record<PrincipalAccess, readonly string[]>>>
> = {
  dashboard: {
    viewer: [
      "quicksight:DescribeDashboard",
      "quicksight:ListDashboardVersions",
      "quicksight:QueryDashboard",
    ],
    owner: [
      "quicksight:DeleteDashboard",
      "quicksight:DescribeDashboard",
      "quicksight:DescribeDashboardPermissions",
      "quicksight:ListDashboardVersions",
      "quicksight:QueryDashboard",
      "quicksight:UpdateDashboard",
      "quicksight:UpdateDashboardPermissions",
      "quicksight:UpdateDashboardPublishedVersion",
    ],
  },
  dataSet: {
    viewer: [
      "quicksight:DescribeDataSet",
      "quicksight:DescribeDataSetPermissions",
      "quicksight:DescribeIngestion",
      "quicksight:ListIngestions",
      "quicksight:PassDataSet",
    ],
    owner: [
      "quicksight:CancelIngestion",
      "quicksight:CreateIngestion",
      "quicksight:DeleteDataSet",
      "quicksight:DescribeDataSet",
      "quicksight:DescribeDataSetPermissions",
      "quicksight:DescribeIngestion",
      "quicksight:ListIngestions",
      "quicksight:PassDataSet",
      "quicksight:UpdateDataSet",
      "quicksight:UpdateDataSetPermissions",
    ],
  },
  dataSource: {
    viewer: [
      "quicksight:DescribeDataSource",
      "quicksight:DescribeDataSourcePermissions",
      "quicksight:PassDataSource",
    ],
    owner: [
      "quicksight:DeleteDataSource",
      "quicksight:DescribeDataSource",
      "quicksight:DescribeDataSourcePermissions",
      "quicksight:PassDataSource",
      "quicksight:UpdateDataSource",
      "quicksight:UpdateDataSourcePermissions",
    ],
  },
};

/** One resource permission, in the provider's shape (`permissions[]`). */
export interface ResourcePermission {
  principal: string;
  actions: string[];
}

/** The permissions that share one resource with one principal. */
export function resourcePermissions(
  resource: SharedResource,
  principalArn: string,
  access: PrincipalAccess,
): ResourcePermission[] {
  return [{ principal: principalArn, actions: [...PERMISSION_ACTIONS[resource][access]] }];
}

/** The parts of a QuickSight user or group ARN. */
export interface QuickSightPrincipal {
  partition: string;
  /** The QuickSight identity region (where users and groups live), not necessarily the stack's. */
  identityRegion: string;
  accountId: string;
  kind: "user" | "group";
  namespace: string;
  name: string;
}

const PRINCIPAL_ARN =
  /^arn:(aws[a-z-]*):quicksight:([a-z0-9-]+):(\d{12}):(user|group)\/([^/]+)\/(.+)$/;

/**
 * Parses a QuickSight user or group ARN, e.g.
 * `arn:aws:quicksight:us-east-1:123456789012:group/default/analysts`.
 * @returns undefined when the value is not such an ARN.
 */
export function parsePrincipalArn(arn: string): QuickSightPrincipal | undefined {
  const m = PRINCIPAL_ARN.exec(arn);
  if (!m) return undefined;
  return {
    partition: m[1]!,
    identityRegion: m[2]!,
    accountId: m[3]!,
    kind: m[4] as "user" | "group",
    namespace: m[5]!,
    name: m[6]!,
  };
}

// ------------------------------------------------------------------------------------------------
// SPICE refresh
// ------------------------------------------------------------------------------------------------

/** SPICE refresh frequencies the stack config offers. */
export type RefreshFrequency = "HOURLY" | "DAILY" | "WEEKLY" | "MONTHLY";

/** A refresh schedule, in the shape of `aws.quicksight.RefreshSchedule` `schedule`. */
export interface RefreshScheduleSpec {
  refreshType: "FULL_REFRESH";
  scheduleFrequency: {
    interval: RefreshFrequency;
    timezone: string;
    timeOfTheDay?: string;
    refreshOnDay?: { dayOfWeek?: string; dayOfMonth?: string };
  };
}

/**
 * A full SPICE refresh at a fixed time: hourly refreshes take no time of day; weekly ones run on
 * Mondays and monthly ones on the 1st (a new month's batch is complete by then).
 *
 * @param timeOfTheDay `HH:MM`, in `timezone`.
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_RefreshFrequency.html
 */
export function refreshSchedule(
  interval: RefreshFrequency,
  timeOfTheDay: string,
  timezone = "UTC",
): RefreshScheduleSpec {
  const base = { interval, timezone };
  switch (interval) {
    case "HOURLY":
      return { refreshType: "FULL_REFRESH", scheduleFrequency: base };
    case "DAILY":
      return { refreshType: "FULL_REFRESH", scheduleFrequency: { ...base, timeOfTheDay } };
    case "WEEKLY":
      return {
        refreshType: "FULL_REFRESH",
        scheduleFrequency: { ...base, timeOfTheDay, refreshOnDay: { dayOfWeek: "MONDAY" } },
      };
    case "MONTHLY":
      return {
        refreshType: "FULL_REFRESH",
        scheduleFrequency: { ...base, timeOfTheDay, refreshOnDay: { dayOfMonth: "1" } },
      };
  }
}

// ------------------------------------------------------------------------------------------------
// Dashboard definition (QuickSight API shape, minimal typed subset)
// ------------------------------------------------------------------------------------------------

/** A column of a declared data set. */
export interface ColumnIdentifier {
  DataSetIdentifier: string;
  ColumnName: string;
}

/** A dimension (category) field. */
export type DimensionField =
  | { CategoricalDimensionField: { FieldId: string; Column: ColumnIdentifier } }
  | { NumericalDimensionField: { FieldId: string; Column: ColumnIdentifier } };

/** A measure (value) field. */
export type MeasureField =
  | {
      CategoricalMeasureField: {
        FieldId: string;
        Column: ColumnIdentifier;
        AggregationFunction: "COUNT" | "DISTINCT_COUNT";
      };
    }
  | {
      NumericalMeasureField: {
        FieldId: string;
        Column: ColumnIdentifier;
        AggregationFunction: { SimpleNumericalAggregation: "AVERAGE" | "SUM" | "MEDIAN" };
      };
    };

/** Sort by one field of the visual. */
export interface FieldSort {
  FieldSort: { FieldId: string; Direction: "ASC" | "DESC" };
}

/** A visual's title. */
export interface VisualTitle {
  Visibility: "VISIBLE";
  FormatText: { PlainText: string };
}

/** A bar chart. */
export interface BarChartVisual {
  BarChartVisual: {
    VisualId: string;
    Title: VisualTitle;
    ChartConfiguration: {
      FieldWells: {
        BarChartAggregatedFieldWells: { Category: DimensionField[]; Values: MeasureField[] };
      };
      SortConfiguration: {
        CategorySort: FieldSort[];
        CategoryItemsLimit: { ItemsLimit: number; OtherCategories: "EXCLUDE" | "INCLUDE" };
      };
      Orientation: "HORIZONTAL" | "VERTICAL";
    };
  };
}

/** A line chart. */
export interface LineChartVisual {
  LineChartVisual: {
    VisualId: string;
    Title: VisualTitle;
    ChartConfiguration: {
      FieldWells: {
        LineChartAggregatedFieldWells: { Category: DimensionField[]; Values: MeasureField[] };
      };
      SortConfiguration: { CategorySort: FieldSort[] };
      Type: "LINE";
    };
  };
}

/** A visual of the dashboard. */
export type Visual = BarChartVisual | LineChartVisual;

/** One element of a sheet's grid (36 columns wide). */
export interface GridLayoutElement {
  ElementId: string;
  ElementType: "VISUAL";
  ColumnIndex: number;
  ColumnSpan: number;
  RowIndex: number;
  RowSpan: number;
}

/** One sheet. */
export interface SheetDefinition {
  SheetId: string;
  Name: string;
  Title: string;
  Visuals: Visual[];
  Layouts: { Configuration: { GridLayout: { Elements: GridLayoutElement[] } } }[];
}

/** A dashboard definition (`Definition` of `AWS::QuickSight::Dashboard`). */
export interface DashboardDefinition {
  DataSetIdentifierDeclarations: { Identifier: string; DataSetArn: string }[];
  Sheets: SheetDefinition[];
}

/** The identifier the definition declares the tracks data set under. */
export const TRACKS_DATA_SET_IDENTIFIER = "tracks";

/** Bars shown in "Most popular artists". */
export const TOP_ARTISTS_LIMIT = 15;
/** Bars shown in "Track counts by album". */
export const TOP_ALBUMS_LIMIT = 20;

const column = (ColumnName: string): ColumnIdentifier => ({
  DataSetIdentifier: TRACKS_DATA_SET_IDENTIFIER,
  ColumnName,
});

const title = (PlainText: string): VisualTitle => ({
  Visibility: "VISIBLE",
  FormatText: { PlainText },
});

/** A horizontal bar chart of `COUNT(track_id)` per value of a text column, largest first. */
function countBars(
  visualId: string,
  heading: string,
  categoryColumn: string,
  limit: number,
): BarChartVisual {
  const countId = `${visualId}-track-count`;
  return {
    BarChartVisual: {
      VisualId: visualId,
      Title: title(heading),
      ChartConfiguration: {
        FieldWells: {
          BarChartAggregatedFieldWells: {
            Category: [
              {
                CategoricalDimensionField: {
                  FieldId: `${visualId}-${categoryColumn.replace(/_/g, "-")}`,
                  Column: column(categoryColumn),
                },
              },
            ],
            Values: [
              {
                CategoricalMeasureField: {
                  FieldId: countId,
                  Column: column("track_id"),
                  AggregationFunction: "COUNT",
                },
              },
            ],
          },
        },
        SortConfiguration: {
          CategorySort: [{ FieldSort: { FieldId: countId, Direction: "DESC" } }],
          CategoryItemsLimit: { ItemsLimit: limit, OtherCategories: "EXCLUDE" },
        },
        Orientation: "HORIZONTAL",
      },
    },
  };
}

/**
 * The dashboard: one sheet with the three visuals the product promises (most popular artists,
 * track counts by album, trends in track durations), laid out on the 36-column grid: the two
 * bar charts side by side, the duration trend below at full width.
 *
 * @param dataSetArn ARN of the QuickSight data set over the gold `tracks` table.
 */
export function dashboardDefinition(dataSetArn: string): DashboardDefinition {
  const yearId = "duration-trends-release-year";
  const visuals: Visual[] = [
    countBars(
      "most-popular-artists",
      "Most popular artists (tracks per artist)",
      "artist_name",
      TOP_ARTISTS_LIMIT,
    ),
    countBars("track-counts-by-album", "Track counts by album", "album_name", TOP_ALBUMS_LIMIT),
    {
      LineChartVisual: {
        VisualId: "duration-trends",
        Title: title("Trends in track durations (average minutes per release year)"),
        ChartConfiguration: {
          FieldWells: {
            LineChartAggregatedFieldWells: {
              Category: [
                { NumericalDimensionField: { FieldId: yearId, Column: column("release_year") } },
              ],
              Values: [
                {
                  NumericalMeasureField: {
                    FieldId: "duration-trends-avg-duration-min",
                    Column: column("duration_min"),
                    AggregationFunction: { SimpleNumericalAggregation: "AVERAGE" },
                  },
                },
              ],
            },
          },
          SortConfiguration: {
            CategorySort: [{ FieldSort: { FieldId: yearId, Direction: "ASC" } }],
          },
          Type: "LINE",
        },
      },
    },
  ];
  const place = (ElementId: string, ColumnIndex: number, ColumnSpan: number, RowIndex: number) =>
    ({ ElementId, ElementType: "VISUAL", ColumnIndex, ColumnSpan, RowIndex, RowSpan: 12 }) as const;
  return {
    DataSetIdentifierDeclarations: [
      { Identifier: TRACKS_DATA_SET_IDENTIFIER, DataSetArn: dataSetArn },
    ],
    Sheets: [
      {
        SheetId: "overview",
        Name: "Overview",
        Title: "Spotify tracks",
        Visuals: visuals,
        Layouts: [
          {
            Configuration: {
              GridLayout: {
                Elements: [
                  place("most-popular-artists", 0, 18, 0),
                  place("track-counts-by-album", 18, 18, 0),
                  place("duration-trends", 0, 36, 12),
                ],
              },
            },
          },
        ],
      },
    ],
  };
}

/** Every column a definition's visuals read, sorted (to check them against the data set). */
export function definitionColumns(definition: DashboardDefinition): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") {
      const obj = value as Record<string, unknown>;
      if (typeof obj.ColumnName === "string") names.add(obj.ColumnName);
      Object.values(obj).forEach(visit);
    }
  };
  visit(definition.Sheets);
  return [...names].sort();
}

/** The console URL of a dashboard (the dashboard's own region, i.e. the stack's). */
export function dashboardUrl(region: string, dashboardId: string): string {
  return `https://${region}.quicksight.aws.amazon.com/sn/dashboards/${dashboardId}`;
}
