/**
 * The local steps before the execution (generate, stage) and the Task handlers that stand in for
 * the AWS calls of the state machine.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { GOLD_TABLE } from "../lib/etl";
import { INCOMING_PREFIX, MARKER_NAME } from "../lib/iam/events";
import type { JsonValue } from "../lib/state-machine";
import { ENTITIES, loadContract, type Entity } from "../lib/contract";
import { inferTable, type Catalog } from "./crawler";
import type { RunSummary } from "./etl";
import { generateSample } from "./generate";
import {
  LOCAL_RESOURCES,
  fmt,
  relative,
  sumValues,
  writeAtomic,
  type PublishedMessage,
} from "./layout";
import type { Crawl, LocalRun } from "./local-run";
import { runSparkJob, taskError } from "./spark-job";
import { publishGold, publishPaths, type PublishResult } from "./publish";
import {
  MAX_DATUMS_PER_REQUEST,
  putMetricDataRequests,
  type PutMetricDataRequest,
} from "../lib/run-metrics";

/** Step 1: the deterministic sample, when no input folder was given. */
export async function generateStep(run: LocalRun): Promise<void> {
  const { o, paths } = run;
  await run.timed(
    "generate",
    () =>
      generateSample({
        tracks: o.tracks,
        seed: o.seed,
        outDir: paths.input,
        ...(o.orphanSpike !== undefined ? { orphanSpike: o.orphanSpike } : {}),
      }),
    (g) =>
      `${fmt(g.rows.albums)} album rows, ${fmt(g.rows.artists)} artists, ` +
      `${fmt(g.rows.tracks)} tracks (seed ${o.seed}) -> ${relative(paths.input)}/`,
  );
}

/**
 * Step 2: the upload to the staging bucket: the three CSVs, then the `_READY` marker. A missing
 * file is not copied: the Glue job reports it, through the failure path, as in the cloud.
 */
export async function stageStep(run: LocalRun): Promise<void> {
  const contract = loadContract();
  const { paths } = run;
  await run.timed(
    "stage",
    () => {
      fs.mkdirSync(paths.staging, { recursive: true });
      const copied: string[] = [];
      let bytes = 0;
      for (const entity of ENTITIES) {
        const name = contract.inputs[entity].file;
        const source = path.join(run.inputDir, name);
        if (!fs.existsSync(source)) continue;
        stageFile(source, path.join(paths.staging, name));
        bytes += fs.statSync(source).size;
        copied.push(name);
      }
      fs.writeFileSync(path.join(paths.staging, MARKER_NAME), "");
      return { copied, bytes };
    },
    ({ copied, bytes }) =>
      `${copied.join(", ") || "no CSV found"} (${(bytes / 1e6).toFixed(1)} MB) + ${MARKER_NAME} ` +
      `-> ${relative(paths.staging)}/`,
  );
}

/**
 * Puts an input file into the staging area without reading it: a hard link when both are on one
 * file system (nothing writes to a staged file, and `--out` is recreated, never the input),
 * else a copy (a reflink where the file system has them).
 */
function stageFile(source: string, target: string): void {
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
  }
}

/** The local batch folder of an `input_path` in the local staging bucket. */
function stagingFolderOf(run: LocalRun, uri: string): string {
  const prefix = `s3://${LOCAL_RESOURCES.buckets.staging}/${INCOMING_PREFIX}`;
  const batch = uri.startsWith(prefix) ? uri.slice(prefix.length).replace(/\/$/, "") : "";
  if (batch === "" || batch.includes("/")) {
    throw taskError(
      "Glue.EntityNotFoundException",
      `--input_path ${uri} is not a batch prefix of the local staging bucket (${prefix}<batch>/).`,
    );
  }
  return path.join(run.paths.lake, "staging", batch);
}

/**
 * The Glue job (`glue:startJobRun.sync`). `--mode write`: the transform on DuckDB or local
 * PySpark, gold to the run's staging location, gates and metrics in the summary. `--mode
 * publish`: the staged gold into the current table and the history (a folder swap, whichever
 * engine wrote it).
 */
