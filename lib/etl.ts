/**
 * Pure facts of the Glue ETL: which files ship to the assets bucket and under which content-hashed
 * keys, the job's default arguments, the catalog names and the crawler's policies.
 * `components/etl.ts` turns them into resources; nothing here declares a resource.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import {
  GLUE_DIR,
  GOLD_TABLE,
  INCOMING_PREFIX,
  PROCESSED_PREFIXES,
  WAREHOUSE_PREFIXES,
} from "./contract";

/** The Glue version the job runs (Spark 3.5, Python 3.11, Java 17). */
export const GLUE_VERSION = "5.0";

/** The job's folder in the repository: `job.py`, `contract.json`, `sql/*.sql`. */
export { GLUE_DIR };

/** Key prefix of the job's files in the assets bucket (each version under `glue/<hash>/`). */
export const ASSETS_PREFIX = "glue/";

/** The script's file name. */
export const SCRIPT_FILE = "job.py";

/** The dataset contract's file name. */
export const CONTRACT_FILE = "contract.json";

/** Hex characters of the content hash in asset keys. */
export const ASSET_HASH_LENGTH = 12;

/** The layout the job reads and writes, from glue/contract.json `layout`. */
export {
  GOLD_TABLE,
  INCOMING_PREFIX as STAGING_INPUT_PREFIX,
  PROCESSED_PREFIXES,
  WAREHOUSE_PREFIXES,
};

/**
 * The arguments `glue/job.py` resolves with `getResolvedOptions` (docs/contracts.md), without `--`.
 * Glue passes `JOB_NAME` itself; the state machine passes {@link PER_RUN_ARGUMENTS}; the job's
 * `defaultArguments` carry the rest.
 */
export const JOB_ARGUMENTS = [
  "JOB_NAME",
  "run_id",
  "input_path",
  "processed_path",
  "warehouse_path",
  "mode",
  "snapshot_date",
  "pipeline_name",
  "quality_gates",
] as const;

/** Arguments the state machine passes to each run (`StartJobRun` `Arguments`). */
export const PER_RUN_ARGUMENTS = [
  "--run_id",
  "--input_path",
  "--mode",
  "--snapshot_date",
  "--pipeline_name",
  "--quality_gates",
] as const;

/**
 * Glue's own special parameters that the job sets; the script does not resolve them.
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
 */
export const GLUE_SPECIAL_ARGUMENTS = [
  "--job-language",
  "--extra-files",
  "--enable-metrics",
  "--enable-observability-metrics",
  "--enable-auto-scaling",
  "--job-bookmark-option",
] as const;

/** One file as read from disk (or given in a test). */
export interface AssetSource {
  /** Flat file name in the assets prefix and in the driver's working directory, e.g. `01_x.sql`. */
  name: string;
  /** The file's bytes. */
  content: string | Buffer;
  /** Local path, for the upload (`pulumi.asset.FileAsset`). */
  localPath?: string;
}

/** One file of a job version, with its place in the assets bucket. */
export interface GlueAsset {
  name: string;
  /** `script`, `module` (a Python module the script imports), `sql` or `contract`. */
  kind: "script" | "module" | "sql" | "contract";
  /** Object key: `glue/<version hash>/<name>`. */
  key: string;
  /** SHA-256 of the file's bytes (hex), the object's `sourceHash`. */
  sha256: string;
  contentType: string;
  localPath?: string;
}

/** Every file of one version of the job, under one content-hashed prefix. */
export interface GlueAssetVersion {
  /** First {@link ASSET_HASH_LENGTH} hex characters of the hash over every file's name and bytes. */
  hash: string;
  /** `glue/<hash>/`. */
  prefix: string;
  /** The entrypoint (`job.py`). */
  script: GlueAsset;
  /**
   * What `--extra-files` ships beside the script: its Python modules, the SQL files in run order,
   * then the contract.
   */
  extraFiles: GlueAsset[];
  /** Script first, then the extra files. */
  all: GlueAsset[];
}

const SQL_FILE = /^[A-Za-z0-9_.-]+\.sql$/;
const MODULE_FILE = /^[a-z_][a-z0-9_]*\.py$/;

function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

function kindOf(name: string): GlueAsset["kind"] | undefined {
  if (name === SCRIPT_FILE) return "script";
  if (name === CONTRACT_FILE) return "contract";
  if (SQL_FILE.test(name)) return "sql";
  if (MODULE_FILE.test(name)) return "module";
  return undefined;
}

