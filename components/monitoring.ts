import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import {
  dashboardBody,
  glueJobFailureInputTransformer,
  glueJobFailurePattern,
  runMetricAlarms,
  stateMachineAlarms,
} from "../lib/monitoring";
import {
  loadQualityGates,
  mergeQualityGates,
  type QualityGatesOverride,
} from "../lib/quality-gates";
import { METRICS_NAMESPACE } from "../lib/run-metrics";

/** Arguments of {@link Monitoring}. */
export interface MonitoringArgs {
  /** AWS region of the stack (dashboard widgets, console links). */
  region: string;
  /** ARN of the pipeline's state machine. */
  stateMachineArn: pulumi.Input<string>;
  /** Name of the state machine's log group (dashboard error table). */
  logGroupName: pulumi.Input<string>;
  /** Name of the Glue job. */
  jobName: pulumi.Input<string>;
  /** ARN of the topic that receives alarms and Glue job failures. */
  topicArn: pulumi.Input<string>;
  /** Name in alarm descriptions and the dashboard header. @default the component name */
  pipelineName?: string;
  /** Alarm evaluation period in seconds (a multiple of 60). @default 300 */
  alarmPeriodSeconds?: number;
  /** Name of the CloudWatch dashboard. @default the component name */
  dashboardName?: string;
  /** The stack's overrides of the quality gates: the run-metric alarms' thresholds. @default none */
  qualityGates?: QualityGatesOverride;
  /** Namespace of the run metrics. @default "SpotifyPipeline" */
  metricsNamespace?: string;
}

/**
 * Watches the pipeline: CloudWatch alarms on failed, timed-out and aborted executions, an
 * EventBridge rule that sends every failed Glue job run to the topic, and a CloudWatch dashboard
 * with executions, durations, Glue job metrics and the latest errors.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 */
export class Monitoring extends pulumi.ComponentResource {
  /** The execution alarms, by id (`executions-failed`, `executions-timed-out`, `executions-aborted`). */
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm>;
  /** The rule that matches failed Glue job runs. */
  readonly glueFailureRule: aws.cloudwatch.EventRule;
  /** ARN of that rule (a publisher of the notification topic). */
  readonly glueFailureRuleArn: pulumi.Output<string>;
  /** The dashboard. */
  readonly dashboard: aws.cloudwatch.Dashboard;
  /** Name of the dashboard (stack output). */
  readonly dashboardName: pulumi.Output<string>;
  /** Console URL of the dashboard (stack output). */
  readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:monitoring:Monitoring", name, {}, opts);

    const pipelineName = args.pipelineName ?? name;
    const periodSeconds = args.alarmPeriodSeconds ?? 300;
    const dashboardName = args.dashboardName ?? name;
    const problems: string[] = [];
    if (!Number.isInteger(periodSeconds) || periodSeconds < 60 || periodSeconds % 60 !== 0) {
      problems.push(
        `alarmPeriodSeconds: got ${periodSeconds}; expected a positive multiple of 60, e.g. 300.`,
      );
    }
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(dashboardName)) {
      problems.push(
        `dashboardName: got ${JSON.stringify(dashboardName)}; expected 1 to 255 letters, digits, "-" or "_".`,
      );
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`Monitoring "${name}": ${problems.join(" ")}`, this);
    }

    this.alarms = {};
    const specs = stateMachineAlarms({
      stateMachineArn: args.stateMachineArn,
      pipelineName,
      periodSeconds,
    });
    for (const { id, ...spec } of specs) {
      this.alarms[id] = new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        { ...spec, alarmActions: [args.topicArn] },
        { parent: this },
      );
    }
    const runSpecs = runMetricAlarms({
      pipelineName,
      namespace: args.metricsNamespace ?? METRICS_NAMESPACE,
      gates: mergeQualityGates(loadQualityGates(), args.qualityGates),
    });
    for (const { id, ...spec } of runSpecs) {
      this.alarms[id] = new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        { ...spec, alarmActions: [args.topicArn] },
        { parent: this },
      );
    }

    this.glueFailureRule = new aws.cloudwatch.EventRule(
      `${name}-glue-job-failed`,
      {
        description: `spotify-pipeline ${name}: Glue job runs that end FAILED, TIMEOUT or ERROR`,
        eventPattern: pulumi
          .output(args.jobName)
          .apply((jobName) => JSON.stringify(glueJobFailurePattern(jobName))),
      },
      { parent: this },
    );
    this.glueFailureRuleArn = this.glueFailureRule.arn;
    new aws.cloudwatch.EventTarget(
      `${name}-glue-job-failed`,
      {
        rule: this.glueFailureRule.name,
        arn: args.topicArn,
        inputTransformer: glueJobFailureInputTransformer(),
      },
      { parent: this },
    );

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName,
        dashboardBody: pulumi
          .all([
            args.stateMachineArn,
            args.jobName,
            this.glueFailureRule.name,
            args.logGroupName,
            pulumi.all(Object.values(this.alarms).map((a) => a.arn)),
          ])
          .apply(([stateMachineArn, jobName, glueFailureRuleName, logGroupName, alarmArns]) =>
            dashboardBody({
              region: args.region,
              pipelineName,
              stateMachineArn,
              jobName,
              glueFailureRuleName,
              logGroupName,
              alarmArns,
              metricsNamespace: args.metricsNamespace ?? METRICS_NAMESPACE,
            }),
          ),
      },
      { parent: this },
    );
    this.dashboardName = this.dashboard.dashboardName;
    this.dashboardUrl = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards/dashboard/${this.dashboard.dashboardName}`;

    this.registerOutputs({
      dashboardName: this.dashboardName,
      dashboardUrl: this.dashboardUrl,
      glueFailureRuleArn: this.glueFailureRuleArn,
    });
  }
}
