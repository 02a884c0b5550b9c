/**
 * The local runner of the transform: the DuckDB twin of `glue/job.py`. It validates the three
 * input CSVs against `glue/contract.json`, registers the raw views, runs `glue/sql/*.sql` in
 * order, and writes silver, quarantine and gold Snappy Parquet plus the run summary under the
 * local medallion layout (docs/contracts.md).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import {
  ENTITIES,
  REASONS,
  loadContract,
  loadSqlSteps,
  matchHeader,
  type ContractInput,
  type DatasetContract,
  type Entity,
  type Reason,
} from "./contract";

/** The run summary written to `processed/runs/<run_id>/summary.json` (docs/contracts.md). */
export interface RunSummary {
  run_id: string;
  engine: "spark" | "duckdb";
  /** Data rows read per input file. */
  input: Record<Entity, number>;
  /** Rows accepted into silver per input file (albums: the gold rows). */
  accepted: Record<Entity, number>;
  /** Rows quarantined per input file and reason (reasons with no rows are left out). */
  rejected: Record<Entity, Partial<Record<Reason, number>>>;
  /** Rows written to the gold table. */
  output: { tracks: number };
}

/** Options of {@link runTransform}. */
export interface RunTransformOptions {
  /** Folder holding `albums.csv`, `artists.csv` and `tracks.csv` (one batch). */
  inputDir: string;
  /** Root of the local medallion layout (`OUT/`): `processed/` and `datawarehouse/` go here. */
  outDir: string;
  /** Id of the run: names `processed/runs/<runId>/`; letters, digits, `.`, `_`, `-`. */
  runId: string;
  /**
   * Engine recorded in the summary.
   * @default "duckdb"
   */
  engineLabel?: RunSummary["engine"];
}

/**
 * A fatal problem with the input files (missing, empty, not a CSV, missing a required column).
 * The message names the file (and column) and says how to fix it.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  /** Input files (e.g. `albums.csv`) the problems are about, in contract order. */
  readonly files: string[];

  constructor(message: string, files: string[]) {
    super(message);
    this.files = files;
  }
}

/** Bytes read to find and check a file's header. */
const HEADER_SCAN_BYTES = 1 << 20;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Problem {
  file: string;
  message: string;
}

/**
 * Runs the transform on DuckDB over one batch of CSVs and writes, overwriting earlier output:
 * `outDir/processed/silver/<entity>/`, `outDir/processed/quarantine/<entity>/`,
 * `outDir/datawarehouse/tracks/` (Snappy Parquet) and
 * `outDir/processed/runs/<runId>/summary.json`. Same input, same output rows and files.
 * @returns The run summary (also written as JSON).
 * @throws InputError when an input file is missing, empty, not a CSV, or lacks a required
 * column (all such problems at once).
 */
