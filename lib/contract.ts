/**
 * The dataset contract (`glue/contract.json`), typed: the one loader the deployed program, the
 * local run and the tools share (`glue/job.py` reads the same file). It holds the inputs, the
 * quarantine reasons, the layout prefixes, the gold schema and the run summary's path and shape;
 * the facts below derive from it. Also the transform's SQL steps (`glue/sql/NN_<table>.sql`).
 * Pure functions plus file reads; no engine code. The rules are documented in `glue/README.md`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PUBLISH_ASIDE_PREFIX, loadPublishLayout } from "./publish";

/** The folder holding the contract and the SQL steps. */
export const GLUE_DIR = path.resolve(__dirname, "..", "glue");
/** The dataset contract file. */
export const CONTRACT_PATH = path.join(GLUE_DIR, "contract.json");

/** Entities of a batch, one input file each (the keys of the contract's `inputs`, in order). */
export const ENTITIES = ["albums", "artists", "tracks"] as const;
/** An entity of a batch. */
export type Entity = (typeof ENTITIES)[number];

/**
 * Row-level quarantine reasons, in the order checks apply: the names of the contract's `reasons`
 * (the loader refuses a contract that lists others), typed for the code that switches on them.
 */
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

/** Gold column types, as Spark SQL names them. */
export const SPARK_TYPES = ["STRING", "INT", "BIGINT", "DOUBLE", "BOOLEAN", "DATE"] as const;
/** A gold column type (Spark SQL name). */
export type SparkType = (typeof SPARK_TYPES)[number];

/** How each Spark type reads in DuckDB, in the Glue Data Catalog and in Athena query results. */
export const TYPE_NAMES: Readonly<
  Record<SparkType, { duckdb: string; glue: string; athena: string }>
> = {
  STRING: { duckdb: "VARCHAR", glue: "string", athena: "varchar" },
  INT: { duckdb: "INTEGER", glue: "int", athena: "integer" },
  BIGINT: { duckdb: "BIGINT", glue: "bigint", athena: "bigint" },
  DOUBLE: { duckdb: "DOUBLE", glue: "double", athena: "double" },
  BOOLEAN: { duckdb: "BOOLEAN", glue: "boolean", athena: "boolean" },
  DATE: { duckdb: "DATE", glue: "date", athena: "date" },
};

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
const prefix = z.string().regex(/^[a-z][a-z0-9_-]*\/$/, "must be a lowercase folder ending in /");
const goldColumnSchema = z
  .object({
    name: identifier,
    spark_type: z.enum(SPARK_TYPES),
    duckdb_type: z.string(),
    glue_type: z.string(),
    athena_type: z.string(),
    meaning: z.string().min(1),
  })
  .strict();
