/**
 * The Athena queries in `queries/*.sql`: loading them (for the named queries and the local run;
 * running one on DuckDB lives in `local/queries.ts`). Header format and the SQL subset shared by
 * Athena (Trino) and DuckDB: queries/README.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GOLD_TABLE } from "./contract";
import { HISTORY_TABLE } from "./history";

/** The folder holding the query files: `<repo>/queries`. */
export const QUERIES_DIR = path.resolve(__dirname, "..", "queries");

/** Longest title: an Athena named query's `name` takes 1 to 128 characters. */
export const MAX_TITLE_LENGTH = 128;
/** Longest "answers" text: an Athena named query's `description` takes 1 to 1024 characters. */
export const MAX_ANSWERS_LENGTH = 1024;
/** Largest query file in bytes: an Athena named query's `queryString` takes up to 262144 bytes. */
export const MAX_QUERY_BYTES = 262_144;

/**
 * The tables a query file may read: the current gold table (the default) and the snapshot
 * history. A file that reads another names it on the optional third header line `-- reads: <table>`.
 */
export const QUERY_TABLES: readonly string[] = [GOLD_TABLE, HISTORY_TABLE];

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
  /**
   * The one table the query reads: the header line `-- reads: <table>`, else the gold table
   * (`tracks`). The Trino check (glue/tests/test_queries_trino.py) proves the SQL reads only it.
   */
  reads: string;
  /** The file's exact contents, header included (deployed byte for byte as the named query). */
  sql: string;
}

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const TITLE_LINE = /^-- title: (.*)$/;
const ANSWERS_LINE = /^-- answers: (.*)$/;
const READS_LINE = /^-- reads:(.*)$/;

function headerError(file: string, problem: string): Error {
  return new Error(
    `${file}: ${problem}. Every query file starts with two header lines:\n` +
      `-- title: <short title, at most ${MAX_TITLE_LENGTH} characters>\n` +
      `-- answers: <the question it answers, at most ${MAX_ANSWERS_LENGTH} characters>\n` +
      `and optionally a third, -- reads: <${QUERY_TABLES.join(" or ")}> (default ${GOLD_TABLE}) ` +
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
 *   missing or too long, a `-- reads:` line names a table not in {@link QUERY_TABLES}, there is no SQL after the header, the SQL ends with `;`, or the file is
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
  const readsLine = READS_LINE.exec(lines[2] ?? "");
  const reads = readsLine ? (readsLine[1] ?? "").trim() : GOLD_TABLE;
  if (!QUERY_TABLES.includes(reads)) {
    throw headerError(
      file,
      `line 3 "-- reads:" must name one of ${QUERY_TABLES.join(", ")}; found ${JSON.stringify(reads)}`,
    );
  }
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
  return { name, file, title, answers, reads, sql };
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
