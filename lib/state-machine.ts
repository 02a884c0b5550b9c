/**
 * The pipeline's Step Functions state machine, as one pure function.
 *
 * `buildDefinition(params)` returns the Amazon States Language (JSONPath) definition that the stack
 * deploys (`components/orchestration.ts`) and that the local run executes with
 * `aws-local-stepfunctions` (`local/`). Everything the flow needs is a plain string or number, so the
 * definition is tested table-driven and executed in tests without AWS.
 *
 * Flow (see docs/workflow.md, generated from this definition by `npm run docs:workflow`):
 * CheckInput (an `input_path`, or the marker rule's `marker`) -> ResolveSnapshotDate (the input's
 * `snapshot_date` or the start day; lib/state-machine-snapshot.ts) -> RunGlueJob (`glue:startJobRun.sync`)
 * -> GetCrawlerBaseline -> StartCrawler -> poll (WaitForCrawler -> CountCrawlerPoll ->
 * GetCrawlerStatus -> CheckCrawler) -> CheckCrawlResult -> ReadRunSummary -> CheckRunSummary ->
 * NotifySuccess -> Succeeded. Every failure is stamped with its
 * step at `$.failure` (`{ step, Error, Cause }`) and goes through CheckFailureCause -> NotifyFailure
 * -> Failed.
 *
 * @see https://states-language.net/spec.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html
 */

import type { AslDefinition, AslState } from "./asl";
import { INCOMING_PREFIX, MARKER_NAME } from "./iam/events";
import {
  PIPELINE_ERRORS,
  RESOURCES,
  STATES,
  TASK_STATES,
  TRANSIENT_GLUE_ERRORS,
  notificationSubjects,
  type StateName,
} from "./state-machine-names";
import { auditStates } from "./state-machine-audit";
import { snapshotDateStates } from "./state-machine-snapshot";
import {
  GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
  SDK_CALL_TIMEOUT_SECONDS,
  StateMachineParamsError,
  resolveStateMachineParams,
  validateStateMachineParams,
  type StateMachineParams,
} from "./state-machine-params";
import {
  CONSOLE_URL,
  MARKER_BATCH,
  PATH,
  catchAll,
  present,
  retrier,
  stampStep,
} from "./state-machine-parts";

export * from "./asl";
export * from "./state-machine-names";
export { SNAPSHOT_DATE_RULE } from "./state-machine-snapshot";
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

/**
 * Builds the state machine definition (Amazon States Language, JSONPath).
 *
 * Execution input: `{ "input_path": "s3://<staging>/incoming/<batch>/", "run_id"?: "<id>",
 * "snapshot_date"?: "YYYY-MM-DD" }` (or the marker rule's input); the run id defaults to the
 * execution name, the snapshot date to the UTC day the execution started. The result is a fresh plain object, safe to serialize with
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
  const jobArguments = {
    "--run_id.$": PATH.runId,
    "--input_path.$": PATH.inputPath,
    "--pipeline_name": p.pipelineName,
    "--quality_gates": JSON.stringify(p.qualityGates),
  };

  const main: Partial<Record<StateName, AslState>> = {
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
        { ...present(PATH.runId), Next: STATES.resolveSnapshotDate },
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
          Next: STATES.resolveSnapshotDate,
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
      Next: STATES.resolveSnapshotDate,
    },
    RunGlueJob: {
      Type: "Task",
      Comment:
        "Runs the Glue job and waits for it. A failed job run surfaces as States.TaskFailed and is not " +
        "retried; only transient Glue errors are.",
      Resource: RESOURCES.glueStartJobRunSync,
      Parameters: {
        JobName: p.jobName,
        Arguments: { ...jobArguments, "--mode": "write", "--snapshot_date.$": PATH.snapshotDate },
        Timeout: p.jobTimeoutMinutes,
      },
      TimeoutSeconds: p.jobTimeoutMinutes * 60 + GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
      ResultSelector: { "JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState" },
      ResultPath: PATH.glue,
      Retry: [glueRetry],
      Catch: [catchAll(STATES.runGlueJobFailed)],
      Next: STATES.readRunSummary,
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
        { Variable: PATH.currentStatus, StringEquals: "SUCCEEDED", Next: STATES.notifySuccess },
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
    PublishGoldFailed: stampStep(TASK_STATES.publishGold),
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

  const all = { ...main, ...snapshotDateStates(), ...auditStates(p, jobArguments, glueRetry) };
  const missing = Object.values(STATES).filter((name) => all[name] === undefined);
  if (missing.length > 0) throw new Error(`buildDefinition lacks states ${missing.join(", ")}.`);
  // In the order of STATES (the order of the flow).
  const states = Object.fromEntries(Object.values(STATES).map((name) => [name, all[name]]));

  return {
    Comment:
      `${p.pipelineName}: Glue job ${p.jobName} -> crawler ${p.crawlerName} -> SNS notification. ` +
      "Generated by lib/state-machine.ts; do not edit by hand.",
    StartAt: STATES.checkInput,
    States: states as Record<StateName, AslState>,
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
