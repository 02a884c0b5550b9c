/**
 * Names of the state machine's states, its Task resources, errors and notification payloads
 * (`lib/state-machine.ts` builds the definition from them).
 */
import type { JsonValue } from "./asl";
import { show } from "./state-machine-params";

/** Names of the Task states, the keys of `taskResources()` and of local handlers. */
export const TASK_STATES = {
  runGlueJob: "RunGlueJob",
  getCrawlerBaseline: "GetCrawlerBaseline",
  startCrawler: "StartCrawler",
  getCrawlerStatus: "GetCrawlerStatus",
  readRunSummary: "ReadRunSummary",
  putRunMetrics: "PutRunMetrics",
  publishGold: "PublishGold",
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
  resolveSnapshotDate: "ResolveSnapshotDate",
  checkSnapshotDate: "CheckSnapshotDate",
  defaultSnapshotDate: "DefaultSnapshotDate",
  givenSnapshotDate: "GivenSnapshotDate",
  validateSnapshotDate: "ValidateSnapshotDate",
  rejectSnapshotDate: "RejectSnapshotDate",
  runGlueJob: TASK_STATES.runGlueJob,
  readRunSummary: TASK_STATES.readRunSummary,
  checkRunSummary: "CheckRunSummary",
  rejectRunSummary: "RejectRunSummary",
  putRunMetrics: TASK_STATES.putRunMetrics,
  checkGates: "CheckGates",
  gatesFailed: "GatesFailed",
  publishGold: TASK_STATES.publishGold,
  getCrawlerBaseline: TASK_STATES.getCrawlerBaseline,
  startCrawler: TASK_STATES.startCrawler,
  waitForCrawler: "WaitForCrawler",
  countCrawlerPoll: "CountCrawlerPoll",
  getCrawlerStatus: TASK_STATES.getCrawlerStatus,
  checkCrawler: "CheckCrawler",
  checkCrawlResult: "CheckCrawlResult",
  crawlerFailed: "CrawlerFailed",
  crawlerTimedOut: "CrawlerTimedOut",
  notifySuccess: TASK_STATES.notifySuccess,
  succeeded: "Succeeded",
  runGlueJobFailed: "RunGlueJobFailed",
  readRunSummaryFailed: "ReadRunSummaryFailed",
  publishGoldFailed: "PublishGoldFailed",
  getCrawlerBaselineFailed: "GetCrawlerBaselineFailed",
  startCrawlerFailed: "StartCrawlerFailed",
  getCrawlerStatusFailed: "GetCrawlerStatusFailed",
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
  CheckSnapshotDate: ["no snapshot_date", "snapshot_date is text"],
  ValidateSnapshotDate: ["not YYYY-MM-DD", "after the start day"],
  CheckRunSummary: ["counts present"],
  CheckGates: ["every gate passed"],
  CheckCrawler: ["READY with a crawl newer than the baseline", "poll limit reached"],
  CheckCrawlResult: ["last crawl SUCCEEDED"],
  CheckFailureCause: ["Cause is text"],
} as const satisfies Partial<Record<StateName, readonly string[]>>;

/** Service integration ARNs used by the Task states. */
export const RESOURCES = {
  glueStartJobRunSync: "arn:aws:states:::glue:startJobRun.sync",
  glueGetCrawler: "arn:aws:states:::aws-sdk:glue:getCrawler",
  glueStartCrawler: "arn:aws:states:::aws-sdk:glue:startCrawler",
  s3GetObject: "arn:aws:states:::aws-sdk:s3:getObject",
  snsPublish: "arn:aws:states:::sns:publish",
  cloudwatchPutMetricData: "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
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
    PutRunMetrics: RESOURCES.cloudwatchPutMetricData,
    PublishGold: RESOURCES.glueStartJobRunSync,
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
  qualityGateFailed: "Pipeline.QualityGateFailed",
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
 * `incoming/<batch>/_READY`. `run_id` defaults to the execution name, `snapshot_date` to the UTC
 * day the execution started.
 */
export type ExecutionInput = (
  { run_id?: string; input_path: string } | { marker: { bucket: string; key: string } }
) & {
  /** The run's snapshot date, `YYYY-MM-DD` (a backfill); defaults to the execution's start day. */
  snapshot_date?: string;
};

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
