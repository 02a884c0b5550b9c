/**
 * Stack configuration: every key the project reads, validated in one place.
 *
 * `parseStackConfig` is pure (raw strings in, typed object or one error listing every problem out),
 * so it is tested table-driven without Pulumi; `loadStackConfig` feeds it from the Pulumi runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { qualityGatesOverrideSchema, type QualityGatesOverride } from "./quality-gates";

import {
  CIDR,
  CRAWLER_POLL_SECONDS,
  EMAIL,
  JOB_TIMEOUT_MINUTES,
  MAX_CRAWLER_POLLS,
  RUN_DEFAULTS,
  SCHEDULE,
  type WholeRange,
} from "./limits";

/** The Pulumi project name: config keys live under `spotify-pipeline:<key>`. */
export const PROJECT = "spotify-pipeline";

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** Glue worker types that Glue 5.0 Spark jobs accept. */
export const GLUE_WORKER_TYPES = ["G.1X", "G.2X", "G.4X", "G.8X"] as const;

/** Fewest days S3 access logs are kept, whatever the log retention (audit). */
export const MIN_ACCESS_LOG_DAYS = 90;

/** Athena's minimum per-query bytes-scanned cutoff (10 MiB). */
export const MIN_ATHENA_CUTOFF_BYTES = 10_485_760;

const REGION = /^(?:[a-z]{2}|[a-z]{2}-gov|[a-z]{2}-iso[a-z]?)-[a-z]+-\d$/;
const QUICKSIGHT_PRINCIPAL =
  /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(?:user|group)\/[^/]+\/.+$/;
const whole = (r: WholeRange) => z.int().min(r.min).max(r.max);
const inWords = (r: WholeRange, unit = "") =>
  `a whole number${unit ? ` of ${unit}` : ""} from ${r.min} to ${r.max} (${r.what})`;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/** The environments a stack can be. */
export type Environment = "dev" | "prod";

const glueSchema = z.strictObject({
  workerType: z.enum(GLUE_WORKER_TYPES).optional(),
  numberOfWorkers: z.int().min(2).max(299).optional(),
  executionClass: z.enum(["FLEX", "STANDARD"]).optional(),
  timeoutMinutes: whole(JOB_TIMEOUT_MINUTES).optional(),
});

const quicksightSchema = z.strictObject({
  enabled: z.boolean(),
  principalArn: z.string().regex(QUICKSIGHT_PRINCIPAL).optional(),
  importMode: z.enum(["SPICE", "DIRECT_QUERY"]).optional(),
  refreshScheduleFrequency: z.enum(["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]).optional(),
});

/** Raw (parsed, not yet defaulted) config: what a stack file may say. */
const rawSchema = z.strictObject({
  region: z.string().regex(REGION),
  environment: z.enum(["dev", "prod"]).optional(),
  owner: z.string().regex(TAG_VALUE).optional(),
  costCenter: z.string().regex(TAG_VALUE).optional(),
  protectData: z.boolean().optional(),
  forceDestroy: z.boolean().optional(),
  logRetentionDays: z
    .int()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d))
    .optional(),
  rawDataTransitionDays: z.int().min(30).max(3650).optional(),
  rawDataArchiveDays: z.int().min(90).max(3650).optional(),
  noncurrentVersionExpirationDays: z.int().min(1).max(3650).optional(),
  athenaResultsExpirationDays: z.int().min(1).max(365).optional(),
  athenaBytesScannedCutoff: z.int().min(MIN_ATHENA_CUTOFF_BYTES).optional(),
  notificationEmails: z.array(z.string().regex(EMAIL)).max(20).optional(),
  schedule: z.string().regex(SCHEDULE).optional(),
  glue: glueSchema.optional(),
  crawlerPollSeconds: whole(CRAWLER_POLL_SECONDS).optional(),
  maxCrawlerPolls: whole(MAX_CRAWLER_POLLS).optional(),
  networkIsolation: z.boolean().optional(),
  vpcCidr: z.string().regex(CIDR).optional(),
  dataCatalogEncryption: z.boolean().optional(),
  quicksight: quicksightSchema.optional(),
  qualityGates: qualityGatesOverrideSchema.optional(),
});

type RawConfig = z.infer<typeof rawSchema>;

