/**
 * Renders the local run's dashboard: one self-contained HTML page (inline CSS, inline SVG, no
 * scripts, no network) with the three QuickSight visuals (most popular artists, track counts by
 * album, trends in track durations) and the run's counts.
 *
 * Charts are Vega-Lite specs compiled to Vega and rendered to SVG in Node (`renderer: "none"`),
 * so no browser or canvas is needed.
 */
import type { TopLevelSpec } from "vega-lite";

/** A number as the query engines return it: DuckDB BIGINT comes back as bigint, CSV as text. */
export type NumberLike = number | bigint | string;

/** A row of `queries/most_popular_artists.sql`. */
export interface MostPopularArtistRow {
  artist_name: string;
  total_tracks: NumberLike;
  artist_popularity: NumberLike;
  followers: NumberLike;
}

/** A row of `queries/track_counts_by_album.sql`. */
export interface TrackCountByAlbumRow {
  album_name: string;
  artist_name: string;
  track_count: NumberLike;
}

/** A row of `queries/duration_trends_by_year.sql`. */
export interface DurationTrendRow {
  release_year: NumberLike;
  track_count: NumberLike;
  avg_duration_min: NumberLike;
  median_duration_min: NumberLike;
}

/** The input files of a run. */
export type RunFile = "albums" | "artists" | "tracks";

/**
 * The run to report: the run summary (docs/contracts.md) plus the local run's status and
 * timings (the `run.json` fields), so `{ ...summary, status, timings_ms }` fits.
 */
export interface DashboardRun {
  run_id: string;
  engine?: "spark" | "duckdb";
  status: "SUCCEEDED" | "FAILED";
  input: Record<RunFile, NumberLike>;
  accepted: Record<RunFile, NumberLike>;
  rejected: Record<RunFile, Record<string, NumberLike>>;
  output: { tracks: NumberLike };
  /** Milliseconds per step, in order. */
  timings_ms?: Record<string, NumberLike>;
  /** Wall time of the whole run; defaults to the sum of `timings_ms`. */
  duration_ms?: NumberLike;
}

/** Everything {@link renderDashboard} shows. Query rows are taken in the queries' order. */
export interface DashboardData {
  run: DashboardRun;
  mostPopularArtists: readonly MostPopularArtistRow[];
  trackCountsByAlbum: readonly TrackCountByAlbumRow[];
  durationTrendsByYear: readonly DurationTrendRow[];
  /** Page title. @default "Spotify pipeline — local run" */
  title?: string;
  /** Shown under the title as is (e.g. a timestamp the caller formats); omitted when absent. */
  generatedAt?: string;
}

/** Bars per ranking chart. */
export const TOP_N = 15;

/** Quarantine reasons in the order the table shows them (docs/contracts.md). */
const REASONS = [
  "missing_key",
  "bad_number",
  "bad_date",
  "bad_boolean",
  "duplicate_row",
  "duplicate_key",
  "orphan_artist",
  "orphan_track",
] as const;
const FILES: readonly RunFile[] = ["albums", "artists", "tracks"];

const FONT =
  "Inter, 'Segoe UI', 'Helvetica Neue', Arial, 'Noto Sans', 'Noto Sans CJK JP', sans-serif";
