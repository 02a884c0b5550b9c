/**
 * The state machine definition: parameters, validity (asl-validator), and real executions with
 * aws-local-stepfunctions on every failure path (local handlers per Task, waits and retries 0 ms).
 */
import "../lib/polyfills";
import { readFileSync } from "node:fs";
import { expect } from "chai";
import aslValidator from "asl-validator";
import { StateMachine } from "aws-local-stepfunctions";
import { describeCondition, toMermaid } from "../tools/mermaid";
import { withResolvers } from "../lib/polyfills";
import {
  buildDefinition,
  CHOICE_RULE_LABELS,
  executionContext,
  resolveStateMachineParams,
  runSummaryKey,
  SNAPSHOT_DATE_RULE,
  StateMachineParamsError,
  STATES,
  taskResources,
  TASK_STATES,
  validateStateMachineParams,
  zeroDelayOverrides,
  type AslDefinition,
  type FailureNotification,
  type JsonValue,
  type StateMachineParams,
  type SuccessNotification,
  type TaskStateName,
} from "../lib/state-machine";
import { renderWorkflowDoc, WORKFLOW_DOC } from "../scripts/workflow-diagram";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const PARAMS: StateMachineParams = {
  jobName: "spotify-pipeline-test-etl",
  crawlerName: "spotify-pipeline-test-crawler",
  topicArn: "arn:aws:sns:eu-west-1:123456789012:spotify-pipeline-test-notifications",
  summaryBucket: "spotify-pipeline-test-processed",
  pipelineName: "spotify-pipeline-test",
};

const STATE_MACHINE_ARN =
  "arn:aws:states:eu-west-1:123456789012:stateMachine:spotify-pipeline-test";
const EXECUTION_NAME = "exec-0001";
const EXECUTION_ARN =
  "arn:aws:states:eu-west-1:123456789012:execution:spotify-pipeline-test:exec-0001";
const CONSOLE_URL =
  "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/" +
  EXECUTION_ARN;
const INPUT_PATH = "s3://spotify-pipeline-test-staging/incoming/batch-7/";

/** Previous crawl (before the run) and the run's own crawl. */
const T_PREVIOUS = "2024-06-01T03:00:00Z";
const T_OURS = "2024-06-01T03:20:00.250Z";

const SUMMARY = {
  run_id: EXECUTION_NAME,
  engine: "spark",
  input: { albums: 10, artists: 4, tracks: 10 },
  accepted: { albums: 8, artists: 3, tracks: 9 },
  rejected: {
    albums: { bad_date: 1, orphan_artist: 1 },
    artists: { missing_key: 1 },
    tracks: { duplicate_row: 1 },
  },
  output: { tracks: 8 },
  snapshot_date: "2024-06-01",
  previous_gold_rows: 9,
  gates: [
    { gate: "max_rejected_pct", file: "albums", value: 20, threshold: 25, passed: true },
    { gate: "max_drop_pct", file: "gold", value: 11.11, threshold: 50, passed: true },
  ],
  gates_failed: 0,
  gates_message: "",
  metric_data: [
    {
      MetricName: "GoldRows",
      Dimensions: [
        { Name: "Pipeline", Value: "spotify-pipeline-test" },
        { Name: "File", Value: "gold" },
      ],
      Unit: "Count",
      Value: 8,
    },
  ],
};

/** A run whose albums breach two gates: the failure path names both. */
const FAILED_GATES_SUMMARY = {
  ...SUMMARY,
  gates: [
    { gate: "max_rejected_pct", file: "albums", value: 41.02, threshold: 10, passed: false },
    {
      gate: "max_rejected_pct_per_reason",
      file: "albums",
      reason: "orphan_artist",
      value: 40.15,
      threshold: 5,
      passed: false,
    },
  ],
  gates_failed: 2,
  gates_message:
    "2 quality gates failed: albums max_rejected_pct = 41.02 (maximum 10); albums " +
    "max_rejected_pct_per_reason[orphan_artist] = 40.15 (maximum 5). Gold was not published; " +
    "the rejected rows are in the quarantine.",
};

/** The snapshot date the definition derives from the execution's start (UTC day). */
const TODAY = new Date().toISOString().slice(0, 10);

const GLUE_ARGS = {
  JobName: "spotify-pipeline-test-etl",
  Arguments: {
    "--run_id": EXECUTION_NAME,
    "--input_path": INPUT_PATH,
    "--pipeline_name": "spotify-pipeline-test",
    "--quality_gates": "{}",
    "--mode": "write",
    "--snapshot_date": TODAY,
  },
  Timeout: 60,
};
const PUBLISH_ARGS = {
  JobName: "spotify-pipeline-test-etl",
  Arguments: { ...GLUE_ARGS.Arguments, "--mode": "publish", "--snapshot_date": "2024-06-01" },
  Timeout: 60,
};
const CRAWLER_REQUEST = { Name: "spotify-pipeline-test-crawler" };
const JOB_RUN = { Id: "jr_abc123", JobName: "spotify-pipeline-test-etl", JobRunState: "SUCCEEDED" };

/** States that resolve the snapshot date when the input gives none (the execution's start day). */
const DEFAULT_SNAPSHOT = ["ResolveSnapshotDate", "CheckSnapshotDate", "DefaultSnapshotDate"];

/** The audit states of a run whose gates pass: summary, metrics, gates, publish. */
const AUDIT = ["ReadRunSummary", "CheckRunSummary", "PutRunMetrics", "CheckGates", "PublishGold"];

/** States of a successful run after the Glue job, with `polls` crawler polls. */
function crawlAndNotify(polls: number): string[] {
  const poll = ["WaitForCrawler", "CountCrawlerPoll", "GetCrawlerStatus", "CheckCrawler"];
  return [
    ...AUDIT,
    "GetCrawlerBaseline",
    "StartCrawler",
    ...Array.from({ length: polls }, () => poll).flat(),
    "CheckCrawlResult",
    "NotifySuccess",
    "Succeeded",
  ];
}

