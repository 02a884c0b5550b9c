/**
 * The local run: the whole pipeline on one machine, with the state machine definition the stack
 * deploys (`lib/state-machine.ts`), the transform SQL the Glue job runs (`glue/sql`, on DuckDB or
 * on local PySpark) and the Athena query files (`queries/`).
 *
 * `runPipeline` recreates `OUT/`, stages the three CSVs like an upload to the staging bucket
 * (`OUT/staging/<batch>/` plus the `_READY` marker), and executes the definition with
 * `aws-local-stepfunctions`, starting it with the input the marker rule would send. Each Task
 * state runs a local handler instead of an AWS call:
 *
 * | Task | cloud | local handler |
 * |---|---|---|
 * | RunGlueJob | `glue:startJobRun.sync` | `runTransform` (DuckDB) or `glue/job.py --local` (Spark) |
 * | GetCrawlerBaseline, GetCrawlerStatus | `glue:getCrawler` | the local crawler's state |
 * | StartCrawler | `glue:startCrawler` | infers the catalog from the gold Parquet -> `OUT/catalog.json` |
 * | ReadRunSummary | `s3:getObject` | reads `OUT/processed/runs/<run_id>/summary.json` |
 * | NotifySuccess, NotifyFailure | `sns:publish` | appends to `OUT/notifications.jsonl` |
 *
 * After a successful execution it runs every query file on the gold Parquet
 * (`OUT/queries/<name>.csv`), renders `OUT/dashboard.html`, and writes `OUT/run.json`. Nothing
 * here calls AWS or the network.
 *
 * The heavy modules (aws-local-stepfunctions with its AWS SDK clients, DuckDB, the transform,
 * vega) are imported when a step needs them, so that usage errors and `--help` answer at once.
 */
import "../lib/polyfills";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StateMachine } from "aws-local-stepfunctions";
import { GOLD_TABLE } from "../lib/etl";
import { INCOMING_PREFIX, MARKER_NAME } from "../lib/iam/events";
import { HISTORY_TABLE } from "../lib/history";
import { loadQueries } from "../lib/queries";
import {
  DURATION_TRENDS,
  MOST_POPULAR_ARTISTS,
  TRACK_COUNTS_BY_ALBUM,
  type VisualSpec,
} from "../lib/visuals";
import { runQuery, toCsv, type QueryResult } from "./queries";
import {
  buildDefinition,
  executionContext,
  zeroDelayOverrides,
  type FailureNotification,
  type JsonValue,
  type TaskStateName,
} from "../lib/state-machine";
import { countParquetRows, sqlList, tableFiles } from "./crawler";
import { addOpsPanels, gatesPanel, historyPanel, type HistoryRow } from "./dashboard-ops";
import type { DurationTrendRow, MostPopularArtistRow, TrackCountByAlbumRow } from "./dashboard";
import type { RunSummary } from "./etl";
import {
  generateStep,
  getCrawlerHandler,
  getObjectHandler,
  glueJobHandler,
  publishHandler,
  putMetricDataHandler,
  stageStep,
  startCrawlerHandler,
} from "./handlers";
import {
  LOCAL_RESOURCES,
  fmt,
  prepareOutDir,
  relative,
  writeAtomic,
  type PipelineOptions,
  type PipelineResult,
  type RunError,
  type RunRecord,
} from "./layout";
import { LocalRun, resolveOptions, stepTimings, type Ending } from "./local-run";

export * from "./layout";
export { catalogTypes, countParquetRows, inferTable, tableFiles } from "./crawler";
export type { Catalog, CatalogColumn, CatalogTable } from "./crawler";
export { defaultRunId } from "./local-run";
export { lastJsonObject, sparkErrorMessage, venvPython } from "./spark-job";

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

let machine: { key: string; instance: StateMachine } | undefined;

/**
 * The local StateMachine for `definition`, built once per process. The runner's own validation
 * is skipped (it takes seconds); the definition is validated with asl-validator and with the
 * runner's validation in test/state-machine.test.ts.
 */
async function stateMachineFor(
  definition: ReturnType<typeof buildDefinition>,
): Promise<StateMachine> {
  const key = JSON.stringify(definition);
  if (machine?.key !== key) {
    const { StateMachine } = await import("aws-local-stepfunctions");
    machine = {
      key,
      instance: new StateMachine(structuredClone(definition), {
        validationOptions: { noValidate: true },
      }),
    };
  }
  return machine.instance;
}

