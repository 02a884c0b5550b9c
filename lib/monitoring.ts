/**
 * Pure facts of the pipeline's monitoring: the CloudWatch alarms on the state machine, the
 * EventBridge rule that reports Glue job failures, and the CloudWatch dashboard body.
 * `components/monitoring.ts` turns them into resources.
 *
 * Glue job failures are caught with an EventBridge rule on "Glue Job State Change" (FAILED,
 * TIMEOUT, ERROR) sent straight to the topic, not with an alarm on
 * `glue.driver.aggregate.numFailedTasks`: that metric counts failed Spark tasks (which Spark
 * retries, so a job can succeed with failed tasks) and is never emitted when the job fails before
 * or outside Spark tasks (script error, driver out of memory, timeout, failed start). The state
 * change event is sent for every failed run, including runs started outside the state machine.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 * @see https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
 * @see https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { GATE_FILES, type QualityGates } from "./quality-gates";
import { METRICS_NAMESPACE, METRIC_DIMENSIONS, RUN_METRICS } from "./run-metrics";

/** State machine metrics that mean a run did not succeed, each with its own alarm. */
export const EXECUTION_FAILURE_METRICS = [
  { metricName: "ExecutionsFailed", id: "executions-failed", what: "failed" },
  { metricName: "ExecutionsTimedOut", id: "executions-timed-out", what: "timed out" },
  { metricName: "ExecutionsAborted", id: "executions-aborted", what: "was aborted" },
] as const;

/** Glue job run states that end a run unsuccessfully (STOPPED is a deliberate stop, not a failure). */
export const GLUE_FAILED_STATES = ["FAILED", "TIMEOUT", "ERROR"] as const;

/**
 * One CloudWatch metric alarm, in the shape of `aws.cloudwatch.MetricAlarm` args. `A` is the type
 * of the state machine ARN: a string here, a `pulumi.Input<string>` in the component.
 */
export interface AlarmSpec<A = string> {
  /** Suffix of the alarm's logical name (`<component>-<id>`). */
  id: string;
  alarmDescription: string;
  namespace: string;
  metricName: string;
  dimensions: { StateMachineArn: A };
  statistic: "Sum";
  period: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanOrEqualToThreshold";
  treatMissingData: "notBreaching";
}

/**
 * One alarm per failure metric of the state machine: ALARM as soon as one execution failed, timed
 * out or was aborted within a period. Missing data (no executions) is not breaching.
 * @param periodSeconds evaluation period; a multiple of 60.
 * @throws Error when the period is not a positive multiple of 60 seconds.
 */
export function stateMachineAlarms<A = string>(args: {
  stateMachineArn: A;
  pipelineName: string;
  periodSeconds: number;
}): AlarmSpec<A>[] {
  if (
    !Number.isInteger(args.periodSeconds) ||
    args.periodSeconds < 60 ||
    args.periodSeconds % 60 !== 0
  ) {
    throw new Error(
      `periodSeconds must be a positive multiple of 60 (CloudWatch standard-resolution periods); found ${JSON.stringify(args.periodSeconds)}.`,
    );
  }
  return EXECUTION_FAILURE_METRICS.map((m) => ({
    id: m.id,
    alarmDescription: `${args.pipelineName}: a pipeline run ${m.what} (Step Functions ${m.metricName} >= 1 in ${args.periodSeconds / 60} min). The run's failure notification names the failing step; see the execution in the Step Functions console.`,
    namespace: "AWS/States",
    metricName: m.metricName,
    dimensions: { StateMachineArn: args.stateMachineArn },
    statistic: "Sum",
    period: args.periodSeconds,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
  }));
}

/** Event pattern of the Glue job failure rule: this job's runs that end FAILED, TIMEOUT or ERROR. */
export function glueJobFailurePattern(jobName: string): Record<string, unknown> {
  return {
    source: ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    detail: { jobName: [jobName], state: [...GLUE_FAILED_STATES] },
  };
}

/** The SNS message (JSON) the Glue job failure rule publishes. */
export interface GlueJobFailureNotification {
  status: "GLUE_JOB_FAILED";
  /** One sentence for a person. */
  message: string;
  job_name: string;
  job_run_id: string;
  /** FAILED, TIMEOUT or ERROR. */
  state: string;
  /** Glue's own error message for the run. */
  error: string;
  /** When the state changed (ISO 8601). */
  time: string;
  /** Link to the job's runs in the Glue console. */
  console_url: string;
}

