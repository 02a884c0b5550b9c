/**
 * Data operations panels of `OUT/dashboard.html`: the run's quality gates (value, threshold,
 * passed) and, with two or more snapshots in the history table, how the top artists' popularity
 * and track count moved across snapshots (`queries/artist_popularity_by_snapshot.sql`).
 * Added to the page `local/dashboard.ts` renders, before `</main>`.
 */
import type { TopLevelSpec } from "vega-lite";
import type { GateResult } from "../lib/quality-gates";
import { gateLabel, showValue } from "../lib/quality-gates";
import { escapeHtml, renderChartSvg } from "./dashboard";

/** One row of the history query. */
export interface HistoryRow {
  snapshot_date: string;
  artist_name: string;
  artist_popularity: number | null;
  track_count: number;
}

/** The gates table. */
export function gatesPanel(gates: readonly GateResult[]): string {
  const failed = gates.filter((g) => !g.passed).length;
  const rows = gates
    .map(
      (g) =>
        `<tr class="${g.passed ? "" : "bad"}"><td>${escapeHtml(gateLabel(g))}</td>` +
        `<td class="n">${escapeHtml(showValue(g.value))}</td>` +
        `<td class="n">${g.gate.startsWith("min_") ? "&ge;" : "&le;"} ${escapeHtml(showValue(g.threshold))}</td>` +
        `<td>${g.passed ? "passed" : "FAILED"}</td></tr>`,
    )
    .join("");
  return (
    `<section class="card wide" id="quality-gates"><h2>Quality gates</h2>` +
    `<p class="sub">${gates.length - failed} of ${gates.length} passed (glue/contract.json ` +
    `quality_gates; percentages of each file's input rows)</p>` +
    `<table><thead><tr><th>gate</th><th>value</th><th>threshold</th><th></th></tr></thead>` +
    `<tbody>${rows}</tbody></table></section>`
  );
}

/** The history chart spec: popularity per snapshot, one line per artist. */
export function historySpec(rows: readonly HistoryRow[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 640,
    height: 260,
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "snapshot_date", type: "ordinal", title: "snapshot date" },
      y: { field: "artist_popularity", type: "quantitative", title: "artist popularity" },
      color: { field: "artist_name", type: "nominal", title: "artist" },
      tooltip: [
        { field: "artist_name", type: "nominal" },
        { field: "snapshot_date", type: "ordinal" },
        { field: "artist_popularity", type: "quantitative" },
        { field: "track_count", type: "quantitative" },
      ],
    },
  };
}

/**
 * The history panel: a chart with two or more snapshots, else a note.
 * @param snapshots snapshot partitions in the history table
 */
export async function historyPanel(
  rows: readonly HistoryRow[],
  snapshots: number,
): Promise<string> {
  const title = "Artist popularity across snapshots";
  if (snapshots < 2) {
    return (
      `<section class="card wide" id="history"><h2>${title}</h2><p class="sub">` +
      `${snapshots} snapshot in tracks_history: the chart needs two or more (run again with ` +
      `--lake DIR on another --snapshot-date).</p></section>`
    );
  }
  const svg = await renderChartSvg(historySpec(rows));
  return (
    `<section class="card wide" id="history"><h2>${title}</h2><p class="sub">${snapshots} ` +
    `snapshots; the artists with the most tracks in the latest one ` +
    `(queries/artist_popularity_by_snapshot.sql)</p>` +
    `<figure role="img" aria-label="${title}">${svg}</figure></section>`
  );
}

/** Inserts the panels before `</main>` of a page `renderDashboard` wrote. */
export function addOpsPanels(html: string, panels: readonly string[]): string {
  const at = html.lastIndexOf("</main>");
  if (at < 0) throw new Error("dashboard.html has no </main>: local/dashboard.ts changed shape.");
  return `${html.slice(0, at)}${panels.join("\n")}\n${html.slice(at)}`;
}
