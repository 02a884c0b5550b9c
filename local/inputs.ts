/**
 * Input checks of the local runner (same rules and messages as `glue/job.py` inspect_inputs): a
 * batch's three CSVs must exist, be CSV text and name the contract's required columns.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ENTITIES,
  matchHeader,
  type ContractInput,
  type DatasetContract,
  type Entity,
} from "../lib/contract";

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

/** A fatal problem with one input file. */
export interface Problem {
  file: string;
  message: string;
}

/** Checks every input file's presence, encoding and header; returns the header cells. */
export function inspectInputs(
  contract: DatasetContract,
  inputDir: string,
): Record<Entity, string[]> {
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

export function throwProblems(problems: Problem[], inputDir: string): void {
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

/** The files with a header but no data rows, as problems. */
export function emptyInputs(contract: DatasetContract, input: Record<Entity, number>): Problem[] {
  return ENTITIES.filter((e) => input[e] === 0).map((e) => {
    const file = contract.inputs[e].file;
    return {
      file,
      message:
        `Input file ${file} has a header but no data rows: re-export it with its rows (an ` +
        `empty file cannot be joined).`,
    };
  });
}
