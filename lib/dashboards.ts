/**
 * Pure facts of the QuickSight dashboards: one data set per dashboard visual running that visual's
 * query file (`queries/<query>.sql`) as custom SQL, with typed columns; the resource-permission
 * action lists; the SPICE refresh schedule; and the dashboard definition, built from the visual
 * specs in `lib/visuals.ts` (the local `dashboard.html` is built from the same specs).
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
import type { SparkType } from "./contract";
import type { Query } from "./queries";
import { VISUALS, type VisualMeasure, type VisualSpec, measuresOf } from "./visuals";

/** Types a QuickSight data set's input column can have. */
export type InputColumnType = "STRING" | "INTEGER" | "DECIMAL" | "DATETIME" | "BIT" | "BOOLEAN";

/**
 * How each column type reaches QuickSight. Athena `boolean` arrives as `BIT` (QuickSight promotes
 * booleans to integers), `date` as `DATETIME`, `double` as `DECIMAL`, `int`/`bigint` as `INTEGER`.
 *
 * @see https://docs.aws.amazon.com/quicksight/latest/user/supported-data-types-and-values.html
 */
export const INPUT_COLUMN_TYPE: Readonly<Record<SparkType, InputColumnType>> = {
  STRING: "STRING",
  INT: "INTEGER",
  BIGINT: "INTEGER",
  DOUBLE: "DECIMAL",
  BOOLEAN: "BIT",
  DATE: "DATETIME",
};

/** A data set input column, in the provider's shape. */
export interface InputColumn {
  name: string;
  type: InputColumnType;
}

/** The typed columns of a visual's data set: its query's result columns. */
export function inputColumns(visual: VisualSpec): InputColumn[] {
  return visual.columns.map((c) => ({ name: c.name, type: INPUT_COLUMN_TYPE[c.type] }));
}

/** The unqualified table the query files read (queries/README.md). */
const TABLE_REFERENCE = /\bFROM tracks\b/g;

/**
 * A visual's custom SQL: its query file byte for byte, except that the one `FROM tracks` names
 * the Glue database (`FROM "<database>"."tracks"`): a named query runs in a database, QuickSight's
 * custom SQL does not.
 *
 * @throws Error when the query is not the visual's or does not read `tracks` exactly once.
 */
export function customSql(visual: VisualSpec, query: Query, database: string): string {
  const found = query.sql.match(TABLE_REFERENCE)?.length ?? 0;
  if (query.name !== visual.query || found !== 1) {
    throw new Error(
      `The custom SQL of visual ${visual.id} must be queries/${visual.query}.sql reading "FROM tracks" once; ` +
        `found queries/${query.name}.sql reading it ${found} times.`,
    );
  }
  return query.sql.replace(TABLE_REFERENCE, `FROM "${database}"."tracks"`);
}