/** The validated, defaulted configuration of one stack. */
export interface StackConfig {
  /** Overrides of the contract's quality gates (glue/contract.json). @default none */
  qualityGates?: QualityGatesOverride;
  /** Pulumi stack name. */
  stack: string;
  /** AWS region (`aws:region`). */
  region: string;
  /** `dev` or `prod`; derived from the stack name when it is one of those. */
  environment: Environment;
  /** Owner tag. @default "data-platform" */
  owner: string;
  /** Cost-centre tag, when given. */
  costCenter?: string;
  /** Protect data buckets and the key (`protect` + `retainOnDelete`). @default prod: true, dev: false */
  protectData: boolean;
  /** Let `pulumi destroy` empty data buckets. Only with `protectData: false`. @default false */
  forceDestroy: boolean;
  /** CloudWatch Logs retention. @default prod: 365, dev: 14 */
  logRetentionDays: number;
  /** S3 access logs expire after this many days: the log retention, at least 90 (derived). */
  accessLogExpirationDays: number;
  /** Waiting period before the pipeline key is deleted (derived). @default prod: 30, dev: 7 */
  keyDeletionWindowInDays: number;
  /** Raw (bronze) objects move to STANDARD_IA after this many days. @default prod: 90, dev: 30 */
  rawDataTransitionDays: number;
  /** Raw (bronze) objects move to GLACIER_IR after this many days. @default prod: 365, dev: 180 */
  rawDataArchiveDays: number;
  /** Old object versions expire after this many days. @default prod: 90, dev: 7 */
  noncurrentVersionExpirationDays: number;
  /** Athena results expire after this many days. @default prod: 30, dev: 7 */
  athenaResultsExpirationDays: number;
  /** Per-query bytes-scanned cutoff of the Athena workgroup. @default prod: 10 GiB, dev: 1 GiB */
  athenaBytesScannedCutoff: number;
  /** Addresses subscribed (by email) to the pipeline's notifications. @default [] */
  notificationEmails: string[];
  /** EventBridge schedule that also starts the pipeline, e.g. `cron(0 3 * * ? *)`. @default none */
  schedule?: string;
  /** Glue job sizing. */
  glue: {
    /** @default "G.1X" */
    workerType: (typeof GLUE_WORKER_TYPES)[number];
    /** @default prod: 10, dev: 2 */
    numberOfWorkers: number;
    /** FLEX is cheaper for non-urgent runs. @default prod: "STANDARD", dev: "FLEX" */
    executionClass: "FLEX" | "STANDARD";
    /** @default prod: 120, dev: 60 */
    timeoutMinutes: number;
  };
  /** Seconds between crawler polls in the state machine. @default 30 (`RUN_DEFAULTS`) */
  crawlerPollSeconds: number;
  /** Polls before the state machine gives up on the crawler. @default 40 (`RUN_DEFAULTS`) */
  maxCrawlerPolls: number;
  /** Run the Glue job in private subnets without internet access. @default prod: true, dev: false */
  networkIsolation: boolean;
  /** CIDR of the isolated VPC. @default "10.42.0.0/16" */
  vpcCidr: string;
  /** Manage the account-wide Glue Data Catalog encryption settings. @default false */
  dataCatalogEncryption: boolean;
  /** QuickSight (opt-in: needs a paid account subscription). */
  quicksight: {
    enabled: boolean;
    principalArn?: string;
    /** @default "SPICE" */
    importMode: "SPICE" | "DIRECT_QUERY";
    /** SPICE refresh frequency. @default "DAILY" */
    refreshScheduleFrequency: "HOURLY" | "DAILY" | "WEEKLY" | "MONTHLY";
  };
}

/** Keys a stack file may set under `spotify-pipeline:` (plus `aws:region`). */
export const CONFIG_KEYS = Object.keys(rawSchema.shape).filter((k) => k !== "region");

/** Keys whose value is structured (JSON in Pulumi's raw config). */
const STRUCTURED = new Set(["notificationEmails", "glue", "quicksight", "qualityGates"]);
const NUMERIC = new Set([
  "logRetentionDays",
  "rawDataTransitionDays",
  "rawDataArchiveDays",
  "noncurrentVersionExpirationDays",
  "athenaResultsExpirationDays",
  "athenaBytesScannedCutoff",
  "crawlerPollSeconds",
  "maxCrawlerPolls",
]);
const BOOLEAN = new Set([
  "protectData",
  "forceDestroy",
  "networkIsolation",
  "dataCatalogEncryption",
]);