/**
 * Input transformer of the Glue job failure rule's SNS target: a JSON message shaped like the
 * state machine's notifications ({@link GlueJobFailureNotification}). Values stand outside quotes
 * where they are whole JSON values (EventBridge escapes them); the job name, run id, state and
 * region, which cannot hold quotes, are also spliced into the sentence and the link.
 */
export function glueJobFailureInputTransformer(): {
  inputPaths: Record<string, string>;
  inputTemplate: string;
} {
  return {
    inputPaths: {
      job: "$.detail.jobName",
      run: "$.detail.jobRunId",
      state: "$.detail.state",
      error: "$.detail.message",
      time: "$.time",
      region: "$.region",
    },
    inputTemplate:
      "{" +
      '"status":"GLUE_JOB_FAILED",' +
      '"message":"Glue job <job> run <run> ended <state>.",' +
      '"job_name":<job>,' +
      '"job_run_id":<run>,' +
      '"state":<state>,' +
      '"error":<error>,' +
      '"time":<time>,' +
      '"console_url":"https://<region>.console.aws.amazon.com/gluestudio/home?region=<region>#/job/<job>/run/<run>"' +
      "}",
  };
}

/** One alarm on a run metric (`lib/run-metrics.ts`), in the shape of `aws.cloudwatch.MetricAlarm` args. */
export interface RunMetricAlarmSpec {
  /** Suffix of the alarm's logical name (`<component>-<id>`). */
  id: string;
  alarmDescription: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "Maximum" | "Minimum";
  period: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  treatMissingData: "notBreaching";
}

/** Run metrics arrive once per run: an hour-long period holds at most a few datums. */
export const RUN_METRIC_ALARM_PERIOD_SECONDS = 3600;

/**
 * Alarms on the run metrics: the rejected share of each file above its quality gate
 * (`RejectedPercent`), and the gold rows below the gold gate's minimum (`GoldRows`). They fire for
 * runs the gates stopped (the failure notification says which gate) and for runs whose gates a
 * stack relaxed. No run in the period (missing data) is not breaching.
 */
export function runMetricAlarms(args: {
  pipelineName: string;
  namespace: string;
  gates: QualityGates;
}): RunMetricAlarmSpec[] {
  const base = {
    namespace: args.namespace,
    period: RUN_METRIC_ALARM_PERIOD_SECONDS,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching" as const,
  };
  const rejected = GATE_FILES.map((file): RunMetricAlarmSpec => ({
    ...base,
    id: `rejected-share-${file}`,
    alarmDescription:
      `${args.pipelineName}: more than ${args.gates.files[file].max_rejected_pct}% of the ` +
      `${file}.csv rows of a run were quarantined (${RUN_METRICS.rejectedPercent}). See the ` +
      `run's quarantine (processed/quarantine/${file}/) and its notification.`,
    metricName: RUN_METRICS.rejectedPercent,
    dimensions: {
      [METRIC_DIMENSIONS.pipeline]: args.pipelineName,
      [METRIC_DIMENSIONS.file]: file,
    },
    statistic: "Maximum",
    threshold: args.gates.files[file].max_rejected_pct,
    comparisonOperator: "GreaterThanThreshold",
  }));
  return [
    ...rejected,
    {
      ...base,
      id: "gold-rows",
      alarmDescription:
        `${args.pipelineName}: a run produced fewer than ${args.gates.gold.min_rows} gold rows ` +
        `(${RUN_METRICS.goldRows}).`,
      metricName: RUN_METRICS.goldRows,
      dimensions: {
        [METRIC_DIMENSIONS.pipeline]: args.pipelineName,
        [METRIC_DIMENSIONS.file]: "gold",
      },
      statistic: "Minimum",
      threshold: args.gates.gold.min_rows,
      comparisonOperator: "LessThanThreshold",
    },
  ];
}