/**
 * Step 3: executes the deployed definition, started with the marker rule's input, every Task on
 * a local handler; records the states entered.
 */
async function executeStep(run: LocalRun): Promise<Ending | undefined> {
  run.step = "glue_job";
  prewarmCharts();
  const definition = buildDefinition({
    jobName: LOCAL_RESOURCES.jobName,
    crawlerName: LOCAL_RESOURCES.crawlerName,
    topicArn: LOCAL_RESOURCES.topicArn,
    summaryBucket: LOCAL_RESOURCES.buckets.processed,
    pipelineName: LOCAL_RESOURCES.pipelineName,
  });
  const handlers: Record<TaskStateName, (input: JsonValue) => Promise<JsonValue>> = {
    RunGlueJob: (input) => glueJobHandler(run, input),
    GetCrawlerBaseline: () => getCrawlerHandler(run),
    StartCrawler: () => startCrawlerHandler(run),
    GetCrawlerStatus: () => getCrawlerHandler(run),
    ReadRunSummary: (input) => getObjectHandler(run, input),
    PutRunMetrics: (input) => putMetricDataHandler(run, input),
    PublishGold: (input) => glueJobHandler(run, input),
    NotifySuccess: (input) => publishHandler(run, input),
    NotifyFailure: (input) => publishHandler(run, input),
  };
  const execution = (await stateMachineFor(definition)).run(
    {
      marker: {
        bucket: LOCAL_RESOURCES.buckets.staging,
        key: `${INCOMING_PREFIX}${run.o.runId}/${MARKER_NAME}`,
      },
      // --snapshot-date: a backfill, as `start-execution --input '{"snapshot_date": ...}'` is.
      ...(run.o.snapshotDate !== undefined ? { snapshot_date: run.o.snapshotDate } : {}),
    },
    {
      context: executionContext(LOCAL_RESOURCES.stateMachineArn, run.o.runId),
      overrides: { ...zeroDelayOverrides(definition), taskResourceLocalHandlers: handlers },
    },
  );
  let ending: Ending | undefined;
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") run.record.states.push(event.state.name);
      else if (event.type === "ExecutionSucceeded") ending = { status: "SUCCEEDED" };
      else if (event.type === "ExecutionFailed") {
        ending = { status: "FAILED", Error: event.Error, Cause: event.Cause };
      }
    }
  })();
  await execution.result.catch(() => undefined);
  await events;
  if (run.crawl) await run.crawl.done;
  return ending;
}

/**
 * Loads the modules a run needs (the local Step Functions runner, DuckDB, the transform, vega and
 * vega-lite: about 1.5 s on a 2-core machine). The CLI calls it before the run starts, so a run's
 * `timings_ms.total` is the pipeline's own time and module loading counts as start-up, like
 * Node's; without it each module loads where it is first used.
 */
export async function loadPipelineModules(): Promise<void> {
  await Promise.all([
    import("aws-local-stepfunctions"),
    import("@duckdb/node-api"),
    import("./etl.js"),
    import("./dashboard.js").then((d) => d.loadCharts()),
  ]);
}

/**
 * Starts loading vega and vega-lite (1 to 2 s of module loading on the main thread) while the
 * transform runs on DuckDB's threads; the dashboard's own `import()` then finds them loaded.
 */
function prewarmCharts(): void {
  void Promise.all([import("vega"), import("vega-lite")]).catch(() => undefined);
}

/** Copies the counts of the summary the job wrote (also after a later failure) into run.json. */
async function recordCounts(run: LocalRun): Promise<RunSummary | undefined> {
  const summary = run.summary ?? readSummaryIfAny(run.paths.summary);
  if (summary) {
    run.record.input = { ...summary.input };
    run.record.accepted = { ...summary.accepted };
    run.record.rejected = {
      albums: { ...summary.rejected.albums },
      artists: { ...summary.rejected.artists },
      tracks: { ...summary.rejected.tracks },
    } as RunRecord["rejected"];
    run.record.gates = summary.gates;
    run.record.snapshot_date = summary.snapshot_date;
  }
  // This run's gold as published: its snapshot partition (the current table may hold a newer
  // snapshot after a backfill).
  const snapshot = path.join(run.paths.history, `snapshot_date=${summary?.snapshot_date}`);
  if (run.record.published && fs.existsSync(snapshot) && tableFiles(snapshot).length > 0) {
    run.record.output = { tracks: await countParquetRows(await run.duck(), snapshot) };
  }
  return summary;
}

