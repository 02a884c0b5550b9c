/**
 * Monitoring facts (lib/monitoring.ts), pure: alarm specs, the Glue job failure rule and its
 * message, and the CloudWatch dashboard body.
 */
import { expect } from "chai";

import {
  type DashboardArgs,
  type GlueJobFailureNotification,
  dashboardBody,
  glueJobFailureInputTransformer,
  glueJobFailurePattern,
  runMetricAlarms,
  stateMachineAlarms,
} from "../lib/monitoring";
import { loadQualityGates, mergeQualityGates } from "../lib/quality-gates";

const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:spotify-dev-pipeline-fb2b8de";

/**
 * What EventBridge does with an input transformer: each path is read from the event; a
 * placeholder outside quotes becomes the value as JSON, one inside a string the raw text.
 */
function transform(
  t: { inputPaths: Record<string, string>; inputTemplate: string },
  event: Record<string, unknown>,
): unknown {
  const values: Record<string, unknown> = {};
  for (const [k, path] of Object.entries(t.inputPaths)) {
    values[k] = path
      .replace(/^\$\./, "")
      .split(".")
      .reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], event);
  }
  let inString = false;
  let out = "";
  for (let i = 0; i < t.inputTemplate.length; i++) {
    const c = t.inputTemplate[i]!;
    if (c === '"' && t.inputTemplate[i - 1] !== "\\") inString = !inString;
    const m = c === "<" ? /^<([A-Za-z0-9_-]+)>/.exec(t.inputTemplate.slice(i)) : null;
    if (m) {
      const v = values[m[1]!];
      out += inString ? String(v) : JSON.stringify(v);
      i += m[0].length - 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out);
}

