import { expect } from "chai";

import {
  type Editable,
  SFN_LOG_GROUP_ARN,
  T,
  UNKNOWN,
  baseline,
  patch,
  plus,
  res,
} from "./fixtures/policy/graph";
import { cannotCheck, check, mandatory } from "./fixtures/policy/run";

const only = async (policy: string, graph = baseline(), stack = "prod") =>
  (await check(graph, { stack })).filter((v) => v.policy === policy);

const SM = "Step Functions state machine 'pipeline'";

describe("policy: sfn-logging", () => {
  const policy = "sfn-logging";
  const logging = (edit: (l: Editable) => void) =>
    patch(baseline(), T.stateMachine, "pipeline", (i) => edit(i.loggingConfiguration));

  it("passes the baseline (ERROR to a log group ARN ending in :*, no execution data)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports logging OFF", async () => {
    expect(await check(logging((l) => (l.level = "OFF")))).to.deep.equal([
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must log executions (loggingConfiguration.level ALL, ERROR or FATAL); found level OFF.`,
      ),
    ]);
  });

  it("reports a state machine without any logging configuration", async () => {
    const g = patch(baseline(), T.stateMachine, "pipeline", (i) => delete i.loggingConfiguration);
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must log executions (loggingConfiguration.level ALL, ERROR or FATAL); found level none.`,
      ),
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must send logs to a CloudWatch log group (loggingConfiguration.logDestination); found none.`,
      ),
    ]);
  });

  it("reports a log destination that does not end in :*", async () => {
    expect(await check(logging((l) => (l.logDestination = SFN_LOG_GROUP_ARN)))).to.deep.equal([
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must name the log group by an ARN ending in :* (loggingConfiguration.logDestination); found ${SFN_LOG_GROUP_ARN}.`,
      ),
    ]);
  });

  it("reports execution data in the logs unless allowed by config", async () => {
    const g = logging((l) => (l.includeExecutionData = true));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must not log execution data (includeExecutionData: false; allowIncludeExecutionData is false); found includeExecutionData true.`,
      ),
    ]);
    expect(
      await check(g, { config: { [policy]: { allowIncludeExecutionData: true } } }),
    ).to.deep.equal([]);
  });

  it("accepts a destination unknown during preview, and reports an unknown level as advisory", async () => {
    expect(
      await only(
        policy,
        logging((l) => (l.logDestination = UNKNOWN)),
      ),
    ).to.deep.equal([]);
    expect(
      await only(
        policy,
        logging((l) => (l.level = UNKNOWN)),
      ),
    ).to.deep.equal([
      cannotCheck(
        policy,
        T.stateMachine,
        "pipeline",
        "string value at .loggingConfiguration.level can't be known during preview",
      ),
    ]);
  });
});

describe("policy: sfn-tracing", () => {
  const policy = "sfn-tracing";

  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports tracing off", async () => {
    const g = patch(
      baseline(),
      T.stateMachine,
      "pipeline",
      (i) => (i.tracingConfiguration.enabled = false),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.stateMachine,
        "pipeline",
        `${SM} must trace with X-Ray (tracingConfiguration.enabled: true); found enabled false.`,
      ),
    ]);
  });

  it("reports tracing unset, advisory in dev", async () => {
    const g = patch(baseline(), T.stateMachine, "pipeline", (i) => delete i.tracingConfiguration);
    const found = await only(policy, g, "dev");
    expect(found.map((v) => [v.level, v.message])).to.deep.equal([
      [
        "advisory",
        `${SM} must trace with X-Ray (tracingConfiguration.enabled: true); found enabled none.`,
      ],
    ]);
  });
});

describe("policy: log-group-retention", () => {
  const policy = "log-group-retention";
  const retention = (days: unknown) =>
    patch(baseline(), T.logGroup, "sfn-logs", (i) =>
      days === undefined ? delete i.retentionInDays : (i.retentionInDays = days),
    );

  it("passes the baseline (365 days meets prod's minimum)", async () =>
    expect(await only(policy)).to.deep.equal([]));

  it("reports a log group that never expires", async () => {
    expect(await check(retention(undefined))).to.deep.equal([
      mandatory(
        policy,
        T.logGroup,
        "sfn-logs",
        "CloudWatch log group 'sfn-logs' must set a retention of at least 365 day(s) (retentionInDays); found none (events never expire).",
      ),
    ]);
  });

  it("reports retention 0 (never expire) too", async () => {
    const found = await only(policy, retention(0));
    expect(found.map((v) => v.message)).to.deep.equal([
      "CloudWatch log group 'sfn-logs' must set a retention of at least 365 day(s) (retentionInDays); found none (events never expire).",
    ]);
  });

  it("applies each stack's minimum: 30 days fails prod (365) and passes dev (7)", async () => {
    expect(await only(policy, retention(30))).to.deep.equal([
      mandatory(
        policy,
        T.logGroup,
        "sfn-logs",
        "CloudWatch log group 'sfn-logs' must set a retention of at least 365 day(s) (retentionInDays); found retentionInDays 30.",
      ),
    ]);
    expect(await only(policy, retention(30), "dev")).to.deep.equal([]);
  });

  it("reports an unknown retention as advisory", async () => {
    expect(await only(policy, retention(UNKNOWN))).to.deep.equal([
      cannotCheck(
        policy,
        T.logGroup,
        "sfn-logs",
        "string value at .retentionInDays can't be known during preview",
      ),
    ]);
  });
});

describe("policy: alarm-actions", () => {
  const policy = "alarm-actions";

  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports an alarm without actions", async () => {
    const g = patch(baseline(), T.alarm, "job-failed", (i) => (i.alarmActions = []));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.alarm,
        "job-failed",
        "CloudWatch alarm 'job-failed' must notify someone when it fires (alarmActions); found none.",
      ),
    ]);
  });

  it("reports an alarm with its actions disabled", async () => {
    const g = patch(baseline(), T.alarm, "job-failed", (i) => (i.actionsEnabled = false));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.alarm,
        "job-failed",
        "CloudWatch alarm 'job-failed' must have its actions enabled (actionsEnabled); found false.",
      ),
    ]);
  });

  it("checks composite alarms too", async () => {
    const g = plus(
      baseline(),
      res(T.compositeAlarm, "pipeline-health", {
        alarmName: "pipeline-health",
        alarmRule: "ALARM(job-failed)",
      }),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.compositeAlarm,
        "pipeline-health",
        "CloudWatch composite alarm 'pipeline-health' must notify someone when it fires (alarmActions); found none.",
      ),
    ]);
  });

  it("accepts actions unknown during preview (a topic ARN output)", async () => {
    const g = patch(baseline(), T.alarm, "job-failed", (i) => (i.alarmActions = [UNKNOWN]));
    expect(await only(policy, g)).to.deep.equal([]);
    const whole = patch(baseline(), T.alarm, "job-failed", (i) => (i.alarmActions = UNKNOWN));
    expect(await only(policy, whole)).to.deep.equal([]);
  });
});