/** What each key expects, in words, for error messages. */
const EXPECTED: Record<string, string> = {
  region: "an AWS region such as eu-west-1 (set it with `pulumi config set aws:region eu-west-1`)",
  environment: '"dev" or "prod"',
  owner: "a tag value: letters, digits, spaces and _.:/=+-@, 1-256 characters",
  costCenter: "a tag value: letters, digits, spaces and _.:/=+-@, 1-256 characters",
  protectData: "true or false",
  forceDestroy: "true or false",
  logRetentionDays: `one of the CloudWatch Logs retention values: ${LOG_RETENTION_DAYS.join(", ")}`,
  rawDataTransitionDays: "a whole number of days from 30 (the STANDARD_IA minimum) to 3650",
  rawDataArchiveDays: "a whole number of days from 90 to 3650",
  noncurrentVersionExpirationDays: "a whole number of days from 1 to 3650",
  athenaResultsExpirationDays: "a whole number of days from 1 to 365",
  athenaBytesScannedCutoff: `a whole number of bytes, at least ${MIN_ATHENA_CUTOFF_BYTES} (10 MiB)`,
  notificationEmails: 'a list of at most 20 email addresses, e.g. ["data-team@example.com"]',
  "notificationEmails.*": "an email address such as data-team@example.com",
  schedule: "an EventBridge schedule: rate(1 day) or cron(0 3 * * ? *)",
  glue: "an object with workerType, numberOfWorkers, executionClass, timeoutMinutes",
  "glue.workerType": `one of ${GLUE_WORKER_TYPES.join(", ")}`,
  "glue.numberOfWorkers": "a whole number from 2 to 299",
  "glue.executionClass": '"FLEX" or "STANDARD"',
  "glue.timeoutMinutes": inWords(JOB_TIMEOUT_MINUTES, "minutes"),
  crawlerPollSeconds: inWords(CRAWLER_POLL_SECONDS),
  maxCrawlerPolls: inWords(MAX_CRAWLER_POLLS),
  networkIsolation: "true or false",
  vpcCidr: "an IPv4 CIDR block from /16 to /24, e.g. 10.42.0.0/16",
  dataCatalogEncryption: "true or false",
  quicksight: "an object with enabled, principalArn, importMode, refreshScheduleFrequency",
  "quicksight.enabled": "true or false",
  "quicksight.principalArn":
    "a QuickSight user or group ARN, e.g. arn:aws:quicksight:us-east-1:123456789012:group/default/analysts",
  "quicksight.importMode": '"SPICE" or "DIRECT_QUERY"',
  "quicksight.refreshScheduleFrequency": '"HOURLY", "DAILY", "WEEKLY" or "MONTHLY"',
  qualityGates:
    'overrides of glue/contract.json quality_gates: {"files": {"albums": {"max_rejected_pct": 10}}, "gold": {"max_drop_pct": 50}}',
  "qualityGates.files": "an object with albums, artists, tracks",
  "qualityGates.gold": "an object with min_rows, max_drop_pct",
  ...Object.fromEntries(
    ["albums", "artists", "tracks"].flatMap((f) => [
      [
        `qualityGates.files.${f}`,
        "an object with max_rejected_pct, max_rejected_pct_per_reason, min_accepted_rows",
      ],
      [`qualityGates.files.${f}.max_rejected_pct`, "a percentage from 0 to 100"],
      [`qualityGates.files.${f}.max_rejected_pct_per_reason`, "a percentage from 0 to 100"],
      [`qualityGates.files.${f}.min_accepted_rows`, "a whole number >= 0"],
    ]),
  ),
  "qualityGates.gold.min_rows": "a whole number >= 0",
  "qualityGates.gold.max_drop_pct": "a percentage from 0 to 100",
};

/** Thrown when stack config is invalid; the message lists every problem. */
export class ConfigError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid configuration for stack "${stackName}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\nFix each with \`pulumi config set <key> <value>\` (structured values: \`pulumi config set --path <key>.<field> <value>\`) or edit Pulumi.${stackName}.yaml; the keys are documented in README.md#configuration.`,
    );
    this.name = "ConfigError";
  }
}