const contractSchema = z
  .object({
    description: z.string(),
    version: z.literal(1),
    csv: z.record(z.string(), z.union([z.string(), z.boolean()])),
    source_file_column: z.string().regex(/^_[a-z][a-z0-9_]*$/, "must be _snake_case"),
    reasons: z.array(z.object({ name: z.enum(REASONS), meaning: z.string().min(1) }).strict()),
    layout: z
      .object({
        incoming: prefix,
        ready_marker: z.string().regex(/^[A-Za-z0-9_.-]+$/),
        silver: prefix,
        quarantine: prefix,
        runs: prefix,
        gold_table: identifier,
      })
      .strict(),
    gold: z
      .object({
        table: identifier,
        grain: z.string().min(1),
        columns: z.array(goldColumnSchema).min(1),
      })
      .strict(),
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
      .object({
        fields: z.array(
          z.object({ name: identifier, type: z.string().min(1), meaning: z.string() }).strict(),
        ),
        identities: z.array(z.string().min(1)),
        table: identifier,
        root: z.literal("processed_path"),
        path: z.string().regex(/^[a-z0-9_/.-]*\{run_id\}[a-z0-9_/.-]*\.json$/),
      })
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
  const problems = contractProblems(parsed.data);
  if (problems.length > 0) {
    throw new Error(`Dataset contract ${file} is invalid: ${problems.join("; ")}.`);
  }
  return parsed.data;
}

/** What the schema cannot say: the cross-field rules of a parsed contract, one message each. */
export function contractProblems(c: DatasetContract): string[] {
  const problems: string[] = [];
  const same = (what: string, found: readonly string[], rule: readonly string[]) => {
    if (found.join() !== rule.join()) {
      problems.push(`${what} must be ${rule.join(", ")}; found ${found.join(", ")}`);
    }
  };
  same("inputs (keys, in order)", Object.keys(c.inputs), ENTITIES);
  same(
    "reasons (names, in order)",
    c.reasons.map((r) => r.name),
    REASONS,
  );
  for (const col of c.gold.columns) {
    const want = TYPE_NAMES[col.spark_type];
    const found = [col.duckdb_type, col.glue_type, col.athena_type];
    same(`gold column ${col.name} types (DuckDB, Glue, Athena)`, found, [
      want.duckdb,
      want.glue,
      want.athena,
    ]);
  }
  const gold = c.outputs.find((o) => o.root === "warehouse_path");
  if (gold?.path !== c.layout.gold_table || c.gold.table !== c.layout.gold_table) {
    problems.push(
      `the gold output path and gold.table must be layout.gold_table (${c.layout.gold_table}); ` +
        `found ${gold?.path ?? "no warehouse output"} and ${c.gold.table}`,
    );
  }
  for (const o of c.outputs.filter((o) => o.root === "processed_path")) {
    if (![c.layout.silver, c.layout.quarantine].some((p) => o.path.startsWith(p))) {
      problems.push(
        `output ${o.table} path must start with ${c.layout.silver} or ${c.layout.quarantine}; found ${o.path}`,
      );
    }
  }
  if (!c.summary.path.startsWith(c.layout.runs)) {
    problems.push(`summary.path must start with ${c.layout.runs}; found ${c.summary.path}`);
  }
  return problems;
}

/** The shipped contract, read once (module load). */
export const CONTRACT: DatasetContract = loadContract();

/** Staging (bronze) prefix batches land under: `incoming/<batch>/`. */
export const INCOMING_PREFIX = CONTRACT.layout.incoming;
/** The marker object a batch's upload ends with: `incoming/<batch>/_READY`. */
export const READY_MARKER = CONTRACT.layout.ready_marker;
/** The gold table (a top-level prefix of the datawarehouse bucket, the catalog table's name). */
export const GOLD_TABLE = CONTRACT.layout.gold_table;
/** Top-level prefixes the job overwrites in the processed bucket, without `/`. */
export const PROCESSED_PREFIXES: readonly string[] = [
  CONTRACT.layout.silver,
  CONTRACT.layout.quarantine,
  CONTRACT.layout.runs,
].map((p) => p.slice(0, -1));
/** Top-level prefixes the job overwrites in the datawarehouse bucket. */
export const WAREHOUSE_PREFIXES: readonly string[] = [
  GOLD_TABLE,
  // The snapshot history and the publish step's aside copies (glue/contract.json `publish`).
  loadPublishLayout().history.path,
  PUBLISH_ASIDE_PREFIX,
];
/** Prefix of run summaries in the processed bucket (`runs/`). */
export const RUN_SUMMARY_PREFIX = CONTRACT.layout.runs;

/** One column of the gold table. */
export type GoldColumn = DatasetContract["gold"]["columns"][number];
/** The gold table's columns, in order. */
export const GOLD_COLUMNS: readonly GoldColumn[] = CONTRACT.gold.columns;

/** Key of a run's summary object in the processed bucket: `runs/<run_id>/summary.json`. */
export function runSummaryKey(runId: string): string {
  return CONTRACT.summary.path.replace("{run_id}", runId);
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
