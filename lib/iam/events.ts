/**
 * EventBridge documents of the pipeline's triggers. Pure: plain strings in, documents out.
 *
 * - The marker rule: S3 "Object Created" events of the staging bucket whose key is
 *   `incoming/<batch>/_READY`. Uploading the three CSVs starts nothing; the marker, uploaded last,
 *   starts one execution.
 * - The optional schedule: a fixed input that processes `incoming/latest/`.
 * - The role EventBridge assumes to start executions: `states:StartExecution` on the one state
 *   machine, trusted by `events.amazonaws.com` only for this stack's rules.
 *
 * EventBridge input transformers only copy values out of the event: they cannot cut the `_READY`
 * name off the marker's key. The marker rule therefore passes the marker's bucket and key
 * (`{ "marker": { "bucket", "key" } }`), and the state machine derives `input_path`
 * (`s3://<bucket>/incoming/<batch>/`) from them.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
 */
import { INCOMING_PREFIX, READY_MARKER } from "../contract";
import { type PolicyDocument, policyDocument, servicePrincipal } from "./document";

export { INCOMING_PREFIX };

/** Name of the marker object that declares a batch complete (the contract's `layout`). */
export const MARKER_NAME = READY_MARKER;

/**
 * The batch prefix a scheduled run processes: producers that cannot upload a marker overwrite
 * `incoming/latest/` and let the schedule pick it up.
 */
export const SCHEDULED_BATCH_PREFIX = `${INCOMING_PREFIX}latest/`;

/** The execution input the marker rule sends (before the state machine derives `input_path`). */
export interface MarkerInput {
  marker: { bucket: string; key: string };
}

/** The execution input of a scheduled run. */
export interface ScheduledInput {
  input_path: string;
}

/**
 * Event pattern of the marker rule: an object named `_READY` created under `incoming/` of the
 * staging bucket. One `wildcard` filter (`incoming/*\/_READY`) and not a `prefix` plus a `suffix`
 * filter: filters listed for one field are alternatives (OR), so that pair would match every
 * object under `incoming/` and every `_READY` anywhere.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
 */
export function markerEventPattern(stagingBucketName: string): Record<string, unknown> {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: {
      bucket: { name: [stagingBucketName] },
      object: { key: [{ wildcard: `${INCOMING_PREFIX}*/${MARKER_NAME}` }] },
    },
  };
}

/**
 * Input transformer of the marker rule's target. Placeholders stand outside quotes, so EventBridge
 * inserts them as JSON strings (escaped): the result is always valid JSON.
 */
export function markerInputTransformer(): {
  inputPaths: Record<string, string>;
  inputTemplate: string;
} {
  return {
    inputPaths: { bucket: "$.detail.bucket.name", key: "$.detail.object.key" },
    inputTemplate: '{"marker":{"bucket":<bucket>,"key":<key>}}',
  };
}

/** The fixed input of a scheduled run: `{"input_path":"s3://<staging>/incoming/latest/"}`. */
export function scheduledInput(stagingBucketName: string): ScheduledInput {
  return { input_path: `s3://${stagingBucketName}/${SCHEDULED_BATCH_PREFIX}` };
}

/**
 * Trust policy of the role EventBridge uses to start executions: `events.amazonaws.com`, only on
 * behalf of the given rules of this account.
 * @throws Error when no rule ARN is given (the role would be assumable by no rule, or by any).
 */
export function eventsTrustPolicy(args: { accountId: string; ruleArns: string[] }): PolicyDocument {
  if (args.ruleArns.length === 0) {
    throw new Error(
      "eventsTrustPolicy: ruleArns is empty; pass the ARN of every rule that targets the state machine (the marker rule, and the schedule rule when one exists).",
    );
  }
  return policyDocument([
    {
      Sid: "EventBridgeAssumeRole",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("events") },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnEquals: {
          "aws:SourceArn": args.ruleArns.length === 1 ? args.ruleArns[0]! : args.ruleArns,
        },
      },
    },
  ]);
}

/** Identity policy of that role: start executions of the one state machine, nothing else. */
export function startExecutionPolicy(stateMachineArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "StartPipelineExecutions",
      Effect: "Allow",
      Action: "states:StartExecution",
      Resource: stateMachineArn,
    },
  ]);
}
