/**
 * The local dashboard's charts: one Vega-Lite spec per visual of `lib/visuals.ts` (the same specs
 * the QuickSight definition is built from: query, category, measures, sort, top N), rendered to
 * SVG in Node (`renderer: "none"`), so no browser or canvas is needed.
 */
import type { TopLevelSpec } from "vega-lite";

import {
  DURATION_TRENDS,
  MOST_POPULAR_ARTISTS,
  TRACK_COUNTS_BY_ALBUM,
  type VisualMeasure,
  type VisualSpec,
  measuresOf,
} from "../lib/visuals";

/** A number as the query engines return it: DuckDB BIGINT comes back as bigint, CSV as text. */
export type NumberLike = number | bigint | string;

/** A row of a dashboard query, by column name. */
export type QueryRow = Readonly<Record<string, unknown>>;

export const FONT =
  "Inter, 'Segoe UI', 'Helvetica Neue', Arial, 'Noto Sans', 'Noto Sans CJK JP', sans-serif";
export const INK = "#1f2330";
export const MUTED = "#6b7280";
export const GRID = "#e8eaef";
export const GREEN = "#1db954";
export const BLUE = "#3d6fd8";
export const ORANGE = "#f08a24";

export const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
export const compact = new Intl.NumberFormat("en-US", {
  notation: "compact",
  maximumFractionDigits: 1,
});

