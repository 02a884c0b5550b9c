/**
 * Wiring of Notifications, Orchestration and Monitoring in the whole program (index.ts) under mocks,
 * per shipped stack: exact inputs, dev vs prod (log retention, schedule, email subscriptions), the
 * preview pass, the policy pack, and the deployed definition executed with the inputs the
 * triggers really send.
 */
import "../lib/polyfills";
import * as pulumi from "@pulumi/pulumi";
import { StateMachine } from "aws-local-stepfunctions";
import { expect } from "chai";

import { Monitoring } from "../components/monitoring";
import { Notifications } from "../components/notifications";
import { Orchestration, type OrchestrationArgs } from "../components/orchestration";
import { eventsTrustPolicy, markerInputTransformer, startExecutionPolicy } from "../lib/iam/events";
import { notificationTopicPolicy } from "../lib/iam/notifications";
import { statesRolePolicy, statesTrustPolicy } from "../lib/iam/states";
import { dashboardBody, runMetricAlarms } from "../lib/monitoring";
import { loadQualityGates } from "../lib/quality-gates";
import {
  type AslDefinition,
  type JsonValue,
  TASK_STATES,
  buildDefinition,
  executionContext,
  zeroDelayOverrides,
} from "../lib/state-machine";
import { type Graph, type GraphResource, MOCK_ACCOUNT, mockOutputs } from "../tools/synth";
import { evaluatePolicyPack } from "../policy/evaluate";
import { byType, graphOf, json, one } from "./harness";

const REGION = "eu-west-1";

const T = {
  notifications: "spotify-pipeline:notifications:Notifications",
  orchestration: "spotify-pipeline:orchestration:Orchestration",
  monitoring: "spotify-pipeline:monitoring:Monitoring",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  machine: "aws:sfn/stateMachine:StateMachine",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  key: "aws:kms/key:Key",
  job: "aws:glue/job:Job",
  crawler: "aws:glue/crawler:Crawler",
};

/** The whole program's graph for a shipped stack (cached by the harness). */
const graph = (stack: string, preview = false): Promise<Graph> => graphOf(stack, { preview });

/** A resource's computed outputs, exactly as the offline synthesis mocks them. */
function outputsOf(r: GraphResource): Record<string, unknown> {
  return mockOutputs(r.type, r.name, r.inputs, REGION).state;
}
const arnOf = (r: GraphResource): string => outputsOf(r).arn as string;
const nameOf = (r: GraphResource): string => outputsOf(r).name as string;

/** Everything a test needs to know about one stack's graph. */
async function facts(stack: string) {
  const g = await graph(stack);
  const p = `spotify-${stack}`;
  const n = `${p}-notifications`;
  const o = `${p}-orchestration`;
  const m = `${p}-monitoring`;
  const buckets = g.outputs.bucketNames as Record<string, string>;
  const bucketArns = g.outputs.bucketArns as Record<string, string>;
  const keyArn = g.outputs.keyArn as string;
  const [job, ...moreJobs] = byType(g, T.job);
  const [crawler, ...moreCrawlers] = byType(g, T.crawler);
  expect([moreJobs.length, moreCrawlers.length], "one Glue job and one crawler").to.deep.equal([
    0, 0,
  ]);
  const topic = one(g, T.topic, `${n}-topic`);
  const machine = one(g, T.machine, `${o}-pipeline`);
  const markerRule = one(g, T.rule, `${o}-batch-ready`);
  const glueRule = one(g, T.rule, `${m}-glue-job-failed`);
  return {
    g,
    p,
    n,
    o,
    m,
    pipelineName: `spotify-pipeline-${stack}`,
    buckets,
    bucketArns,
    keyArn,
    jobName: nameOf(job!),
    jobArn: arnOf(job!),
    crawlerName: nameOf(crawler!),
    crawlerArn: arnOf(crawler!),
    topic,
    topicArn: arnOf(topic),
    machine,
    machineArn: arnOf(machine),
    statesRole: one(g, T.role, `${o}-states-role`),
    eventsRole: one(g, T.role, `${o}-events-role`),
    logGroup: one(g, T.logGroup, `${o}-states-logs`),
    markerRule,
    glueRule,
    scheduleRule: byType(g, T.rule).find((r) => r.name === `${o}-schedule`),
  };
}