const FAILURE_TAIL = ["CheckFailureCause", "NotifyFailure", "Failed"];

const INVALID_INPUT_CAUSE =
  "The execution input must be a JSON object with input_path, the s3:// URI of the batch prefix " +
  "(s3://<staging bucket>/incoming/<batch>/), and optionally run_id, a non-empty string; " +
  'or the marker rule\'s {"marker": {"bucket": "<staging bucket>", "key": "incoming/<batch>/_READY"}}.';

function successMessage(runId = EXECUTION_NAME): SuccessNotification {
  return {
    status: "SUCCEEDED",
    message:
      `Run ${runId} succeeded: 8 tracks written to the gold table; accepted 8 of 10 album rows, ` +
      "3 of 4 artist rows and 9 of 10 track rows.",
    run_id: runId,
    input_path: INPUT_PATH,
    counts: {
      input: { albums: 10, artists: 4, tracks: 10 },
      accepted: { albums: 8, artists: 3, tracks: 9 },
      rejected: {
        albums: { bad_date: 1, orphan_artist: 1 },
        artists: { missing_key: 1 },
        tracks: { duplicate_row: 1 },
      },
      output: { tracks: 8 },
    },
    glue_job_run_id: "jr_abc123",
    execution_arn: EXECUTION_ARN,
    console_url: CONSOLE_URL,
  };
}

function failureMessage(
  step: string,
  error: string,
  cause: string,
  input: JsonValue = { input_path: INPUT_PATH },
  runId = EXECUTION_NAME,
): FailureNotification {
  return {
    status: "FAILED",
    message: `Run ${runId} failed at step ${step}: ${error}`,
    run_id: runId,
    failed_step: step,
    error,
    cause,
    input,
    execution_arn: EXECUTION_ARN,
    console_url: CONSOLE_URL,
  };
}

/** An error as an AWS integration reports it: `name` is the error name Retry/Catch match. */
function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function crawler(
  state: string,
  lastCrawl?: { StartTime: string; Status: string; ErrorMessage?: string },
) {
  return {
    Crawler: {
      Name: "spotify-pipeline-test-crawler",
      State: state,
      DatabaseName: "spotify_test",
      ...(lastCrawl ? { LastCrawl: lastCrawl } : {}),
    },
  };
}

/** Returns the responses in order; the last one repeats. */
function sequence(...responses: Array<JsonValue | Error>): () => JsonValue {
  let i = 0;
  return () => {
    const r = responses[Math.min(i++, responses.length - 1)]!;
    if (r instanceof Error) throw r;
    return r;
  };
}

// ---------------------------------------------------------------------------------------------
// Execution harness
// ---------------------------------------------------------------------------------------------

type Handler = (input: JsonValue) => JsonValue | Promise<JsonValue>;

interface Published {
  TopicArn: string;
  Subject: string;
  Message: JsonValue;
}

interface Outcome {
  status: "SUCCEEDED" | "FAILED";
  /** States entered, in order (retries do not re-enter a state). */
  states: string[];
  /** One entry per retry, the state name. */
  retried: string[];
  /** Input of each Task call, per Task state. */
  calls: Partial<Record<TaskStateName, JsonValue[]>>;
  /** What NotifySuccess / NotifyFailure published. */
  published: Published[];
  /** Error and cause of a failed execution. */
  error?: { Error: string; Cause: unknown };
}

/** The success path's handlers; a scenario replaces some. */
function happyHandlers(): Record<TaskStateName, Handler> {
  return {
    RunGlueJob: () => JOB_RUN,
    GetCrawlerBaseline: () => crawler("READY", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
    StartCrawler: () => ({}),
    GetCrawlerStatus: () => crawler("READY", { StartTime: T_OURS, Status: "SUCCEEDED" }),
    ReadRunSummary: () => ({ Body: JSON.stringify(SUMMARY), ContentType: "application/json" }),
    PutRunMetrics: () => ({}),
    PublishGold: () => ({ ...JOB_RUN, Id: "jr_publish1" }),
    NotifySuccess: () => ({ MessageId: "m-1" }),
    NotifyFailure: () => ({ MessageId: "m-2" }),
  };
}

const machines = new Map<string, StateMachine>();

/**
 * One local state machine per definition, built without the runner's own validation: that takes
 * ~0.5 s per construction (it is checked once in "structure"), an execution takes milliseconds.
 */
function machineFor(def: AslDefinition): StateMachine {
  const key = JSON.stringify(def);
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(structuredClone(def), { validationOptions: { noValidate: true } });
    machines.set(key, machine);
  }
  return machine;
}

async function execute(
  input: JsonValue,
  handlers: Partial<Record<TaskStateName, Handler>> = {},
  options: { def?: AslDefinition; executionName?: string } = {},
): Promise<Outcome> {
  const def = options.def ?? buildDefinition(PARAMS);
  const all = { ...happyHandlers(), ...handlers };
  const calls: Outcome["calls"] = {};
  const published: Published[] = [];
  const local: Record<string, Handler> = {};
  for (const name of Object.values(TASK_STATES)) {
    local[name] = async (taskInput) => {
      (calls[name] ??= []).push(structuredClone(taskInput));
      const result = await all[name](taskInput);
      if (name === "NotifySuccess" || name === "NotifyFailure") {
        published.push(structuredClone(taskInput) as unknown as Published);
      }
      return result;
    };
  }
  const execution = machineFor(def).run(input, {
    context: executionContext(STATE_MACHINE_ARN, options.executionName ?? EXECUTION_NAME),
    overrides: { ...zeroDelayOverrides(def), taskResourceLocalHandlers: local },
  });
  const states: string[] = [];
  const retried: string[] = [];
  let status: Outcome["status"] | undefined;
  let error: Outcome["error"];
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") states.push(event.state.name);
      if (event.type === "StateRetried") retried.push(event.state.name);
      if (event.type === "ExecutionSucceeded") status = "SUCCEEDED";
      if (event.type === "ExecutionFailed") {
        status = "FAILED";
        error = { Error: event.Error, Cause: event.Cause };
      }
    }
  })();
  await execution.result.catch(() => undefined);
  await events;
  if (!status) throw new Error("The execution ended without a final event.");
  return { status, states, retried, calls, published, error };
}

