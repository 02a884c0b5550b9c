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

import type {
  AslDefinition,
  AslState,
  Catcher,
  ChoiceCondition,
  DataTest,
  PassState,
  Retrier,
} from "./asl";
import { INCOMING_PREFIX, MARKER_NAME } from "./iam/events";
import {
  PIPELINE_ERRORS,
  RESOURCES,
  STATES,
  TASK_STATES,
  TRANSIENT_GLUE_ERRORS,
  notificationSubjects,
  type StateName,
  type TaskStateName,
} from "./state-machine-names";
import {
  GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
  RUN_SUMMARY_PREFIX,
  SDK_CALL_TIMEOUT_SECONDS,
  StateMachineParamsError,
  resolveStateMachineParams,
  validateStateMachineParams,
  type RetrySettings,
  type StateMachineParams,
} from "./state-machine-params";

export * from "./asl";
export * from "./state-machine-names";
export {
  GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
  MAX_JOB_TIMEOUT_MINUTES,
  RUN_SUMMARY_PREFIX,
  SDK_CALL_TIMEOUT_SECONDS,
  STATE_MACHINE_DEFAULTS,
  StateMachineParamsError,
  resolveStateMachineParams,
  runSummaryKey,
  validateStateMachineParams,
} from "./state-machine-params";
export type {
  ResolvedStateMachineParams,
  RetrySettings,
  StateMachineParams,
} from "./state-machine-params";

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
  const summaryUri = `s3://${p.summaryBucket}/${RUN_SUMMARY_PREFIX}{}/summary.json`;

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
        "Key.$": `States.Format('${RUN_SUMMARY_PREFIX}{}/summary.json', ${PATH.runId})`,
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