export async function glueJobHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const request = input as { JobName: string; Arguments: Record<string, string> };
  const args = request.Arguments;
  const runId = args["--run_id"] as string;
  if (args["--mode"] === "publish") return publishJob(run, request.JobName, runId, args);
  const batchDir = stagingFolderOf(run, args["--input_path"] as string);
  const { engine } = run.o;
  const snapshotDate = args["--snapshot_date"] as string;
  const gates = { ...JSON.parse(args["--quality_gates"] ?? "{}"), ...(run.o.gates ?? {}) };
  const job = {
    inputDir: batchDir,
    outDir: run.paths.lake,
    runId,
    snapshotDate,
    pipelineName: args["--pipeline_name"] as string,
    gates,
    publish: false,
  };
  const t = performance.now();
  let summary: RunSummary;
  try {
    summary =
      engine === "spark"
        ? await runSparkJob(job)
        : await (await import("./etl.js")).runTransform(job);
  } catch (err) {
    run.stepDone("glue_job", t, `${engine}: FAILED`);
    // The staged files are exact copies: name the folder the user gave.
    throw taskError("States.TaskFailed", (err as Error).message.split(batchDir).join(run.inputDir));
  }
  run.summary = summary;
  const per = (f: (e: Entity) => number): string =>
    ENTITIES.map((e) => `${fmt(f(e))} ${e}`).join(", ");
  run.stepDone(
    "glue_job",
    t,
    `${engine}: read ${per((e) => summary.input[e])}; quarantined ` +
      `${per((e) => sumValues(summary.rejected[e] as Record<string, number>))}; ` +
      `gold ${fmt(summary.output.tracks)} rows staged; ` +
      `${summary.gates.length - summary.gates_failed} of ${summary.gates.length} gates passed`,
  );
  return { Id: `jr_local_${runId}`, JobName: request.JobName, JobRunState: "SUCCEEDED" };
}

/** The publish run of the job: the staged gold into the current table and the history. */
function publishJob(
  run: LocalRun,
  jobName: string,
  runId: string,
  args: Record<string, string>,
): JsonValue {
  const t = performance.now();
  const paths = publishPaths(run.paths.processed, run.paths.datawarehouse, runId);
  const snapshotDate = args["--snapshot_date"] as string;
  let result: PublishResult;
  try {
    if (run.failPublish) throw new Error(`simulated crash before publishing run ${runId}`);
    result = publishGold(paths, runId, snapshotDate, run.crashDuringPublish);
  } catch (err) {
    run.stepDone("publish", t, "FAILED");
    throw taskError("States.TaskFailed", (err as Error).message);
  }
  run.record.published = true;
  run.stepDone(
    "publish",
    t,
    result.current
      ? `gold -> ${relative(paths.current)}/ and ${relative(result.snapshot)}/`
      : `snapshot ${snapshotDate} -> ${relative(result.snapshot)}/ only: the current table ` +
          `stays at the newer snapshot ${result.latest}`,
  );
  return { Id: `jr_local_${runId}_publish`, JobName: jobName, JobRunState: "SUCCEEDED" };
}

/**
 * `cloudwatch:putMetricData`: checks the request as CloudWatch would (at most 1,000 datums,
 * names, dimensions, finite values) and appends it to `OUT/metrics.jsonl`.
 */
export async function putMetricDataHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const t = performance.now();
  const request = input as unknown as PutMetricDataRequest;
  const requests = putMetricDataRequests(request.MetricData, request.Namespace);
  if (requests.length !== 1) {
    throw taskError(
      "CloudWatch.InvalidParameterValueException",
      `MetricData must hold 1 to ${MAX_DATUMS_PER_REQUEST} datums; found ${request.MetricData.length}.`,
    );
  }
  fs.appendFileSync(run.paths.metrics, `${JSON.stringify(request)}\n`);
  run.stepDone(
    "metrics",
    t,
    `${request.MetricData.length} datums in ${request.Namespace} -> ${relative(run.paths.metrics)}`,
  );
  return {};
}

