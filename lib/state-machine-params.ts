/**
 * Parameters of the state machine definition (`lib/state-machine.ts`): their types, defaults and
 * validation.
 */
import {
  CRAWLER_POLL_SECONDS,
  JOB_TIMEOUT_MINUTES,
  MAX_CRAWLER_POLLS,
  RUN_DEFAULTS,
} from "./limits";
import { parseQualityGatesOverride, type QualityGatesOverride } from "./quality-gates";
import { METRICS_NAMESPACE } from "./run-metrics";

/** Retry settings for transient errors (all retriers use full jitter). */
export interface RetrySettings {
  /** Seconds before the first retry. @default 15 */
  intervalSeconds: number;
  /** Retries after the first attempt. @default 3 */
  maxAttempts: number;
  /** Multiplier of the interval per retry. @default 2 */
  backoffRate: number;
  /** Cap on one retry's delay, in seconds. @default 300 */
  maxDelaySeconds: number;
}

/** What `buildDefinition` needs: names and limits as plain values. */
export interface StateMachineParams {
  /** Name of the Glue job (`aws.glue.Job` name). */
  jobName: string;
  /** Name of the Glue crawler over the gold table. */
  crawlerName: string;
  /** ARN of the SNS topic that receives both notifications. */
  topicArn: string;
  /** Name (not URI) of the processed bucket holding `runs/<run_id>/summary.json`. */
  summaryBucket: string;
  /** Short name in the notification subjects, e.g. `spotify-pipeline-dev`. @default "spotify-pipeline" */
  pipelineName?: string;
  /** Glue job run timeout (StartJobRun `Timeout`), minutes. @default 60 */
  jobTimeoutMinutes?: number;
  /** Seconds between crawler polls. @default 30 */
  crawlerPollSeconds?: number;
  /** Crawler polls before the run fails with `Pipeline.CrawlerTimeout`. @default 40 */
  maxCrawlerPolls?: number;
  /** Retry of transient errors; unset fields keep their defaults. */
  retry?: Partial<RetrySettings>;
  /** CloudWatch namespace of the run metrics (PutRunMetrics). @default "SpotifyPipeline" */
  metricsNamespace?: string;
  /** Overrides of the contract's quality gates, passed to the job (`--quality_gates`). @default {} */
  qualityGates?: QualityGatesOverride;
}

/** `StateMachineParams` with every default applied. */
export type ResolvedStateMachineParams = Required<Omit<StateMachineParams, "retry">> & {
  retry: RetrySettings;
};

/** Defaults of the optional parameters (the pacing from lib/limits.ts `RUN_DEFAULTS`). */
export const STATE_MACHINE_DEFAULTS = {
  pipelineName: "spotify-pipeline",
  ...RUN_DEFAULTS,
  metricsNamespace: METRICS_NAMESPACE,
  qualityGates: {},
  retry: { intervalSeconds: 15, maxAttempts: 3, backoffRate: 2, maxDelaySeconds: 300 },
} as const satisfies Omit<
  ResolvedStateMachineParams,
  "jobName" | "crawlerName" | "topicArn" | "summaryBucket"
>;

/** Glue's maximum job run timeout for batch jobs, in minutes. */
export const MAX_JOB_TIMEOUT_MINUTES = JOB_TIMEOUT_MINUTES.max;

/** Extra seconds the RunGlueJob state waits beyond the Glue timeout (queueing, start-up). */
export const GLUE_STATE_TIMEOUT_MARGIN_SECONDS = 900;

/** Timeout of each AWS SDK call (GetCrawler, StartCrawler, GetObject, Publish), in seconds. */
export const SDK_CALL_TIMEOUT_SECONDS = 60;

/** The run summary's key and prefix in the processed bucket (glue/contract.json `summary`). */
export { RUN_SUMMARY_PREFIX, runSummaryKey } from "./contract";

/** Thrown by `buildDefinition` for invalid parameters; `problems` lists each one. */
export class StateMachineParamsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid state machine parameters:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StateMachineParamsError";
  }
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SUBJECT_NAME = /^[\x20-\x7e]{1,60}$/;

/** 1 to 255 characters, none of them a control character (Glue's single-line string pattern). */
function isGlueName(value: unknown): boolean {
  if (typeof value !== "string" || value.length < 1 || value.length > 255) return false;
  return ![...value].some((ch) => {
    const code = ch.codePointAt(0)!;
    return code < 0x20 || code === 0x7f;
  });
}

export function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

function checkInt(
  problems: string[],
  name: string,
  value: number,
  min: number,
  max: number,
  what: string,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(
      `${name} must be a whole number from ${min} to ${max} (${what}); found ${show(value)}.`,
    );
  }
}