const CONTENT_TYPES: Record<GlueAsset["kind"], string> = {
  script: "text/x-python",
  module: "text/x-python",
  sql: "application/sql",
  contract: "application/json",
};

/**
 * Places the job's files under one content-hashed prefix: any change to any file (script, a SQL
 * file, the contract) or to the set of files gives a new prefix, so the script location and the
 * `--extra-files` list change together and the job is updated.
 *
 * @param files `job.py`, `contract.json` and the SQL files (flat names; order does not matter).
 * @throws Error naming the missing or unexpected files when the set is not exactly one script, one
 *   contract and at least one SQL file with unique names.
 */
export function assetVersion(files: readonly AssetSource[]): GlueAssetVersion {
  const problems: string[] = [];
  const names = files.map((f) => f.name);
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length > 0) problems.push(`duplicate file names ${JSON.stringify(dupes)}`);
  const unknown = names.filter((n) => kindOf(n) === undefined);
  if (unknown.length > 0) {
    problems.push(
      `unexpected files ${JSON.stringify(unknown)} (expected ${SCRIPT_FILE}, ${CONTRACT_FILE}, *.sql named with letters, digits, _ . - and *.py modules named in lowercase snake_case)`,
    );
  }
  for (const required of [SCRIPT_FILE, CONTRACT_FILE]) {
    if (!names.includes(required)) problems.push(`${required} is missing`);
  }
  if (!names.some((n) => kindOf(n) === "sql")) problems.push("no SQL file (sql/*.sql)");
  if (problems.length > 0) {
    throw new Error(
      `Glue job assets are incomplete: ${problems.join("; ")}. The job ships glue/${SCRIPT_FILE}, glue/${CONTRACT_FILE} and glue/sql/*.sql; add the missing files.`,
    );
  }

  const hashed = files
    .map((f) => ({ ...f, sha256: sha256(f.content) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hash = sha256(hashed.map((f) => `${f.name}\0${f.sha256}\n`).join("")).slice(
    0,
    ASSET_HASH_LENGTH,
  );
  const prefix = `${ASSETS_PREFIX}${hash}/`;
  const asset = (f: (typeof hashed)[number]): GlueAsset => {
    const kind = kindOf(f.name)!;
    return {
      name: f.name,
      kind,
      key: `${prefix}${f.name}`,
      sha256: f.sha256,
      contentType: CONTENT_TYPES[kind],
      ...(f.localPath !== undefined ? { localPath: f.localPath } : {}),
    };
  };
  const script = asset(hashed.find((f) => f.name === SCRIPT_FILE)!);
  const sql = hashed.filter((f) => kindOf(f.name) === "sql").map(asset);
  const contract = asset(hashed.find((f) => f.name === CONTRACT_FILE)!);
  const modules = hashed.filter((f) => kindOf(f.name) === "module").map(asset);
  const extraFiles = [...modules, ...sql, contract];
  return { hash, prefix, script, extraFiles, all: [script, ...extraFiles] };
}

/**
 * Reads the job's files from disk (`<dir>/job.py`, its modules `<dir>/*.py`, `<dir>/contract.json`,
 * `<dir>/sql/*.sql`) and places them with {@link assetVersion}.
 * @param dir the job's folder. @default {@link GLUE_DIR}
 * @throws Error naming each missing file.
 */
export function loadGlueAssets(dir: string = GLUE_DIR): GlueAssetVersion {
  const read = (p: string): AssetSource[] =>
    fs.existsSync(p) ? [{ name: path.basename(p), content: fs.readFileSync(p), localPath: p }] : [];
  const sqlDir = path.join(dir, "sql");
  const sql = fs.existsSync(sqlDir)
    ? fs
        .readdirSync(sqlDir)
        .filter((f) => f.endsWith(".sql"))
        .flatMap((f) => read(path.join(sqlDir, f)))
    : [];
  const modules = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((f) => f.endsWith(".py") && f !== SCRIPT_FILE)
    .flatMap((f) => read(path.join(dir, f)));
  try {
    return assetVersion([
      ...read(path.join(dir, SCRIPT_FILE)),
      ...modules,
      ...read(path.join(dir, CONTRACT_FILE)),
      ...sql,
    ]);
  } catch (err) {
    throw new Error(`${(err as Error).message} (looked in ${dir})`, { cause: err });
  }
}

/** `s3://<bucket>` or `s3://<bucket>/<key>`. */
export function s3Uri(bucket: string, key?: string): string {
  return key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`;
}

/** What {@link glueDefaultArguments} needs: bucket names and the asset version. */
export interface GlueArgumentSettings {
  processedBucket: string;
  warehouseBucket: string;
  assetsBucket: string;
  assets: GlueAssetVersion;
  /** Let Glue scale workers down (STANDARD execution class only); `numberOfWorkers` becomes the maximum. */
  autoScaling: boolean;
}

/**
 * The job's `defaultArguments`: Glue's special parameters (Python, SQL files and contract beside
 * the script, metrics, observability metrics, no bookmarks: the job is a full refresh) and the
 * script's bucket roots `--processed_path` and `--warehouse_path` (no trailing slash).
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
 */
export function glueDefaultArguments(s: GlueArgumentSettings): Record<string, string> {
  return {
    "--job-language": "python",
    "--extra-files": s.assets.extraFiles.map((f) => s3Uri(s.assetsBucket, f.key)).join(","),
    "--enable-metrics": "true",
    "--enable-observability-metrics": "true",
    ...(s.autoScaling ? { "--enable-auto-scaling": "true" } : {}),
    "--job-bookmark-option": "job-bookmark-disable",
    "--processed_path": s3Uri(s.processedBucket),
    "--warehouse_path": s3Uri(s.warehouseBucket),
  };
}

/**
 * The Data Catalog database name for a stack: `spotify_pipeline_<stack>`, lower case, with every
 * character other than a-z, 0-9 and `_` replaced by `_` (Athena and Hive names take no hyphens).
 */
export function catalogDatabaseName(stack: string): string {
  return `spotify_pipeline_${stack.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
}

/** Glue Data Catalog database names: lower-case letters, digits and underscores, 1-255 characters. */
export const CATALOG_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * The crawler's `configuration`: new columns merge into the table, partitions inherit the table's
 * schema, and compatible files are grouped into one table.
 * @see https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html
 */
export function crawlerConfiguration(): string {
  return JSON.stringify({
    Version: 1.0,
    CrawlerOutput: {
      Tables: { AddOrUpdateBehavior: "MergeNewColumns" },
      Partitions: { AddOrUpdateBehavior: "InheritFromTable" },
    },
    Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
  });
}

/**
 * Schema changes update the catalog; removed objects only mark tables deprecated (never deleted).
 */
export const CRAWLER_SCHEMA_CHANGE_POLICY = {
  updateBehavior: "UPDATE_IN_DATABASE",
  deleteBehavior: "DEPRECATE_IN_DATABASE",
} as const;

/** The job overwrites the whole table on every run: recrawl everything. */
export const CRAWLER_RECRAWL_POLICY = { recrawlBehavior: "CRAWL_EVERYTHING" } as const;

/** Objects under the gold prefix the crawler skips: Spark's markers and temporary files. */
export const CRAWLER_EXCLUSIONS = ["**/_SUCCESS", "**/_temporary/**", "**_$folder$"] as const;

/**
 * The encryption of the Glue security configuration: S3 SSE-KMS, CloudWatch Logs SSE-KMS and job
 * bookmarks CSE-KMS, all with the pipeline key.
 * @see https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
 */
export function securityConfigurationEncryption(keyArn: string): {
  s3Encryption: { s3EncryptionMode: "SSE-KMS"; kmsKeyArn: string };
  cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS"; kmsKeyArn: string };
  jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS"; kmsKeyArn: string };
} {
  return {
    s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: keyArn },
    cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: keyArn },
    jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: keyArn },
  };
}

/** Interface endpoints an isolated job needs (no NAT): Glue, CloudWatch Logs, KMS, STS, CloudWatch. */
export const INTERFACE_ENDPOINT_SERVICES = ["glue", "logs", "kms", "sts", "monitoring"] as const;

/**
 * The argument names a PySpark script resolves: the string literals of the list passed to
 * `getResolvedOptions(sys.argv, [...])`.
 * @throws Error when the script has no such call or the list is not a literal list of strings.
 */
export function resolvedArgumentNames(pythonSource: string): string[] {
  const call = /getResolvedOptions\s*\(\s*sys\.argv\s*,\s*\[([^\]]*)\]/.exec(pythonSource);
  if (!call) {
    throw new Error(
      "No getResolvedOptions(sys.argv, [...]) call with a literal list found in the script; resolve the job arguments with a literal list of names so the deployment can check them.",
    );
  }
  const body = call[1]!.replace(/#.*$/gm, "");
  const items = body
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.map((item) => {
    const m = /^(["'])([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(item);
    if (!m) {
      throw new Error(
        `getResolvedOptions list item ${item} is not a string literal; list the argument names literally.`,
      );
    }
    return m[2]!;
  });
}
