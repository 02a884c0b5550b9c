import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { LOG_RETENTION_DAYS } from "../lib/config";
import { RUN_DEFAULTS, SCHEDULE } from "../lib/limits";
import {
  eventsTrustPolicy,
  markerEventPattern,
  markerInputTransformer,
  scheduledInput,
  startExecutionPolicy,
} from "../lib/iam/events";
import { statesRolePolicy, statesTrustPolicy } from "../lib/iam/states";
import { buildDefinition, validateStateMachineParams } from "../lib/state-machine";
import type { QualityGatesOverride } from "../lib/quality-gates";
import { METRICS_NAMESPACE } from "../lib/run-metrics";

/** Arguments of {@link Orchestration}. */
export interface OrchestrationArgs {
  /** AWS account id (trust policy conditions). */
  accountId: pulumi.Input<string>;
  /** AWS region of the stack. */
  region: string;
  /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /** ARN of the pipeline key: encrypts the log group, the run summaries and the topic. */
  keyArn: pulumi.Input<string>;
  /** Name of the Glue job the state machine runs. */
  jobName: pulumi.Input<string>;
  /** ARN of that Glue job. */
  jobArn: pulumi.Input<string>;
  /** Name of the Glue crawler the state machine starts after the job. */
  crawlerName: pulumi.Input<string>;
  /** ARN of that crawler. */
  crawlerArn: pulumi.Input<string>;
  /** ARN of the notification topic. */
  topicArn: pulumi.Input<string>;
  /** Name of the staging bucket: its `incoming/<batch>/_READY` markers start runs. */
  stagingBucketName: pulumi.Input<string>;
  /** Name of the processed bucket, holding `runs/<run_id>/summary.json`. */
  summaryBucketName: pulumi.Input<string>;
  /** ARN of the processed bucket. */
  summaryBucketArn: pulumi.Input<string>;
  /** Name in notification subjects. @default the component name */
  pipelineName?: string;
  /**
   * Retention of the state machine's log group, in days (a CloudWatch Logs retention value).
   * @default 14
   */
  logRetentionDays?: number;
  /** Glue job run timeout in minutes. @default 60 */
  jobTimeoutMinutes?: number;
  /** Seconds between crawler polls. @default 30 */
  crawlerPollSeconds?: number;
  /** Crawler polls before the run fails. @default 40 */
  maxCrawlerPolls?: number;
  /**
   * EventBridge schedule expression that also starts a run on `incoming/latest/`
   * (`rate(1 day)`, `cron(0 3 * * ? *)`). @default none
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
   */
  schedule?: string;
  /**
   * Overrides of the dataset contract's quality gates (`glue/contract.json` `quality_gates`),
   * passed to the job as `--quality_gates`. @default none: the contract's gates
   */
  qualityGates?: QualityGatesOverride;
  /** CloudWatch namespace of the run metrics; the role may write only this one. @default "SpotifyPipeline" */
  metricsNamespace?: string;
}

/** Placeholders that let `validateStateMachineParams` check only the plain-value arguments. */
const PLACEHOLDER_NAMES = {
  jobName: "job",
  crawlerName: "crawler",
  topicArn: "arn:aws:sns:us-east-1:123456789012:topic",
  summaryBucket: "bucket",
};