/** The error of a failed execution, from its failure notification (else its last event). */
function executionError(run: LocalRun, ending: Ending | undefined): RunError {
  const failure = run.notifications
    .map((n) => n.Message)
    .find((m): m is FailureNotification => m.status === "FAILED");
  if (failure) return { step: failure.failed_step, error: failure.error, cause: failure.cause };
  return {
    step: run.record.states.at(-1) ?? "StateMachine",
    error: ending?.status === "FAILED" ? ending.Error : "Local.ExecutionIncomplete",
    cause:
      ending?.status === "FAILED"
        ? String(ending.Cause)
        : "The execution ended without a final event.",
  };
}

/**
 * Step 4: every query file on the gold Parquet -> `OUT/queries/<name>.csv`, all or nothing. A
 * query reads `tracks` (the current gold) or `tracks_history` (its `-- reads:` header): each is a
 * view here, the history's with `snapshot_date` from the partition folders.
 */
async function queriesStep(run: LocalRun): Promise<Map<string, QueryResult>> {
  const { paths } = run;
  const results = new Map<string, QueryResult>();
  await run.timed(
    "queries",
    async () => {
      const connection = await run.duck();
      const table = await run.crawl?.done;
      const hive = table?.ok === true && table.table.partition_keys.length > 0;
      await connection.run(
        `CREATE OR REPLACE VIEW ${GOLD_TABLE} AS SELECT * FROM ` +
          `read_parquet(${sqlList(tableFiles(paths.gold))}, hive_partitioning = ${hive})`,
      );
      const tables = new Set([GOLD_TABLE]);
      if (snapshotCount(paths.history) > 0) {
        const glob = path.join(paths.history, "snapshot_date=*", "*.parquet");
        await connection.run(
          `CREATE OR REPLACE VIEW ${HISTORY_TABLE} AS SELECT * FROM read_parquet('${glob}', ` +
            `hive_partitioning = true, hive_types = {'snapshot_date': VARCHAR})`,
        );
        tables.add(HISTORY_TABLE);
      }
      const partial = `${paths.queries}.partial`;
      fs.rmSync(partial, { recursive: true, force: true });
      fs.mkdirSync(partial, { recursive: true });
      for (const query of loadQueries().filter((q) => tables.has(q.reads))) {
        let result: QueryResult;
        try {
          result = await runQuery(connection, query.sql);
        } catch (err) {
          throw new Error(`queries/${query.name}.sql failed on DuckDB: ${(err as Error).message}`, {
            cause: err,
          });
        }
        results.set(query.name, result);
        const csv = toCsv(result.rows, result.columns);
        fs.writeFileSync(path.join(partial, `${query.name}.csv`), csv);
      }
      fs.renameSync(partial, paths.queries);
    },
    () =>
      `${results.size} queries -> ${relative(paths.queries)}/ (` +
      [...results].map(([name, r]) => `${name} ${fmt(r.rows.length)}`).join(", ") +
      " rows)",
  );
  return results;
}

/** The query the dashboard's history panel charts (it reads `tracks_history`). */
const HISTORY_QUERY = "artist_popularity_by_snapshot";

/** Snapshot partitions in the history folder (`snapshot_date=YYYY-MM-DD/`). */
function snapshotCount(historyDir: string): number {
  if (!fs.existsSync(historyDir)) return 0;
  return fs.readdirSync(historyDir).filter((d) => d.startsWith("snapshot_date=")).length;
}