/** The data set id (and resource name suffix) of a visual: `<component name>-<visual id>`. */
export function dataSetId(name: string, visual: VisualSpec): string {
  return `${name}-${visual.id}`;
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
// Dashboard definition (QuickSight API shape, minimal typed subset), built from lib/visuals.ts
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
export interface MeasureField {
  NumericalMeasureField: {
    FieldId: string;
    Column: ColumnIdentifier;
    AggregationFunction: { SimpleNumericalAggregation: VisualMeasure["aggregation"] };
  };
}

/** Sort by one field of the visual. */
export interface FieldSort {
  FieldSort: { FieldId: string; Direction: "ASC" | "DESC" };
}

/** A visual's title. */
export interface VisualTitle {
  Visibility: "VISIBLE";
  FormatText: { PlainText: string };
}

/** A bar chart (the rankings). */
export interface BarChartVisual {
  BarChartVisual: {
    VisualId: string;
    Title: VisualTitle;
    ChartConfiguration: {
      FieldWells: {
        BarChartAggregatedFieldWells: {
          Category: DimensionField[];
          Colors?: DimensionField[];
          Values: MeasureField[];
        };
      };
      SortConfiguration: {
        CategorySort: FieldSort[];
        CategoryItemsLimit: { ItemsLimit: number; OtherCategories: "EXCLUDE" | "INCLUDE" };
      };
      Orientation: "HORIZONTAL" | "VERTICAL";
    };
  };
}

/** A combo chart: bars and lines over one category axis (the trend). */
export interface ComboChartVisual {
  ComboChartVisual: {
    VisualId: string;
    Title: VisualTitle;
    ChartConfiguration: {
      FieldWells: {
        ComboChartAggregatedFieldWells: {
          Category: DimensionField[];
          BarValues: MeasureField[];
          LineValues: MeasureField[];
        };
      };
      SortConfiguration: { CategorySort: FieldSort[] };
    };
  };
}

/** A visual of the dashboard. */
export type Visual = BarChartVisual | ComboChartVisual;

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

const fieldId = (visual: VisualSpec, columnName: string) =>
  `${visual.id}-${columnName.replace(/_/g, "-")}`;

const title = (PlainText: string): VisualTitle => ({
  Visibility: "VISIBLE",
  FormatText: { PlainText },
});

/** The category (and series) dimension of a visual: numbers stay numerical. */
function dimension(visual: VisualSpec, columnName: string): DimensionField {
  const Column = { DataSetIdentifier: visual.id, ColumnName: columnName };
  const FieldId = fieldId(visual, columnName);
  const type = visual.columns.find((c) => c.name === columnName)?.type;
  return type === "STRING"
    ? { CategoricalDimensionField: { FieldId, Column } }
    : { NumericalDimensionField: { FieldId, Column } };
}

function measure(visual: VisualSpec, m: VisualMeasure): MeasureField {
  return {
    NumericalMeasureField: {
      FieldId: fieldId(visual, m.column),
      Column: { DataSetIdentifier: visual.id, ColumnName: m.column },
      AggregationFunction: { SimpleNumericalAggregation: m.aggregation },
    },
  };
}

/**
 * One visual from its spec: a ranking (a `topN`) is a horizontal bar chart limited to `topN`
 * categories; a trend is a combo chart (its bar and line measures) over every category.
 */
export function quickSightVisual(visual: VisualSpec): Visual {
  const sort: FieldSort = {
    FieldSort: { FieldId: fieldId(visual, visual.sort.column), Direction: visual.sort.direction },
  };
  if (visual.topN !== undefined) {
    return {
      BarChartVisual: {
        VisualId: visual.id,
        Title: title(visual.title),
        ChartConfiguration: {
          FieldWells: {
            BarChartAggregatedFieldWells: {
              Category: [dimension(visual, visual.category)],
              ...(visual.series ? { Colors: [dimension(visual, visual.series)] } : {}),
              Values: visual.measures.map((m) => measure(visual, m)),
            },
          },
          SortConfiguration: {
            CategorySort: [sort],
            CategoryItemsLimit: { ItemsLimit: visual.topN, OtherCategories: "EXCLUDE" },
          },
          Orientation: "HORIZONTAL",
        },
      },
    };
  }
  return {
    ComboChartVisual: {
      VisualId: visual.id,
      Title: title(visual.title),
      ChartConfiguration: {
        FieldWells: {
          ComboChartAggregatedFieldWells: {
            Category: [dimension(visual, visual.category)],
            BarValues: measuresOf(visual, "bar").map((m) => measure(visual, m)),
            LineValues: measuresOf(visual, "line").map((m) => measure(visual, m)),
          },
        },
        SortConfiguration: { CategorySort: [sort] },
      },
    },
  };
}

/**
 * The dashboard: one sheet with the visuals of `lib/visuals.ts`, each over its own data set,
 * laid out on the 36-column grid: the rankings side by side, the trend below at full width.
 *
 * @param dataSetArns ARN of each visual's data set, by visual id.
 */
export function dashboardDefinition(
  dataSetArns: Readonly<Record<string, string>>,
  visuals: readonly VisualSpec[] = VISUALS,
): DashboardDefinition {
  let column = 0;
  let row = 0;
  const elements: GridLayoutElement[] = visuals.map((v) => {
    const span = v.topN !== undefined ? 18 : 36;
    if (column + span > 36) {
      column = 0;
      row += 12;
    }
    const element: GridLayoutElement = {
      ElementId: v.id,
      ElementType: "VISUAL",
      ColumnIndex: column,
      ColumnSpan: span,
      RowIndex: row,
      RowSpan: 12,
    };
    column += span;
    return element;
  });
  return {
    DataSetIdentifierDeclarations: visuals.map((v) => {
      const arn = dataSetArns[v.id];
      if (arn === undefined) {
        throw new Error(
          `dataSetArns must hold visual ${v.id}; found ${Object.keys(dataSetArns).join(", ")}.`,
        );
      }
      return { Identifier: v.id, DataSetArn: arn };
    }),
    Sheets: [
      {
        SheetId: "overview",
        Name: "Overview",
        Title: "Spotify tracks",
        Visuals: visuals.map(quickSightVisual),
        Layouts: [{ Configuration: { GridLayout: { Elements: elements } } }],
      },
    ],
  };
}

/** What a definition's visual shows, read back in the terms of a {@link VisualSpec}. */
export interface ShownVisual {
  id: string;
  title: string;
  dataSet: string;
  category: string;
  series?: string;
  measures: { column: string; mark: VisualMeasure["mark"] }[];
  sort: { column: string; direction: "ASC" | "DESC" };
  topN?: number;
}

/** Reads a definition's visuals back (the test holding QuickSight equal to the specs). */
export function shownVisuals(definition: DashboardDefinition): ShownVisual[] {
  const columnOf = (f: DimensionField | MeasureField): ColumnIdentifier =>
    "NumericalMeasureField" in f
      ? f.NumericalMeasureField.Column
      : "CategoricalDimensionField" in f
        ? f.CategoricalDimensionField.Column
        : f.NumericalDimensionField.Column;
  const fieldIdOf = (f: DimensionField | MeasureField): string =>
    "NumericalMeasureField" in f
      ? f.NumericalMeasureField.FieldId
      : "CategoricalDimensionField" in f
        ? f.CategoricalDimensionField.FieldId
        : f.NumericalDimensionField.FieldId;
  return definition.Sheets.flatMap((s) => s.Visuals).map((v) => {
    const bar = "BarChartVisual" in v ? v.BarChartVisual : undefined;
    const combo = "ComboChartVisual" in v ? v.ComboChartVisual : undefined;
    const wells = bar
      ? bar.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells
      : combo!.ChartConfiguration.FieldWells.ComboChartAggregatedFieldWells;
    const measures = bar
      ? bar.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.map((m) => ({
          column: columnOf(m).ColumnName,
          mark: "bar" as const,
        }))
      : [
          ...combo!.ChartConfiguration.FieldWells.ComboChartAggregatedFieldWells.LineValues.map(
            (m) => ({ column: columnOf(m).ColumnName, mark: "line" as const }),
          ),
          ...combo!.ChartConfiguration.FieldWells.ComboChartAggregatedFieldWells.BarValues.map(
            (m) => ({ column: columnOf(m).ColumnName, mark: "bar" as const }),
          ),
        ];
    const allFields: (DimensionField | MeasureField)[] = [
      ...wells.Category,
      ...("Colors" in wells && wells.Colors ? wells.Colors : []),
      ...("Values" in wells ? wells.Values : []),
      ...("BarValues" in wells ? [...wells.BarValues, ...wells.LineValues] : []),
    ];
    const sortField = (bar ?? combo)!.ChartConfiguration.SortConfiguration.CategorySort[0]!;
    const sorted = allFields.find((f) => fieldIdOf(f) === sortField.FieldSort.FieldId);
    const series = "Colors" in wells ? wells.Colors?.[0] : undefined;
    return {
      id: (bar ?? combo)!.VisualId,
      title: (bar ?? combo)!.Title.FormatText.PlainText,
      dataSet: columnOf(wells.Category[0]!).DataSetIdentifier,
      category: columnOf(wells.Category[0]!).ColumnName,
      ...(series ? { series: columnOf(series).ColumnName } : {}),
      measures,
      sort: {
        column: sorted
          ? columnOf(sorted).ColumnName
          : `unknown field ${sortField.FieldSort.FieldId}`,
        direction: sortField.FieldSort.Direction,
      },
      ...(bar
        ? { topN: bar.ChartConfiguration.SortConfiguration.CategoryItemsLimit.ItemsLimit }
        : {}),
    };
  });
}

/** Every column a definition's visuals read, by data set identifier, sorted. */
export function definitionColumns(definition: DashboardDefinition): Record<string, string[]> {
  const names: Record<string, Set<string>> = {};
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") {
      const obj = value as Record<string, unknown>;
      if (typeof obj.ColumnName === "string" && typeof obj.DataSetIdentifier === "string") {
        (names[obj.DataSetIdentifier] ??= new Set()).add(obj.ColumnName);
      }
      Object.values(obj).forEach(visit);
    }
  };
  visit(definition.Sheets);
  return Object.fromEntries(Object.entries(names).map(([k, v]) => [k, [...v].sort()]));
}

/** The console URL of a dashboard (the dashboard's own region, i.e. the stack's). */
export function dashboardUrl(region: string, dashboardId: string): string {
  return `https://${region}.quicksight.aws.amazon.com/sn/dashboards/${dashboardId}`;
}