function successPublish(message: SuccessNotification): Published {
  return {
    TopicArn: PARAMS.topicArn,
    Subject: "spotify-pipeline-test: run SUCCEEDED",
    Message: message as unknown as JsonValue,
  };
}

function failurePublish(message: FailureNotification): Published {
  return {
    TopicArn: PARAMS.topicArn,
    Subject: "spotify-pipeline-test: run FAILED",
    Message: message as unknown as JsonValue,
  };
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("state machine definition", () => {
  describe("parameters", () => {
    const cases: Array<[string, Partial<StateMachineParams>, string]> = [
      [
        "empty job name",
        { jobName: "" },
        'jobName must be the Glue job name: 1 to 255 characters without control characters; found "".',
      ],
      [
        "crawler name with a newline",
        { crawlerName: "crawler\nname" },
        'crawlerName must be the Glue crawler name: 1 to 255 characters without control characters; found "crawler\\nname".',
      ],
      [
        "topic name instead of ARN",
        { topicArn: "pipeline-notifications" },
        'topicArn must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:pipeline-notifications; found "pipeline-notifications".',
      ],
      [
        "bucket URI instead of name",
        { summaryBucket: "s3://spotify-processed" },
        'summaryBucket must be the processed bucket\'s name (3 to 63 lowercase letters, digits, dots and hyphens; no s3:// prefix, no key); found "s3://spotify-processed".',
      ],
      [
        "pipeline name too long for a subject",
        { pipelineName: "p".repeat(61) },
        `pipelineName must be 1 to 60 printable ASCII characters (it starts the SNS subject, limited to 100); found "${"p".repeat(61)}".`,
      ],
      [
        "job timeout above Glue's limit",
        { jobTimeoutMinutes: 2881 },
        "jobTimeoutMinutes must be a whole number from 1 to 2880 (Glue's limit for batch jobs); found 2881.",
      ],
      [
        "fractional poll interval",
        { crawlerPollSeconds: 2.5 },
        "crawlerPollSeconds must be a whole number from 5 to 600 (seconds between crawler polls); found 2.5.",
      ],
      [
        "zero crawler polls",
        { maxCrawlerPolls: 0 },
        "maxCrawlerPolls must be a whole number from 1 to 500 (crawler polls before giving up); found 0.",
      ],
      [
        "negative retries",
        { retry: { maxAttempts: -1 } },
        "retry.maxAttempts must be a whole number from 0 to 10 (retries of a transient error); found -1.",
      ],
      [
        "zero retry interval",
        { retry: { intervalSeconds: 0 } },
        "retry.intervalSeconds must be a whole number from 1 to 3600 (seconds before the first retry); found 0.",
      ],
      [
        "backoff below 1",
        { retry: { backoffRate: 0.5 } },
        "retry.backoffRate must be a number from 1 to 10; found 0.5.",
      ],
      [
        "retry delay cap of 0",
        { retry: { maxDelaySeconds: 0 } },
        "retry.maxDelaySeconds must be a whole number from 1 to 3600 (cap of one retry delay); found 0.",
      ],
    ];
    for (const [title, change, message] of cases) {
      it(`rejects ${title}`, () => {
        const params = { ...PARAMS, ...change };
        expect(validateStateMachineParams(params)).to.deep.equal([message]);
        expect(() => buildDefinition(params)).to.throw(
          StateMachineParamsError,
          `Invalid state machine parameters:\n  - ${message}`,
        );
      });
    }

    it("lists every problem at once", () => {
      const params = { ...PARAMS, jobName: "", maxCrawlerPolls: 0 };
      let thrown: unknown;
      try {
        buildDefinition(params);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(StateMachineParamsError);
      expect((thrown as StateMachineParamsError).problems).to.have.length(2);
      expect((thrown as Error).message).to.equal(
        "Invalid state machine parameters:\n" +
          '  - jobName must be the Glue job name: 1 to 255 characters without control characters; found "".\n' +
          "  - maxCrawlerPolls must be a whole number from 1 to 500 (crawler polls before giving up); found 0.",
      );
    });

    it("accepts the example parameters", () => {
      expect(validateStateMachineParams(PARAMS)).to.deep.equal([]);
    });

    it("applies the documented defaults, also for fields set to undefined", () => {
      expect(
        resolveStateMachineParams({
          ...PARAMS,
          pipelineName: undefined,
          retry: { maxAttempts: undefined, intervalSeconds: 5 },
        }),
      ).to.deep.equal({
        ...PARAMS,
        pipelineName: "spotify-pipeline",
        jobTimeoutMinutes: 60,
        crawlerPollSeconds: 30,
        maxCrawlerPolls: 40,
        metricsNamespace: "SpotifyPipeline",
        qualityGates: {},
        retry: { intervalSeconds: 5, maxAttempts: 3, backoffRate: 2, maxDelaySeconds: 300 },
      });
    });

    it("puts the limits and retry settings where they act", () => {
      const def = buildDefinition({
        ...PARAMS,
        jobTimeoutMinutes: 120,
        crawlerPollSeconds: 10,
        maxCrawlerPolls: 5,
        retry: { intervalSeconds: 7, maxAttempts: 2, backoffRate: 3, maxDelaySeconds: 60 },
      });
      const glue = def.States.RunGlueJob!;
      expect(glue).to.deep.include({
        Resource: "arn:aws:states:::glue:startJobRun.sync",
        TimeoutSeconds: 120 * 60 + 900,
        Retry: [
          {
            ErrorEquals: [
              "Glue.ConcurrentRunsExceededException",
              "Glue.ThrottlingException",
              "Glue.InternalServiceException",
              "Glue.OperationTimeoutException",
            ],
            IntervalSeconds: 7,
            MaxAttempts: 2,
            BackoffRate: 3,
            MaxDelaySeconds: 60,
            JitterStrategy: "FULL",
          },
        ],
      });
      expect(glue.Type === "Task" && glue.Parameters).to.deep.equal({
        JobName: "spotify-pipeline-test-etl",
        Arguments: {
          "--run_id.$": "$.run_id",
          "--input_path.$": "$.input_path",
          "--pipeline_name": "spotify-pipeline-test",
          "--quality_gates": "{}",
          "--mode": "write",
          "--snapshot_date.$": "$.snapshot.date",
        },
        Timeout: 120,
      });
      expect(def.States.ResolveSnapshotDate).to.deep.include({
        Parameters: {
          "input.$": "$$.Execution.Input",
          "default.$": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)",
          "started.$": "$$.Execution.StartTime",
        },
      });
      expect(def.States.WaitForCrawler).to.deep.include({ Type: "Wait", Seconds: 10 });
      const check = def.States.CheckCrawler!;
      expect(check.Type === "Choice" && check.Choices[1]).to.deep.equal({
        Variable: "$.crawler.polls",
        NumericGreaterThanEquals: 5,
        Next: "CrawlerTimedOut",
      });
    });

    it("returns a fresh object on every call", () => {
      const a = buildDefinition(PARAMS);
      const b = buildDefinition(PARAMS);
      expect(a).to.deep.equal(b);
      expect(a).to.not.equal(b);
      expect(JSON.parse(JSON.stringify(a))).to.deep.equal(a);
    });
  });

  describe("structure", () => {
    const def = buildDefinition(PARAMS);

    it("is accepted by asl-validator with path and ARN checks", () => {
      const result = aslValidator(structuredClone(def), { checkPaths: true, checkArn: true });
      expect(result.errorsText("\n")).to.equal("");
      expect(result.isValid).to.equal(true);
    });

    it("is accepted by aws-local-stepfunctions' own validation (the local run's runner)", () => {
      expect(() => new StateMachine(structuredClone(def))).to.not.throw();
    });

    it("asl-validator does reject a broken copy (the check is not vacuous)", () => {
      const broken = structuredClone(def);
      const task = broken.States.ReadRunSummary!;
      if (task.Type !== "Task") throw new Error("ReadRunSummary must be a Task");
      task.Next = "NoSuchState";
      const result = aslValidator(broken, { checkPaths: true, checkArn: true });
      expect(result.isValid).to.equal(false);
      expect(result.errorsText("\n")).to.contain("NoSuchState");
    });

    it("names every state as STATES does, starting at CheckInput", () => {
      expect(Object.keys(def.States)).to.deep.equal(Object.values(STATES));
      expect(def.StartAt).to.equal("CheckInput");
    });

    it("taskResources() lists exactly the Task states and their resources", () => {
      const tasks = Object.fromEntries(
        Object.entries(def.States).flatMap(([name, s]) =>
          s.Type === "Task" ? [[name, s.Resource]] : [],
        ),
      );
      expect(taskResources()).to.deep.equal(tasks);
      expect(taskResources()).to.deep.equal({
        RunGlueJob: "arn:aws:states:::glue:startJobRun.sync",
        GetCrawlerBaseline: "arn:aws:states:::aws-sdk:glue:getCrawler",
        StartCrawler: "arn:aws:states:::aws-sdk:glue:startCrawler",
        GetCrawlerStatus: "arn:aws:states:::aws-sdk:glue:getCrawler",
        ReadRunSummary: "arn:aws:states:::aws-sdk:s3:getObject",
        PutRunMetrics: "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
        PublishGold: "arn:aws:states:::glue:startJobRun.sync",
        NotifySuccess: "arn:aws:states:::sns:publish",
        NotifyFailure: "arn:aws:states:::sns:publish",
      });
    });

    it("lets a failed PutRunMetrics go on to the gates (metrics never block a run)", () => {
      expect(def.States.PutRunMetrics).to.deep.include({
        Resource: "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
        Parameters: { Namespace: "SpotifyPipeline", "MetricData.$": "$.summary.body.metric_data" },
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.metrics_error", Next: "CheckGates" }],
        Next: "CheckGates",
      });
    });

    it("catches every error of every other Task except NotifyFailure into a stamp of that step", () => {
      for (const [name, state] of Object.entries(def.States)) {
        if (state.Type !== "Task" || name === "NotifyFailure" || name === "PutRunMetrics") continue;
        const catchAll = state.Catch?.at(-1);
        expect(catchAll, name).to.deep.equal({
          ErrorEquals: ["States.ALL"],
          ResultPath: "$.failure",
          Next: `${name}Failed`,
        });
        expect(def.States[`${name}Failed`], name).to.deep.include({
          Type: "Pass",
          Result: name,
          ResultPath: "$.failure.step",
          Next: "CheckFailureCause",
        });
      }
    });

    it("has one Choice label per rule", () => {
      const choices = Object.entries(def.States).filter(([, s]) => s.Type === "Choice");
      expect(Object.keys(CHOICE_RULE_LABELS)).to.deep.equal(choices.map(([n]) => n));
      for (const [name, state] of choices) {
        if (state.Type !== "Choice") continue;
        const labels = (CHOICE_RULE_LABELS as Record<string, readonly string[]>)[name]!;
        expect(labels, name).to.have.length(state.Choices.length);
      }
    });

    it("zeroDelayOverrides covers the Wait state and every state with a Retry", () => {
      expect(zeroDelayOverrides(def)).to.deep.equal({
        waitTimeOverrides: { WaitForCrawler: 0 },
        retryIntervalOverrides: {
          RunGlueJob: 0,
          GetCrawlerBaseline: 0,
          StartCrawler: 0,
          GetCrawlerStatus: 0,
          PutRunMetrics: 0,
          PublishGold: 0,
          NotifySuccess: 0,
          NotifyFailure: 0,
        },
      });
    });

    it("runSummaryKey follows glue/contract.json summary.path", () => {
      expect(runSummaryKey("2024-06-01-batch-42")).to.equal(
        "runs/2024-06-01-batch-42/summary.json",
      );
    });

    it("executionContext builds the execution ARN and rejects a bad state machine ARN", () => {
      expect(executionContext(STATE_MACHINE_ARN, EXECUTION_NAME)).to.deep.equal({
        Execution: { Id: EXECUTION_ARN, Name: EXECUTION_NAME },
      });
      expect(() => executionContext("spotify-pipeline-test", "x")).to.throw(
        'stateMachineArn must look like arn:aws:states:<region>:<account>:stateMachine:<name>; found "spotify-pipeline-test".',
      );
    });
  });

  describe("executions (aws-local-stepfunctions)", () => {
    it("success: runs the job, waits out a stale READY, reads the summary, notifies", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          GetCrawlerStatus: sequence(
            // Right after StartCrawler the crawler can still read READY with the previous crawl.
            crawler("READY", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
            crawler("RUNNING", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
            crawler("READY", { StartTime: T_OURS, Status: "SUCCEEDED" }),
          ),
        },
      );
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...crawlAndNotify(3),
      ]);
      expect(out.retried).to.deep.equal([]);
      expect(out.calls.RunGlueJob).to.deep.equal([GLUE_ARGS]);
      expect(out.calls.GetCrawlerBaseline).to.deep.equal([CRAWLER_REQUEST]);
      expect(out.calls.StartCrawler).to.deep.equal([CRAWLER_REQUEST]);
      expect(out.calls.GetCrawlerStatus).to.deep.equal([
        CRAWLER_REQUEST,
        CRAWLER_REQUEST,
        CRAWLER_REQUEST,
      ]);
      expect(out.calls.ReadRunSummary).to.deep.equal([
        { Bucket: "spotify-pipeline-test-processed", Key: "runs/exec-0001/summary.json" },
      ]);
      expect(out.published).to.deep.equal([successPublish(successMessage())]);
      expect(out.calls.NotifyFailure).to.equal(undefined);
    });

    it("success with a given run_id and a crawler that never crawled before", async () => {
      const out = await execute(
        { run_id: "batch-7-rerun", input_path: INPUT_PATH },
        { GetCrawlerBaseline: () => crawler("READY") },
      );
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...crawlAndNotify(1),
      ]);
      expect(out.calls.RunGlueJob).to.deep.equal([
        { ...GLUE_ARGS, Arguments: { ...GLUE_ARGS.Arguments, "--run_id": "batch-7-rerun" } },
      ]);
      expect(out.calls.ReadRunSummary).to.deep.equal([
        { Bucket: "spotify-pipeline-test-processed", Key: "runs/batch-7-rerun/summary.json" },
      ]);
      expect(out.published).to.deep.equal([successPublish(successMessage("batch-7-rerun"))]);
    });

    it("Glue job fails: no retry, failure notification with the job run as cause", async () => {
      const cause = JSON.stringify({
        Id: "jr_abc123",
        JobRunState: "FAILED",
        ErrorMessage: "AnalysisException: Path does not exist: albums.csv",
      });
      const out = await execute(
        { input_path: INPUT_PATH },
        { RunGlueJob: sequence(awsError("States.TaskFailed", cause)) },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        "RunGlueJobFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.RunGlueJob).to.have.length(1);
      expect(out.retried).to.deep.equal([]);
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("RunGlueJob", "States.TaskFailed", cause)),
      ]);
      expect(out.error).to.deep.equal({ Error: "States.TaskFailed", Cause: cause });
    });

    it("Glue throttled twice, then succeeds", async () => {
      const throttled = awsError("Glue.ThrottlingException", "Rate exceeded");
      const out = await execute(
        { input_path: INPUT_PATH },
        { RunGlueJob: sequence(throttled, throttled, JOB_RUN) },
      );
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...crawlAndNotify(1),
      ]);
      expect(out.retried).to.deep.equal(["RunGlueJob", "RunGlueJob"]);
      expect(out.calls.RunGlueJob).to.deep.equal([GLUE_ARGS, GLUE_ARGS, GLUE_ARGS]);
      expect(out.published).to.deep.equal([successPublish(successMessage())]);
    });

    it("Glue throttled past the retry limit: fails after 1 + 3 attempts", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        { RunGlueJob: sequence(awsError("Glue.ThrottlingException", "Rate exceeded")) },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.calls.RunGlueJob).to.have.length(4);
      expect(out.retried).to.deep.equal(["RunGlueJob", "RunGlueJob", "RunGlueJob"]);
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("RunGlueJob", "Glue.ThrottlingException", "Rate exceeded")),
      ]);
    });

    it("crawler already running: polls that crawl instead of failing", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          GetCrawlerBaseline: () =>
            crawler("RUNNING", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
          StartCrawler: sequence(
            awsError(
              "Glue.CrawlerRunningException",
              "Crawler with name spotify-pipeline-test-crawler has already started",
            ),
          ),
          GetCrawlerStatus: sequence(
            crawler("STOPPING", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
            crawler("READY", { StartTime: T_OURS, Status: "SUCCEEDED" }),
          ),
        },
      );
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...crawlAndNotify(2),
      ]);
      expect(out.calls.StartCrawler).to.have.length(1);
      expect(out.retried).to.deep.equal([]);
      expect(out.published).to.deep.equal([successPublish(successMessage())]);
    });

    it("crawler finishes FAILED: failure notification quotes the last crawl", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          GetCrawlerStatus: () =>
            crawler("READY", {
              StartTime: T_OURS,
              Status: "FAILED",
              ErrorMessage: "Insufficient Lake Formation permissions",
            }),
        },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...AUDIT,
        "GetCrawlerBaseline",
        "StartCrawler",
        "WaitForCrawler",
        "CountCrawlerPoll",
        "GetCrawlerStatus",
        "CheckCrawler",
        "CheckCrawlResult",
        "CrawlerFailed",
        ...FAILURE_TAIL,
      ]);
      const cause =
        "Crawler spotify-pipeline-test-crawler did not succeed. Last crawl: " +
        '{"StartTime":"2024-06-01T03:20:00.250Z","Status":"FAILED","ErrorMessage":"Insufficient Lake Formation permissions"}';
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("CheckCrawlResult", "Pipeline.CrawlerFailed", cause)),
      ]);
      expect(out.error).to.deep.equal({ Error: "Pipeline.CrawlerFailed", Cause: cause });
      expect(out.calls.PublishGold).to.deep.equal([PUBLISH_ARGS]);
    });

    it("crawler never finishes: gives up after maxCrawlerPolls polls", async () => {
      const def = buildDefinition({ ...PARAMS, maxCrawlerPolls: 3 });
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          GetCrawlerStatus: () =>
            crawler("RUNNING", { StartTime: T_PREVIOUS, Status: "SUCCEEDED" }),
        },
        { def },
      );
      expect(out.status).to.equal("FAILED");
      const poll = ["WaitForCrawler", "CountCrawlerPoll", "GetCrawlerStatus", "CheckCrawler"];
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...AUDIT,
        "GetCrawlerBaseline",
        "StartCrawler",
        ...poll,
        ...poll,
        ...poll,
        "CrawlerTimedOut",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.GetCrawlerStatus).to.have.length(3);
      const cause =
        "Crawler spotify-pipeline-test-crawler did not finish a new crawl within 3 polls, 30 seconds apart; its state was RUNNING.";
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("CheckCrawler", "Pipeline.CrawlerTimeout", cause)),
      ]);
    });

    it("summary object missing: S3 NoSuchKey reaches the failure notification", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          ReadRunSummary: sequence(
            awsError("S3.NoSuchKeyException", "The specified key does not exist."),
          ),
        },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        "ReadRunSummary",
        "ReadRunSummaryFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.ReadRunSummary).to.have.length(1);
      expect(out.published).to.deep.equal([
        failurePublish(
          failureMessage(
            "ReadRunSummary",
            "S3.NoSuchKeyException",
            "The specified key does not exist.",
          ),
        ),
      ]);
      expect(out.error).to.deep.equal({
        Error: "S3.NoSuchKeyException",
        Cause: "The specified key does not exist.",
      });
    });

    it("summary without the counts: fails instead of publishing a wrong success", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          ReadRunSummary: () => ({
            Body: JSON.stringify({ run_id: EXECUTION_NAME, input: { albums: 10 } }),
          }),
        },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states.slice(-6)).to.deep.equal([
        "ReadRunSummary",
        "CheckRunSummary",
        "RejectRunSummary",
        ...FAILURE_TAIL,
      ]);
      const cause =
        "s3://spotify-pipeline-test-processed/runs/exec-0001/summary.json lacks counts docs/contracts.md requires: " +
        "numbers input.albums, input.artists, input.tracks, accepted.albums, accepted.artists, accepted.tracks, " +
        "output.tracks, gates_failed, the rejected block, gates_message, metric_data and snapshot_date.";
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("CheckRunSummary", "Pipeline.InvalidRunSummary", cause)),
      ]);
      expect(out.calls.NotifySuccess).to.equal(undefined);
    });

    it("a failed quality gate: metrics sent, nothing published, the failure names each gate", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          ReadRunSummary: () => ({ Body: JSON.stringify(FAILED_GATES_SUMMARY) }),
        },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        "ReadRunSummary",
        "CheckRunSummary",
        "PutRunMetrics",
        "CheckGates",
        "GatesFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.PutRunMetrics).to.deep.equal([
        { Namespace: "SpotifyPipeline", MetricData: SUMMARY.metric_data },
      ]);
      expect(out.calls.PublishGold).to.equal(undefined);
      expect(out.calls.StartCrawler).to.equal(undefined);
      expect(out.published).to.deep.equal([
        failurePublish(
          failureMessage(
            "CheckGates",
            "Pipeline.QualityGateFailed",
            FAILED_GATES_SUMMARY.gates_message,
          ),
        ),
      ]);
      expect(out.error).to.deep.equal({
        Error: "Pipeline.QualityGateFailed",
        Cause: FAILED_GATES_SUMMARY.gates_message,
      });
    });

    it("passing gates: publishes with the summary's snapshot date before the crawler runs", async () => {
      const out = await execute({ input_path: INPUT_PATH });
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.calls.PublishGold).to.deep.equal([PUBLISH_ARGS]);
      expect(out.states.indexOf("PublishGold")).to.be.lessThan(
        out.states.indexOf("GetCrawlerBaseline"),
      );
    });

    it("a crash between write and publish: the publish run fails, the failure path reports it", async () => {
      const cause = JSON.stringify({ Id: "jr_publish1", JobRunState: "FAILED" });
      const out = await execute(
        { input_path: INPUT_PATH },
        { PublishGold: sequence(awsError("States.TaskFailed", cause)) },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...AUDIT,
        "PublishGoldFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.retried).to.deep.equal([]);
      expect(out.calls.StartCrawler).to.equal(undefined);
      expect(out.published).to.deep.equal([
        failurePublish(failureMessage("PublishGold", "States.TaskFailed", cause)),
      ]);
    });

    it("PutRunMetrics fails: the run goes on to the gates and publishes", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          PutRunMetrics: sequence(
            awsError(
              "CloudWatch.AccessDeniedException",
              "not authorized to cloudwatch:PutMetricData",
            ),
          ),
        },
      );
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.include.members(["CheckGates", "PublishGold", "NotifySuccess"]);
      expect(out.calls.PutRunMetrics).to.have.length(1);
    });

    it("marker rule input: derives input_path from incoming/<batch>/_READY", async () => {
      const out = await execute({
        marker: { bucket: "spotify-pipeline-test-staging", key: "incoming/batch-7/_READY" },
      });
      expect(out.status).to.equal("SUCCEEDED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "InputFromMarker",
        "CheckMarker",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...crawlAndNotify(1),
      ]);
      expect(out.calls.RunGlueJob).to.deep.equal([GLUE_ARGS]);
      expect(out.published).to.deep.equal([successPublish(successMessage())]);
    });

    it("marker rule input: a marker below the batch folder is rejected", async () => {
      const input = {
        marker: { bucket: "spotify-pipeline-test-staging", key: "incoming/batch-7/part-2/_READY" },
      };
      const out = await execute(input);
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "InputFromMarker",
        "CheckMarker",
        "RejectInput",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.RunGlueJob).to.equal(undefined);
      expect(out.published).to.deep.equal([
        failurePublish(
          failureMessage("CheckInput", "Pipeline.InvalidInput", INVALID_INPUT_CAUSE, input),
        ),
      ]);
    });

    const badInputs: Array<[string, JsonValue]> = [
      ["no input_path", { run_id: "r1" }],
      [
        "a marker that is not _READY",
        { marker: { bucket: "b", key: "incoming/batch-7/albums.csv" } },
      ],
      ["a relative input_path", { input_path: "incoming/batch-7/" }],
      ["a non-string input_path", { input_path: 42 }],
      ["an empty run_id", { input_path: INPUT_PATH, run_id: "" }],
      ["a numeric run_id", { input_path: INPUT_PATH, run_id: 7 }],
      ["a bare string", INPUT_PATH],
    ];
    for (const [title, input] of badInputs) {
      it(`rejects an input with ${title} before running anything`, async () => {
        const out = await execute(input);
        expect(out.status).to.equal("FAILED");
        expect(out.states).to.deep.equal(["CheckInput", "RejectInput", ...FAILURE_TAIL]);
        expect(out.calls.RunGlueJob).to.equal(undefined);
        const cause = INVALID_INPUT_CAUSE;
        expect(out.published).to.deep.equal([
          failurePublish(failureMessage("CheckInput", "Pipeline.InvalidInput", cause, input)),
        ]);
      });
    }

    const GIVEN_SNAPSHOT = [
      "ResolveSnapshotDate",
      "CheckSnapshotDate",
      "GivenSnapshotDate",
      "ValidateSnapshotDate",
    ];
    const backfills: Array<[string, JsonValue, string[]]> = [
      [
        "an input_path",
        { input_path: INPUT_PATH, snapshot_date: "2024-05-01" },
        ["CheckInput", "DefaultRunId"],
      ],
      [
        "a run_id",
        { input_path: INPUT_PATH, run_id: EXECUTION_NAME, snapshot_date: "2024-05-01" },
        ["CheckInput"],
      ],
      [
        "the marker rule's input (the local run's --snapshot-date)",
        {
          marker: { bucket: "spotify-pipeline-test-staging", key: "incoming/batch-7/_READY" },
          snapshot_date: "2024-05-01",
        },
        ["CheckInput", "InputFromMarker", "CheckMarker"],
      ],
      [
        "today's date",
        { input_path: INPUT_PATH, snapshot_date: TODAY },
        ["CheckInput", "DefaultRunId"],
      ],
    ];
    for (const [title, input, head] of backfills) {
      it(`backfill: a snapshot_date beside ${title} is the job's snapshot date`, async () => {
        const out = await execute(input);
        expect(out.status).to.equal("SUCCEEDED");
        expect(out.states.slice(0, head.length + GIVEN_SNAPSHOT.length + 1)).to.deep.equal([
          ...head,
          ...GIVEN_SNAPSHOT,
          "RunGlueJob",
        ]);
        const date = (input as { snapshot_date: string }).snapshot_date;
        expect(out.calls.RunGlueJob).to.deep.equal([
          { ...GLUE_ARGS, Arguments: { ...GLUE_ARGS.Arguments, "--snapshot_date": date } },
        ]);
      });
    }

    const badSnapshotDates: Array<[string, JsonValue]> = [
      ["slashes", "2024/05/01"],
      ["a one-digit month", "2024-5-01"],
      ["month 13", "2024-13-01"],
      ["day 32", "2024-05-32"],
      ["a two-digit year", "24-05-01"],
      ["a timestamp", "2024-05-01T00:00:00Z"],
      ["an empty string", ""],
      ["a number", 20240501],
      ["null", null],
      ["an object", { year: 2024 }],
      ["a day after the execution started", "2999-01-01"],
    ];
    for (const [title, value] of badSnapshotDates) {
      it(`rejects a snapshot_date with ${title}, naming the value, before running the job`, async () => {
        const input = { input_path: INPUT_PATH, snapshot_date: value };
        const out = await execute(input);
        expect(out.status).to.equal("FAILED");
        expect(out.states.at(-FAILURE_TAIL.length - 1)).to.equal("RejectSnapshotDate");
        expect(out.calls.RunGlueJob).to.equal(undefined);
        const cause = `${SNAPSHOT_DATE_RULE}; found ${JSON.stringify(value)}.`;
        expect(out.published).to.deep.equal([
          failurePublish(
            failureMessage("CheckSnapshotDate", "Pipeline.InvalidInput", cause, input),
          ),
        ]);
        expect(out.error).to.deep.equal({ Error: "Pipeline.InvalidInput", Cause: cause });
      });
    }

    it("success notification fails: retried, then the failure notification reports NotifySuccess", async () => {
      const denied = awsError(
        "SNS.KMSAccessDeniedException",
        "KMS access denied for the topic key",
      );
      const out = await execute({ input_path: INPUT_PATH }, { NotifySuccess: sequence(denied) });
      expect(out.status).to.equal("FAILED");
      expect(out.states.slice(-5)).to.deep.equal([
        "NotifySuccess",
        "NotifySuccessFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.NotifySuccess).to.have.length(4);
      expect(out.published).to.deep.equal([
        failurePublish(
          failureMessage(
            "NotifySuccess",
            "SNS.KMSAccessDeniedException",
            "KMS access denied for the topic key",
          ),
        ),
      ]);
    });

    it("failure notification fails too: still ends Failed with the original error", async () => {
      const out = await execute(
        { input_path: INPUT_PATH },
        {
          GetCrawlerBaseline: sequence(
            awsError("Glue.EntityNotFoundException", "Crawler entry not found"),
          ),
          NotifyFailure: sequence(awsError("SNS.NotFoundException", "Topic does not exist")),
        },
      );
      expect(out.status).to.equal("FAILED");
      expect(out.states).to.deep.equal([
        "CheckInput",
        "DefaultRunId",
        ...DEFAULT_SNAPSHOT,
        "RunGlueJob",
        ...AUDIT,
        "GetCrawlerBaseline",
        "GetCrawlerBaselineFailed",
        ...FAILURE_TAIL,
      ]);
      expect(out.calls.NotifyFailure).to.have.length(4);
      expect(out.error).to.deep.equal({
        Error: "Glue.EntityNotFoundException",
        Cause: "Crawler entry not found",
      });
    });

    it("a caught error without Cause gets one before the notification", async () => {
      // Entered at CheckFailureCause, as after a Catch whose error carried no Cause (the local
      // runner always sets one, so this path is started directly).
      const def = buildDefinition(PARAMS);
      const out = await execute(
        {
          run_id: "r1",
          input_path: INPUT_PATH,
          failure: { Error: "States.Timeout", step: "RunGlueJob" },
        },
        {},
        { def: { ...def, StartAt: "CheckFailureCause" } },
      );
      expect(out.states).to.deep.equal([
        "CheckFailureCause",
        "AddMissingCause",
        "NotifyFailure",
        "Failed",
      ]);
      const cause = "No cause was reported with this error.";
      expect(out.published).to.deep.equal([
        failurePublish(
          failureMessage(
            "RunGlueJob",
            "States.Timeout",
            cause,
            {
              run_id: "r1",
              input_path: INPUT_PATH,
              failure: { Error: "States.Timeout", step: "RunGlueJob" },
            },
            "r1",
          ),
        ),
      ]);
      expect(out.error).to.deep.equal({ Error: "States.Timeout", Cause: cause });
    });
  });

  describe("workflow diagram", () => {
    it("describes Choice conditions exactly", () => {
      expect(
        describeCondition({
          And: [
            { Variable: "$.a", IsPresent: true },
            {
              Or: [
                { Not: { Variable: "$.a", IsString: true } },
                { Variable: "$.a", StringEquals: "" },
              ],
            },
          ],
        }),
      ).to.equal('$.a is present and ((not ($.a is a string)) or $.a = "")');
      expect(describeCondition({ Variable: "$.t", TimestampGreaterThanPath: "$.b" })).to.equal(
        "$.t > $.b",
      );
      expect(describeCondition({ Variable: "$.n", NumericGreaterThanEquals: 40 })).to.equal(
        "$.n >= 40",
      );
    });

    it("draws one node per state and one edge per transition", () => {
      const def = buildDefinition(PARAMS);
      const chart = toMermaid(def, CHOICE_RULE_LABELS);
      const lines = chart.trimEnd().split("\n");
      expect(lines[0]).to.equal("flowchart TD");
      const nodes = lines.filter(
        (l) => /^ {2}\w+[[({]/.test(l) && !l.includes("-->") && !l.includes("-.->"),
      );
      expect(nodes.map((l) => l.trim().split(/[[({]/)[0])).to.deep.equal(Object.keys(def.States));
      let transitions = 1; // start -> StartAt
      for (const s of Object.values(def.States)) {
        if (s.Type === "Choice") transitions += s.Choices.length + 1;
        if ("Next" in s) transitions += 1;
        if (s.Type === "Task") transitions += s.Catch?.length ?? 0;
      }
      expect(lines.filter((l) => l.includes("-->") || l.includes("-.->"))).to.have.length(
        transitions,
      );
      expect(lines).to.include(
        '  StartCrawler -.->|"Glue.CrawlerRunningException"| WaitForCrawler',
      );
      expect(lines).to.include('  CheckCrawler -->|"poll limit reached"| CrawlerTimedOut');
    });

    it("docs/workflow.md is up to date with the definition (npm run docs:workflow)", async () => {
      const expected = await renderWorkflowDoc();
      expect(readFileSync(WORKFLOW_DOC, "utf8")).to.equal(expected);
    });
  });

  describe("Promise.withResolvers polyfill", () => {
    it("is installed and resolves and rejects", async () => {
      expect(typeof (Promise as unknown as { withResolvers: unknown }).withResolvers).to.equal(
        "function",
      );
      const ok = withResolvers<number>();
      ok.resolve(42);
      expect(await ok.promise).to.equal(42);
      const ko = withResolvers<number>();
      ko.reject(new Error("boom"));
      let message = "";
      await ko.promise.catch((e: Error) => (message = e.message));
      expect(message).to.equal("boom");
    });
  });
});