function keyName(path: string): string {
  return path === "region" ? "aws:region" : `${PROJECT}:${path}`;
}

function show(value: unknown): string {
  return value === undefined ? "(missing)" : JSON.stringify(value);
}

/** Reads one raw string as the type its key needs; returns the string itself when it cannot. */
function coerce(key: string, value: string): unknown {
  if (STRUCTURED.has(key)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (NUMERIC.has(key)) return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (BOOLEAN.has(key)) return value === "true" ? true : value === "false" ? false : value;
  return value;
}

function getPath(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/**
 * Validates raw stack config and applies the per-environment defaults.
 *
 * @param raw config as Pulumi stores it: full keys (`aws:region`, `spotify-pipeline:glue`) to string values
 *   (structured values JSON-encoded). Keys of other namespaces are ignored.
 * @param stack the stack name (`dev`, `prod`, or any name with an explicit `environment`).
 * @throws ConfigError listing every problem at once.
 */
export function parseStackConfig(
  raw: Record<string, string | undefined>,
  stack: string,
): StackConfig {
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (fullKey === "aws:region") {
      input.region = value;
    } else if (fullKey.startsWith(`${PROJECT}:`)) {
      const key = fullKey.slice(PROJECT.length + 1);
      if (!CONFIG_KEYS.includes(key)) {
        problems.push(
          `${fullKey} must be a known key (one of ${CONFIG_KEYS.join(", ")}); found an unknown key with value ${show(value)}. Remove it or fix its spelling.`,
        );
        continue;
      }
      input[key] = coerce(key, value);
    }
  }

  const result = rawSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          const path = [...issue.path, k].join(".");
          problems.push(
            `${keyName(path)} must be a known field (${keyName(issue.path.join("."))} is ${EXPECTED[issue.path.join(".")] ?? "documented in the README"}); found an unknown field with value ${show(getPath(input, [...issue.path, k]))}. Remove it or fix its spelling.`,
          );
        }
        continue;
      }
      const path = issue.path.join(".");
      const generic = path.replace(/\.\d+$/, ".*");
      problems.push(
        `${keyName(path)} must be ${EXPECTED[path] ?? EXPECTED[generic] ?? issue.message}; found ${show(getPath(input, issue.path))}.`,
      );
    }
  }

  let environment: Environment | undefined;
  const explicitEnv = result.success ? result.data.environment : undefined;
  if (explicitEnv) environment = explicitEnv;
  else if (stack === "dev" || stack === "prod") environment = stack;
  else if (!("environment" in input))
    problems.push(
      `${PROJECT}:environment must be "dev" or "prod" for stack "${stack}" (only stacks named dev or prod derive it); found (missing). Set it with \`pulumi config set environment dev\`.`,
    );

  if (result.success && environment) {
    cross(result.data, environment, problems);
  }
  if (problems.length > 0 || !result.success || !environment) {
    throw new ConfigError(stack, problems);
  }
  return withDefaults(result.data, stack, environment);
}

/** Rules that relate several keys. */
function cross(c: RawConfig, env: Environment, problems: string[]): void {
  const protectData = c.protectData ?? env === "prod";
  if (c.forceDestroy === true && env === "prod") {
    problems.push(
      `${PROJECT}:forceDestroy must be false on a prod stack (production buckets are never force-destroyed); found true.`,
    );
  } else if (c.forceDestroy === true && protectData) {
    problems.push(
      `${PROJECT}:forceDestroy must be false while protectData is true (protected data must never be emptied by \`pulumi destroy\`); found true. Set protectData to false first (dev only).`,
    );
  }
  if (
    c.rawDataTransitionDays !== undefined &&
    c.rawDataArchiveDays !== undefined &&
    c.rawDataArchiveDays < c.rawDataTransitionDays + 30
  ) {
    problems.push(
      `${PROJECT}:rawDataArchiveDays must be at least rawDataTransitionDays + 30 (${c.rawDataTransitionDays + 30}), since S3 keeps objects in STANDARD_IA for 30 days at least; found ${c.rawDataArchiveDays}.`,
    );
  }
  if (
    c.glue?.executionClass === "FLEX" &&
    c.glue.workerType &&
    !["G.1X", "G.2X"].includes(c.glue.workerType)
  ) {
    problems.push(
      `${PROJECT}:glue.workerType must be G.1X or G.2X with executionClass FLEX (Glue Flex runs only on those); found ${show(c.glue.workerType)}. Or set executionClass STANDARD.`,
    );
  }
  if (c.quicksight?.enabled && !c.quicksight.principalArn) {
    problems.push(
      `${PROJECT}:quicksight.principalArn must be ${EXPECTED["quicksight.principalArn"]} when quicksight.enabled is true (the dashboard is shared with it); found (missing).`,
    );
  }
  const emails = c.notificationEmails ?? [];
  const dupes = emails.filter(
    (e, i) => emails.findIndex((x) => x.toLowerCase() === e.toLowerCase()) !== i,
  );
  if (dupes.length > 0) {
    problems.push(
      `${PROJECT}:notificationEmails must list each address once; found ${show(dupes[0])} more than once.`,
    );
  }
}

