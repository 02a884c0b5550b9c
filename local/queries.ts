/**
 * Running an Athena query file (`lib/queries.ts` loads them) on DuckDB for the local run, and
 * writing a result as CSV.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/** A value in a result row: DuckDB values converted to plain, CSV-friendly JavaScript. */
export type RowValue = string | number | boolean | bigint | null;
/** One result row, keyed by column name. */
export type Row = Record<string, RowValue>;
/** A query result: column names in select-list order (also when there are no rows) and rows. */
export interface QueryResult {
  columns: string[];
  rows: Row[];
}

function plainValue(js: unknown, json: unknown): RowValue {
  if (js === null || typeof js === "string" || typeof js === "boolean" || typeof js === "number") {
    return js;
  }
  if (typeof js === "bigint") {
    return js >= BigInt(Number.MIN_SAFE_INTEGER) && js <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(js)
      : js;
  }
  // DATE, TIMESTAMP, LIST, STRUCT, ...: DuckDB's JSON form ("2021-05-14", "[1,2]", ...).
  return typeof json === "string" ? json : JSON.stringify(json);
}

/**
 * Runs one query on DuckDB and returns plain rows: BIGINT/HUGEINT become `number` when they fit
 * in a safe integer (else stay `bigint`), DECIMAL becomes `number`, DATE/TIMESTAMP become DuckDB's
 * text form (`"2021-05-14"`), lists and structs become JSON text, NULL stays `null`.
 *
 * The query files read the unqualified table `tracks`: create it first on the connection (for
 * example a view over the gold Parquet files with `read_parquet`). A query text may end with a
 * `--` comment: when wrapping one (`COPY (...) TO`), put the closing parenthesis on a new line.
 *
 * @throws Error when DuckDB rejects the query, or the result has two columns with the same name.
 */
export async function runQuery(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  const reader = await connection.runAndReadAll(sql);
  const columns = reader.columnNames();
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) {
    throw new Error(
      `the query returns two columns named ${JSON.stringify(duplicate)} (columns: ` +
        `${columns.join(", ")}). Give each output column a unique alias.`,
    );
  }
  const js = reader.getRowsJS();
  // DuckDB's JSON form is only needed for dates, lists, structs...: skip it when none came back.
  const plain = (v: unknown): boolean =>
    v === null || ["string", "boolean", "number", "bigint"].includes(typeof v);
  const json = js.every((values) => values.every(plain)) ? [] : reader.getRowsJson();
  const rows = js.map((values, r) => {
    const row: Row = {};
    columns.forEach((column, c) => {
      row[column] = plainValue(values[c], json[r]?.[c]);
    });
    return row;
  });
  return { columns, rows };
}

function csvField(value: RowValue | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Formats rows as CSV per RFC 4180: a header line, CRLF line ends (also after the last row),
 * fields holding `"`, `,`, CR or LF quoted with inner quotes doubled, NULL as an empty field.
 *
 * @param rows the rows (e.g. `result.rows` from {@link runQuery})
 * @param columns column order and header; defaults to the keys of the first row. Pass
 *   `result.columns` so that a result without rows still gets its header line.
 * @throws Error when there are neither rows nor columns (no header can be written).
 */
export function toCsv(
  rows: readonly Row[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
): string {
  if (columns.length === 0) {
    throw new Error(
      "toCsv needs the column names to write the header, and there are no rows to take them from; " +
        "pass result.columns as the second argument.",
    );
  }
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) {
    lines.push(columns.map((column) => csvField(row[column])).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
