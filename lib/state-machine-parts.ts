/**
 * Building blocks of the state machine definition (`lib/state-machine.ts`,
 * `lib/state-machine-audit.ts`): where state data lives, and the retry, catch and stamp helpers.
 */
import type { Catcher, ChoiceCondition, DataTest, PassState, Retrier } from "./asl";
import { STATES, type TaskStateName } from "./state-machine-names";
import type { RetrySettings } from "./state-machine-params";

/** Region of the execution, from its ARN (`arn:aws:states:<region>:...`). */
export const EXECUTION_REGION = "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 3)";

/** Console link to the running execution. */
export const CONSOLE_URL =
  "States.Format('https://{}.console.aws.amazon.com/states/home?region={}#/v2/executions/details/{}', " +
  `${EXECUTION_REGION}, ${EXECUTION_REGION}, $$.Execution.Id)`;

export const FAILURE_PATH = "$.failure";

/** Where each piece of state data lives (JSONPath). */
export const PATH = {
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
  snapshot: "$.snapshot",
  /** The run's snapshot date, once resolved (`YYYY-MM-DD`). */
  snapshotDate: "$.snapshot.date",
  /** The execution input's own `snapshot_date`, if any (read from the context object). */
  givenSnapshotDate: "$.snapshot.input.snapshot_date",
  summary: "$.summary",
  summaryBody: "$.summary.body",
  failure: FAILURE_PATH,
  failureStep: `${FAILURE_PATH}.step`,
  failureError: `${FAILURE_PATH}.Error`,
  failureCause: `${FAILURE_PATH}.Cause`,
} as const;

/** The batch name in a marker key `incoming/<batch>/_READY` (its second path segment). */
export const MARKER_BATCH = "States.ArrayGetItem(States.StringSplit($.marker.key, '/'), 1)";

/** The counts the success notification reads; all must be numbers in the run summary. */
export const SUMMARY_NUMBERS = [
  "input.albums",
  "input.artists",
  "input.tracks",
  "accepted.albums",
  "accepted.artists",
  "accepted.tracks",
  "output.tracks",
] as const;

export function present(variable: string): DataTest {
  return { Variable: variable, IsPresent: true };
}

/** `variable` exists and is a number (the presence test guards the type test). */
export function presentNumber(variable: string): ChoiceCondition[] {
  return [present(variable), { Variable: variable, IsNumeric: true }];
}

export function retrier(errors: readonly string[], r: RetrySettings): Retrier {
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
export function catchAll(stampState: string): Catcher {
  return { ErrorEquals: ["States.ALL"], ResultPath: FAILURE_PATH, Next: stampState };
}

/** Pass state that records which step failed, next to the caught Error and Cause. */
export function stampStep(step: TaskStateName): PassState {
  return {
    Type: "Pass",
    Comment: `Records that ${step} failed; its Error and Cause are already at ${FAILURE_PATH}.`,
    Result: step,
    ResultPath: PATH.failureStep,
    Next: STATES.checkFailureCause,
  };
}

/** The snapshot date of a run: the UTC day its execution started (`YYYY-MM-DD`). */
export const SNAPSHOT_DATE =
  "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)";
