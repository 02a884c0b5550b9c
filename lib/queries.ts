/**
 * The Athena queries in `queries/*.sql`: loading them (for the named queries and the local run),
 * running one on DuckDB, and writing a result as CSV. Header format and the SQL subset shared by
 * Athena (Trino) and DuckDB: queries/README.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";

/** The folder holding the query files: `<repo>/queries`. */
export const QUERIES_DIR = path.resolve(__dirname, "..", "queries");

/** Longest title: an Athena named query's `name` takes 1 to 128 characters. */
export const MAX_TITLE_LENGTH = 128;
/** Longest "answers" text: an Athena named query's `description` takes 1 to 1024 characters. */
export const MAX_ANSWERS_LENGTH = 1024;
/** Largest query file in bytes: an Athena named query's `queryString` takes up to 262144 bytes. */
export const MAX_QUERY_BYTES = 262_144;

/** One query file. */
export interface Query {
  /** File name without `.sql`, snake_case (e.g. `most_popular_artists`). */
  name: string;
  /** Absolute path of the file. */
  file: string;
  /** From the header line `-- title: ...`. */
  title: string;
  /** From the header line `-- answers: ...`: the question the query answers. */
  answers: string;
  /** The file's exact contents, header included (deployed byte for byte as the named query). */
  sql: string;
}

/** A value in a result row: DuckDB values converted to plain, CSV-friendly JavaScript. */
export type RowValue = string | number | boolean | bigint | null;
/** One result row, keyed by column name. */
export type Row = Record<string, RowValue>;
/** A query result: column names in select-list order (also when there are no rows) and rows. */
export interface QueryResult {
  columns: string[];
  rows: Row[];
}

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const TITLE_LINE = /^-- title: (.*)$/;
const ANSWERS_LINE = /^-- answers: (.*)$/;

function headerError(file: string, problem: string): Error {
  return new Error(
    `${file}: ${problem}. Every query file starts with two header lines:\n` +
      `-- title: <short title, at most ${MAX_TITLE_LENGTH} characters>\n` +
      `-- answers: <the question it answers, at most ${MAX_ANSWERS_LENGTH} characters>\n` +
      `(see queries/README.md).`,
  );
}

function headerValue(
  file: string,
  line: string | undefined,
  pattern: RegExp,
  key: string,
  max: number,
): string {
  const match = pattern.exec(line ?? "");
  if (!match) {
    const found = JSON.stringify(line ?? "");
    throw headerError(
      file,
      `line ${key === "title" ? 1 : 2} must be "-- ${key}: ..."; found ${found}`,
    );
  }
  const value = (match[1] ?? "").trim();
  if (value === "") {
    throw headerError(file, `the "-- ${key}:" header line is empty`);
  }
  if (value.length > max) {
    throw headerError(file, `the ${key} is ${value.length} characters long, more than ${max}`);
  }
  return value;
}

/**
 * Parses one query file's text (pure; {@link loadQueries} reads the files).
 *
 * @param file path of the file (its base name gives the query name)
 * @param sql the file's exact text
 * @throws Error naming the file and the problem when the name is not snake_case, the header is
 *   missing or too long, there is no SQL after the header, the SQL ends with `;`, or the file is
 *   larger than Athena accepts.
 */
export function parseQueryFile(file: string, sql: string): Query {
  const base = path.basename(file);
  const name = base.replace(/\.sql$/, "");
  if (!base.endsWith(".sql") || !SNAKE_CASE.test(name)) {
    throw new Error(
      `${file}: query file names must be snake_case with a .sql extension (e.g. ` +
        `most_popular_artists.sql); found ${JSON.stringify(base)}. Rename the file.`,
    );
  }
  const bytes = Buffer.byteLength(sql, "utf8");
  if (bytes > MAX_QUERY_BYTES) {
    throw new Error(
      `${file}: ${bytes} bytes, more than the ${MAX_QUERY_BYTES} an Athena named query takes. ` +
        `Shorten the query.`,
    );
  }
  const lines = sql.split(/\r?\n/);
  const title = headerValue(file, lines[0], TITLE_LINE, "title", MAX_TITLE_LENGTH);
  const answers = headerValue(file, lines[1], ANSWERS_LINE, "answers", MAX_ANSWERS_LENGTH);
  const body = lines
    .slice(2)
    .filter((line) => !/^\s*(--.*)?$/.test(line))
    .join("\n")
    .trim();
  if (body === "") {
    throw new Error(`${file}: no SQL after the header. Add the query below the two header lines.`);
  }
  if (body.endsWith(";")) {
    throw new Error(
      `${file}: the query ends with ";". Remove it: a named query holds one statement, and the ` +
        `local run wraps the text in COPY (...) TO, where a ";" is a syntax error.`,
    );
  }
  return { name, file, title, answers, sql };
}

/**
 * Loads every `*.sql` file of a folder, sorted by name.
 *
 * @param dir the folder; defaults to {@link QUERIES_DIR}
 * @returns one {@link Query} per file, `sql` being the file's exact contents
 * @throws Error when the folder has no `.sql` file or a file is invalid (see {@link parseQueryFile})
 */
export function loadQueries(dir: string = QUERIES_DIR): Query[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  if (files.length === 0) {
    throw new Error(`${dir}: no .sql query files found. Point loadQueries at the queries/ folder.`);
  }
  return files.map((f) => {
    const file = path.join(dir, f);
    return parseQueryFile(file, fs.readFileSync(file, "utf8"));
  });
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
