/**
 * The local crawler: infers a catalog table from the Parquet files written, like the Glue crawler
 * over the gold prefix.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";

// ---------------------------------------------------------------------------------------------
// Crawler: catalog inference from the Parquet written
// ---------------------------------------------------------------------------------------------

/** A column of a catalog table. */
export interface CatalogColumn {
  name: string;
  /** Glue Data Catalog (Hive) type, as the crawler writes it: `string`, `int`, `bigint`, ... */
  type: string;
  /** The type Athena (Trino) reports in query results: `varchar`, `integer`, ... */
  athena_type: string;
}

/** A table of `OUT/catalog.json`. */
export interface CatalogTable {
  name: string;
  database: string;
  /** Folder of the table (the crawler's S3 target, locally a path ending in `/`). */
  location: string;
  classification: "parquet";
  /** Parquet compression codecs found, lowercase (e.g. `["snappy"]`). */
  compression: string[];
  columns: CatalogColumn[];
  /** Hive-style partition keys (`key=value` folders), string-typed like the crawler does. */
  partition_keys: CatalogColumn[];
  /** Partition values, one array per partition folder (in key order). */
  partitions: string[][];
  /** Rows in all data files (from the Parquet footers). */
  row_count: number;
  /** Data files read (Spark markers, temporary and hidden files excluded). */
  files: number;
  size_bytes: number;
}

/** `OUT/catalog.json`: what the Glue crawler would write to the Data Catalog. */
export interface Catalog {
  database: string;
  crawler: string;
  crawled_at: string;
  tables: CatalogTable[];
}

const SCALAR_TYPES: Record<string, [glue: string, athena: string]> = {
  VARCHAR: ["string", "varchar"],
  BOOLEAN: ["boolean", "boolean"],
  TINYINT: ["tinyint", "tinyint"],
  SMALLINT: ["smallint", "smallint"],
  INTEGER: ["int", "integer"],
  BIGINT: ["bigint", "bigint"],
  FLOAT: ["float", "real"],
  DOUBLE: ["double", "double"],
  DATE: ["date", "date"],
  TIMESTAMP: ["timestamp", "timestamp"],
  "TIMESTAMP WITH TIME ZONE": ["timestamp", "timestamp"],
  TIMESTAMP_NS: ["timestamp", "timestamp"],
  TIMESTAMP_MS: ["timestamp", "timestamp"],
  BLOB: ["binary", "varbinary"],
};

/**
 * Maps a DuckDB column type read from Parquet to the Glue Data Catalog type and the Athena type.
 * @throws Error for a type the crawler could not catalog (named, with the column).
 */
export function catalogTypes(duckdbType: string, column = "?"): [glue: string, athena: string] {
  const scalar = SCALAR_TYPES[duckdbType];
  if (scalar) return scalar;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType);
  if (decimal)
    return [`decimal(${decimal[1]},${decimal[2]})`, `decimal(${decimal[1]},${decimal[2]})`];
  if (duckdbType.endsWith("[]")) {
    const [glue, athena] = catalogTypes(duckdbType.slice(0, -2), column);
    return [`array<${glue}>`, `array(${athena})`];
  }
  throw new Error(
    `column ${column} has Parquet type ${duckdbType}, which this local crawler does not map to ` +
      `a Glue type; the gold schema (docs/contracts.md) uses string, int, bigint, double, ` +
      `boolean and date.`,
  );
}

/** Data files of a table folder, like the crawler sees them (exclusions applied), sorted. */
export function tableFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      // Spark's _SUCCESS and _temporary/ (lib/etl.ts CRAWLER_EXCLUSIONS), Hadoop's hidden .crc.
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      if (entry.name.endsWith("_$folder$")) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(", ")}]`;
}

export async function rowsOf(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

export function count(value: unknown): number {
  return typeof value === "bigint" ? Number(value) : Number(value ?? 0);
}

/**
 * Infers one catalog table from the Parquet files under `dir`, like the Glue crawler over the
 * gold prefix: columns and types from the files' schema, Hive-style partitions from
 * `key=value` folders, the row count from the Parquet footers.
 *
 * @throws Error when the folder holds no data file, a file is not Parquet, or a type is unmapped.
 */
export async function inferTable(
  connection: DuckDBConnection,
  dir: string,
  name: string,
  database: string,
): Promise<CatalogTable> {
  if (!fs.existsSync(dir)) {
    throw new Error(`the crawler target ${dir} does not exist: the job wrote no ${name} table.`);
  }
  const files = tableFiles(dir);
  if (files.length === 0) {
    throw new Error(`the crawler target ${dir} holds no data file (only markers or nothing).`);
  }
  // Partition keys from the folders between the table root and each file.
  const partitionOf = (file: string): [string, string][] =>
    path
      .relative(dir, path.dirname(file))
      .split(path.sep)
      .filter((p) => p !== "")
      .map((segment) => {
        const at = segment.indexOf("=");
        return at > 0 ? [segment.slice(0, at), segment.slice(at + 1)] : ["", segment];
      });
  const first = partitionOf(files[0] as string).map(([k]) => k);
  for (const file of files) {
    const keys = partitionOf(file).map(([k]) => k);
    if (keys.includes("") || keys.join("/") !== first.join("/")) {
      throw new Error(
        `${file} is not in a key=value partition layout shared by every file of ${dir}; ` +
          `the crawler would split it into several tables.`,
      );
    }
  }
  const list = sqlList(files);
  const described = await rowsOf(
    connection,
    `DESCRIBE SELECT * FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true)`,
  );
  const columns = described.map((r) => {
    const column = String(r.column_name);
    const [type, athena_type] = catalogTypes(String(r.column_type), column);
    return { name: column, type, athena_type };
  });
  const [meta] = await rowsOf(
    connection,
    `SELECT SUM(num_rows) AS row_count FROM parquet_file_metadata(${list})`,
  );
  const codecs = await rowsOf(
    connection,
    `SELECT DISTINCT lower(compression) AS codec FROM parquet_metadata(${list}) ORDER BY codec`,
  );
  const partitions = [
    ...new Set(files.map((f) => JSON.stringify(partitionOf(f).map(([, v]) => v)))),
  ].map((p) => JSON.parse(p) as string[]);
  return {
    name,
    database,
    location: `${dir}${path.sep}`,
    classification: "parquet",
    compression: codecs.map((c) => String(c.codec)),
    columns,
    partition_keys: first.map((k) => ({ name: k, type: "string", athena_type: "varchar" })),
    partitions: first.length > 0 ? partitions.sort() : [],
    row_count: count(meta?.row_count),
    files: files.length,
    size_bytes: files.reduce((s, f) => s + fs.statSync(f).size, 0),
  };
}

/** Rows in the Parquet data files of a table folder (`COUNT(*)`, not the run summary). */
export async function countParquetRows(connection: DuckDBConnection, dir: string): Promise<number> {
  const [row] = await rowsOf(
    connection,
    `SELECT COUNT(*) AS n FROM read_parquet(${sqlList(tableFiles(dir))}, hive_partitioning = false)`,
  );
  return count(row?.n);
}
