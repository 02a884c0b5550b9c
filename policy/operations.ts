/**
 * Operations: Step Functions logging and tracing, log retention, alarms that notify someone.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { configSchemas, policyConfig } from "./config";
import { at, isSet, known, must, ofType, runChecks, show, type Snapshot } from "./support";

const LOG_LEVELS = ["ALL", "ERROR", "FATAL"];

/** Step Functions state machines log to CloudWatch Logs. */
export const sfnLogging: ResourceValidationPolicy = {
  name: "sfn-logging",
  description:
    "Checks that every Step Functions state machine logs to CloudWatch Logs (level ALL, ERROR or FATAL, a log group ARN ending in :*) without execution data unless allowed.",
  configSchema: configSchemas["sfn-logging"],
  validateResource: ofType("aws:sfn/stateMachine:StateMachine", (props, args, report) => {
    const { allowIncludeExecutionData } = policyConfig("sfn-logging", args);
    const what = `Step Functions state machine '${args.name}'`;
    runChecks([
      () => {
        const level = known(at(props, "loggingConfiguration", "level"));
        if (typeof level !== "string" || !LOG_LEVELS.includes(level)) {
          report(
            must(
              what,
              "log executions (loggingConfiguration.level ALL, ERROR or FATAL)",
              `level ${show(level)}`,
            ),
          );
        }
      },
      () => {
        const destination = at(props, "loggingConfiguration", "logDestination");
        if (!isSet(destination)) {
          report(
            must(
              what,
              "send logs to a CloudWatch log group (loggingConfiguration.logDestination)",
              "none",
            ),
          );
        } else if (typeof destination === "string" && !destination.endsWith(":*")) {
          report(
            must(
              what,
              "name the log group by an ARN ending in :* (loggingConfiguration.logDestination)",
              destination,
            ),
          );
        }
      },
      () => {
        const data = known(at(props, "loggingConfiguration", "includeExecutionData"));
        if (data === true && !allowIncludeExecutionData) {
          report(
            must(
              what,
              "not log execution data (includeExecutionData: false; allowIncludeExecutionData is false)",
              "includeExecutionData true",
            ),
          );
        }
      },
    ]);
  }),
};

/** Step Functions state machines trace with X-Ray. */
export const sfnTracing: ResourceValidationPolicy = {
  name: "sfn-tracing",
  description: "Checks that every Step Functions state machine has AWS X-Ray tracing enabled.",
  validateResource: ofType("aws:sfn/stateMachine:StateMachine", (props, args, report) => {
    const enabled = known(at(props, "tracingConfiguration", "enabled"));
    if (enabled !== true) {
      report(
        must(
          `Step Functions state machine '${args.name}'`,
          "trace with X-Ray (tracingConfiguration.enabled: true)",
          `enabled ${show(enabled)}`,
        ),
      );
    }
  }),
};

/** Log groups expire their events. */
export const logGroupRetention: ResourceValidationPolicy = {
  name: "log-group-retention",
  description:
    "Checks that every CloudWatch Logs log group has a retention period of at least minRetentionDays (unset means events are kept forever).",
  configSchema: configSchemas["log-group-retention"],
  validateResource: ofType("aws:cloudwatch/logGroup:LogGroup", (props, args, report) => {
    const { minRetentionDays } = policyConfig("log-group-retention", args);
    const days = known(at(props, "retentionInDays"));
    if (typeof days !== "number" || days === 0 || days < minRetentionDays) {
      report(
        must(
          `CloudWatch log group '${args.name}'`,
          `set a retention of at least ${minRetentionDays} day(s) (retentionInDays)`,
          days === undefined || days === 0
            ? "none (events never expire)"
            : `retentionInDays ${show(days)}`,
        ),
      );
    }
  }),
};

function alarmHasActions(kind: string) {
  return (props: Snapshot, args: { name: string }, report: (m: string) => void) => {
    const what = `${kind} '${args.name}'`;
    runChecks([
      () => {
        const enabled = known(at(props, "actionsEnabled"));
        if (enabled === false)
          report(must(what, "have its actions enabled (actionsEnabled)", "false"));
      },
      () => {
        if (!isSet(at(props, "alarmActions"))) {
          report(must(what, "notify someone when it fires (alarmActions)", "none"));
        }
      },
    ]);
  };
}

/** Alarms have actions. */
export const alarmActions: ResourceValidationPolicy = {
  name: "alarm-actions",
  description: "Checks that every CloudWatch alarm has alarm actions and has its actions enabled.",
  validateResource: [
    ofType("aws:cloudwatch/metricAlarm:MetricAlarm", alarmHasActions("CloudWatch alarm")),
    ofType(
      "aws:cloudwatch/compositeAlarm:CompositeAlarm",
      alarmHasActions("CloudWatch composite alarm"),
    ),
  ],
};

/** The operations policies, in report order. */
export const operationsPolicies: ResourceValidationPolicy[] = [
  sfnLogging,
  sfnTracing,
  logGroupRetention,
  alarmActions,
];