/** A query value as a number (0 when missing or not a number). */
export function num(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** One line of text from a name that may hold line breaks or control characters. */
export function oneLine(text: string): string {
  let out = "";
  for (const ch of String(text)) {
    const code = ch.charCodeAt(0);
    out += code < 32 || code === 127 ? " " : ch;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

/** Shared Vega-Lite config: fonts, colours, quiet axes. */
const CONFIG = {
  background: "#ffffff",
  font: FONT,
  padding: { left: 4, right: 12, top: 8, bottom: 4 },
  view: { stroke: null },
  axis: {
    labelColor: INK,
    labelFontSize: 12,
    titleColor: MUTED,
    titleFontSize: 12,
    titleFontWeight: 500,
    gridColor: GRID,
    domainColor: "#c9ced8",
    tickColor: "#c9ced8",
  },
  legend: {
    labelColor: INK,
    titleColor: MUTED,
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 500,
  },
} as const;

/**
 * The rows a visual shows: the first `topN` of the query's rows (all of a trend's), ordered as
 * the spec sorts them; ties keep the query's order (Array.prototype.sort is stable).
 */
export function shownRows(visual: VisualSpec, rows: readonly QueryRow[]): QueryRow[] {
  const kept = visual.topN !== undefined ? rows.slice(0, visual.topN) : [...rows];
  const sign = visual.sort.direction === "ASC" ? 1 : -1;
  const key = visual.sort.column;
  return kept.sort((x, y) => sign * (num(x[key]) - num(y[key])));
}

/** Most popular artists: bars of the spec's measure per artist, coloured by popularity. */
export function artistsSpec(rows: readonly QueryRow[]): TopLevelSpec {
  const v = MOST_POPULAR_ARTISTS;
  const [bars] = measuresOf(v, "bar") as [VisualMeasure];
  const values = shownRows(v, rows).map((r) => ({
    [v.category]: oneLine(String(r[v.category] ?? "")),
    [bars.column]: num(r[bars.column]),
    popularity: num(r.artist_popularity),
    label: `${integer.format(num(r[bars.column]))} · ${compact.format(num(r.followers))}`,
  }));
  return {
    config: CONFIG,
    width: 300,
    height: { step: 21 },
    data: { values },
    encoding: {
      y: {
        field: v.category,
        type: "nominal",
        sort: null,
        axis: { title: null, labelLimit: 190, ticks: false, domain: false, labelPadding: 6 },
      },
      x: {
        field: bars.column,
        type: "quantitative",
        title: "Tracks in the gold table",
        axis: { format: "~s", tickCount: 4, grid: true },
      },
    },
    layer: [
      {
        mark: {
          type: "bar",
          height: { band: 0.72 },
        },
        encoding: {
          color: {
            field: "popularity",
            type: "quantitative",
            title: "Artist popularity (0–100)",
            scale: { domain: [0, 100], range: ["#c9f2d7", GREEN, "#0b5d2a"] },
            legend: {
              orient: "bottom",
              direction: "horizontal",
              gradientLength: 220,
              titleLimit: 400,
              values: [0, 25, 50, 75, 100],
            },
          },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 5, fontSize: 11, color: MUTED },
        encoding: { text: { field: "label", type: "nominal" } },
      },
    ],
  } as TopLevelSpec;
}

/** Track counts by album: bars of the spec's measure per album, labelled "album — artist". */
export function albumsSpec(rows: readonly QueryRow[]): TopLevelSpec {
  const v = TRACK_COUNTS_BY_ALBUM;
  const [bars] = measuresOf(v, "bar") as [VisualMeasure];
  const values = shownRows(v, rows).map((r, i) => ({
    // The rank keeps two albums with the same name and artist apart.
    key: `${i}`,
    label: [v.category, v.series]
      .filter((c): c is string => c !== undefined)
      .map((c) => oneLine(String(r[c] ?? "")))
      .join(" — "),
    [bars.column]: num(r[bars.column]),
  }));
  return {
    config: CONFIG,
    width: 180,
    height: { step: 21 },
    data: { values },
    encoding: {
      y: {
        field: "key",
        type: "nominal",
        sort: null,
        axis: {
          title: null,
          labelLimit: 320,
          ticks: false,
          domain: false,
          labelPadding: 6,
          // Show "album — artist" while the scale keys stay unique.
          labelExpr: `${JSON.stringify(Object.fromEntries(values.map((x) => [x.key, x.label])))}[datum.value]`,
        },
      },
      x: {
        field: bars.column,
        type: "quantitative",
        title: "Tracks on the album",
        axis: { format: ",d", tickCount: 4, grid: true },
      },
    },
    layer: [
      {
        mark: {
          type: "bar",
          height: { band: 0.72 },
          color: BLUE,
        },
      },
      {
        mark: { type: "text", align: "left", dx: 5, fontSize: 11, color: MUTED },
        encoding: { text: { field: bars.column, type: "quantitative", format: ",d" } },
      },
    ],
  } as TopLevelSpec;
}

/** Round years for the x axis: every 5 years (10 over long spans), never crowded. */
function yearTicks(years: number[]): number[] {
  if (years.length === 0) return [];
  const min = Math.min(...years);
  const max = Math.max(...years);
  const step = max - min > 80 ? 10 : max - min > 12 ? 5 : 1;
  const ticks: number[] = [];
  for (let y = Math.ceil(min / step) * step; y <= max; y += step) ticks.push(y);
  return ticks;
}

/** Trends in track durations: the spec's line measures per year over grey bars of its bar measure. */
export function durationsSpec(rows: readonly QueryRow[]): TopLevelSpec {
  const v = DURATION_TRENDS;
  const lines = measuresOf(v, "line");
  const [bars] = measuresOf(v, "bar") as [VisualMeasure];
  const values = shownRows(v, rows)
    .map((r) => ({
      [v.category]: num(r[v.category]),
      [bars.column]: num(r[bars.column]),
      ...Object.fromEntries(lines.map((m) => [m.label, num(r[m.column])])),
    }))
    .filter((r) => (r[v.category] as number) > 0);
  const years = values.map((x) => x[v.category] as number);
  const domain = years.length > 0 ? [Math.min(...years) - 0.5, Math.max(...years) + 0.5] : [0, 1];
  const x = {
    field: v.category,
    type: "quantitative",
    title: "Release year",
    scale: { domain, nice: false, zero: false },
    axis: { format: "d", values: yearTicks(years), grid: false },
  };
  return {
    config: CONFIG,
    width: 920,
    height: 230,
    data: { values },
    layer: [
      {
        transform: [
          { calculate: `datum.${v.category} - 0.42`, as: "x0" },
          { calculate: `datum.${v.category} + 0.42`, as: "x1" },
        ],
        mark: { type: "rect", color: "#d9dde5", opacity: 0.8 },
        encoding: {
          x: { ...x, field: "x0" },
          x2: { field: "x1" },
          y: {
            field: bars.column,
            type: "quantitative",
            title: `${bars.label} (bars)`,
            axis: { orient: "right", format: "~s", grid: false, titleColor: "#9aa1ad" },
          },
        },
      },
      {
        transform: [{ fold: lines.map((m) => m.label), as: ["measure", "minutes"] }],
        mark: { type: "line", strokeWidth: 2.5, interpolate: "monotone", point: { size: 22 } },
        encoding: {
          x,
          y: {
            field: "minutes",
            type: "quantitative",
            title: "Track duration (minutes)",
            scale: { zero: false, nice: true },
            axis: { format: ".1f", grid: true },
          },
          color: {
            field: "measure",
            type: "nominal",
            title: null,
            scale: { domain: lines.map((m) => m.label), range: [ORANGE, GREEN] },
            legend: {
              orient: "top-left",
              direction: "horizontal",
              fillColor: "rgba(255,255,255,0.85)",
            },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** The chart of each visual, in the order of `lib/visuals.ts`. */
export const CHARTS: readonly {
  visual: VisualSpec;
  spec: (rows: readonly QueryRow[]) => TopLevelSpec;
}[] = [
  { visual: MOST_POPULAR_ARTISTS, spec: artistsSpec },
  { visual: TRACK_COUNTS_BY_ALBUM, spec: albumsSpec },
  { visual: DURATION_TRENDS, spec: durationsSpec },
];

/** Helvetica/Arial advance widths (1/1000 em) of the printable ASCII characters 32-126. */
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
  611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
  667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
  222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/**
 * Text width in px for a sans-serif font like Arial, a much closer estimate than Vega's
 * canvas-less default (0.8 em per character), so axis labels are truncated only when they
 * really do not fit. Wide (CJK, Hangul, fullwidth) characters count 1 em.
 */
export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code >= 32 && code <= 126) em += (ASCII_WIDTHS[code - 32] as number) / 1000;
    else if (
      code >= 0x1100 &&
      (code <= 0x115f ||
        (code >= 0x2e80 && code <= 0xa4cf) ||
        (code >= 0xac00 && code <= 0xd7a3) ||
        (code >= 0xf900 && code <= 0xfaff) ||
        (code >= 0xfe30 && code <= 0xfe4f) ||
        (code >= 0xff00 && code <= 0xff60) ||
        (code >= 0xffe0 && code <= 0xffe6) ||
        code >= 0x20000)
    )
      em += 1;
    else if (code >= 0x0300 && code <= 0x036f)
      em += 0; // combining marks
    else em += ch === ch.toUpperCase() && ch !== ch.toLowerCase() ? 0.7 : 0.58;
  }
  return em * fontSize * (bold ? 1.06 : 1) * 1.04;
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
  text?: unknown;
}

type VegaModule = typeof import("vega");
type VegaLiteModule = typeof import("vega-lite");
let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;

/** Loads vega and vega-lite ahead of the first {@link renderDashboard} (they load once). */
export async function loadCharts(): Promise<void> {
  await loadVega();
}

/** vega and vega-lite are ES modules with top-level await: load them once, with `import()`. */
function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  modules ??= Promise.all([import("vega"), import("vega-lite")]).then(([vega, vl]) => {
    // Vega measures label widths with a canvas when it has one and otherwise guesses 0.8 em per
    // character; plug in the closer estimate (Vega's documented hook for canvas-less rendering).
    const metrics = (vega as unknown as { textMetrics: { width: unknown } }).textMetrics;
    metrics.width = (item: TextItem, text: unknown) => {
      const value = text == null ? "" : String(text).trim();
      const bold = item.fontWeight === "bold" || Number(item.fontWeight) >= 600;
      const width = estimateTextWidth(value, item.fontSize ?? 11, bold);
      // Like Vega's own estimate: a label with a limit is truncated to at most that width.
      return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
    };
    return [vega, vl] as [VegaModule, VegaLiteModule];
  });
  return modules;
}

/** Renders a Vega-Lite spec to an SVG string, with no browser, canvas or network. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await loadVega();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    // Scale with the card instead of a fixed pixel size.
    return svg.replace(
      /^<svg ([^>]*?)width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/,
      (_m, attrs: string, w: string, h: string) =>
        `<svg ${attrs}width="${w}" height="${h}" style="max-width:100%;height:auto"`,
    );
  } finally {
    view.finalize();
  }
}