/** `glue:getCrawler`: READY, with the LastCrawl of the crawl started by this run (if any). */
export async function getCrawlerHandler(run: LocalRun): Promise<JsonValue> {
  const crawler: Record<string, JsonValue> = {
    Name: LOCAL_RESOURCES.crawlerName,
    State: "READY",
    DatabaseName: LOCAL_RESOURCES.database,
  };
  if (run.crawl) {
    // The local crawl runs in-process: a poll waits for it instead of looping.
    const result = await run.crawl.done;
    crawler.LastCrawl = result.ok
      ? { StartTime: run.crawl.startTime, Status: "SUCCEEDED" }
      : { StartTime: run.crawl.startTime, Status: "FAILED", ErrorMessage: result.message };
  }
  return { Crawler: crawler };
}

/** `glue:startCrawler`: infers the gold table from its Parquet and writes `OUT/catalog.json`. */
export async function startCrawlerHandler(run: LocalRun): Promise<JsonValue> {
  if (run.crawl) {
    throw taskError(
      "Glue.CrawlerRunningException",
      `Crawler ${LOCAL_RESOURCES.crawlerName} is already running.`,
    );
  }
  const { paths } = run;
  const startTime = new Date().toISOString();
  const t = performance.now();
  const done: Crawl["done"] = (async () => {
    try {
      const table = await inferTable(
        await run.duck(),
        paths.gold,
        GOLD_TABLE,
        LOCAL_RESOURCES.database,
      );
      const catalog: Catalog = {
        database: LOCAL_RESOURCES.database,
        crawler: LOCAL_RESOURCES.crawlerName,
        crawled_at: startTime,
        tables: [table],
      };
      writeAtomic(paths.catalog, `${JSON.stringify(catalog, null, 2)}\n`);
      return { ok: true as const, table };
    } catch (err) {
      return { ok: false as const, message: (err as Error).message };
    }
  })().then((result) => {
    const detail = result.ok
      ? `table ${result.table.database}.${result.table.name}: ${result.table.columns.length} ` +
        `columns, ${result.table.partitions.length} partitions, ${fmt(result.table.row_count)} ` +
        `rows in ${result.table.files} ${result.table.compression.join("/")} Parquet file(s) ` +
        `-> ${relative(paths.catalog)}`
      : `FAILED: ${result.message}`;
    run.stepDone("crawler", t, detail);
    return result;
  });
  run.crawl = { startTime, done };
  return {};
}

/** `s3:getObject` on the processed bucket (the run summary). */
export async function getObjectHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const t = performance.now();
  const { Bucket, Key } = input as { Bucket: string; Key: string };
  if (Bucket !== LOCAL_RESOURCES.buckets.processed) {
    throw taskError("S3.NoSuchBucket", `The specified bucket does not exist: ${Bucket}`);
  }
  const file = path.join(run.paths.processed, ...Key.split("/"));
  if (!fs.existsSync(file)) {
    throw taskError("S3.NoSuchKey", `The specified key does not exist: ${Key} (${file})`);
  }
  const body = fs.readFileSync(file, "utf8");
  run.stepDone("run_summary", t, relative(file));
  return { Body: body, ContentType: "application/json" };
}

/** `sns:publish`: appends the request to `OUT/notifications.jsonl` and reports it. */
export async function publishHandler(run: LocalRun, input: JsonValue): Promise<JsonValue> {
  const t = performance.now();
  const request = input as unknown as PublishedMessage;
  run.notifications.push(request);
  fs.appendFileSync(run.paths.notifications, `${JSON.stringify(request)}\n`);
  const file = run.paths.notifications;
  run.stepDone("notify", t, `${request.Subject} -> ${relative(file)}`);
  run.emit({ kind: "notification", subject: request.Subject, message: request.Message, file });
  return { MessageId: `local-${run.notifications.length}` };
}
