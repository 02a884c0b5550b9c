/**
 * The audit part of the state machine (write, audit, publish): after the job wrote gold to its
 * staging location and the run summary, read the summary, send its metrics to CloudWatch, check
 * the quality gates, and publish (the job again, `--mode publish`) only when every gate passed.
 * A failed gate takes the failure path with the breached gates as the cause.
 */
import type { AslState, Retrier } from "./asl";
import { runSummaryKey } from "./contract";
import { PIPELINE_ERRORS, RESOURCES, STATES, type StateName } from "./state-machine-names";
import {
  GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
  SDK_CALL_TIMEOUT_SECONDS,
  type ResolvedStateMachineParams,
} from "./state-machine-params";
import { PATH, SUMMARY_NUMBERS, catchAll, present, presentNumber } from "./state-machine-parts";

/** `s3://<processed>/runs/{}/summary.json` (`{}` is the run id). */
function summaryUri(p: ResolvedStateMachineParams): string {
  return `s3://${p.summaryBucket}/${runSummaryKey("{}")}`;
}

/** The audit states, keyed by name: ReadRunSummary ... PublishGold. */
export function auditStates(
  p: ResolvedStateMachineParams,
  jobArguments: Record<string, string>,
  glueRetry: Retrier,
): Partial<Record<StateName, AslState>> {
  return {
    ReadRunSummary: {
      Type: "Task",
      Comment: `Reads the run summary the job wrote (${summaryUri(p).replace("{}", "<run_id>")}).`,
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
        "The notifications, metrics and gates need input, accepted and output counts and " +
        "gates_failed as numbers, the rejected block, gates_message, metric_data and snapshot_date " +
        "(docs/contracts.md).",
      Choices: [
        {
          And: [
            ...SUMMARY_NUMBERS.flatMap((field) => presentNumber(`${PATH.summaryBody}.${field}`)),
            present(`${PATH.summaryBody}.rejected`),
            ...presentNumber(`${PATH.summaryBody}.gates_failed`),
            present(`${PATH.summaryBody}.gates_message`),
            present(`${PATH.summaryBody}.metric_data`),
            present(`${PATH.summaryBody}.snapshot_date`),
          ],
          Next: STATES.putRunMetrics,
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
        "Cause.$": `States.Format('${summaryUri(p)} lacks counts docs/contracts.md requires: numbers input.albums, input.artists, input.tracks, accepted.albums, accepted.artists, accepted.tracks, output.tracks, gates_failed, the rejected block, gates_message, metric_data and snapshot_date.', ${PATH.runId})`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
    PutRunMetrics: {
      Type: "Task",
      Comment:
        "Sends the run's metrics (the summary's metric_data, at most 1,000 datums) to CloudWatch, " +
        "passing or not. A failure here does not stop the run: it is kept at $.metrics_error.",
      Resource: RESOURCES.cloudwatchPutMetricData,
      Parameters: {
        Namespace: p.metricsNamespace,
        "MetricData.$": `${PATH.summaryBody}.metric_data`,
      },
      TimeoutSeconds: SDK_CALL_TIMEOUT_SECONDS,
      ResultPath: null,
      Retry: [
        {
          ErrorEquals: ["CloudWatch.CloudWatchException", "CloudWatch.InternalServiceException"],
          IntervalSeconds: p.retry.intervalSeconds,
          MaxAttempts: p.retry.maxAttempts,
          BackoffRate: p.retry.backoffRate,
          MaxDelaySeconds: p.retry.maxDelaySeconds,
          JitterStrategy: "FULL",
        },
      ],
      Catch: [
        { ErrorEquals: ["States.ALL"], ResultPath: "$.metrics_error", Next: STATES.checkGates },
      ],
      Next: STATES.checkGates,
    },
    CheckGates: {
      Type: "Choice",
      Comment:
        "Publishes only when every quality gate passed; otherwise the current gold table stays " +
        "as it was and the failure notification names each breached gate.",
      Choices: [
        {
          Variable: `${PATH.summaryBody}.gates_failed`,
          NumericEquals: 0,
          Next: STATES.publishGold,
        },
      ],
      Default: STATES.gatesFailed,
    },
    GatesFailed: {
      Type: "Pass",
      Comment:
        "A quality gate failed: the staged gold is not published; the cause names each gate.",
      Parameters: {
        step: STATES.checkGates,
        Error: PIPELINE_ERRORS.qualityGateFailed,
        "Cause.$": `${PATH.summaryBody}.gates_message`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
    PublishGold: {
      Type: "Task",
      Comment:
        "Runs the job in publish mode: the staged gold replaces the current table (unless a newer " +
        "snapshot is published) and its snapshot partition of the history table.",
      Resource: RESOURCES.glueStartJobRunSync,
      Parameters: {
        JobName: p.jobName,
        Arguments: {
          ...jobArguments,
          "--mode": "publish",
          "--snapshot_date.$": `${PATH.summaryBody}.snapshot_date`,
        },
        Timeout: p.jobTimeoutMinutes,
      },
      TimeoutSeconds: p.jobTimeoutMinutes * 60 + GLUE_STATE_TIMEOUT_MARGIN_SECONDS,
      ResultSelector: { "JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState" },
      ResultPath: "$.publish",
      Retry: [glueRetry],
      Catch: [catchAll(STATES.publishGoldFailed)],
      Next: STATES.getCrawlerBaseline,
    },
  };
}