const EXPECTED = {
  dev: {
    emails: ["data-platform-dev@example.com"],
    retention: 14,
    schedule: undefined,
    jobTimeoutMinutes: 60,
  },
  prod: {
    emails: ["data-platform-oncall@example.com", "data-platform@example.com"],
    retention: 365,
    schedule: "cron(0 3 * * ? *)",
    jobTimeoutMinutes: 120,
  },
} as const;

/** Executes a definition with local Task handlers until the Glue job is called, which then fails. */
async function runUntilGlue(
  def: AslDefinition,
  input: JsonValue,
  stateMachineArn: string,
): Promise<{ glueCalls: JsonValue[]; states: string[]; published: JsonValue[] }> {
  const glueCalls: JsonValue[] = [];
  const published: JsonValue[] = [];
  const states: string[] = [];
  const handlers: Record<string, (i: JsonValue) => Promise<JsonValue>> = {};
  for (const name of Object.values(TASK_STATES)) {
    handlers[name] = async (taskInput) => {
      if (name === TASK_STATES.runGlueJob) {
        glueCalls.push(structuredClone(taskInput));
        const e = new Error("stop here: the test only checks what reaches the Glue job");
        e.name = "States.TaskFailed";
        throw e;
      }
      if (name === TASK_STATES.notifyFailure) {
        published.push(structuredClone(taskInput));
        return { MessageId: "m-1" };
      }
      throw new Error(`unexpected Task ${name}`);
    };
  }
  const machine = new StateMachine(structuredClone(def), {
    validationOptions: { noValidate: true },
  });
  const execution = machine.run(input, {
    context: executionContext(stateMachineArn, "exec-trigger"),
    overrides: { ...zeroDelayOverrides(def), taskResourceLocalHandlers: handlers },
  });
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") states.push(event.state.name);
    }
  })();
  await execution.result.catch(() => undefined);
  await events;
  return { glueCalls, states, published };
}

/**
 * What EventBridge sends for an input transformer: paths read from the event, placeholders outside
 * quotes inserted as JSON values.
 */
function transform(
  t: { inputPaths: Record<string, string>; inputTemplate: string },
  event: Record<string, unknown>,
): JsonValue {
  let out = t.inputTemplate;
  for (const [k, path] of Object.entries(t.inputPaths)) {
    const v = path
      .replace(/^\$\./, "")
      .split(".")
      .reduce<unknown>((o, part) => (o as Record<string, unknown>)[part], event);
    out = out.replaceAll(`<${k}>`, JSON.stringify(v));
  }
  return JSON.parse(out) as JsonValue;
}

