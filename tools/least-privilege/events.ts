/** The EventBridge role: what the marker and schedule rules must and must not be able to do. */
import { GLUE, RUN, RoleTable, iamDenied } from "./table";

const EVENTS_TRUST_SID = "EventBridgeAssumeRole";

/** The EventBridge role: starts executions of the one state machine. */
export const EVENTS: RoleTable = {
  id: "eventbridge",
  title: "EventBridge role",
  component: "spotify-pipeline:orchestration:Orchestration",
  suffix: "-events-role",
  session: "EventBridgeTarget",
  allowed: [
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: { "aws:SourceAccount": "{account}", "aws:SourceArn": "{markerRule}" },
      expect: "Allowed",
      by: `trust:${EVENTS_TRUST_SID}`,
      why: "the marker rule's target assumes the role",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: { "aws:SourceAccount": "{account}", "aws:SourceArn": "{scheduleRule}" },
      expect: "Allowed",
      by: `trust:${EVENTS_TRUST_SID}`,
      when: "scheduleRule",
      why: "the schedule rule's target assumes the role",
    },
    {
      action: "states:StartExecution",
      resource: "{stateMachine}",
      expect: "Allowed",
      by: "identity:StartPipelineExecutions",
      why: "starts a run",
    },
  ],
  denied: [
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: {
        "aws:SourceAccount": "{account}",
        "aws:SourceArn": "arn:{partition}:events:{region}:{account}:rule/someone-elses-rule",
      },
      expect: "ImplicitlyDenied",
      why: "other rules of the account cannot use it (confused deputy)",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: {
        "aws:SourceAccount": "{otherAccount}",
        "aws:SourceArn": "arn:{partition}:events:{region}:{otherAccount}:rule/batch-ready",
      },
      expect: "ImplicitlyDenied",
      why: "rules of another account cannot use it",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "lambda.amazonaws.com",
      context: { "aws:SourceAccount": "{account}" },
      expect: "ImplicitlyDenied",
      why: "no other service principal is trusted",
    },
    {
      action: "states:StartExecution",
      resource: "arn:{partition}:states:{region}:{account}:stateMachine:other-pipeline",
      expect: "ImplicitlyDenied",
      why: "starts only this state machine",
    },
    {
      action: "states:StartSyncExecution",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "only asynchronous starts",
    },
    {
      action: "states:StopExecution",
      resource: "arn:{partition}:states:{region}:{account}:execution:{stateMachineName}:" + RUN,
      expect: "ImplicitlyDenied",
      why: "cannot stop runs",
    },
    {
      action: "states:UpdateStateMachine",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "cannot change the definition",
    },
    {
      action: "glue:StartJobRun",
      resource: `${GLUE}:job/{job}`,
      expect: "ImplicitlyDenied",
      why: "cannot bypass the state machine",
    },
    ...iamDenied(),
  ],
};
