/**
 * Typed access to the dataset contract (`glue/contract.json`) and the transform's SQL steps
 * (`glue/sql/NN_<table>.sql`), shared with the Spark job. Pure functions plus file reads; no
 * engine code. The rules are documented in `glue/README.md`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/** The folder holding the contract and the SQL steps. */
export const GLUE_DIR = path.resolve(__dirname, "..", "glue");
/** The dataset contract file. */
export const CONTRACT_PATH = path.join(GLUE_DIR, "contract.json");

/** Entities of a batch, one input file each. */
export const ENTITIES = ["albums", "artists", "tracks"] as const;
/** An entity of a batch. */
export type Entity = (typeof ENTITIES)[number];

/** Row-level quarantine reasons, in the order checks apply (docs/contracts.md). */
export const REASONS = [
  "missing_key",
  "bad_number",
  "bad_date",
  "bad_boolean",
  "orphan_artist",
  "orphan_track",
  "duplicate_row",
  "duplicate_key",
] as const;
/** A row-level quarantine reason. */
export type Reason = (typeof REASONS)[number];

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a lowercase snake_case name");
const columnSchema = z
  .object({
    name: identifier,
    headers: z.array(z.string().min(1)).min(1),
    type: z.enum(["string", "int", "bigint", "date", "boolean"]),
    required: z.boolean(),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    format: z.string().optional(),
  })
  .strict();
const inputSchema = z
  .object({
    file: z.string().regex(/^[a-z]+\.csv$/),
    raw_view: identifier,
    key: identifier,
    references: z.array(
      z.object({ column: identifier, entity: z.enum(ENTITIES), reason: z.enum(REASONS) }).strict(),
    ),
    columns: z.array(columnSchema).min(1),
    derived: z.array(
      z.object({ name: identifier, type: columnSchema.shape.type, format: z.string() }).strict(),
    ),
  })
  .strict();
const contractSchema = z
  .object({
    description: z.string(),
    version: z.literal(1),
    csv: z.record(z.string(), z.union([z.string(), z.boolean()])),
    source_file_column: z.string().regex(/^_[a-z][a-z0-9_]*$/, "must be _snake_case"),
    reasons: z.array(z.enum(REASONS)),
    inputs: z.object({ albums: inputSchema, artists: inputSchema, tracks: inputSchema }).strict(),
    sql: z
      .object({
        dir: z.string(),
        files: z.string(),
        materialize: z.array(identifier),
        materialize_note: z.string(),
      })
      .strict(),
    outputs: z.array(
      z
        .object({
          table: identifier,
          root: z.enum(["processed_path", "warehouse_path"]),
          path: z.string(),
        })
        .strict(),
    ),
    summary: z
      .object({ table: identifier, root: z.literal("processed_path"), path: z.string() })
      .strict(),
    // Validated by lib/quality-gates.ts and lib/publish-layout.ts.
    quality_gates: z.unknown(),
    publish: z.unknown(),
  })
  .strict();

/** The dataset contract (`glue/contract.json`). */
export type DatasetContract = z.infer<typeof contractSchema>;
/** One input file of the contract. */
export type ContractInput = DatasetContract["inputs"][Entity];
/** One kept column of an input file. */
export type ContractColumn = ContractInput["columns"][number];

/**
 * Reads and validates the dataset contract.
 * @param file Path of the contract JSON.
 * @default file `glue/contract.json`
 * @throws Error naming the file and every invalid field when the contract is malformed.
 */
export function loadContract(file: string = CONTRACT_PATH): DatasetContract {
  const parsed = contractSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Dataset contract ${file} is invalid: ${problems.join("; ")}.`);
  }
  return parsed.data;
}

/**
 * Normalizes a CSV header cell for matching: drops a UTF-8 byte order mark and surrounding
 * whitespace, lowercases.
 */
export function normalizeHeader(cell: string): string {
  return cell
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase();
}

/** How a file's header maps to the contract's kept columns. */
export interface HeaderMatch {
  /** Header cell index of each kept column found (absent optional columns are missing). */
  positions: Partial<Record<string, number>>;
  /** Required columns no header cell matches. */
  missing: ContractColumn[];
  /** Kept columns matched by more than one header cell, with the cell indexes. */
  repeated: { column: ContractColumn; positions: number[] }[];
}

/**
 * Maps a header row to the kept columns of one input: for each column the first of its
 * `headers` present wins (compared with {@link normalizeHeader}); extra cells are ignored.
 * @param input The contract input the file belongs to.
 * @param header The header cells, in file order.
 */
export function matchHeader(input: ContractInput, header: readonly string[]): HeaderMatch {
  const cells = header.map(normalizeHeader);
  const result: HeaderMatch = { positions: {}, missing: [], repeated: [] };
  for (const column of input.columns) {
    const name = column.headers.map((h) => h.toLowerCase()).find((h) => cells.includes(h));
    if (name === undefined) {
      if (column.required) result.missing.push(column);
      continue;
    }
    const positions = cells.flatMap((cell, i) => (cell === name ? [i] : []));
    if (positions.length > 1) result.repeated.push({ column, positions });
    result.positions[column.name] = positions[0];
  }
  return result;
}

/** One step of the transform: `glue/sql/NN_<table>.sql`. */
export interface SqlStep {
  /** File name, e.g. `10_duplicates_albums.sql`. */
  file: string;
  /** The table the step's SELECT creates, e.g. `duplicates_albums`. */
  table: string;
  /** The SELECT statement (no trailing semicolon). */
  sql: string;
}

/**
 * Lists the SQL steps of the transform in execution order (file-name order).
 * @param dir Folder of the SQL files.
 * @default dir `glue/sql`
 * @throws Error when a `.sql` file is not named `NN_<table>.sql` or holds a semicolon.
 */
export function loadSqlSteps(dir: string = path.join(GLUE_DIR, "sql")): SqlStep[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  return files.map((file) => {
    const match = /^\d{2}_([a-z][a-z0-9_]*)\.sql$/.exec(file);
    if (!match?.[1]) {
      throw new Error(
        `SQL step ${path.join(dir, file)} is misnamed: name it NN_<table>.sql ` +
          `(two digits, then the lowercase snake_case table it creates).`,
      );
    }
    const sql = fs.readFileSync(path.join(dir, file), "utf8").trim();
    if (sql.includes(";")) {
      throw new Error(
        `SQL step ${path.join(dir, file)} contains ";": a step is one SELECT without a ` +
          `trailing semicolon (the runner wraps it in CREATE ... AS).`,
      );
    }
    return { file, table: match[1], sql };
  });
}
