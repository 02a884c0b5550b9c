/**
 * The pipeline's Step Functions state machine, as one pure function.
 *
 * `buildDefinition(params)` returns the Amazon States Language (JSONPath) definition that the stack
 * deploys (`components/orchestration.ts`) and that the local run executes with
 * `aws-local-stepfunctions` (`local/`). Everything the flow needs is a plain string or number, so the
 * definition is tested table-driven and executed in tests without AWS.
 *
 * Flow (see docs/workflow.md, generated from this definition by `npm run docs:workflow`):
 * CheckInput (an `input_path`, or the marker rule's `marker`) -> RunGlueJob (`glue:startJobRun.sync`)
 * -> GetCrawlerBaseline -> StartCrawler -> poll (WaitForCrawler -> CountCrawlerPoll ->
 * GetCrawlerStatus -> CheckCrawler) -> CheckCrawlResult -> ReadRunSummary -> CheckRunSummary ->
 * NotifySuccess -> Succeeded. Every failure is stamped with its
 * step at `$.failure` (`{ step, Error, Cause }`) and goes through CheckFailureCause -> NotifyFailure
 * -> Failed.
 *
 * @see https://states-language.net/spec.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html
 */

import { runSummaryKey } from "./contract";
import {
  CRAWLER_POLL_SECONDS,
  JOB_TIMEOUT_MINUTES,
  MAX_CRAWLER_POLLS,
  RUN_DEFAULTS,
} from "./limits";
import { INCOMING_PREFIX, MARKER_NAME } from "./iam/events";

// ---------------------------------------------------------------------------------------------
// Amazon States Language types (the JSONPath subset this definition uses)
// ---------------------------------------------------------------------------------------------

/** Any JSON value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (a Parameters / ResultSelector payload template, an execution input). */
export type JsonObject = { [key: string]: JsonValue };

/** A Retry entry. @see https://states-language.net/spec.html#retrying-after-error */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

/** A Catch entry. */
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}

/** Comparison operators of a Choice data-test expression, with the type of their operand. */
export interface ChoiceOperators {
  StringEquals?: string;
  StringEqualsPath?: string;
  StringMatches?: string;
  NumericEquals?: number;
  NumericGreaterThanEquals?: number;
  NumericGreaterThanEqualsPath?: string;
  TimestampGreaterThan?: string;
  TimestampGreaterThanPath?: string;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  IsNull?: boolean;
  IsString?: boolean;
  IsNumeric?: boolean;
  IsBoolean?: boolean;
  IsTimestamp?: boolean;
}

/** A data-test expression: a variable and exactly one operator. */
export type DataTest = { Variable: string } & ChoiceOperators;

/** A Choice condition: a data test or a boolean combination of conditions. */
export type ChoiceCondition =
  DataTest | { And: ChoiceCondition[] } | { Or: ChoiceCondition[] } | { Not: ChoiceCondition };

/** A top-level Choice rule: a condition and the state it leads to. */
export type ChoiceRule = ChoiceCondition & { Next: string };

interface StateBase {
  Comment?: string;
}

/** A Task state (every Task here continues with `Next`). */
export interface TaskState extends StateBase {
  Type: "Task";
  Resource: string;
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next: string;
}

/** A Pass state. */
export interface PassState extends StateBase {
  Type: "Pass";
  Parameters?: JsonObject;
  Result?: JsonValue;
  ResultPath?: string | null;
  Next: string;
}

/** A Choice state. */
export interface ChoiceState extends StateBase {
  Type: "Choice";
  Choices: ChoiceRule[];
  Default: string;
}

/** A Wait state. */
export interface WaitState extends StateBase {
  Type: "Wait";
  Seconds: number;
  Next: string;
}

/** A Succeed state. */
export interface SucceedState extends StateBase {
  Type: "Succeed";
}

/** A Fail state; error and cause come from the failure record. */
export interface FailState extends StateBase {
  Type: "Fail";
  ErrorPath: string;
  CausePath: string;
}

/** Any state of this definition. */
export type AslState = TaskState | PassState | ChoiceState | WaitState | SucceedState | FailState;

