/**
 * IAM documents of the state machine's role. Pure: plain strings in, documents out.
 *
 * The grants are derived from the Task `Resource`s of the definition (`taskResources()` in
 * lib/state-machine.ts): each service integration maps to the actions AWS documents for it, scoped
 * to the one resource it touches (the Glue job, the crawler, the run summaries, the topic). A Task
 * whose integration is not mapped here is an error, so the role cannot silently lag behind the
 * definition. Only the log-delivery and X-Ray actions, which have no resource type, use `*`.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/glue-iam.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
import { RUN_SUMMARY_PREFIX } from "../contract";
import { taskResources } from "../state-machine";
import { METRICS_NAMESPACE } from "../run-metrics";
import { type PolicyDocument, type Statement, policyDocument, servicePrincipal } from "./document";

/** What a service integration touches, which decides the resource its actions are scoped to. */
export type IntegrationTarget = "job" | "crawler" | "summary" | "topic" | "metrics";

/**
 * Actions per service integration (the part of the Task Resource after `arn:<partition>:states:::`).
 * `.sync` integrations also need the actions Step Functions uses to poll and to stop the run.
 */
export const INTEGRATION_ACTIONS: Readonly<
  Record<string, { target: IntegrationTarget; actions: readonly string[] }>
> = {
  "glue:startJobRun.sync": {
    target: "job",
    actions: ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
  },
  "aws-sdk:glue:startCrawler": { target: "crawler", actions: ["glue:StartCrawler"] },
  "aws-sdk:glue:getCrawler": { target: "crawler", actions: ["glue:GetCrawler"] },
  "aws-sdk:s3:getObject": { target: "summary", actions: ["s3:GetObject"] },
  "sns:publish": { target: "topic", actions: ["sns:Publish"] },
  "aws-sdk:cloudwatch:putMetricData": { target: "metrics", actions: ["cloudwatch:PutMetricData"] },
};

/**
 * CloudWatch Logs actions Step Functions needs to set up log delivery. AWS documents them with
 * `Resource: "*"`: they have no resource type in the service authorization reference.
 */
export const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
] as const;

/** X-Ray actions for tracing; they have no resource type either. */
export const XRAY_ACTIONS = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
] as const;

/** Statement ids per integration target, in the order statements appear. */
const TARGET_SIDS: Record<IntegrationTarget, string> = {
  job: "RunGlueJob",
  crawler: "RunCrawler",
  summary: "ReadRunSummaries",
  topic: "PublishNotifications",
  metrics: "PutRunMetrics",
};

/** Inputs of {@link statesRolePolicy}. */
export interface StatesRolePolicyArgs {
  region: string;
  /** ARN of the Glue job (`arn:<partition>:glue:<region>:<account>:job/<name>`). */
  jobArn: string;
  /** ARN of the Glue crawler. */
  crawlerArn: string;
  /** ARN of the processed bucket, which holds the run summaries under `runs/`. */
  summaryBucketArn: string;
  /** ARN of the notification topic. */
  topicArn: string;
  /** ARN of the pipeline key (SSE-KMS of the processed bucket and of the topic). */
  keyArn: string;
  /**
   * The only CloudWatch namespace the role may put metrics in (`cloudwatch:namespace`).
   * @default METRICS_NAMESPACE ("SpotifyPipeline")
   */
  metricsNamespace?: string;
  /**
   * The Task Resource ARNs of the definition.
   * @default Object.values(taskResources()) from lib/state-machine.ts
   */
  taskResources?: readonly string[];
}

/**
 * The integration key of a Task Resource ARN (`arn:aws:states:::glue:startJobRun.sync` ->
 * `glue:startJobRun.sync`).
 * @throws Error when the ARN is not a Step Functions service integration ARN.
 */
export function integrationOf(resource: string): string {
  const match = /^arn:aws[a-z-]*:states:::(.+)$/.exec(resource);
  if (!match) {
    throw new Error(
      `Task Resource ${JSON.stringify(resource)} is not a Step Functions service integration ARN (arn:<partition>:states:::<service>:<api>); the state machine role only covers service integrations.`,
    );
  }
  return match[1]!;
}