function withDefaults(c: RawConfig, stack: string, environment: Environment): StackConfig {
  const prod = environment === "prod";
  const protectData = c.protectData ?? prod;
  const logRetentionDays = c.logRetentionDays ?? (prod ? 365 : 14);
  return {
    stack,
    region: c.region,
    environment,
    owner: c.owner ?? "data-platform",
    ...(c.costCenter !== undefined ? { costCenter: c.costCenter } : {}),
    protectData,
    forceDestroy: c.forceDestroy ?? false,
    logRetentionDays,
    accessLogExpirationDays: Math.max(logRetentionDays, MIN_ACCESS_LOG_DAYS),
    keyDeletionWindowInDays: prod ? 30 : 7,
    rawDataTransitionDays: c.rawDataTransitionDays ?? (prod ? 90 : 30),
    rawDataArchiveDays: c.rawDataArchiveDays ?? (prod ? 365 : 180),
    noncurrentVersionExpirationDays: c.noncurrentVersionExpirationDays ?? (prod ? 90 : 7),
    athenaResultsExpirationDays: c.athenaResultsExpirationDays ?? (prod ? 30 : 7),
    athenaBytesScannedCutoff: c.athenaBytesScannedCutoff ?? (prod ? 10 : 1) * 1024 ** 3,
    notificationEmails: c.notificationEmails ?? [],
    ...(c.schedule !== undefined ? { schedule: c.schedule } : {}),
    ...(c.qualityGates !== undefined ? { qualityGates: c.qualityGates } : {}),
    glue: {
      workerType: c.glue?.workerType ?? "G.1X",
      numberOfWorkers: c.glue?.numberOfWorkers ?? (prod ? 10 : 2),
      executionClass: c.glue?.executionClass ?? (prod ? "STANDARD" : "FLEX"),
      timeoutMinutes: c.glue?.timeoutMinutes ?? (prod ? 120 : RUN_DEFAULTS.jobTimeoutMinutes),
    },
    crawlerPollSeconds: c.crawlerPollSeconds ?? RUN_DEFAULTS.crawlerPollSeconds,
    maxCrawlerPolls: c.maxCrawlerPolls ?? RUN_DEFAULTS.maxCrawlerPolls,
    networkIsolation: c.networkIsolation ?? prod,
    vpcCidr: c.vpcCidr ?? "10.42.0.0/16",
    dataCatalogEncryption: c.dataCatalogEncryption ?? false,
    quicksight: {
      enabled: c.quicksight?.enabled ?? false,
      ...(c.quicksight?.principalArn !== undefined
        ? { principalArn: c.quicksight.principalArn }
        : {}),
      importMode: c.quicksight?.importMode ?? "SPICE",
      refreshScheduleFrequency: c.quicksight?.refreshScheduleFrequency ?? "DAILY",
    },
  };
}

/**
 * The tags every resource of the stack carries: the provider's `defaultTags`, repeated on resources
 * that do not receive them (Cloud Control).
 */
export function stackTags(config: StackConfig): Record<string, string> {
  return {
    project: PROJECT,
    stack: config.stack,
    environment: config.environment,
    owner: config.owner,
    ...(config.costCenter ? { "cost-center": config.costCenter } : {}),
  };
}

/** Reads and validates this stack's config from the Pulumi runtime (before any resource exists). */
export function loadStackConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  return parseStackConfig(all, pulumi.getStack());
}