export async function runTransform(opts: RunTransformOptions): Promise<RunSummary> {
  if (!RUN_ID.test(opts.runId)) {
    throw new Error(
      `runId ${JSON.stringify(opts.runId)} is not a safe folder name: use 1-128 letters, ` +
        `digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  const contract = loadContract();
  const steps = loadSqlSteps();
  const inputDir = path.resolve(opts.inputDir);
  const headers = inspectInputs(contract, inputDir);

  // Row order is not part of the output (see orderBy), so DuckDB may parallelize freely.
  const instance = await DuckDBInstance.create(":memory:", { preserve_insertion_order: "false" });
  const connection = await instance.connect();
  try {
    await registerRawViews(connection, contract, inputDir, headers);
    for (const step of steps) {
      try {
        const kind = contract.sql.materialize.includes(step.table) ? "TABLE" : "VIEW";
        await connection.run(`CREATE OR REPLACE TEMP ${kind} ${step.table} AS\n${step.sql}`);
      } catch (err) {
        throw new Error(`SQL step glue/sql/${step.file} failed on DuckDB: ${errorText(err)}`, {
          cause: err,
        });
      }
    }
    // Checks the accounting identity before anything is written.
    const summary = await readSummary(
      connection,
      contract,
      opts.runId,
      opts.engineLabel ?? "duckdb",
    );
    const roots = {
      processed_path: path.join(opts.outDir, "processed"),
      warehouse_path: path.join(opts.outDir, "datawarehouse"),
    };
    for (const output of contract.outputs) {
      const dir = path.join(roots[output.root], output.path);
      await writeParquetDir(connection, output.table, orderBy(output.table), dir, opts.runId);
    }
    const summaryFile = path.join(
      roots[contract.summary.root],
      contract.summary.path.replace("{run_id}", opts.runId),
    );
    fs.mkdirSync(path.dirname(summaryFile), { recursive: true });
    fs.writeFileSync(`${summaryFile}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
    fs.renameSync(`${summaryFile}.tmp`, summaryFile);
    return summary;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Checks every input file's presence, encoding and header; returns the header cells. */
function inspectInputs(contract: DatasetContract, inputDir: string): Record<Entity, string[]> {
  if (!fs.existsSync(inputDir) || !fs.statSync(inputDir).isDirectory()) {
    throw new InputError(
      `Input folder ${inputDir} does not exist or is not a folder: point inputDir at the batch ` +
        `folder that holds albums.csv, artists.csv and tracks.csv.`,
      ENTITIES.map((e) => contract.inputs[e].file),
    );
  }
  const problems: Problem[] = [];
  const headers: Partial<Record<Entity, string[]>> = {};
  for (const entity of ENTITIES) {
    const input = contract.inputs[entity];
    const result = inspectFile(input, path.join(inputDir, input.file), inputDir);
    if (typeof result === "string") problems.push({ file: input.file, message: result });
    else headers[entity] = result;
  }
  throwProblems(problems, inputDir);
  return headers as Record<Entity, string[]>;
}

/** Returns a file's header cells, or the message of its fatal problem. */
function inspectFile(input: ContractInput, file: string, inputDir: string): string[] | string {
  const name = input.file;
  if (!fs.existsSync(file)) {
    return (
      `Input file ${name} not found in ${inputDir}: a batch needs albums.csv, artists.csv and ` +
      `tracks.csv side by side; add ${name}.`
    );
  }
  const size = fs.statSync(file).size;
  if (size === 0) {
    return (
      `Input file ${name} is empty (0 bytes): re-export it with its header row (required ` +
      `columns: ${requiredNames(input)}) and its data rows.`
    );
  }
  const bytes = Buffer.alloc(Math.min(size, HEADER_SCAN_BYTES));
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, bytes, 0, bytes.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const notCsv = (what: string, fix: string): string =>
    `Input file ${name} is not a CSV text file: ${what}. ${fix}`;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return notCsv("it is gzip-compressed", "Decompress it and upload the plain .csv.");
  }
  if (bytes.subarray(0, 4).toString("latin1") === "PK\x03\x04") {
    return notCsv(
      "it is a ZIP archive (an Excel .xlsx workbook is one)",
      "Export the sheet as CSV UTF-8 (comma-separated).",
    );
  }
  if (bytes.subarray(0, 4).toString("latin1") === "PAR1") {
    return notCsv("it is a Parquet file", "Upload the CSV export instead.");
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return notCsv("it is UTF-16 encoded", "Re-save it as UTF-8.");
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return notCsv(
      `it holds binary data (a NUL byte at offset ${nul})`,
      "Upload the CSV export (UTF-8, comma-separated).",
    );
  }
  const end = headerEnd(bytes);
  if (end === undefined) {
    return notCsv(
      size > bytes.length
        ? `no line break in its first ${HEADER_SCAN_BYTES} bytes`
        : "its header row has an unterminated quoted field",
      "Upload a comma-separated file whose first line names the columns.",
    );
  }
  let line: string;
  try {
    line = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return notCsv("its header row is not valid UTF-8", "Re-save it as UTF-8.");
  }
  const cells = parseCsvRecord(line.replace(/\r$/, ""));
  const only = cells[0] ?? "";
  if (cells.length === 1) {
    const separator = [";", "\t", "|"].find((s) => only.includes(s));
    if (separator !== undefined) {
      return notCsv(
        `its header is one cell separated by ${JSON.stringify(separator)}`,
        "Re-export it comma-separated.",
      );
    }
  }
  const match = matchHeader(input, cells);
  const messages: string[] = [];
  if (match.missing.length > 0) {
    const list = match.missing
      .map((c) => `${c.name} (accepted header names: ${c.headers.join(", ")})`)
      .join(", ");
    const plural = match.missing.length > 1 ? "columns" : "column";
    messages.push(
      `Input file ${name} is missing required ${plural} ${list}. Header found: ` +
        `${cells.join(", ")}. Add the ${plural} or rename the matching header cells.`,
    );
  }
  for (const { column, positions } of match.repeated) {
    messages.push(
      `Input file ${name} names column ${column.name} more than once in its header (cells ` +
        `${positions.map((p) => p + 1).join(" and ")}). Remove or rename the extra cells.`,
    );
  }
  return messages.length > 0 ? messages.join(" ") : cells;
}

/** Byte offset of the first line break outside quotes, or undefined. */
function headerEnd(bytes: Buffer): number | undefined {
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0a && !quoted) return i;
  }
  return undefined;
}

