/**
 * Renders the local run's dashboard: one self-contained HTML page (inline CSS, inline SVG, no
 * scripts, no network) with the visuals of `lib/visuals.ts` (the ones the QuickSight dashboard
 * shows: most popular artists, track counts by album, trends in track durations) and the run's
 * counts. The charts themselves are in `local/dashboard-charts.ts`.
 */
import { ENTITIES, REASONS, type Entity } from "../lib/contract";
import { type VisualSpec } from "../lib/visuals";
import {
  BLUE,
  CHARTS,
  FONT,
  GREEN,
  GRID,
  INK,
  MUTED,
  type NumberLike,
  ORANGE,
  type QueryRow,
  compact,
  integer,
  num,
  renderChartSvg,
} from "./dashboard-charts";

export { type NumberLike, estimateTextWidth, loadCharts, renderChartSvg } from "./dashboard-charts";

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

/** The input files of a run (the contract's entities). */
export type RunFile = Entity;

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

const FILES: readonly RunFile[] = ENTITIES;

/** The rows each visual charts, by visual id (the hook keeps `DashboardData`'s named fields). */
function rowsOf(data: DashboardData): Record<string, readonly QueryRow[]> {
  return {
    "most-popular-artists": data.mostPopularArtists as unknown as QueryRow[],
    "track-counts-by-album": data.trackCountsByAlbum as unknown as QueryRow[],
    "duration-trends": data.durationTrendsByYear as unknown as QueryRow[],
  };
}

/** The line under a chart's title. */
function subtitle(visual: VisualSpec, yearSpan: string): string {
  switch (visual.id) {
    case "most-popular-artists":
      return `Top ${visual.topN} by tracks. Colour: Spotify popularity; labels: tracks · followers.`;
    case "track-counts-by-album":
      return `Top ${visual.topN} albums by tracks, labelled album — artist.`;
    default:
      return `Average and median track duration by release year (${yearSpan}); grey bars: tracks released.`;
  }
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
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
 *   in the queries' order (each ranking charts the first `topN` rows its spec names).
 * @returns the HTML document.
 */
export async function renderDashboard(data: DashboardData): Promise<string> {
  const { run } = data;
  const title = data.title ?? "Spotify pipeline — local run";
  const rows = rowsOf(data);
  const svgs = await Promise.all(
    CHARTS.map(({ visual, spec }) => renderChartSvg(spec(rows[visual.id] ?? []))),
  );

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

  const charts = CHARTS.map(({ visual }, i) =>
    chart(
      visual.title,
      subtitle(visual, yearSpan),
      svgs[i]!,
      rows[visual.id]?.length ?? 0,
      visual.topN === undefined ? "wide" : "",
    ),
  ).join("");

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