/** Inputs of {@link dashboardBody}. */
export interface DashboardArgs {
  region: string;
  /** Shown in the header, e.g. `spotify-pipeline-dev`. */
  pipelineName: string;
  stateMachineArn: string;
  jobName: string;
  /** Name of the EventBridge rule that matches Glue job failures. */
  glueFailureRuleName: string;
  /** The state machine's log group (errors, without execution data). */
  logGroupName: string;
  /** ARNs of the alarms shown in the alarm status widget. */
  alarmArns: string[];
  /** Namespace of the run metrics. @default METRICS_NAMESPACE */
  metricsNamespace?: string;
}

type Widget = {
  type: "text" | "metric" | "alarm" | "log";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
};

/** A metric line: namespace, name, dimension pairs, then rendering options. */
type MetricLine = (string | Record<string, unknown>)[];

function line(
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  options: Record<string, unknown>,
): MetricLine {
  return [namespace, metricName, ...Object.entries(dimensions).flat(), options];
}

/**
 * The CloudWatch dashboard body: a header, the alarms, executions per hour by outcome, execution
 * duration, Glue job failures and job metrics (Glue publishes those when the job runs with
 * `--enable-metrics`), and the latest errors from the state machine's log group.
 * @returns the body as a JSON string, ready for `aws.cloudwatch.Dashboard.dashboardBody`.
 */