const INK = "#1f2330";
const MUTED = "#6b7280";
const GRID = "#e8eaef";
const GREEN = "#1db954";
const BLUE = "#3d6fd8";
const ORANGE = "#f08a24";

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function num(value: NumberLike | undefined): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** One line of text from a name that may hold line breaks or control characters. */
function oneLine(text: string): string {
  let out = "";
  for (const ch of String(text)) {
    const code = ch.charCodeAt(0);
    out += code < 32 || code === 127 ? " " : ch;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function percent(part: number, whole: number): string {
  if (whole === 0) return "0%";
  const p = (100 * part) / whole;
  return `${p < 10 ? p.toFixed(2) : p.toFixed(1)}%`;
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

/** Longest bar first; ties keep the query's order (Array.prototype.sort is stable). */
function byTracks(values: { tracks: number }[]): void {
  values.sort((a, b) => b.tracks - a.tracks);
}

function artistsSpec(rows: readonly MostPopularArtistRow[]): TopLevelSpec {
  const values = rows.slice(0, TOP_N).map((r) => ({
    artist: oneLine(r.artist_name),
    tracks: num(r.total_tracks),
    popularity: num(r.artist_popularity),
    label: `${integer.format(num(r.total_tracks))} · ${compact.format(num(r.followers))}`,
  }));
  byTracks(values);
  return {
    config: CONFIG,
    width: 300,
    height: { step: 21 },
    data: { values },
    encoding: {
      y: {
        field: "artist",
        type: "nominal",
        sort: null,
        axis: { title: null, labelLimit: 190, ticks: false, domain: false, labelPadding: 6 },
      },
      x: {
        field: "tracks",
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

function albumsSpec(rows: readonly TrackCountByAlbumRow[]): TopLevelSpec {
  const values = rows.slice(0, TOP_N).map((r, i) => ({
    // The rank keeps two albums with the same name and artist apart.
    key: `${i}`,
    label: `${oneLine(r.album_name)} — ${oneLine(r.artist_name)}`,
    tracks: num(r.track_count),
  }));
  byTracks(values);
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
          labelExpr: `${JSON.stringify(Object.fromEntries(values.map((v) => [v.key, v.label])))}[datum.value]`,
        },
      },
      x: {
        field: "tracks",
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
        encoding: { text: { field: "tracks", type: "quantitative", format: ",d" } },
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

function durationsSpec(rows: readonly DurationTrendRow[]): TopLevelSpec {
  const values = rows
    .map((r) => ({
      year: num(r.release_year),
      tracks: num(r.track_count),
      Average: num(r.avg_duration_min),
      Median: num(r.median_duration_min),
    }))
    .filter((r) => r.year > 0)
    .sort((a, b) => a.year - b.year);
  const years = values.map((v) => v.year);
  const domain = years.length > 0 ? [Math.min(...years) - 0.5, Math.max(...years) + 0.5] : [0, 1];
  const x = {
    field: "year",
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
          { calculate: "datum.year - 0.42", as: "x0" },
          { calculate: "datum.year + 0.42", as: "x1" },
        ],
        mark: { type: "rect", color: "#d9dde5", opacity: 0.8 },
        encoding: {
          x: { ...x, field: "x0" },
          x2: { field: "x1" },
          y: {
            field: "tracks",
            type: "quantitative",
            title: "Tracks released (bars)",
            axis: { orient: "right", format: "~s", grid: false, titleColor: "#9aa1ad" },
          },
        },
      },
      {
        transform: [{ fold: ["Average", "Median"], as: ["measure", "minutes"] }],
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
            scale: { domain: ["Average", "Median"], range: [ORANGE, GREEN] },
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

function card(title: string, subtitle: string, body: string, extraClass = ""): string {
  return (
    `<section class="card ${extraClass}">` +
    `<h2>${escapeHtml(title)}</h2><p class="sub">${escapeHtml(subtitle)}</p>${body}</section>`
  );
}

function chart(
  title: string,
  subtitle: string,
  svg: string,
  rows: number,
  extraClass = "",
): string {
  const body =
    rows === 0
      ? `<p class="empty">No rows: the gold table is empty.</p>`
      : `<figure role="img" aria-label="${escapeHtml(title)}">${svg}</figure>`;
  return card(title, subtitle, body, `chart ${extraClass}`);
}

function kpi(label: string, value: string, note: string, tone = "", valueClass = ""): string {
  return (
    `<div class="kpi ${tone}"><div class="kpi-label">${escapeHtml(label)}</div>` +
    `<div class="kpi-value${valueClass ? ` ${valueClass}` : ""}">${escapeHtml(value)}</div><div class="kpi-note">${escapeHtml(note)}</div></div>`
  );
}

function countsTable(run: DashboardRun): string {
  const rejectedOf = (f: RunFile, reason: string) => num(run.rejected[f]?.[reason]);
  const seen = new Set(FILES.flatMap((f) => Object.keys(run.rejected[f] ?? {})));
  // Contract reasons in contract order, then any other reason the run reported.
  const reasons = [
    ...REASONS.filter((r) => seen.has(r)),
    ...[...seen].filter((r) => !(REASONS as readonly string[]).includes(r)).sort(),
  ].filter((r) => FILES.some((f) => rejectedOf(f, r) > 0));
  const cells = (values: number[], cls = "") =>
    values
      .map(
        (n) =>
          `<td class="num${n === 0 ? " zero" : ""}${cls ? ` ${cls}` : ""}">${integer.format(n)}</td>`,
      )
      .join("");
  const withTotal = (per: (f: RunFile) => number) => {
    const values = FILES.map(per);
    return [...values, values.reduce((s, v) => s + v, 0)];
  };
  const rejectedTotal = (f: RunFile) =>
    Object.values(run.rejected[f] ?? {}).reduce<number>((s, v) => s + num(v), 0);
  const head =
    `<tr><th scope="col"></th>` +
    FILES.map((f) => `<th scope="col" class="num">${escapeHtml(f)}.csv</th>`).join("") +
    `<th scope="col" class="num">Total</th></tr>`;
  const rows = [
    `<tr><th scope="row">Input rows</th>${cells(withTotal((f) => num(run.input[f])))}</tr>`,
    `<tr><th scope="row">Accepted</th>${cells(withTotal((f) => num(run.accepted[f])))}</tr>`,
    `<tr class="rej-row"><th scope="row">Rejected</th>${cells(withTotal(rejectedTotal), "rej")}</tr>`,
    ...reasons.map(
      (r) =>
        `<tr class="reason"><th scope="row">${escapeHtml(r.replace(/_/g, " "))}</th>` +
        `${cells(withTotal((f) => rejectedOf(f, r)))}</tr>`,
    ),
  ].join("");
  const output = num(run.output.tracks);
  const foot =
    `<tr><th scope="row">Gold table rows</th><td class="num" colspan="${FILES.length + 1}">` +
    `${integer.format(output)}</td></tr>`;
  return `<table class="counts"><thead>${head}</thead><tbody>${rows}</tbody><tfoot>${foot}</tfoot></table>`;
}

function timingsTable(timings: Record<string, NumberLike>): string {
  const entries = Object.entries(timings);
  if (entries.length === 0) return "";
  const max = Math.max(...entries.map(([, v]) => num(v)), 1);
  const rows = entries
    .map(([step, ms]) => {
      const width = Math.max(1, Math.round((100 * num(ms)) / max));
      return (
        `<tr><th scope="row">${escapeHtml(step)}</th><td class="bar-cell"><span class="bar" style="width:${width}%"></span></td>` +
        `<td class="num">${escapeHtml(formatDuration(num(ms)))}</td></tr>`
      );
    })
    .join("");
  return `<table class="timings"><tbody>${rows}</tbody></table>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f7;color:${INK};font:14px/1.45 ${FONT};-webkit-font-smoothing:antialiased}
header{background:#191414;color:#fff;padding:22px 32px 20px}
header .row{max-width:1120px;margin:0 auto;display:flex;align-items:center;gap:16px;flex-wrap:wrap}
header h1{font-size:22px;font-weight:700;margin:0;letter-spacing:-.01em}
header .meta{max-width:1120px;margin:6px auto 0;color:#b3b3b3;font-size:13px}
header .meta code{color:#fff;background:#2a2a2a}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;font-size:12px;font-weight:700;letter-spacing:.04em}
.badge.ok{background:${GREEN};color:#05240f}
.badge.fail{background:#e5484d;color:#fff}
main{max-width:1120px;margin:0 auto;padding:20px 32px 32px}
.kpis{display:grid;grid-template-columns:repeat(5,1fr);gap:14px;margin-bottom:16px}
.kpi{background:#fff;border-radius:12px;padding:14px 16px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);border-top:3px solid #d0d5dd}
.kpi.good{border-top-color:${GREEN}}.kpi.warn{border-top-color:${ORANGE}}.kpi.bad{border-top-color:#e5484d}.kpi.info{border-top-color:${BLUE}}
.kpi-label{color:${MUTED};font-size:12px;text-transform:uppercase;letter-spacing:.06em;font-weight:600}
.kpi.good .kpi-value.status{color:#12863d}.kpi.bad .kpi-value.status{color:#c62828}
.kpi-value{font-size:26px;font-weight:700;margin-top:2px;font-variant-numeric:tabular-nums}
.kpi-note{color:${MUTED};font-size:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.card{background:#fff;border-radius:12px;padding:16px 18px 12px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);min-width:0}
.card.wide{grid-column:1 / -1}
.card h2{font-size:16px;margin:0;font-weight:700}
.card .sub{color:${MUTED};margin:2px 0 8px;font-size:12.5px}
figure{margin:0;overflow:hidden}
figure svg{display:block}
.empty{color:${MUTED};font-style:italic;padding:24px 0}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.counts th,.counts td{padding:5px 10px;border-bottom:1px solid ${GRID};text-align:left;white-space:nowrap}
.counts thead th{color:${MUTED};font-size:12px;font-weight:600;border-bottom:1px solid #d0d5dd}
.counts tr.reason th{font-weight:400;padding-left:26px;color:${MUTED}}
.counts tr.reason td{color:${MUTED}}
.counts tbody th{font-weight:600}
.counts tfoot th,.counts tfoot td{font-weight:700;border-bottom:none;border-top:1px solid #d0d5dd}
.num{text-align:right !important}
td.zero{color:#b8bdc7}
td.rej:not(.zero){color:#c2410c;font-weight:600}
.counts tr.reason td.zero,.counts td.zero{color:#c4c8d0}
.timings th{font-weight:500;text-align:left;padding:5px 10px 5px 0;white-space:nowrap;width:1%}
.timings td{padding:5px 0 5px 10px;white-space:nowrap}
.timings .bar-cell{width:100%}
.timings .bar{display:block;height:10px;border-radius:5px;background:${GREEN};opacity:.75}
.side{display:grid;grid-template-columns:3fr 2fr;gap:16px;margin-top:16px;align-items:start}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f6;padding:1px 4px;border-radius:4px}
@media (max-width:1000px){.grid,.side{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(2,1fr)}}
footer{max-width:1120px;margin:0 auto;padding:0 32px 28px;color:${MUTED};font-size:12px}
`;

/**
 * Renders the dashboard as one self-contained HTML page: inline CSS, three inline SVG charts
 * (most popular artists, track counts by album, trends in track durations), KPI cards and the
 * run's counts by file and quarantine reason. No scripts and no external resources; all text
 * is escaped.
 *
 * @param data the run (summary + status + timings) and the rows of the three dashboard queries,
 *   in the queries' order (the first {@link TOP_N} rows of the two rankings are charted).
 * @returns the HTML document.
 */
export async function renderDashboard(data: DashboardData): Promise<string> {
  const { run } = data;
  const title = data.title ?? "Spotify pipeline — local run";
  const [artistsSvg, albumsSvg, durationsSvg] = await Promise.all([
    renderChartSvg(artistsSpec(data.mostPopularArtists)),
    renderChartSvg(albumsSpec(data.trackCountsByAlbum)),
    renderChartSvg(durationsSpec(data.durationTrendsByYear)),
  ]);

  const input = FILES.reduce((s, f) => s + num(run.input[f]), 0);
  const accepted = FILES.reduce((s, f) => s + num(run.accepted[f]), 0);
  const rejected = input - accepted;
  const output = num(run.output.tracks);
  const timings = run.timings_ms ?? {};
  const durationMs =
    run.duration_ms !== undefined
      ? num(run.duration_ms)
      : Object.values(timings).reduce<number>((s, v) => s + num(v), 0);
  const ok = run.status === "SUCCEEDED";
  const years = data.durationTrendsByYear.map((r) => num(r.release_year)).filter((y) => y > 0);
  const yearSpan = years.length > 0 ? `${Math.min(...years)}–${Math.max(...years)}` : "no years";

  const kpis = [
    kpi(
      "Status",
      ok ? "Succeeded" : "Failed",
      run.engine ? `engine: ${run.engine}` : "",
      ok ? "good" : "bad",
      "status",
    ),
    kpi(
      "Input rows",
      integer.format(input),
      FILES.map((f) => `${f} ${compact.format(num(run.input[f]))}`).join(" · "),
      "info",
    ),
    kpi("Accepted", integer.format(accepted), `${percent(accepted, input)} of input`, "good"),
    kpi(
      "Rejected",
      integer.format(rejected),
      `${percent(rejected, input)} quarantined`,
      rejected > 0 ? "warn" : "good",
    ),
    kpi(
      "Gold tracks",
      integer.format(output),
      durationMs > 0 ? `run took ${formatDuration(durationMs)}` : "rows written",
      "info",
    ),
  ].join("");

  const charts = [
    chart(
      "Most popular artists",
      `Top ${TOP_N} by tracks. Colour: Spotify popularity; labels: tracks · followers.`,
      artistsSvg,
      data.mostPopularArtists.length,
    ),
    chart(
      "Track counts by album",
      `Top ${TOP_N} albums by tracks, labelled album — artist.`,
      albumsSvg,
      data.trackCountsByAlbum.length,
    ),
    chart(
      "Trends in track durations",
      `Average and median track duration by release year (${yearSpan}); grey bars: tracks released.`,
      durationsSvg,
      data.durationTrendsByYear.length,
      "wide",
    ),
  ].join("");

  const timingsHtml = timingsTable(timings);
  const side =
    `<div class="side">` +
    card(
      "Run counts",
      "Rows read, accepted and quarantined per input file, by quarantine reason. Rejected rows " +
        "keep their original values under processed/quarantine/.",
      countsTable(run),
    ) +
    (timingsHtml
      ? card(
          "Step timings",
          `Wall time per step, ${formatDuration(durationMs)} in total.`,
          timingsHtml,
        )
      : card(
          "Output",
          "Rows in the gold table.",
          `<div class="kpi-value">${integer.format(output)}</div>`,
        )) +
    `</div>`;

  const meta = [
    `run <code>${escapeHtml(run.run_id)}</code>`,
    run.engine ? `engine ${escapeHtml(run.engine)}` : "",
    durationMs > 0 ? `duration ${escapeHtml(formatDuration(durationMs))}` : "",
    data.generatedAt ? `generated ${escapeHtml(data.generatedAt)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");

  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
    `<header><div class="row"><h1>${escapeHtml(title)}</h1>` +
    `<span class="badge ${ok ? "ok" : "fail"}">${ok ? "SUCCEEDED" : "FAILED"}</span></div>` +
    `<div class="meta">${meta}</div></header>\n` +
    `<main>\n<div class="kpis">${kpis}</div>\n<div class="grid">${charts}</div>\n${side}\n</main>\n` +
    `<footer>Same queries as the Athena named queries and the QuickSight dashboard, run with DuckDB on the gold Parquet.</footer>\n` +
    `</body>\n</html>\n`
  );
}