/** Step 5: the dashboard from the three dashboard queries and the run's counts. */
async function dashboardStep(
  run: LocalRun,
  summary: RunSummary,
  results: Map<string, QueryResult>,
): Promise<void> {
  const { paths } = run;
  await run.timed(
    "dashboard",
    async () => {
      const { renderDashboard } = await import("./dashboard.js");
      const html = await renderDashboard({
        run: {
          ...summary,
          engine: run.o.engine,
          status: "SUCCEEDED",
          output: run.record.output ?? summary.output,
          timings_ms: stepTimings(run.timings),
          duration_ms: run.elapsed(),
        },
        mostPopularArtists: dashboardRows<MostPopularArtistRow>(results, MOST_POPULAR_ARTISTS),
        trackCountsByAlbum: dashboardRows<TrackCountByAlbumRow>(results, TRACK_COUNTS_BY_ALBUM),
        durationTrendsByYear: dashboardRows<DurationTrendRow>(results, DURATION_TRENDS),
        generatedAt: new Date()
          .toISOString()
          .replace("T", " ")
          .replace(/\.\d+Z$/, " UTC"),
      });
      const history = results.get(HISTORY_QUERY);
      const panels = [
        gatesPanel(summary.gates),
        await historyPanel(
          (history?.rows ?? []) as unknown as HistoryRow[],
          snapshotCount(paths.history),
        ),
      ];
      writeAtomic(paths.dashboard, addOpsPanels(html, panels));
    },
    () => relative(paths.dashboard),
  );
}

/**
 * Runs the whole pipeline locally (see the module comment) and writes `OUT/run.json`.
 *
 * A bad input (missing file, missing column, empty file, not a CSV) fails the Glue job step; the
 * execution then takes the definition's failure path (NotifyFailure -> Failed) and the result
 * has status FAILED with the error, no query results and no dashboard.
 *
 * @returns the run record (also in `OUT/run.json`), the output paths and the notifications.
 * @throws UsageError for invalid options or an output folder it must not delete (nothing is
 *   written then).
 */
export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const o = resolveOptions(options);
  prepareOutDir(o.out, o.input, o.lake);
  const run = new LocalRun(o, options.onEvent ?? (() => undefined));
  run.crashDuringPublish = options.faults?.publish === "crash-mid-swap";
  run.failPublish = options.faults?.publish === "fail";
  run.emit({ kind: "start", runId: o.runId, engine: o.engine, out: run.paths.out, input: o.input });
  try {
    if (o.input === undefined) await generateStep(run);
    await stageStep(run);
    const ending = await executeStep(run);
    const summary = await recordCounts(run);
    if (ending?.status !== "SUCCEEDED") {
      run.record.error = executionError(run, ending);
      return run.finish();
    }
    run.step = "crawler";
    if (!summary || !run.record.output) {
      throw new Error("the execution succeeded but left no run summary or no gold Parquet.");
    }
    if (run.record.output.tracks !== summary.output.tracks) {
      throw new Error(
        `the gold Parquet holds ${run.record.output.tracks} rows but the run summary reports ` +
          `output.tracks = ${summary.output.tracks}.`,
      );
    }
    const results = await queriesStep(run);
    await dashboardStep(run, summary, results);
    run.record.status = "SUCCEEDED";
    return run.finish();
  } catch (err) {
    // A local step failed (outside the state machine): leave no half-written results behind.
    fs.rmSync(`${run.paths.queries}.partial`, { recursive: true, force: true });
    fs.rmSync(run.paths.queries, { recursive: true, force: true });
    fs.rmSync(run.paths.dashboard, { force: true });
    run.record.status = "FAILED";
    run.record.error = {
      step: run.step,
      error: (err as Error).name || "Error",
      cause: (err as Error).message,
    };
    return run.finish();
  } finally {
    run.close();
  }
}

function readSummaryIfAny(file: string): RunSummary | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as RunSummary;
}

/** A visual's query rows, after checking the query returns the columns lib/visuals.ts fixes. */
export function dashboardRows<T>(results: Map<string, QueryResult>, visual: VisualSpec): T[] {
  const name = visual.query;
  const columns = visual.columns.map((c) => c.name);
  const result = results.get(name);
  if (!result) {
    throw new Error(`queries/${name}.sql is missing: the dashboard charts its result.`);
  }
  const missing = columns.filter((c) => !result.columns.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `queries/${name}.sql returns ${result.columns.join(", ")}; the dashboard needs ` +
        `${missing.join(", ")} (lib/visuals.ts).`,
    );
  }
  return result.rows as unknown as T[];
}