/** An Amazon States Language definition (JSONPath). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  States: Record<string, AslState>;
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

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
}

/** `StateMachineParams` with every default applied. */
export type ResolvedStateMachineParams = Required<Omit<StateMachineParams, "retry">> & {
  retry: RetrySettings;
};

/** Defaults of the optional parameters (the pacing from lib/limits.ts `RUN_DEFAULTS`). */
export const STATE_MACHINE_DEFAULTS = {
  pipelineName: "spotify-pipeline",
  ...RUN_DEFAULTS,
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

function show(value: unknown): string {
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
  return problems;
}

// ---------------------------------------------------------------------------------------------
// State names, Task resources, notification payloads
// ---------------------------------------------------------------------------------------------

/** Names of the Task states, the keys of `taskResources()` and of local handlers. */
export const TASK_STATES = {
  runGlueJob: "RunGlueJob",
  getCrawlerBaseline: "GetCrawlerBaseline",
  startCrawler: "StartCrawler",
  getCrawlerStatus: "GetCrawlerStatus",
  readRunSummary: "ReadRunSummary",
  notifySuccess: "NotifySuccess",
  notifyFailure: "NotifyFailure",
} as const;

/** Name of a Task state. */
export type TaskStateName = (typeof TASK_STATES)[keyof typeof TASK_STATES];

/** Names of every state, in the order they appear in the definition. */
export const STATES = {
  checkInput: "CheckInput",
  inputFromMarker: "InputFromMarker",
  checkMarker: "CheckMarker",
  rejectInput: "RejectInput",
  defaultRunId: "DefaultRunId",
  runGlueJob: TASK_STATES.runGlueJob,
  getCrawlerBaseline: TASK_STATES.getCrawlerBaseline,
  startCrawler: TASK_STATES.startCrawler,
  waitForCrawler: "WaitForCrawler",
  countCrawlerPoll: "CountCrawlerPoll",
  getCrawlerStatus: TASK_STATES.getCrawlerStatus,
  checkCrawler: "CheckCrawler",
  checkCrawlResult: "CheckCrawlResult",
  crawlerFailed: "CrawlerFailed",
  crawlerTimedOut: "CrawlerTimedOut",
  readRunSummary: TASK_STATES.readRunSummary,
  checkRunSummary: "CheckRunSummary",
  rejectRunSummary: "RejectRunSummary",
  notifySuccess: TASK_STATES.notifySuccess,
  succeeded: "Succeeded",
  runGlueJobFailed: "RunGlueJobFailed",
  getCrawlerBaselineFailed: "GetCrawlerBaselineFailed",
  startCrawlerFailed: "StartCrawlerFailed",
  getCrawlerStatusFailed: "GetCrawlerStatusFailed",
  readRunSummaryFailed: "ReadRunSummaryFailed",
  notifySuccessFailed: "NotifySuccessFailed",
  checkFailureCause: "CheckFailureCause",
  addMissingCause: "AddMissingCause",
  notifyFailure: TASK_STATES.notifyFailure,
  failed: "Failed",
} as const;

/** Name of any state. */
export type StateName = (typeof STATES)[keyof typeof STATES];

/**
 * Short labels of the Choice rules, in rule order, for the workflow diagram's edges (the full
 * conditions are generated from the definition). A test checks one label per rule.
 */
export const CHOICE_RULE_LABELS = {
  CheckInput: [
    "marker rule input",
    "input_path missing or not s3://",
    "run_id empty or not a string",
    "run_id given",
  ],
  CheckMarker: ["marker directly in its batch folder"],
  CheckCrawler: ["READY with a crawl newer than the baseline", "poll limit reached"],
  CheckCrawlResult: ["last crawl SUCCEEDED"],
  CheckRunSummary: ["counts present"],
  CheckFailureCause: ["Cause is text"],
} as const satisfies Partial<Record<StateName, readonly string[]>>;

/** Service integration ARNs used by the Task states. */
export const RESOURCES = {
  glueStartJobRunSync: "arn:aws:states:::glue:startJobRun.sync",
  glueGetCrawler: "arn:aws:states:::aws-sdk:glue:getCrawler",
  glueStartCrawler: "arn:aws:states:::aws-sdk:glue:startCrawler",
  s3GetObject: "arn:aws:states:::aws-sdk:s3:getObject",
  snsPublish: "arn:aws:states:::sns:publish",
} as const;

/**
 * The Resource ARN of each Task state. The IAM role builder derives the actions it grants from
 * these; the local run registers one handler per key.
 */
export function taskResources(): Record<TaskStateName, string> {
  return {
    RunGlueJob: RESOURCES.glueStartJobRunSync,
    GetCrawlerBaseline: RESOURCES.glueGetCrawler,
    StartCrawler: RESOURCES.glueStartCrawler,
    GetCrawlerStatus: RESOURCES.glueGetCrawler,
    ReadRunSummary: RESOURCES.s3GetObject,
    NotifySuccess: RESOURCES.snsPublish,
    NotifyFailure: RESOURCES.snsPublish,
  };
}

/** Error names of the failures the state machine raises itself (no AWS call failed). */
export const PIPELINE_ERRORS = {
  invalidInput: "Pipeline.InvalidInput",
  crawlerFailed: "Pipeline.CrawlerFailed",
  crawlerTimeout: "Pipeline.CrawlerTimeout",
  invalidRunSummary: "Pipeline.InvalidRunSummary",
} as const;

/** Glue errors worth retrying: throttling, capacity and service hiccups (never job failures). */
export const TRANSIENT_GLUE_ERRORS = [
  "Glue.ConcurrentRunsExceededException",
  "Glue.ThrottlingException",
  "Glue.InternalServiceException",
  "Glue.OperationTimeoutException",
] as const;

/** Counts per input file (docs/contracts.md, run summary). */
export interface FileCounts {
  albums: number;
  artists: number;
  tracks: number;
}

/** The run counts carried by the success notification: the run summary's four blocks. */
export interface RunCounts {
  input: FileCounts;
  accepted: FileCounts;
  /** Rows quarantined, per file and reason (`missing_key`, `bad_number`, ...). */
  rejected: Record<keyof FileCounts, Record<string, number>>;
  output: { tracks: number };
}

/** The SNS message (JSON) published when a run succeeds. */
export interface SuccessNotification {
  status: "SUCCEEDED";
  /** One sentence for a person, e.g. "Run r1 succeeded: 10 tracks written ...". */
  message: string;
  run_id: string;
  /** The batch prefix the run read (`s3://.../incoming/<batch>/`). */
  input_path: string;
  counts: RunCounts;
  glue_job_run_id: string;
  execution_arn: string;
  /** Link to the execution in the Step Functions console. */
  console_url: string;
}

/** The SNS message (JSON) published when a run fails, whatever the step. */
export interface FailureNotification {
  status: "FAILED";
  /** One sentence for a person, e.g. "Run r1 failed at step RunGlueJob: States.TaskFailed". */
  message: string;
  run_id: string;
  /** The state that failed (a name of `STATES`). */
  failed_step: string;
  /** Error name, e.g. `States.TaskFailed`, `Glue.ThrottlingException`, `Pipeline.CrawlerTimeout`. */
  error: string;
  /** What went wrong, as reported by the service or written by the state machine. */
  cause: string;
  /** The execution's input, as given. */
  input: JsonValue;
  execution_arn: string;
  console_url: string;
}

/** Either notification; discriminate on `status`. */
export type StatesMachineMessage = SuccessNotification | FailureNotification;

/**
 * Execution input, one of two forms: an explicit batch prefix (by hand, the schedule), or the
 * marker rule's `{ marker: { bucket, key } }` (lib/iam/events.ts) whose key is
 * `incoming/<batch>/_READY`. `run_id` defaults to the execution name.
 */
export type ExecutionInput =
  { run_id?: string; input_path: string } | { marker: { bucket: string; key: string } };

/** SNS subjects of the two notifications. */
export function notificationSubjects(pipelineName: string): { success: string; failure: string } {
  return { success: `${pipelineName}: run SUCCEEDED`, failure: `${pipelineName}: run FAILED` };
}

/**
 * A Context Object for executing the definition outside AWS (`aws-local-stepfunctions` only fills
 * `Execution.Input` and `StartTime`): the execution ARN and name the notifications and the default
 * run id read.
 */
export function executionContext(
  stateMachineArn: string,
  executionName: string,
): { Execution: { Id: string; Name: string } } {
  const match = /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/.exec(
    stateMachineArn,
  );
  if (!match) {
    throw new Error(
      `stateMachineArn must look like arn:aws:states:<region>:<account>:stateMachine:<name>; found ${show(stateMachineArn)}.`,
    );
  }
  const [, partition, region, account, name] = match;
  return {
    Execution: {
      Id: `arn:${partition}:states:${region}:${account}:execution:${name}:${executionName}`,
      Name: executionName,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The definition
// ---------------------------------------------------------------------------------------------

/** Region of the execution, from its ARN (`arn:aws:states:<region>:...`). */
const EXECUTION_REGION = "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3)";

/** Console link to the running execution. */
const CONSOLE_URL =
  "States.Format('https://{}.console.aws.amazon.com/states/home?region={}#/v2/executions/details/{}', " +
  `${EXECUTION_REGION}, ${EXECUTION_REGION}, $$.Execution.Id)`;

const FAILURE_PATH = "$.failure";

/** Where each piece of state data lives (JSONPath). */
const PATH = {
  runId: "$.run_id",
  inputPath: "$.input_path",
  marker: "$.marker",
  markerBucket: "$.marker.bucket",
  markerKey: "$.marker.key",
  glue: "$.glue",
  crawler: "$.crawler",
  polls: "$.crawler.polls",
  baselineStart: "$.crawler.baseline.Crawler.LastCrawl.StartTime",
  current: "$.crawler.current",
  currentState: "$.crawler.current.Crawler.State",
  currentName: "$.crawler.current.Crawler.Name",
  currentLastCrawl: "$.crawler.current.Crawler.LastCrawl",
  currentStart: "$.crawler.current.Crawler.LastCrawl.StartTime",
  currentStatus: "$.crawler.current.Crawler.LastCrawl.Status",
  summary: "$.summary",
  summaryBody: "$.summary.body",
  failure: FAILURE_PATH,
  failureStep: `${FAILURE_PATH}.step`,
  failureError: `${FAILURE_PATH}.Error`,
  failureCause: `${FAILURE_PATH}.Cause`,
} as const;

/** The batch name in a marker key `incoming/<batch>/_READY` (its second path segment). */
const MARKER_BATCH = "States.ArrayGetItem(States.StringSplit($.marker.key, '/'), 1)";

/** The counts the success notification reads; all must be numbers in the run summary. */
const SUMMARY_NUMBERS = [
  "input.albums",
  "input.artists",
  "input.tracks",
  "accepted.albums",
  "accepted.artists",
  "accepted.tracks",
  "output.tracks",
] as const;

function present(variable: string): DataTest {
  return { Variable: variable, IsPresent: true };
}

/** `variable` exists and is a number (the presence test guards the type test). */
function presentNumber(variable: string): ChoiceCondition[] {
  return [present(variable), { Variable: variable, IsNumeric: true }];
}

function retrier(errors: readonly string[], r: RetrySettings): Retrier {
  return {
    ErrorEquals: [...errors],
    IntervalSeconds: r.intervalSeconds,
    MaxAttempts: r.maxAttempts,
    BackoffRate: r.backoffRate,
    MaxDelaySeconds: r.maxDelaySeconds,
    JitterStrategy: "FULL",
  };
}

/** Catch-all of a Task: the error goes to `$.failure`, then a Pass stamps the step name. */
function catchAll(stampState: string): Catcher {
  return { ErrorEquals: ["States.ALL"], ResultPath: FAILURE_PATH, Next: stampState };
}

/** Pass state that records which step failed, next to the caught Error and Cause. */
function stampStep(step: TaskStateName): PassState {
  return {
    Type: "Pass",
    Comment: `Records that ${step} failed; its Error and Cause are already at ${FAILURE_PATH}.`,
    Result: step,
    ResultPath: PATH.failureStep,
    Next: STATES.checkFailureCause,
  };
}

/**
 * Builds the state machine definition (Amazon States Language, JSONPath).
 *
 * Execution input: `{ "input_path": "s3://<staging>/incoming/<batch>/", "run_id"?: "<id>" }`; the
 * run id defaults to the execution name. The result is a fresh plain object, safe to serialize with
 * `JSON.stringify` for `aws.sfn.StateMachine.definition`.
 *
 * @throws StateMachineParamsError listing every invalid parameter.
 */
export function buildDefinition(params: StateMachineParams): AslDefinition {
  const problems = validateStateMachineParams(params);
  if (problems.length > 0) throw new StateMachineParamsError(problems);
  const p = resolveStateMachineParams(params);
  const subjects = notificationSubjects(p.pipelineName);
  const glueRetry = retrier(TRANSIENT_GLUE_ERRORS, p.retry);
  const summaryUri = `s3://${p.summaryBucket}/${runSummaryKey("{}")}`;

  const states: Record<StateName, AslState> = {
    CheckInput: {
      Type: "Choice",
      Comment:
        "Accepts the marker rule's input (the batch prefix is derived from the marker key) or an " +
        "s3:// input_path with an optional non-empty run_id; the execution name is the run id when " +
        "none is given.",
      Choices: [
        {
          And: [
            present(PATH.markerBucket),
            { Variable: PATH.markerBucket, IsString: true },
            present(PATH.markerKey),
            { Variable: PATH.markerKey, IsString: true },
            { Variable: PATH.markerKey, StringMatches: `${INCOMING_PREFIX}*/${MARKER_NAME}` },
          ],
          Next: STATES.inputFromMarker,
        },
        {
          Not: {
            And: [
              present(PATH.inputPath),
              { Variable: PATH.inputPath, IsString: true },
              { Variable: PATH.inputPath, StringMatches: "s3://*/*" },
            ],
          },
          Next: STATES.rejectInput,
        },
        {
          And: [
            present(PATH.runId),
            {
              Or: [
                { Not: { Variable: PATH.runId, IsString: true } },
                { Variable: PATH.runId, StringEquals: "" },
              ],
            },
          ],
          Next: STATES.rejectInput,
        },
        { ...present(PATH.runId), Next: STATES.runGlueJob },
      ],
      Default: STATES.defaultRunId,
    },
    InputFromMarker: {
      Type: "Pass",
      Comment:
        `Input of the marker rule: input_path is the marker's folder (${INCOMING_PREFIX}<batch>/); ` +
        "the run id is the execution name.",
      Parameters: {
        "run_id.$": "$$.Execution.Name",
        "input_path.$": `States.Format('s3://{}/${INCOMING_PREFIX}{}/', ${PATH.markerBucket}, ${MARKER_BATCH})`,
        "marker.$": PATH.marker,
        "marker_key_of_batch.$": `States.Format('${INCOMING_PREFIX}{}/${MARKER_NAME}', ${MARKER_BATCH})`,
      },
      Next: STATES.checkMarker,
    },
    CheckMarker: {
      Type: "Choice",
      Comment: `The marker must sit directly in its batch folder: ${INCOMING_PREFIX}<batch>/${MARKER_NAME}, no deeper.`,
      Choices: [
        {
          Variable: PATH.markerKey,
          StringEqualsPath: "$.marker_key_of_batch",
          Next: STATES.runGlueJob,
        },
      ],
      Default: STATES.rejectInput,
    },
    RejectInput: {
      Type: "Pass",
      Comment: "Invalid execution input: fails the run (the notification carries the input).",
      Parameters: {
        "run_id.$": "$$.Execution.Name",
        failure: {
          step: STATES.checkInput,
          Error: PIPELINE_ERRORS.invalidInput,
          Cause:
            "The execution input must be a JSON object with input_path, the s3:// URI of the batch " +
            `prefix (s3://<staging bucket>/${INCOMING_PREFIX}<batch>/), and optionally run_id, a non-empty ` +
            `string; or the marker rule's {"marker": {"bucket": "<staging bucket>", "key": "${INCOMING_PREFIX}<batch>/${MARKER_NAME}"}}.`,
        },
      },
      Next: STATES.checkFailureCause,
    },
    DefaultRunId: {
      Type: "Pass",
      Comment: "No run_id given: the execution name is the run id.",
      Parameters: { "run_id.$": "$$.Execution.Name", "input_path.$": PATH.inputPath },
      Next: STATES.runGlueJob,
    },
    RunGlueJob: {
      Type: "Task",
      Comment:
        "Runs the Glue job and waits for it. A failed job run surfaces as States.TaskFailed and is not " +
        "retried; only transient Glue errors are.",
      Resource: RESOURCES.glueStartJobRunSync,
      Parameters: {
        JobName: p.jobName,
        Arguments: { "--run_id.$": PATH.runId, "--input_path.$": PATH.inputPath },
        Timeout: p.jobTimeoutMinutes,
      },
      TimeoutSeconds: p.jobTimeoutMinutes * 60 + GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
      ResultSelector: { "JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState" },
      ResultPath: PATH.glue,
      Retry: [glueRetry],
      Catch: [catchAll(STATES.runGlueJobFailed)],
      Next: STATES.getCrawlerBaseline,
    },
    GetCrawlerBaseline: {
      Type: "Task",
      Comment:
        "Reads the crawler before starting it: a crawl counts as ours only if it started after this " +
        "baseline's LastCrawl.",
      Resource: RESOURCES.glueGetCrawler,
      Parameters: { Name: p.crawlerName },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultSelector: { polls: 0, "baseline.$": "$" },
      ResultPath: PATH.crawler,
      Retry: [glueRetry],
      Catch: [catchAll(STATES.getCrawlerBaselineFailed)],
      Next: STATES.startCrawler,
    },
    StartCrawler: {
      Type: "Task",
      Comment: "Starts the crawler; if it is already running, polls that crawl instead.",
      Resource: RESOURCES.glueStartCrawler,
      Parameters: { Name: p.crawlerName },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultPath: null,
      Retry: [glueRetry],
      Catch: [
        {
          ErrorEquals: ["Glue.CrawlerRunningException"],
          ResultPath: "$.crawler.already_running",
          Next: STATES.waitForCrawler,
        },
        catchAll(STATES.startCrawlerFailed),
      ],
      Next: STATES.waitForCrawler,
    },
    WaitForCrawler: {
      Type: "Wait",
      Comment: `Waits ${p.crawlerPollSeconds} s between crawler polls.`,
      Seconds: p.crawlerPollSeconds,
      Next: STATES.countCrawlerPoll,
    },
    CountCrawlerPoll: {
      Type: "Pass",
      Comment: "Counts the poll about to be made (keeps the baseline, drops the previous poll).",
      Parameters: {
        "polls.$": `States.MathAdd(${PATH.polls}, 1)`,
        "baseline.$": "$.crawler.baseline",
      },
      ResultPath: PATH.crawler,
      Next: STATES.getCrawlerStatus,
    },
    GetCrawlerStatus: {
      Type: "Task",
      Comment: "Reads the crawler's state and last crawl.",
      Resource: RESOURCES.glueGetCrawler,
      Parameters: { Name: p.crawlerName },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultPath: PATH.current,
      Retry: [glueRetry],
      Catch: [catchAll(STATES.getCrawlerStatusFailed)],
      Next: STATES.checkCrawler,
    },
    CheckCrawler: {
      Type: "Choice",
      Comment:
        "Finished when the crawler is READY with a LastCrawl that started after the baseline's " +
        `(READY right after StartCrawler can still show the previous crawl); gives up after ${p.maxCrawlerPolls} polls.`,
      Choices: [
        {
          And: [
            { Variable: PATH.currentState, StringEquals: "READY" },
            present(PATH.currentStart),
            {
              Or: [
                { Not: present(PATH.baselineStart) },
                { Variable: PATH.currentStart, TimestampGreaterThanPath: PATH.baselineStart },
              ],
            },
          ],
          Next: STATES.checkCrawlResult,
        },
        {
          Variable: PATH.polls,
          NumericGreaterThanEquals: p.maxCrawlerPolls,
          Next: STATES.crawlerTimedOut,
        },
      ],
      Default: STATES.waitForCrawler,
    },
    CheckCrawlResult: {
      Type: "Choice",
      Comment: "READY is reached on failure too: the crawl must have SUCCEEDED.",
      Choices: [
        { Variable: PATH.currentStatus, StringEquals: "SUCCEEDED", Next: STATES.readRunSummary },
      ],
      Default: STATES.crawlerFailed,
    },
    CrawlerFailed: {
      Type: "Pass",
      Comment: "The crawl ended FAILED or CANCELLED.",
      Parameters: {
        step: STATES.checkCrawlResult,
        Error: PIPELINE_ERRORS.crawlerFailed,
        "Cause.$": `States.Format('Crawler {} did not succeed. Last crawl: {}', ${PATH.currentName}, States.JsonToString(${PATH.currentLastCrawl}))`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
    CrawlerTimedOut: {
      Type: "Pass",
      Comment: "The poll limit was reached before a new crawl finished.",
      Parameters: {
        step: STATES.checkCrawler,
        Error: PIPELINE_ERRORS.crawlerTimeout,
        "Cause.$": `States.Format('Crawler {} did not finish a new crawl within ${p.maxCrawlerPolls} polls, ${p.crawlerPollSeconds} seconds apart; its state was {}.', ${PATH.currentName}, ${PATH.currentState})`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
    ReadRunSummary: {
      Type: "Task",
      Comment: `Reads the run summary the job wrote (${summaryUri.replace("{}", "<run_id>")}).`,
      Resource: RESOURCES.s3GetObject,
      Parameters: {
        Bucket: p.summaryBucket,
        "Key.$": `States.Format('${runSummaryKey("{}")}', ${PATH.runId})`,
      },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultSelector: { "body.$": "States.StringToJson($.Body)" },
      ResultPath: PATH.summary,
      Catch: [catchAll(STATES.readRunSummaryFailed)],
      Next: STATES.checkRunSummary,
    },
    CheckRunSummary: {
      Type: "Choice",
      Comment:
        "The success notification needs input, accepted and output counts as numbers and the " +
        "rejected block (docs/contracts.md).",
      Choices: [
        {
          And: [
            ...SUMMARY_NUMBERS.flatMap((field) => presentNumber(`${PATH.summaryBody}.${field}`)),
            present(`${PATH.summaryBody}.rejected`),
          ],
          Next: STATES.notifySuccess,
        },
      ],
      Default: STATES.rejectRunSummary,
    },
    RejectRunSummary: {
      Type: "Pass",
      Comment: "The run summary lacks counts: fails the run rather than publish a wrong message.",
      Parameters: {
        step: STATES.checkRunSummary,
        Error: PIPELINE_ERRORS.invalidRunSummary,
        "Cause.$": `States.Format('${summaryUri} lacks counts docs/contracts.md requires: numbers input.albums, input.artists, input.tracks, accepted.albums, accepted.artists, accepted.tracks, output.tracks and the rejected block.', ${PATH.runId})`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
    NotifySuccess: {
      Type: "Task",
      Comment: "Publishes the success notification (JSON) with the run's counts.",
      Resource: RESOURCES.snsPublish,
      Parameters: {
        TopicArn: p.topicArn,
        Subject: subjects.success,
        Message: {
          status: "SUCCEEDED",
          "message.$":
            "States.Format('Run {} succeeded: {} tracks written to the gold table; accepted {} of {} album rows, {} of {} artist rows and {} of {} track rows.', " +
            `${PATH.runId}, ${PATH.summaryBody}.output.tracks, ` +
            `${PATH.summaryBody}.accepted.albums, ${PATH.summaryBody}.input.albums, ` +
            `${PATH.summaryBody}.accepted.artists, ${PATH.summaryBody}.input.artists, ` +
            `${PATH.summaryBody}.accepted.tracks, ${PATH.summaryBody}.input.tracks)`,
          "run_id.$": PATH.runId,
          "input_path.$": PATH.inputPath,
          counts: {
            "input.$": `${PATH.summaryBody}.input`,
            "accepted.$": `${PATH.summaryBody}.accepted`,
            "rejected.$": `${PATH.summaryBody}.rejected`,
            "output.$": `${PATH.summaryBody}.output`,
          },
          "glue_job_run_id.$": "$.glue.JobRunId",
          "execution_arn.$": "$$.Execution.Id",
          "console_url.$": CONSOLE_URL,
        },
      },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultPath: null,
      Retry: [retrier(["States.TaskFailed"], p.retry)],
      Catch: [catchAll(STATES.notifySuccessFailed)],
      Next: STATES.succeeded,
    },
    Succeeded: { Type: "Succeed", Comment: "The run succeeded and was announced." },
    RunGlueJobFailed: stampStep(TASK_STATES.runGlueJob),
    GetCrawlerBaselineFailed: stampStep(TASK_STATES.getCrawlerBaseline),
    StartCrawlerFailed: stampStep(TASK_STATES.startCrawler),
    GetCrawlerStatusFailed: stampStep(TASK_STATES.getCrawlerStatus),
    ReadRunSummaryFailed: stampStep(TASK_STATES.readRunSummary),
    NotifySuccessFailed: stampStep(TASK_STATES.notifySuccess),
    CheckFailureCause: {
      Type: "Choice",
      Comment:
        "Every failure enters here with $.failure = { step, Error, Cause }; Cause is optional in a caught error.",
      Choices: [
        {
          And: [present(PATH.failureCause), { Variable: PATH.failureCause, IsString: true }],
          Next: STATES.notifyFailure,
        },
      ],
      Default: STATES.addMissingCause,
    },
    AddMissingCause: {
      Type: "Pass",
      Comment: "The caught error had no Cause text.",
      Result: "No cause was reported with this error.",
      ResultPath: PATH.failureCause,
      Next: STATES.notifyFailure,
    },
    NotifyFailure: {
      Type: "Task",
      Comment: "Publishes the failure notification (JSON): failing step, error, cause, input.",
      Resource: RESOURCES.snsPublish,
      Parameters: {
        TopicArn: p.topicArn,
        Subject: subjects.failure,
        Message: {
          status: "FAILED",
          "message.$": `States.Format('Run {} failed at step {}: {}', ${PATH.runId}, ${PATH.failureStep}, ${PATH.failureError})`,
          "run_id.$": PATH.runId,
          "failed_step.$": PATH.failureStep,
          "error.$": PATH.failureError,
          "cause.$": PATH.failureCause,
          "input.$": "$$.Execution.Input",
          "execution_arn.$": "$$.Execution.Id",
          "console_url.$": CONSOLE_URL,
        },
      },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultPath: null,
      Retry: [retrier(["States.TaskFailed"], p.retry)],
      Catch: [
        { ErrorEquals: ["States.ALL"], ResultPath: "$.notification_error", Next: STATES.failed },
      ],
      Next: STATES.failed,
    },
    Failed: {
      Type: "Fail",
      Comment: "Ends the execution with the failing step's error and cause.",
      ErrorPath: PATH.failureError,
      CausePath: PATH.failureCause,
    },
  };

  return {
    Comment:
      `${p.pipelineName}: Glue job ${p.jobName} -> crawler ${p.crawlerName} -> SNS notification. ` +
      "Generated by lib/state-machine.ts; do not edit by hand.",
    StartAt: STATES.checkInput,
    States: states,
  };
}

/**
 * Overrides that make a local execution instant: every Wait state and every Retry pause set to 0 ms
 * (`aws-local-stepfunctions` `waitTimeOverrides` / `retryIntervalOverrides`).
 */
export function zeroDelayOverrides(def: AslDefinition): {
  waitTimeOverrides: Record<string, number>;
  retryIntervalOverrides: Record<string, number>;
} {
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === "Wait") waitTimeOverrides[name] = 0;
    if (state.Type === "Task" && state.Retry) retryIntervalOverrides[name] = 0;
  }
  return { waitTimeOverrides, retryIntervalOverrides };
}