describe("Notifications, Orchestration and Monitoring wiring (under mocks)", () => {
  for (const stack of ["dev", "prod"] as const) {
    const want = EXPECTED[stack];
    describe(`stack ${stack}`, () => {
      it("composes the three components under their stack prefix", async () => {
        const { g, n, o, m } = await facts(stack);
        const names = [T.notifications, T.orchestration, T.monitoring].map((t) =>
          byType(g, t).map((r) => r.name),
        );
        expect(names).to.deep.equal([[n], [o], [m]]);
      });

      it("encrypts the topic with the pipeline key and signs deliveries with SHA256", async () => {
        const { topic, keyArn, pipelineName } = await facts(stack);
        expect(topic.inputs).to.deep.equal({
          displayName: pipelineName,
          kmsMasterKeyId: keyArn,
          signatureVersion: 2,
        });
      });

      it(`subscribes exactly the stack's ${want.emails.length} email address(es)`, async () => {
        const { g, topicArn, n } = await facts(stack);
        const subs = byType(g, T.subscription);
        expect(subs.map((s) => [s.name, s.inputs])).to.deep.equal(
          want.emails.map((e) => [
            `${n}-email-${e}`,
            { topic: topicArn, protocol: "email", endpoint: e },
          ]),
        );
      });

      it("lets only the state machine's role, the stack's alarms and the Glue failure rule publish", async () => {
        const { g, n, o, m, topicArn, statesRole, glueRule, topic } = await facts(stack);
        const policy = one(g, T.topicPolicy, `${n}-topic`);
        expect(policy.inputs.arn).to.equal(topicArn);
        expect(json(policy.inputs.policy)).to.deep.equal(
          notificationTopicPolicy({
            partition: "aws",
            region: REGION,
            accountId: MOCK_ACCOUNT,
            topicArn,
            publisherRoleArns: [arnOf(statesRole)],
            alarmNamePrefix: `${m}-`,
            eventRuleArns: [arnOf(glueRule)],
          }),
        );
        expect(arnOf(statesRole)).to.match(new RegExp(`:role/${o}-states-role-[0-9a-f]{7}$`));
        expect(topic.urn).to.not.equal(policy.urn);
        // The alarm-name pattern of the policy covers every alarm of the stack.
        for (const a of byType(g, T.alarm))
          expect(nameOf(a).startsWith(`${m}-`), a.name).to.equal(true);
      });

      it("deploys a STANDARD state machine from buildDefinition with the stack's names and limits", async () => {
        const { machine, statesRole, topicArn, buckets, jobName, crawlerName, pipelineName } =
          await facts(stack);
        expect(machine.inputs.type).to.equal("STANDARD");
        expect(machine.inputs.roleArn).to.equal(arnOf(statesRole));
        expect(json(machine.inputs.definition)).to.deep.equal(
          buildDefinition({
            jobName,
            crawlerName,
            topicArn,
            summaryBucket: buckets.processed!,
            pipelineName,
            jobTimeoutMinutes: want.jobTimeoutMinutes,
            crawlerPollSeconds: 30,
            maxCrawlerPolls: 40,
          }),
        );
      });

      it("logs errors without execution data to its log group (ARN + :*) and traces with X-Ray", async () => {
        const { machine, logGroup } = await facts(stack);
        expect(machine.inputs.loggingConfiguration).to.deep.equal({
          level: "ERROR",
          includeExecutionData: false,
          logDestination: `${arnOf(logGroup)}:*`,
        });
        expect(machine.inputs.tracingConfiguration).to.deep.equal({ enabled: true });
      });

      it(`keeps its logs ${want.retention} days under /aws/vendedlogs/states/, encrypted with the key`, async () => {
        const { logGroup, keyArn, o } = await facts(stack);
        expect(logGroup.inputs).to.deep.equal({
          name: `/aws/vendedlogs/states/${o}`,
          retentionInDays: want.retention,
          kmsKeyId: keyArn,
        });
      });

      it("is created after its role's policy (Step Functions checks log delivery permissions)", async () => {
        const { g, machine, o } = await facts(stack);
        const policy = one(g, T.rolePolicy, `${o}-states-role`);
        expect(machine.dependsOn).to.include(policy.urn);
      });

      it("runs under a role trusted by Step Functions of this account, scoped to the job, crawler, summaries, topic and key", async () => {
        const { g, o, statesRole, jobArn, crawlerArn, bucketArns, topicArn, keyArn } =
          await facts(stack);
        expect(json(statesRole.inputs.assumeRolePolicy)).to.deep.equal(
          statesTrustPolicy({ partition: "aws", region: REGION, accountId: MOCK_ACCOUNT }),
        );
        const policy = one(g, T.rolePolicy, `${o}-states-role`);
        expect(policy.inputs.role).to.equal(outputsOf(statesRole).name);
        const doc = json<{ Statement: { Sid: string; Resource: string }[] }>(policy.inputs.policy);
        expect(doc).to.deep.equal(
          statesRolePolicy({
            region: REGION,
            jobArn,
            crawlerArn,
            summaryBucketArn: bucketArns.processed!,
            topicArn,
            keyArn,
          }),
        );
        expect(doc.Statement.find((s) => s.Sid === "ReadRunSummaries")!.Resource).to.equal(
          `${bucketArns.processed}/runs/*`,
        );
      });

      it("starts a run on each incoming/<batch>/_READY in the staging bucket, through the events role", async () => {
        const { g, o, markerRule, buckets, machineArn, eventsRole } = await facts(stack);
        expect(json(markerRule.inputs.eventPattern)).to.deep.equal({
          source: ["aws.s3"],
          "detail-type": ["Object Created"],
          detail: {
            bucket: { name: [buckets.staging] },
            object: { key: [{ wildcard: "incoming/*/_READY" }] },
          },
        });
        const target = one(g, T.target, `${o}-batch-ready`);
        expect(target.inputs).to.deep.equal({
          rule: nameOf(markerRule),
          arn: machineArn,
          roleArn: arnOf(eventsRole),
          inputTransformer: markerInputTransformer(),
        });
      });

      it(
        stack === "prod"
          ? "schedules a run on incoming/latest/ at cron(0 3 * * ? *)"
          : "has no schedule (none configured)",
        async () => {
          const { g, o, scheduleRule, buckets, machineArn, eventsRole } = await facts(stack);
          const targets = byType(g, T.target).filter((t) => t.name === `${o}-schedule`);
          if (want.schedule === undefined) {
            expect(scheduleRule).to.equal(undefined);
            expect(targets).to.deep.equal([]);
            return;
          }
          expect(scheduleRule!.inputs.scheduleExpression).to.equal(want.schedule);
          expect(targets.map((t) => t.inputs)).to.deep.equal([
            {
              rule: nameOf(scheduleRule!),
              arn: machineArn,
              roleArn: arnOf(eventsRole),
              input: JSON.stringify({ input_path: `s3://${buckets.staging}/incoming/latest/` }),
            },
          ]);
        },
      );

      it("lets EventBridge assume the events role only for this stack's trigger rules, to start this machine only", async () => {
        const { g, o, eventsRole, markerRule, scheduleRule, machineArn } = await facts(stack);
        const ruleArns = [markerRule, ...(scheduleRule ? [scheduleRule] : [])].map(arnOf);
        expect(ruleArns).to.have.length(stack === "prod" ? 2 : 1);
        expect(json(eventsRole.inputs.assumeRolePolicy)).to.deep.equal(
          eventsTrustPolicy({ accountId: MOCK_ACCOUNT, ruleArns }),
        );
        const policy = one(g, T.rolePolicy, `${o}-events-role`);
        expect(policy.inputs.role).to.equal(outputsOf(eventsRole).name);
        expect(json(policy.inputs.policy)).to.deep.equal(startExecutionPolicy(machineArn));
        for (const t of byType(g, T.target).filter((x) => x.inputs.arn === machineArn)) {
          expect(t.dependsOn, t.name).to.include(policy.urn);
        }
      });

      it("alarms on failed, timed-out and aborted executions to the topic; missing data is not breaching", async () => {
        const { g, m, machineArn, topicArn } = await facts(stack);
        const alarms = byType(g, T.alarm).filter((a) => a.name.includes("-executions-"));
        expect(alarms.map((a) => a.name)).to.deep.equal([
          `${m}-executions-failed`,
          `${m}-executions-timed-out`,
          `${m}-executions-aborted`,
        ]);
        for (const [a, metric] of alarms.map(
          (x, i) =>
            [x, ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"][i]] as const,
        )) {
          expect(a.inputs).to.deep.include({
            namespace: "AWS/States",
            metricName: metric,
            dimensions: { StateMachineArn: machineArn },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [topicArn],
          });
        }
      });

      it("alarms on the run metrics: rejected share per file and gold rows, to the topic", async () => {
        const { g, m, topicArn, pipelineName } = await facts(stack);
        const alarms = byType(g, T.alarm).filter((a) => !a.name.includes("-executions-"));
        const specs = runMetricAlarms({
          pipelineName,
          namespace: "SpotifyPipeline",
          gates: loadQualityGates(),
        });
        expect(alarms.map((a) => a.name)).to.deep.equal(specs.map((a) => `${m}-${a.id}`));
        for (const [a, { id: _id, ...spec }] of alarms.map((x, i) => [x, specs[i]!] as const)) {
          expect(a.inputs).to.deep.include({ ...spec, alarmActions: [topicArn] });
        }
      });

      it("sends every FAILED, TIMEOUT or ERROR run of the Glue job to the topic", async () => {
        const { g, m, glueRule, topicArn, jobName } = await facts(stack);
        expect(json(glueRule.inputs.eventPattern)).to.deep.equal({
          source: ["aws.glue"],
          "detail-type": ["Glue Job State Change"],
          detail: { jobName: [jobName], state: ["FAILED", "TIMEOUT", "ERROR"] },
        });
        const target = one(g, T.target, `${m}-glue-job-failed`);
        expect(target.inputs.rule).to.equal(nameOf(glueRule));
        expect(target.inputs.arn).to.equal(topicArn);
        expect(target.inputs.roleArn).to.equal(undefined);
      });

      it("builds the dashboard from the state machine, job, failure rule, log group and alarms", async () => {
        const { g, m, machineArn, glueRule, logGroup, jobName, pipelineName } = await facts(stack);
        const dash = one(g, T.dashboard, `${m}-dashboard`);
        expect(dash.inputs.dashboardName).to.equal(pipelineName);
        expect(JSON.parse(dash.inputs.dashboardBody as string)).to.deep.equal(
          JSON.parse(
            dashboardBody({
              region: REGION,
              pipelineName,
              stateMachineArn: machineArn,
              jobName,
              glueFailureRuleName: nameOf(glueRule),
              logGroupName: logGroup.inputs.name as string,
              // The component's order: the execution alarms, then the run-metric alarms.
              alarmArns: [
                ...byType(g, T.alarm).filter((a) => a.name.includes("-executions-")),
                ...byType(g, T.alarm).filter((a) => !a.name.includes("-executions-")),
              ].map(arnOf),
            }),
          ),
        );
      });

      it("exports the state machine ARN, the topic ARN and the dashboard's name and URL", async () => {
        const { g, machineArn, topicArn, pipelineName } = await facts(stack);
        expect(g.outputs).to.deep.include({
          stateMachineArn: machineArn,
          notificationTopicArn: topicArn,
          monitoringDashboardName: pipelineName,
          monitoringDashboardUrl: `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/${pipelineName}`,
        });
      });

      it("survives a preview, where computed values are unknown", async () => {
        const [real, preview] = await Promise.all([graph(stack), graph(stack, true)]);
        const ids = (x: Graph) => x.resources.map((r) => `${r.type}::${r.name}`).sort();
        expect(ids(preview)).to.deep.equal(ids(real));
      });

      it("passes the policy pack with no mandatory violation on these components' resources", async () => {
        const { g, p } = await facts(stack);
        const mine = new Set(
          g.resources
            .filter((r) => [T.notifications, T.orchestration, T.monitoring].includes(r.type))
            .map((r) => r.urn),
        );
        const resources = g.resources.filter((r) => r.parent && mine.has(r.parent));
        expect(resources.length).to.be.greaterThan(15);
        // The whole graph: stack policies prove facts from other components (e.g. that a
        // wildcard ARN lies within one of the stack's buckets); only these resources' count.
        const names = new Set(resources.map((r) => r.name));
        const { violations } = await evaluatePolicyPack(g.resources, { stack });
        const mandatory = violations.filter((v) => v.level === "mandatory" && names.has(v.name));
        expect(
          mandatory.map((v) => `${v.policy}: ${v.message}`),
          p,
        ).to.deep.equal([]);
      });
    });
  }

  it("with config overrides (dev + schedule, no addresses): a schedule rule on incoming/latest/, no subscription", async () => {
    const g = await graphOf("dev", {
      configOverrides: { schedule: "rate(1 day)", notificationEmails: [] },
    });
    const o = "spotify-dev-orchestration";
    const rule = one(g, T.rule, `${o}-schedule`);
    expect(rule.inputs.scheduleExpression).to.equal("rate(1 day)");
    const staging = (g.outputs.bucketNames as Record<string, string>).staging;
    expect(one(g, T.target, `${o}-schedule`).inputs.input).to.equal(
      JSON.stringify({ input_path: `s3://${staging}/incoming/latest/` }),
    );
    const trust = json<{
      Statement: { Condition: { ArnEquals: { "aws:SourceArn": string[] } } }[];
    }>(one(g, T.role, `${o}-events-role`).inputs.assumeRolePolicy);
    expect(trust.Statement[0]!.Condition.ArnEquals["aws:SourceArn"]).to.deep.equal([
      arnOf(one(g, T.rule, `${o}-batch-ready`)),
      arnOf(rule),
    ]);
    expect(byType(g, T.subscription)).to.deep.equal([]);
    expect(byType(g, T.topic).map((t) => t.name)).to.deep.equal([
      "spotify-dev-notifications-topic",
    ]);
  });

  describe("the deployed definition, executed with what the triggers send", () => {
    it("a scheduled run (prod) hands s3://<staging>/incoming/latest/ to the Glue job", async () => {
      const { g, o, machine, machineArn, buckets, jobName } = await facts("prod");
      const target = one(g, T.target, `${o}-schedule`);
      const run = await runUntilGlue(
        json<AslDefinition>(machine.inputs.definition),
        JSON.parse(target.inputs.input as string) as JsonValue,
        machineArn,
      );
      expect(run.glueCalls).to.deep.equal([
        {
          JobName: jobName,
          Arguments: {
            "--run_id": "exec-trigger",
            "--input_path": `s3://${buckets.staging}/incoming/latest/`,
            "--pipeline_name": "spotify-pipeline-prod",
            "--quality_gates": "{}",
            "--mode": "write",
            // The execution's start day (UTC): the snapshot date.
            "--snapshot_date": new Date().toISOString().slice(0, 10),
          },
          Timeout: 120,
        },
      ]);
      expect(run.states.slice(0, 6)).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        "ResolveSnapshotDate",
        "CheckSnapshotDate",
        "DefaultSnapshotDate",
        "RunGlueJob",
      ]);
    });

    /** The S3 "Object Created" event of a marker upload (EventBridge's shape). */
    const markerEvent = (bucket: string, key: string) => ({
      version: "0",
      id: "17793124-05d4-b198-2fde-7ededc63b103",
      "detail-type": "Object Created",
      source: "aws.s3",
      account: MOCK_ACCOUNT,
      time: "2024-06-01T03:00:00Z",
      region: REGION,
      resources: [`arn:aws:s3:::${bucket}`],
      detail: {
        version: "0",
        bucket: { name: bucket },
        object: { key, size: 0 },
        reason: "PutObject",
      },
    });

    it("a _READY marker hands s3://<staging>/incoming/<batch>/ to the Glue job", async () => {
      const { g, o, machine, machineArn, buckets, jobName } = await facts("dev");
      const target = one(g, T.target, `${o}-batch-ready`);
      const input = transform(
        target.inputs.inputTransformer as ReturnType<typeof markerInputTransformer>,
        markerEvent(buckets.staging!, "incoming/batch-7/_READY"),
      );
      expect(input).to.deep.equal({
        marker: { bucket: buckets.staging, key: "incoming/batch-7/_READY" },
      });
      const run = await runUntilGlue(
        json<AslDefinition>(machine.inputs.definition),
        input,
        machineArn,
      );
      expect(run.glueCalls).to.deep.equal([
        {
          JobName: jobName,
          Arguments: {
            "--run_id": "exec-trigger",
            "--input_path": `s3://${buckets.staging}/incoming/batch-7/`,
            "--pipeline_name": "spotify-pipeline-dev",
            "--quality_gates": "{}",
            "--mode": "write",
            // The execution's start day (UTC): the snapshot date.
            "--snapshot_date": new Date().toISOString().slice(0, 10),
          },
          Timeout: 60,
        },
      ]);
    });

    it("a marker deeper than incoming/<batch>/ matches the rule but fails the run before Glue, with a notification", async () => {
      const { g, o, machine, machineArn, buckets } = await facts("dev");
      const target = one(g, T.target, `${o}-batch-ready`);
      const input = transform(
        target.inputs.inputTransformer as ReturnType<typeof markerInputTransformer>,
        markerEvent(buckets.staging!, "incoming/2024/06/_READY"),
      );
      const run = await runUntilGlue(
        json<AslDefinition>(machine.inputs.definition),
        input,
        machineArn,
      );
      expect(run.glueCalls).to.deep.equal([]);
      expect(run.published).to.have.length(1);
      const message = (run.published[0] as { Message: { status: string; error: string } }).Message;
      expect([message.status, message.error]).to.deep.equal(["FAILED", "Pipeline.InvalidInput"]);
    });
  });

  describe("argument validation (components built directly)", () => {
    before(async () => {
      await pulumi.runtime.setMocks(
        {
          newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
          call: () => {
            throw new Error("no invokes in these tests");
          },
        },
        "spotify-pipeline",
        "dev",
        false,
      );
    });

    const base: OrchestrationArgs = {
      accountId: MOCK_ACCOUNT,
      region: REGION,
      partition: "aws",
      keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      jobName: "job",
      jobArn: "arn:aws:glue:eu-west-1:123456789012:job/job",
      crawlerName: "crawler",
      crawlerArn: "arn:aws:glue:eu-west-1:123456789012:crawler/crawler",
      topicArn: "arn:aws:sns:eu-west-1:123456789012:topic",
      stagingBucketName: "staging",
      summaryBucketName: "processed",
      summaryBucketArn: "arn:aws:s3:::processed",
    };

    it("Orchestration lists every bad plain argument in one error", () => {
      expect(
        () =>
          new Orchestration("bad-orchestration", {
            ...base,
            logRetentionDays: 10,
            schedule: "every day",
            jobTimeoutMinutes: 0,
            maxCrawlerPolls: 1001,
          }),
      ).to.throw(
        pulumi.ResourceError,
        'Orchestration "bad-orchestration": jobTimeoutMinutes must be a whole number from 1 to 2880 (Glue\'s limit for batch jobs); found 0. ' +
          "maxCrawlerPolls must be a whole number from 1 to 500 (crawler polls before giving up); found 1001. " +
          "logRetentionDays must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653); found 10. " +
          'schedule must be an EventBridge schedule expression such as rate(1 day) or cron(0 3 * * ? *); found "every day".',
      );
    });

    it("Notifications refuses malformed and duplicate addresses and a wildcard alarm prefix", () => {
      expect(
        () =>
          new Notifications("bad-notifications", {
            accountId: MOCK_ACCOUNT,
            region: REGION,
            partition: "aws",
            keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
            publisherRoleArns: ["arn:aws:iam::123456789012:role/r"],
            alarmNamePrefix: "spotify-*",
            emails: ["ops@example.com", "not-an-address", "OPS@example.com"],
          }),
      ).to.throw(
        pulumi.ResourceError,
        'Notifications "bad-notifications": emails: got "not-an-address"; expected an email address such as data-team@example.com. ' +
          'emails: got "OPS@example.com" more than once; list each address once. ' +
          'alarmNamePrefix: got "spotify-*"; expected a literal alarm-name prefix such as "spotify-dev-" (letters, digits, ".", "_", "-").',
      );
    });

    it("Monitoring refuses a period that is not a multiple of 60 and a bad dashboard name", () => {
      expect(
        () =>
          new Monitoring("bad-monitoring", {
            region: REGION,
            stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:m",
            logGroupName: "/aws/vendedlogs/states/m",
            jobName: "job",
            topicArn: "arn:aws:sns:eu-west-1:123456789012:topic",
            alarmPeriodSeconds: 90,
            dashboardName: "my dashboard",
          }),
      ).to.throw(
        pulumi.ResourceError,
        'Monitoring "bad-monitoring": alarmPeriodSeconds: got 90; expected a positive multiple of 60, e.g. 300. ' +
          'dashboardName: got "my dashboard"; expected 1 to 255 letters, digits, "-" or "_".',
      );
    });
  });
});