describe("monitoring facts (lib/monitoring.ts)", () => {
  describe("run metric alarms", () => {
    const gates = loadQualityGates();
    const specs = runMetricAlarms({
      pipelineName: "spotify-pipeline-dev",
      namespace: "SpotifyPipeline",
      gates,
    });

    it("alarms on each file's rejected share above its gate and on gold rows below the minimum", () => {
      expect(
        specs.map((a) => [
          a.id,
          a.metricName,
          a.dimensions,
          a.statistic,
          a.comparisonOperator,
          a.threshold,
        ]),
      ).to.deep.equal([
        [
          "rejected-share-albums",
          "RejectedPercent",
          { Pipeline: "spotify-pipeline-dev", File: "albums" },
          "Maximum",
          "GreaterThanThreshold",
          gates.files.albums.max_rejected_pct,
        ],
        [
          "rejected-share-artists",
          "RejectedPercent",
          { Pipeline: "spotify-pipeline-dev", File: "artists" },
          "Maximum",
          "GreaterThanThreshold",
          gates.files.artists.max_rejected_pct,
        ],
        [
          "rejected-share-tracks",
          "RejectedPercent",
          { Pipeline: "spotify-pipeline-dev", File: "tracks" },
          "Maximum",
          "GreaterThanThreshold",
          gates.files.tracks.max_rejected_pct,
        ],
        [
          "gold-rows",
          "GoldRows",
          { Pipeline: "spotify-pipeline-dev", File: "gold" },
          "Minimum",
          "LessThanThreshold",
          gates.gold.min_rows,
        ],
      ]);
      for (const a of specs) {
        expect(a, a.id).to.deep.include({
          namespace: "SpotifyPipeline",
          period: 3600,
          evaluationPeriods: 1,
          treatMissingData: "notBreaching",
        });
      }
    });

    it("follows a stack's gate override", () => {
      const relaxed = runMetricAlarms({
        pipelineName: "p",
        namespace: "SpotifyPipeline",
        gates: mergeQualityGates(gates, { files: { albums: { max_rejected_pct: 30 } } }),
      });
      expect(relaxed[0]!.threshold).to.equal(30);
      expect(relaxed[1]!.threshold).to.equal(gates.files.artists.max_rejected_pct);
    });
  });

  describe("state machine alarms", () => {
    const alarms = stateMachineAlarms({
      stateMachineArn: MACHINE,
      pipelineName: "spotify-pipeline-dev",
      periodSeconds: 300,
    });

    it("alarm on failed, timed-out and aborted executions", () => {
      expect(alarms.map((a) => [a.id, a.metricName])).to.deep.equal([
        ["executions-failed", "ExecutionsFailed"],
        ["executions-timed-out", "ExecutionsTimedOut"],
        ["executions-aborted", "ExecutionsAborted"],
      ]);
    });

    it("each fires on one execution within one 5-minute period; no executions is not breaching", () => {
      expect(alarms[0]).to.deep.equal({
        id: "executions-failed",
        alarmDescription:
          "spotify-pipeline-dev: a pipeline run failed (Step Functions ExecutionsFailed >= 1 in 5 min). The run's failure notification names the failing step; see the execution in the Step Functions console.",
        namespace: "AWS/States",
        metricName: "ExecutionsFailed",
        dimensions: { StateMachineArn: MACHINE },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
      for (const a of alarms) {
        expect([a.namespace, a.statistic, a.period, a.threshold, a.treatMissingData]).to.deep.equal(
          ["AWS/States", "Sum", 300, 1, "notBreaching"],
        );
      }
    });

    for (const bad of [0, 90, -60, 59.5]) {
      it(`refuses a period of ${bad} s`, () => {
        expect(() =>
          stateMachineAlarms({ stateMachineArn: MACHINE, pipelineName: "p", periodSeconds: bad }),
        ).to.throw(
          `periodSeconds must be a positive multiple of 60 (CloudWatch standard-resolution periods); found ${bad}.`,
        );
      });
    }
  });

  describe("Glue job failures", () => {
    it("match this job's runs that end FAILED, TIMEOUT or ERROR (not STOPPED, not SUCCEEDED)", () => {
      expect(glueJobFailurePattern("spotify-dev-etl")).to.deep.equal({
        source: ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        detail: { jobName: ["spotify-dev-etl"], state: ["FAILED", "TIMEOUT", "ERROR"] },
      });
    });

    it("are published as a JSON message a person can read, even when Glue's message has quotes", () => {
      const event = {
        version: "0",
        id: "abcdef00-1234-5678-9abc-def012345678",
        "detail-type": "Glue Job State Change",
        source: "aws.glue",
        account: "123456789012",
        time: "2024-06-01T03:12:45Z",
        region: "eu-west-1",
        resources: [],
        detail: {
          jobName: "spotify-dev-etl",
          severity: "ERROR",
          state: "FAILED",
          jobRunId: "jr_0a1b2c3d",
          message:
            'AnalysisException: Path does not exist: "s3://spotify-dev-staging/incoming/x/albums.csv"',
        },
      };
      const message = transform(glueJobFailureInputTransformer(), event);
      const expected: GlueJobFailureNotification = {
        status: "GLUE_JOB_FAILED",
        message: "Glue job spotify-dev-etl run jr_0a1b2c3d ended FAILED.",
        job_name: "spotify-dev-etl",
        job_run_id: "jr_0a1b2c3d",
        state: "FAILED",
        error:
          'AnalysisException: Path does not exist: "s3://spotify-dev-staging/incoming/x/albums.csv"',
        time: "2024-06-01T03:12:45Z",
        console_url:
          "https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/spotify-dev-etl/run/jr_0a1b2c3d",
      };
      expect(message).to.deep.equal(expected);
    });
  });

  describe("dashboard body", () => {
    const args: DashboardArgs = {
      region: "eu-west-1",
      pipelineName: "spotify-pipeline-dev",
      stateMachineArn: MACHINE,
      jobName: "spotify-dev-etl",
      glueFailureRuleName: "spotify-dev-glue-job-failed-1f2e3d4",
      logGroupName: "/aws/vendedlogs/states/spotify-dev",
      alarmArns: [
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:spotify-dev-executions-failed-1",
      ],
    };
    type W = {
      type: string;
      x: number;
      y: number;
      width: number;
      height: number;
      properties: Record<string, unknown> & { title?: string; metrics?: unknown[][] };
    };
    const body = JSON.parse(dashboardBody(args)) as { widgets: W[] };
    const byTitle = (t: string): W => {
      const w = body.widgets.find((x) => x.properties.title === t);
      if (!w) throw new Error(`no widget titled ${t}`);
      return w;
    };

    it("has a header, the alarms, execution, Glue and error widgets", () => {
      expect(body.widgets.map((w) => [w.type, w.properties.title ?? "(header)"])).to.deep.equal([
        ["text", "(header)"],
        ["alarm", "Alarms"],
        ["metric", "Executions per hour"],
        ["metric", "Execution duration (ms)"],
        ["metric", "Glue job: failed runs and tasks"],
        ["metric", "Glue job: records read and elapsed time"],
        ["metric", "Glue job: S3 bytes and executors"],
        ["metric", "Rejected share per file (%) and quality gates failed"],
        ["metric", "Gold rows and rows in per run"],
        ["log", "Latest state machine error events"],
      ]);
    });

    it("charts the run metrics: rejected share per file, gates failed, gold rows", () => {
      const pipeline = ["Pipeline", "spotify-pipeline-dev"];
      const share = byTitle("Rejected share per file (%) and quality gates failed");
      expect(share.properties.metrics!.map((m) => m.slice(0, 6))).to.deep.equal([
        ["SpotifyPipeline", "RejectedPercent", ...pipeline, "File", "albums"],
        ["SpotifyPipeline", "RejectedPercent", ...pipeline, "File", "artists"],
        ["SpotifyPipeline", "RejectedPercent", ...pipeline, "File", "tracks"],
        ["SpotifyPipeline", "GatesFailed", ...pipeline, "File", "all"],
      ]);
      const gold = byTitle("Gold rows and rows in per run");
      expect(gold.properties.metrics!.map((m) => m.slice(0, 6))).to.deep.equal([
        ["SpotifyPipeline", "GoldRows", ...pipeline, "File", "gold"],
        ["SpotifyPipeline", "InputRows", ...pipeline, "File", "albums"],
      ]);
    });

    it("lays widgets out on the 24-column grid without overlaps", () => {
      const cells = new Set<string>();
      for (const w of body.widgets) {
        expect(w.x + w.width, w.properties.title).to.be.at.most(24);
        for (let x = w.x; x < w.x + w.width; x++) {
          for (let y = w.y; y < w.y + w.height; y++) {
            const cell = `${x},${y}`;
            expect(
              cells.has(cell),
              `${w.properties.title ?? "header"} overlaps at ${cell}`,
            ).to.equal(false);
            cells.add(cell);
          }
        }
      }
    });

    it("counts executions per hour by outcome for this state machine", () => {
      const w = byTitle("Executions per hour");
      expect(w.properties).to.deep.include({ region: "eu-west-1", period: 3600, stat: "Sum" });
      expect(w.properties.metrics).to.deep.equal(
        [
          ["ExecutionsStarted", { label: "started" }],
          ["ExecutionsSucceeded", { label: "succeeded", color: "#2ca02c" }],
          ["ExecutionsFailed", { label: "failed", color: "#d62728" }],
          ["ExecutionsTimedOut", { label: "timed out", color: "#ff7f0e" }],
          ["ExecutionsAborted", { label: "aborted", color: "#7f7f7f" }],
        ].map(([name, opts]) => ["AWS/States", name, "StateMachineArn", MACHINE, opts]),
      );
    });

    it("shows average and maximum execution time", () => {
      expect(byTitle("Execution duration (ms)").properties.metrics).to.deep.equal([
        [
          "AWS/States",
          "ExecutionTime",
          "StateMachineArn",
          MACHINE,
          { stat: "Average", label: "average" },
        ],
        [
          "AWS/States",
          "ExecutionTime",
          "StateMachineArn",
          MACHINE,
          { stat: "Maximum", label: "maximum" },
        ],
      ]);
    });

    it("counts failed Glue runs with the failure rule's metric, and Glue job metrics by dimension type", () => {
      const failed = byTitle("Glue job: failed runs and tasks").properties.metrics!;
      expect(failed[0]).to.deep.equal([
        "AWS/Events",
        "TriggeredRules",
        "RuleName",
        "spotify-dev-glue-job-failed-1f2e3d4",
        { label: "failed runs (FAILED, TIMEOUT, ERROR)", color: "#d62728" },
      ]);
      const all = body.widgets
        .filter((w) => w.properties.title?.startsWith("Glue job"))
        .flatMap((w) => w.properties.metrics!)
        .filter((m) => m[0] === "Glue");
      // Aggregate driver metrics are published with Type=count, the others with Type=gauge.
      expect(all.map((m) => [m[1], m.slice(2, 8)])).to.deep.equal(
        [
          ["glue.driver.aggregate.numFailedTasks", "count"],
          ["glue.driver.aggregate.numCompletedTasks", "count"],
          ["glue.driver.aggregate.recordsRead", "count"],
          ["glue.driver.aggregate.elapsedTime", "count"],
          ["glue.ALL.s3.filesystem.read_bytes", "gauge"],
          ["glue.ALL.s3.filesystem.write_bytes", "gauge"],
          ["glue.driver.ExecutorAllocationManager.executors.numberAllExecutors", "gauge"],
        ].map(([name, type]) => [
          name,
          ["JobName", "spotify-dev-etl", "JobRunId", "ALL", "Type", type],
        ]),
      );
    });

    it("lists the alarms and links the state machine and the job in the header", () => {
      expect(byTitle("Alarms").properties.alarms).to.deep.equal(args.alarmArns);
      const header = body.widgets[0]!.properties.markdown as string;
      expect(header).to.equal(
        "# spotify-pipeline-dev\n" +
          "[State machine](https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/statemachines/view/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3AstateMachine%3Aspotify-dev-pipeline-fb2b8de) · " +
          "[Glue job runs](https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/spotify-dev-etl/runs) · " +
          "Row counts and quality gates per run: the run metrics below and each run's notification.",
      );
    });

    it("queries the latest error events of the state machine's log group", () => {
      expect(byTitle("Latest state machine error events").properties).to.deep.equal({
        title: "Latest state machine error events",
        region: "eu-west-1",
        view: "table",
        query:
          "SOURCE '/aws/vendedlogs/states/spotify-dev' | fields @timestamp, type, execution_arn | sort @timestamp desc | limit 20",
      });
    });
  });
});