/**
 * Runs the pipeline: a STANDARD Step Functions state machine built from `buildDefinition`
 * (lib/state-machine.ts), logging errors (without execution data) to a KMS-encrypted log group and
 * traced with X-Ray, under a least-privilege role; started by an EventBridge rule when a batch's
 * `_READY` marker lands in the staging bucket, and optionally on a schedule.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
export class Orchestration extends pulumi.ComponentResource {
  /** The state machine. */
  readonly stateMachine: aws.sfn.StateMachine;
  /** ARN of the state machine (stack output). */
  readonly stateMachineArn: pulumi.Output<string>;
  /** Name of the state machine. */
  readonly stateMachineName: pulumi.Output<string>;
  /** The role the state machine assumes. */
  readonly role: aws.iam.Role;
  /** ARN of that role (a publisher of the notification topic). */
  readonly roleArn: pulumi.Output<string>;
  /** The state machine's log group (`/aws/vendedlogs/states/<name>`). */
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Name of that log group. */
  readonly logGroupName: pulumi.Output<string>;
  /** The rule on `_READY` markers. */
  readonly markerRule: aws.cloudwatch.EventRule;
  /** The schedule rule; undefined without `schedule`. */
  readonly scheduleRule?: aws.cloudwatch.EventRule;
  /** The role EventBridge assumes to start executions. */
  readonly eventsRole: aws.iam.Role;

  constructor(name: string, args: OrchestrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:orchestration:Orchestration", name, {}, opts);

    const pipelineName = args.pipelineName ?? name;
    const logRetentionDays = args.logRetentionDays ?? 14;
    const limits = {
      jobTimeoutMinutes: args.jobTimeoutMinutes ?? RUN_DEFAULTS.jobTimeoutMinutes,
      crawlerPollSeconds: args.crawlerPollSeconds ?? RUN_DEFAULTS.crawlerPollSeconds,
      maxCrawlerPolls: args.maxCrawlerPolls ?? RUN_DEFAULTS.maxCrawlerPolls,
      qualityGates: args.qualityGates ?? {},
      metricsNamespace: args.metricsNamespace ?? METRICS_NAMESPACE,
    };

    const problems = validateStateMachineParams({ ...PLACEHOLDER_NAMES, pipelineName, ...limits });
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      problems.push(
        `logRetentionDays must be a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(", ")}); found ${logRetentionDays}.`,
      );
    }
    if (args.schedule !== undefined && !SCHEDULE.test(args.schedule)) {
      problems.push(
        `schedule must be an EventBridge schedule expression such as rate(1 day) or cron(0 3 * * ? *); found ${JSON.stringify(args.schedule)}.`,
      );
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`Orchestration "${name}": ${problems.join(" ")}`, this);
    }

    // --- The state machine, its role and its logs ---------------------------------------------
    this.role = new aws.iam.Role(
      `${name}-states-role`,
      {
        description: `spotify-pipeline ${name}: assumed by the pipeline's state machine`,
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((accountId) =>
            JSON.stringify(
              statesTrustPolicy({ partition: args.partition, region: args.region, accountId }),
            ),
          ),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;

    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-states-role`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.jobArn, args.crawlerArn, args.summaryBucketArn, args.topicArn, args.keyArn])
          .apply(([jobArn, crawlerArn, summaryBucketArn, topicArn, keyArn]) =>
            JSON.stringify(
              statesRolePolicy({
                region: args.region,
                jobArn,
                crawlerArn,
                summaryBucketArn,
                topicArn,
                keyArn,
                metricsNamespace: limits.metricsNamespace,
              }),
            ),
          ),
      },
      { parent: this },
    );

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-states-logs`,
      {
        // Under /aws/vendedlogs/: Step Functions log delivery does not grow the account's
        // CloudWatch Logs resource policy (limited to 5120 characters) per log group.
        name: `/aws/vendedlogs/states/${name}`,
        retentionInDays: logRetentionDays,
        kmsKeyId: args.keyArn,
      },
      { parent: this },
    );
    this.logGroupName = this.logGroup.name;

    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-pipeline`,
      {
        type: "STANDARD",
        roleArn: this.role.arn,
        definition: pulumi
          .all([args.jobName, args.crawlerName, args.topicArn, args.summaryBucketName])
          .apply(([jobName, crawlerName, topicArn, summaryBucket]) =>
            JSON.stringify(
              buildDefinition({
                jobName,
                crawlerName,
                topicArn,
                summaryBucket,
                pipelineName,
                ...limits,
              }),
              null,
              2,
            ),
          ),
        loggingConfiguration: {
          level: "ERROR",
          includeExecutionData: false,
          logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
        // Definition and execution history encrypted with the pipeline key (sfn-encryption).
        encryptionConfiguration: {
          type: "CUSTOMER_MANAGED_KMS_KEY",
          kmsKeyId: args.keyArn,
          kmsDataKeyReusePeriodSeconds: 300,
        },
      },
      // Step Functions checks the role's log-delivery permissions when it creates the machine.
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.stateMachineArn = this.stateMachine.arn;
    this.stateMachineName = this.stateMachine.name;

    // --- Triggers ------------------------------------------------------------------------------
    this.markerRule = new aws.cloudwatch.EventRule(
      `${name}-batch-ready`,
      {
        description: `spotify-pipeline ${name}: starts a run when incoming/<batch>/_READY lands in the staging bucket`,
        eventPattern: pulumi
          .output(args.stagingBucketName)
          .apply((bucket) => JSON.stringify(markerEventPattern(bucket))),
      },
      { parent: this },
    );
    if (args.schedule !== undefined) {
      this.scheduleRule = new aws.cloudwatch.EventRule(
        `${name}-schedule`,
        {
          description: `spotify-pipeline ${name}: starts a run on incoming/latest/ (${args.schedule})`,
          scheduleExpression: args.schedule,
        },
        { parent: this },
      );
    }
    const rules = [this.markerRule, ...(this.scheduleRule ? [this.scheduleRule] : [])];

    this.eventsRole = new aws.iam.Role(
      `${name}-events-role`,
      {
        description: `spotify-pipeline ${name}: assumed by EventBridge to start the pipeline`,
        assumeRolePolicy: pulumi
          .all([args.accountId, pulumi.all(rules.map((r) => r.arn))])
          .apply(([accountId, ruleArns]) =>
            JSON.stringify(eventsTrustPolicy({ accountId, ruleArns })),
          ),
      },
      { parent: this },
    );
    const eventsPolicy = new aws.iam.RolePolicy(
      `${name}-events-role`,
      {
        role: this.eventsRole.id,
        policy: this.stateMachine.arn.apply((arn) => JSON.stringify(startExecutionPolicy(arn))),
      },
      { parent: this },
    );

    new aws.cloudwatch.EventTarget(
      `${name}-batch-ready`,
      {
        rule: this.markerRule.name,
        arn: this.stateMachine.arn,
        roleArn: this.eventsRole.arn,
        inputTransformer: markerInputTransformer(),
      },
      { parent: this, dependsOn: [eventsPolicy] },
    );
    if (this.scheduleRule) {
      new aws.cloudwatch.EventTarget(
        `${name}-schedule`,
        {
          rule: this.scheduleRule.name,
          arn: this.stateMachine.arn,
          roleArn: this.eventsRole.arn,
          input: pulumi
            .output(args.stagingBucketName)
            .apply((bucket) => JSON.stringify(scheduledInput(bucket))),
        },
        { parent: this, dependsOn: [eventsPolicy] },
      );
    }

    this.registerOutputs({
      stateMachineArn: this.stateMachineArn,
      stateMachineName: this.stateMachineName,
      roleArn: this.roleArn,
      logGroupName: this.logGroupName,
    });
  }
}