/** Applies the defaults of `STATE_MACHINE_DEFAULTS` to `p` (an `undefined` field keeps its default). */
export function resolveStateMachineParams(p: StateMachineParams): ResolvedStateMachineParams {
  const d = STATE_MACHINE_DEFAULTS;
  return {
    jobName: p.jobName,
    crawlerName: p.crawlerName,
    topicArn: p.topicArn,
    summaryBucket: p.summaryBucket,
    pipelineName: p.pipelineName ?? d.pipelineName,
    jobTimeoutMinutes: p.jobTimeoutMinutes ?? d.jobTimeoutMinutes,
    crawlerPollSeconds: p.crawlerPollSeconds ?? d.crawlerPollSeconds,
    maxCrawlerPolls: p.maxCrawlerPolls ?? d.maxCrawlerPolls,
    metricsNamespace: p.metricsNamespace ?? d.metricsNamespace,
    qualityGates: p.qualityGates ?? d.qualityGates,
    retry: {
      intervalSeconds: p.retry?.intervalSeconds ?? d.retry.intervalSeconds,
      maxAttempts: p.retry?.maxAttempts ?? d.retry.maxAttempts,
      backoffRate: p.retry?.backoffRate ?? d.retry.backoffRate,
      maxDelaySeconds: p.retry?.maxDelaySeconds ?? d.retry.maxDelaySeconds,
    },
  };
}

/**
 * Checks the parameters of `buildDefinition` and returns one message per problem (empty when valid).
 * Each message names the parameter, says what it must be, and shows the value found.
 */
export function validateStateMachineParams(params: StateMachineParams): string[] {
  const p = resolveStateMachineParams(params);
  const problems: string[] = [];
  for (const [name, value, what] of [
    ["jobName", p.jobName, "the Glue job name"],
    ["crawlerName", p.crawlerName, "the Glue crawler name"],
  ] as const) {
    if (!isGlueName(value)) {
      problems.push(
        `${name} must be ${what}: 1 to 255 characters without control characters; found ${show(value)}.`,
      );
    }
  }
  if (typeof p.topicArn !== "string" || !SNS_TOPIC_ARN.test(p.topicArn)) {
    problems.push(
      `topicArn must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:pipeline-notifications; found ${show(p.topicArn)}.`,
    );
  }
  if (typeof p.summaryBucket !== "string" || !BUCKET_NAME.test(p.summaryBucket)) {
    problems.push(
      `summaryBucket must be the processed bucket's name (3 to 63 lowercase letters, digits, dots and hyphens; no s3:// prefix, no key); found ${show(p.summaryBucket)}.`,
    );
  }
  if (typeof p.pipelineName !== "string" || !SUBJECT_NAME.test(p.pipelineName)) {
    problems.push(
      `pipelineName must be 1 to 60 printable ASCII characters (it starts the SNS subject, limited to 100); found ${show(p.pipelineName)}.`,
    );
  }
  for (const [name, value, range] of [
    ["jobTimeoutMinutes", p.jobTimeoutMinutes, JOB_TIMEOUT_MINUTES],
    ["crawlerPollSeconds", p.crawlerPollSeconds, CRAWLER_POLL_SECONDS],
    ["maxCrawlerPolls", p.maxCrawlerPolls, MAX_CRAWLER_POLLS],
  ] as const) {
    checkInt(problems, name, value, range.min, range.max, range.what);
  }
  checkInt(
    problems,
    "retry.intervalSeconds",
    p.retry.intervalSeconds,
    1,
    3600,
    "seconds before the first retry",
  );
  checkInt(
    problems,
    "retry.maxAttempts",
    p.retry.maxAttempts,
    0,
    10,
    "retries of a transient error",
  );
  checkInt(
    problems,
    "retry.maxDelaySeconds",
    p.retry.maxDelaySeconds,
    1,
    3600,
    "cap of one retry delay",
  );
  if (
    typeof p.retry.backoffRate !== "number" ||
    !(p.retry.backoffRate >= 1 && p.retry.backoffRate <= 10)
  ) {
    problems.push(
      `retry.backoffRate must be a number from 1 to 10; found ${show(p.retry.backoffRate)}.`,
    );
  }
  if (
    typeof p.metricsNamespace !== "string" ||
    !/^[A-Za-z0-9._\-/#]{1,255}$/.test(p.metricsNamespace) ||
    p.metricsNamespace.startsWith("AWS/")
  ) {
    problems.push(
      `metricsNamespace must be 1-255 letters, digits or . _ - / # and not start with AWS/; ` +
        `found ${show(p.metricsNamespace)}.`,
    );
  }
  try {
    parseQualityGatesOverride(p.qualityGates, "qualityGates");
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}