/**
 * The identity policy of the state machine's role: each integration's actions on its one resource,
 * KMS through S3 (run summaries) and SNS (the encrypted topic) on the pipeline key, and the
 * unscopable log-delivery and X-Ray actions on `*`.
 * @throws Error naming the Task Resource when the definition uses an integration not mapped in
 *   {@link INTEGRATION_ACTIONS}.
 */
export function statesRolePolicy(args: StatesRolePolicyArgs): PolicyDocument {
  const resources = args.taskResources ?? Object.values(taskResources());
  const actions = new Map<IntegrationTarget, string[]>();
  for (const resource of resources) {
    const integration = integrationOf(resource);
    const spec = INTEGRATION_ACTIONS[integration];
    if (!spec) {
      throw new Error(
        `Task Resource ${resource} uses integration ${integration}, which lib/iam/states.ts does not map to IAM actions; add it to INTEGRATION_ACTIONS (known: ${Object.keys(INTEGRATION_ACTIONS).join(", ")}).`,
      );
    }
    const list = actions.get(spec.target) ?? [];
    for (const a of spec.actions) if (!list.includes(a)) list.push(a);
    actions.set(spec.target, list);
  }

  const scope: Record<IntegrationTarget, string> = {
    job: args.jobArn,
    crawler: args.crawlerArn,
    summary: `${args.summaryBucketArn}/${RUN_SUMMARY_PREFIX}*`,
    topic: args.topicArn,
    // PutMetricData has no resource type: the namespace condition is what scopes it.
    metrics: "*",
  };
  const statements: Statement[] = [];
  for (const target of Object.keys(TARGET_SIDS) as IntegrationTarget[]) {
    const list = actions.get(target);
    if (!list) continue;
    statements.push({
      Sid: TARGET_SIDS[target],
      Effect: "Allow",
      Action: list,
      Resource: scope[target],
      ...(target === "metrics"
        ? {
            Condition: {
              StringEquals: { "cloudwatch:namespace": args.metricsNamespace ?? METRICS_NAMESPACE },
            },
          }
        : {}),
    });
  }
  if (actions.has("summary")) {
    // S3 decrypts the SSE-KMS summary with the caller's permission. With S3 Bucket Keys the
    // encryption context is the bucket ARN; without, the object ARN.
    statements.push({
      Sid: "DecryptRunSummaries",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: args.keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` },
        StringLike: {
          "kms:EncryptionContext:aws:s3:arn": [
            args.summaryBucketArn,
            `${args.summaryBucketArn}/${RUN_SUMMARY_PREFIX}*`,
          ],
        },
      },
    });
  }
  if (actions.has("topic")) {
    // Publishing to a KMS-encrypted topic: SNS generates a data key and decrypts it as the caller.
    statements.push({
      Sid: "EncryptNotifications",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: args.keyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `sns.${args.region}.amazonaws.com`,
          "kms:EncryptionContext:aws:sns:topicArn": args.topicArn,
        },
      },
    });
  }
  // The state machine is encrypted with the pipeline key: Step Functions uses it as the role
  // (https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html).
  const [, partition, , , account] = args.jobArn.split(":");
  statements.push({
    Sid: "UseKeyForStateMachine",
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: args.keyArn,
    Condition: {
      StringLike: {
        "kms:EncryptionContext:aws:states:stateMachineArn": `arn:${partition}:states:${args.region}:${account}:stateMachine:*`,
      },
    },
  });
  statements.push(
    { Sid: "DeliverLogs", Effect: "Allow", Action: [...LOG_DELIVERY_ACTIONS], Resource: "*" },
    { Sid: "Tracing", Effect: "Allow", Action: [...XRAY_ACTIONS], Resource: "*" },
  );
  return policyDocument(statements);
}

/**
 * Trust policy of the state machine's role: only Step Functions, only for state machines of this
 * account and region (confused-deputy protection).
 */
export function statesTrustPolicy(args: {
  partition: string;
  region: string;
  accountId: string;
}): PolicyDocument {
  return policyDocument([
    {
      Sid: "StepFunctionsAssumeRole",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("states") },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnLike: {
          "aws:SourceArn": `arn:${args.partition}:states:${args.region}:${args.accountId}:stateMachine:*`,
        },
      },
    },
  ]);
}
