/**
 * The cloud dashboard shows what the local dashboard shows: both are built from the visual specs
 * of lib/visuals.ts. This holds the QuickSight definition (read back) and the local Vega-Lite
 * charts equal to the specs, and the specs to their query files.
 */
import { expect } from "chai";

import { dashboardDefinition, shownVisuals } from "../lib/dashboards";
import { loadQueries } from "../lib/queries";
import { VISUALS, type VisualSpec, measuresOf } from "../lib/visuals";
import { CHARTS, type QueryRow } from "../local/dashboard-charts";

/** Every `field` and folded field name a Vega-Lite spec refers to. */
function fieldsOf(spec: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") {
      const obj = value as Record<string, unknown>;
      if (typeof obj.field === "string") found.add(obj.field);
      if (Array.isArray(obj.fold)) for (const f of obj.fold) found.add(String(f));
      for (const [k, v] of Object.entries(obj)) if (k !== "data") visit(v);
    }
  };
  visit(spec);
  return found;
}

/** 30 rows in a scrambled order, each column a distinct value (numbers for non-STRING types). */
function rowsFor(visual: VisualSpec): QueryRow[] {
  return Array.from({ length: 30 }, (_, i) => {
    const n = (i * 7) % 30; // a permutation of 0..29
    return Object.fromEntries(
      visual.columns.map((c) => [c.name, c.type === "STRING" ? `${c.name} ${n}` : 1990 + n]),
    );
  });
}

describe("dashboard visuals (lib/visuals.ts): QuickSight and the local dashboard show the same", () => {
  const queries = loadQueries();

  for (const visual of VISUALS) {
    describe(visual.id, () => {
      it("names only columns its query returns", () => {
        const names = visual.columns.map((c) => c.name);
        const used = [
          visual.category,
          ...(visual.series ? [visual.series] : []),
          visual.sort.column,
          ...visual.measures.map((m) => m.column),
        ];
        for (const c of used) expect(names, c).to.include(c);
      });

      it("matches its query file's order and LIMIT", () => {
        const query = queries.find((q) => q.name === visual.query);
        expect(query, `queries/${visual.query}.sql`).to.not.equal(undefined);
        const sql = query!.sql;
        const limit = /\bLIMIT (\d+)\s*$/.exec(sql);
        expect(limit ? Number(limit[1]) : undefined).to.equal(visual.topN);
        // The outer ORDER BY is the last one (window functions have their own).
        const order = [...sql.matchAll(/\bORDER BY\s+(\w+)\s+(ASC|DESC)/g)].at(-1);
        expect(order?.slice(1)).to.deep.equal([visual.sort.column, visual.sort.direction]);
      });
    });
  }

  it("QuickSight: each visual charts its own data set with the spec's fields, sort and top N", () => {
    const arns = Object.fromEntries(VISUALS.map((v) => [v.id, `arn:${v.id}`]));
    const byColumn = (a: { column: string }, b: { column: string }) =>
      a.column.localeCompare(b.column);
    const shown = shownVisuals(dashboardDefinition(arns)).map((s) => ({
      ...s,
      measures: [...s.measures].sort(byColumn),
    }));
    expect(shown).to.deep.equal(
      VISUALS.map((v) => ({
        id: v.id,
        title: v.title,
        dataSet: v.id,
        category: v.category,
        ...(v.series ? { series: v.series } : {}),
        measures: v.measures.map((m) => ({ column: m.column, mark: m.mark })).sort(byColumn),
        sort: v.sort,
        ...(v.topN !== undefined ? { topN: v.topN } : {}),
      })),
    );
  });

  it("local: one chart per visual, in the same order", () => {
    expect(CHARTS.map((c) => c.visual)).to.deep.equal([...VISUALS]);
  });

  for (const { visual, spec } of CHARTS) {
    it(`local ${visual.id}: the spec's top N rows in its sort order, plotting its measures`, () => {
      const chart = spec(rowsFor(visual)) as { data: { values: Record<string, unknown>[] } };
      const values = chart.data.values;
      expect(values).to.have.length(visual.topN ?? 30);
      // The sort column is plotted as a number (a bar's length, or the x axis of a trend).
      const sortKey = measuresOf(visual, "bar").some((m) => m.column === visual.sort.column)
        ? visual.sort.column
        : visual.category;
      const keys = values.map((v) => Number(v[sortKey]));
      const sorted = [...keys].sort((a, b) => (visual.sort.direction === "ASC" ? a - b : b - a));
      expect(keys).to.deep.equal(sorted);
      // Rankings keep the query's first topN rows: the first 20 of the scrambled order.
      if (visual.topN !== undefined) {
        const firstN = rowsFor(visual)
          .slice(0, visual.topN)
          .map((r) => Number(r[visual.sort.column]));
        expect([...keys].sort()).to.deep.equal([...firstN].sort());
      }
      const fields = fieldsOf(chart);
      for (const m of measuresOf(visual, "bar")) expect([...fields], m.column).to.include(m.column);
      for (const m of measuresOf(visual, "line")) expect([...fields], m.label).to.include(m.label);
    });
  }
});