export function dashboardBody(args: DashboardArgs): string {
  const { region } = args;
  const sm = { StateMachineArn: args.stateMachineArn };
  const glueCount = { JobName: args.jobName, JobRunId: "ALL", Type: "count" };
  const glueGauge = { JobName: args.jobName, JobRunId: "ALL", Type: "gauge" };
  const hour = 3600;
  const consoleBase = `https://${region}.console.aws.amazon.com`;
  const namespace = args.metricsNamespace ?? METRICS_NAMESPACE;
  const run = { [METRIC_DIMENSIONS.pipeline]: args.pipelineName };

  const widgets: Widget[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown:
          `# ${args.pipelineName}\n` +
          `[State machine](${consoleBase}/states/home?region=${region}#/statemachines/view/${encodeURIComponent(args.stateMachineArn)}) · ` +
          `[Glue job runs](${consoleBase}/gluestudio/home?region=${region}#/job/${encodeURIComponent(args.jobName)}/runs) · ` +
          "Row counts and quality gates per run: the run metrics below and each run's notification.",
      },
    },
    {
      type: "alarm",
      x: 0,
      y: 2,
      width: 24,
      height: 2,
      properties: { title: "Alarms", alarms: args.alarmArns, sortBy: "stateUpdatedTimestamp" },
    },
    {
      type: "metric",
      x: 0,
      y: 4,
      width: 12,
      height: 6,
      properties: {
        title: "Executions per hour",
        region,
        view: "timeSeries",
        stacked: false,
        period: hour,
        stat: "Sum",
        metrics: [
          line("AWS/States", "ExecutionsStarted", sm, { label: "started" }),
          line("AWS/States", "ExecutionsSucceeded", sm, { label: "succeeded", color: "#2ca02c" }),
          line("AWS/States", "ExecutionsFailed", sm, { label: "failed", color: "#d62728" }),
          line("AWS/States", "ExecutionsTimedOut", sm, { label: "timed out", color: "#ff7f0e" }),
          line("AWS/States", "ExecutionsAborted", sm, { label: "aborted", color: "#7f7f7f" }),
        ],
        yAxis: { left: { min: 0, label: "executions" } },
      },
    },
    {
      type: "metric",
      x: 12,
      y: 4,
      width: 12,
      height: 6,
      properties: {
        title: "Execution duration (ms)",
        region,
        view: "timeSeries",
        stacked: false,
        period: hour,
        metrics: [
          line("AWS/States", "ExecutionTime", sm, { stat: "Average", label: "average" }),
          line("AWS/States", "ExecutionTime", sm, { stat: "Maximum", label: "maximum" }),
        ],
        yAxis: { left: { min: 0, label: "ms" } },
      },
    },
    {
      type: "metric",
      x: 0,
      y: 10,
      width: 8,
      height: 6,
      properties: {
        title: "Glue job: failed runs and tasks",
        region,
        view: "timeSeries",
        stacked: false,
        period: hour,
        stat: "Sum",
        metrics: [
          line(
            "AWS/Events",
            "TriggeredRules",
            { RuleName: args.glueFailureRuleName },
            { label: "failed runs (FAILED, TIMEOUT, ERROR)", color: "#d62728" },
          ),
          line("Glue", "glue.driver.aggregate.numFailedTasks", glueCount, {
            label: "failed Spark tasks",
          }),
          line("Glue", "glue.driver.aggregate.numCompletedTasks", glueCount, {
            label: "completed Spark tasks",
          }),
        ],
        yAxis: { left: { min: 0 } },
      },
    },
    {
      type: "metric",
      x: 8,
      y: 10,
      width: 8,
      height: 6,
      properties: {
        title: "Glue job: records read and elapsed time",
        region,
        view: "timeSeries",
        stacked: false,
        period: hour,
        metrics: [
          line("Glue", "glue.driver.aggregate.recordsRead", glueCount, {
            stat: "Sum",
            label: "records read",
          }),
          line("Glue", "glue.driver.aggregate.elapsedTime", glueCount, {
            stat: "Maximum",
            label: "elapsed time (ms)",
            yAxis: "right",
          }),
        ],
        yAxis: { left: { min: 0, label: "records" }, right: { min: 0, label: "ms" } },
      },
    },
    {
      type: "metric",
      x: 16,
      y: 10,
      width: 8,
      height: 6,
      properties: {
        title: "Glue job: S3 bytes and executors",
        region,
        view: "timeSeries",
        stacked: false,
        period: hour,
        metrics: [
          line("Glue", "glue.ALL.s3.filesystem.read_bytes", glueGauge, {
            stat: "Sum",
            label: "bytes read",
          }),
          line("Glue", "glue.ALL.s3.filesystem.write_bytes", glueGauge, {
            stat: "Sum",
            label: "bytes written",
          }),
          line(
            "Glue",
            "glue.driver.ExecutorAllocationManager.executors.numberAllExecutors",
            glueGauge,
            {
              stat: "Average",
              label: "executors",
              yAxis: "right",
            },
          ),
        ],
        yAxis: { left: { min: 0, label: "bytes" }, right: { min: 0, label: "executors" } },
      },
    },
    {
      type: "metric",
      x: 0,
      y: 16,
      width: 12,
      height: 6,
      properties: {
        title: "Rejected share per file (%) and quality gates failed",
        region,
        view: "timeSeries",
        stacked: false,
        period: RUN_METRIC_ALARM_PERIOD_SECONDS,
        stat: "Maximum",
        metrics: [
          ...GATE_FILES.map((file) =>
            line(
              namespace,
              RUN_METRICS.rejectedPercent,
              { ...run, [METRIC_DIMENSIONS.file]: file },
              {
                label: `${file} rejected %`,
              },
            ),
          ),
          line(
            namespace,
            RUN_METRICS.gatesFailed,
            { ...run, [METRIC_DIMENSIONS.file]: "all" },
            {
              label: "gates failed",
              yAxis: "right",
              color: "#d62728",
            },
          ),
        ],
        yAxis: { left: { min: 0, label: "%" }, right: { min: 0, label: "gates" } },
      },
    },
    {
      type: "metric",
      x: 12,
      y: 16,
      width: 12,
      height: 6,
      properties: {
        title: "Gold rows and rows in per run",
        region,
        view: "timeSeries",
        stacked: false,
        period: RUN_METRIC_ALARM_PERIOD_SECONDS,
        stat: "Maximum",
        metrics: [
          line(
            namespace,
            RUN_METRICS.goldRows,
            { ...run, [METRIC_DIMENSIONS.file]: "gold" },
            {
              label: "gold rows",
              color: "#2ca02c",
            },
          ),
          line(
            namespace,
            RUN_METRICS.inputRows,
            { ...run, [METRIC_DIMENSIONS.file]: "albums" },
            {
              label: "albums rows in",
            },
          ),
        ],
        yAxis: { left: { min: 0, label: "rows" } },
      },
    },
    {
      type: "log",
      x: 0,
      y: 22,
      width: 24,
      height: 6,
      properties: {
        // Event type and execution only: fields present whatever includeExecutionData says; the
        // failure notification and the execution history carry the error and cause.
        title: "Latest state machine error events",
        region,
        view: "table",
        query:
          `SOURCE '${args.logGroupName}' | fields @timestamp, type, execution_arn` +
          " | sort @timestamp desc | limit 20",
      },
    },
  ];
  return JSON.stringify({ widgets });
}
