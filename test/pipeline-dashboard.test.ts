/**
 * The local run's dashboard step takes each visual's rows by the query and columns lib/visuals.ts
 * defines (local/pipeline.ts `dashboardRows`), not by a list of its own.
 */
import { expect } from "chai";
import { dashboardRows } from "../local/pipeline";
import type { QueryResult } from "../local/queries";
import { VISUALS } from "../lib/visuals";

function resultFor(columns: string[]): QueryResult {
  const row = Object.fromEntries(columns.map((c, i) => [c, i]));
  return { columns, rows: [row] } as QueryResult;
}

describe("local dashboard rows (local/pipeline.ts dashboardRows)", () => {
  for (const visual of VISUALS) {
    const columns = visual.columns.map((c) => c.name);

    it(`${visual.id}: returns the rows of queries/${visual.query}.sql`, () => {
      const result = resultFor(columns);
      const results = new Map([[visual.query, result]]);
      expect(dashboardRows(results, visual)).to.equal(result.rows);
    });

    it(`${visual.id}: names each column lib/visuals.ts lists that the query lacks`, () => {
      const kept = columns.slice(1);
      const results = new Map([[visual.query, resultFor(kept)]]);
      expect(() => dashboardRows(results, visual)).to.throw(
        `queries/${visual.query}.sql returns ${kept.join(", ")}; the dashboard needs ` +
          `${columns[0]} (lib/visuals.ts).`,
      );
    });

    it(`${visual.id}: refuses a run without the query's result`, () => {
      expect(() => dashboardRows(new Map(), visual)).to.throw(
        `queries/${visual.query}.sql is missing: the dashboard charts its result.`,
      );
    });
  }
});