/** Splits one CSV record (RFC 4180: `"` quotes, `""` escapes a quote). */
function parseCsvRecord(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

function requiredNames(input: ContractInput): string {
  return input.columns
    .filter((c) => c.required)
    .map((c) => c.name)
    .join(", ");
}

function throwProblems(problems: Problem[], inputDir: string): void {
  if (problems.length === 0) return;
  const files = problems.map((p) => p.file);
  const [first] = problems;
  if (problems.length === 1 && first) throw new InputError(first.message, files);
  throw new InputError(
    `${problems.length} problems with the input files in ${inputDir}:\n` +
      problems.map((p) => `- ${p.message}`).join("\n"),
    files,
  );
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Registers `raw_<entity>` tables: every kept column as VARCHAR under its canonical name
 * (NULL when an optional column is absent) plus `_source_file`.
 */
async function registerRawViews(
  connection: DuckDBConnection,
  contract: DatasetContract,
  inputDir: string,
  headers: Record<Entity, string[]>,
): Promise<void> {
  const problems: Problem[] = [];
  for (const entity of ENTITIES) {
    const input = contract.inputs[entity];
    const file = path.join(inputDir, input.file);
    const header = headers[entity];
    const positions = matchHeader(input, header).positions;
    const columns = header.map((_, i) => `'c${i}': 'VARCHAR'`).join(", ");
    const select = input.columns.map((c) => {
      const at = positions[c.name];
      return at === undefined ? `CAST(NULL AS VARCHAR) AS ${c.name}` : `c${at} AS ${c.name}`;
    });
    select.push(`${sqlString(file)} AS ${contract.source_file_column}`);
    const create = (options: string): string =>
      `CREATE OR REPLACE TEMP TABLE ${input.raw_view} AS SELECT ${select.join(", ")} ` +
      `FROM read_csv(${sqlString(file)}, header = true, auto_detect = false, ` +
      `columns = {${columns}}, delim = ',', quote = '"', escape = '"', encoding = 'utf-8', ` +
      `strict_mode = false${options})`;
    try {
      // Fast path: the parallel scanner (fields beyond the header are dropped). It refuses rows
      // with missing fields, so those files go through the sequential scanner, which pads them
      // with NULL: both match Spark's PERMISSIVE mode.
      await connection.run(create(""));
    } catch {
      try {
        await connection.run(create(", null_padding = true, parallel = false"));
      } catch (err) {
        problems.push({
          file: input.file,
          message:
            `Input file ${input.file} could not be parsed as CSV (${csvErrorText(err)}). Check ` +
            `that it is UTF-8, comma-separated, and doubles the quotes inside quoted fields.`,
        });
        continue;
      }
    }
    const rows = await scalar(connection, `SELECT COUNT(*) FROM ${input.raw_view}`);
    if (rows === 0) {
      problems.push({
        file: input.file,
        message:
          `Input file ${input.file} has a header but no data rows: re-export it with its rows ` +
          `(an empty file cannot be joined).`,
      });
    }
  }
  throwProblems(problems, inputDir);
}

/**
 * Row order of an output file: quarantine files are sorted on every column (small, read by
 * people). Silver and gold keep DuckDB's order: the rows are the same on every run, their
 * order within the file is not part of the contract, and sorting a million wide rows costs more
 * than the rest of the write.
 */
function orderBy(table: string): string {
  return table.startsWith("quarantine_") ? " ORDER BY ALL" : "";
}

/** Replaces `dir` with one Snappy Parquet file of `table` (written aside, then swapped in). */
async function writeParquetDir(
  connection: DuckDBConnection,
  table: string,
  order: string,
  dir: string,
  runId: string,
): Promise<void> {
  const staging = `${dir}.tmp-${runId}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const file = path.join(staging, "part-00000.snappy.parquet");
  await connection.run(
    `COPY (SELECT * FROM ${table}${order}) TO ${sqlString(file)} ` +
      `(FORMAT parquet, COMPRESSION snappy)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return toNumber(reader.getRows()[0]?.[0], sql);
}

/** Converts a DuckDB count (BIGINT comes back as bigint) to a safe JS number. */
function toNumber(value: unknown, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new Error(`Expected a row count from ${what}; got ${String(value)}.`);
  }
  return n;
}

/** Builds the run summary from the `run_counts` table and checks the accounting identity. */
async function readSummary(
  connection: DuckDBConnection,
  contract: DatasetContract,
  runId: string,
  engine: RunSummary["engine"],
): Promise<RunSummary> {
  const zero = (): Record<Entity, number> => ({ albums: 0, artists: 0, tracks: 0 });
  const input = zero();
  const accepted = zero();
  const found: Record<Entity, Partial<Record<Reason, number>>> = {
    albums: {},
    artists: {},
    tracks: {},
  };
  let output = 0;
  const reader = await connection.runAndReadAll(
    `SELECT section, entity, reason, row_count FROM ${contract.summary.table}`,
  );
  for (const [section, entity, reason, count] of reader.getRows()) {
    const n = toNumber(count, `${contract.summary.table} (${String(section)} ${String(entity)})`);
    const e = entity as Entity;
    if (section === "input") input[e] = n;
    else if (section === "accepted") accepted[e] = n;
    else if (section === "rejected") {
      if (!(REASONS as readonly unknown[]).includes(reason)) {
        throw new Error(
          `${contract.summary.table} reports unknown reason ${String(reason)} for ${e}: use one ` +
            `of ${REASONS.join(", ")} (docs/contracts.md).`,
        );
      }
      found[e][reason as Reason] = n;
    } else if (section === "output") output = n;
  }
  const rejected: RunSummary["rejected"] = { albums: {}, artists: {}, tracks: {} };
  for (const entity of ENTITIES) {
    for (const reason of REASONS) {
      const n = found[entity][reason];
      if (n !== undefined) rejected[entity][reason] = n;
    }
    const quarantined = Object.values(found[entity]).reduce((a, b) => a + b, 0);
    if (input[entity] !== accepted[entity] + quarantined) {
      throw new Error(
        `Row accounting broken for ${entity}: ${input[entity]} in, ${accepted[entity]} ` +
          `accepted, ${quarantined} quarantined. The SQL in glue/sql loses or duplicates rows.`,
      );
    }
  }
  if (output !== accepted.albums) {
    throw new Error(
      `Gold has ${output} rows but ${accepted.albums} albums rows were accepted: the joins in ` +
        `glue/sql/13_gold_tracks.sql drop or duplicate rows.`,
    );
  }
  return { run_id: runId, engine, input, accepted, rejected, output: { tracks: output } };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}

/** DuckDB's CSV error reduced to its line number and what is wrong (no settings dump). */
function csvErrorText(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split("\n");
  const where = (lines[0] ?? "").replace(/^[A-Za-z ]+Error: /, "");
  const what = lines
    .slice(1)
    .find((l) => l.trim() !== "" && !/^(Original Line|Possible|Expected|\s)/.test(l));
  return what === undefined ? where : `${where}: ${what.trim().replace(/\.$/, "")}`;
}
