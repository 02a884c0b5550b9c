/**
 * The three dashboard visuals, defined once: which query file each charts, the columns that query
 * returns, the category, the measures, the sort and how many rows it shows. The QuickSight
 * definition (`lib/dashboards.ts`, one data set per visual running the same `queries/*.sql` as
 * custom SQL) and the local run's `dashboard.html` (`local/dashboard.ts`) are both built from it;
 * `test/visuals.test.ts` holds them equal, and checks each query returns these columns.
 */
import type { SparkType } from "./contract";

/** One column a dashboard query returns, with its type (Spark SQL names, as in the contract). */
export interface VisualColumn {
  name: string;
  type: SparkType;
}

/** A plotted value: one column of the query, drawn as bars or as a line. */
export interface VisualMeasure {
  column: string;
  /** Legend and axis label. */
  label: string;
  mark: "bar" | "line";
  /**
   * How QuickSight aggregates the (already aggregated) rows of one category: `SUM` for counts
   * (two albums with the same name add up), `AVERAGE` for per-row averages.
   */
  aggregation: "SUM" | "AVERAGE";
}

/** One visual of the dashboard. */
export interface VisualSpec {
  /** Stable id (QuickSight `VisualId`, data set id suffix). */
  id: string;
  /** The query file it charts: `queries/<query>.sql`. */
  query: string;
  /** Heading on both dashboards. */
  title: string;
  /** The query's result columns, in order. */
  columns: readonly VisualColumn[];
  /** The category column (bars' axis, or the x axis of a trend). */
  category: string;
  /** A second dimension shown with the category (QuickSight colour; locally "category — series"). */
  series?: string;
  /** The plotted values. */
  measures: readonly VisualMeasure[];
  /** The order shown: a column and a direction. */
  sort: { column: string; direction: "ASC" | "DESC" };
  /** Rows shown (the query's `LIMIT`); undefined for a trend, which shows every row. */
  topN?: number;
}

/** Rows shown by each ranking: the `LIMIT` of its query. */
export const TOP_N = 20;

/** Most popular artists: tracks per artist, the top {@link TOP_N}. */
export const MOST_POPULAR_ARTISTS: VisualSpec = {
  id: "most-popular-artists",
  query: "most_popular_artists",
  title: "Most popular artists",
  columns: [
    { name: "artist_name", type: "STRING" },
    { name: "total_tracks", type: "BIGINT" },
    { name: "artist_popularity", type: "INT" },
    { name: "followers", type: "BIGINT" },
  ],
  category: "artist_name",
  measures: [{ column: "total_tracks", label: "Tracks", mark: "bar", aggregation: "SUM" }],
  sort: { column: "total_tracks", direction: "DESC" },
  topN: TOP_N,
};

/** Track counts by album: tracks per album (told apart by id in the query), the top {@link TOP_N}. */
export const TRACK_COUNTS_BY_ALBUM: VisualSpec = {
  id: "track-counts-by-album",
  query: "track_counts_by_album",
  title: "Track counts by album",
  columns: [
    { name: "album_name", type: "STRING" },
    { name: "artist_name", type: "STRING" },
    { name: "track_count", type: "BIGINT" },
  ],
  category: "album_name",
  series: "artist_name",
  measures: [{ column: "track_count", label: "Tracks", mark: "bar", aggregation: "SUM" }],
  sort: { column: "track_count", direction: "DESC" },
  topN: TOP_N,
};

/** Trends in track durations: average and median minutes per release year, tracks as bars. */
export const DURATION_TRENDS: VisualSpec = {
  id: "duration-trends",
  query: "duration_trends_by_year",
  title: "Trends in track durations",
  columns: [
    { name: "release_year", type: "INT" },
    { name: "track_count", type: "BIGINT" },
    { name: "avg_duration_min", type: "DOUBLE" },
    { name: "median_duration_min", type: "DOUBLE" },
  ],
  category: "release_year",
  measures: [
    { column: "avg_duration_min", label: "Average", mark: "line", aggregation: "AVERAGE" },
    { column: "median_duration_min", label: "Median", mark: "line", aggregation: "AVERAGE" },
    { column: "track_count", label: "Tracks released", mark: "bar", aggregation: "SUM" },
  ],
  sort: { column: "release_year", direction: "ASC" },
};

/** The dashboard's visuals, in display order. */
export const VISUALS: readonly VisualSpec[] = [
  MOST_POPULAR_ARTISTS,
  TRACK_COUNTS_BY_ALBUM,
  DURATION_TRENDS,
];

/** The measures of a visual drawn with one mark. */
export function measuresOf(visual: VisualSpec, mark: VisualMeasure["mark"]): VisualMeasure[] {
  return visual.measures.filter((m) => m.mark === mark);
}
