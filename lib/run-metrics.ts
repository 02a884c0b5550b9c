/**
 * Run metrics: the CloudWatch `PutMetricData` datums a run emits, built from the rows of
 * `glue/sql/18_run_metrics.sql` (both runners write them into the run summary as `metric_data`;
 * the state machine sends them with `aws-sdk:cloudwatch:putMetricData`; the local run appends
 * the same requests to `OUT/metrics.jsonl`). Pure functions.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */

/** The namespace every run metric goes to; the state machine's role may write only this one. */
export const METRICS_NAMESPACE = "SpotifyPipeline";

/** PutMetricData accepts at most 1,000 datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000;

/** Metric names (the alarms and the dashboard read these). */
export const RUN_METRICS = {
  inputRows: "InputRows",
  acceptedRows: "AcceptedRows",
  rejectedRows: "RejectedRows",
  rejectedPercent: "RejectedPercent",
  goldRows: "GoldRows",
  gatesFailed: "GatesFailed",
  jobDuration: "JobDuration",
} as const;

/** Dimension names: the pipeline (stack), the file (`albums`, ..., `gold`, `all`), the reason. */
export const METRIC_DIMENSIONS = { pipeline: "Pipeline", file: "File", reason: "Reason" } as const;

/** One datum of `MetricData` as PutMetricData accepts it. */
export interface MetricDatum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Unit: "Count" | "Percent" | "Seconds";
  Value: number;
}

/** One PutMetricData request. */
export interface PutMetricDataRequest {
  Namespace: string;
  MetricData: MetricDatum[];
}

/** A row of `run_metrics`. */
export interface MetricRow {
  metric_name: string;
  file: string;
  reason: string | null;
  unit: MetricDatum["Unit"];
  value: number;
}

/** The datum of one `run_metrics` row, with the Pipeline, File and (if any) Reason dimensions. */
export function metricDatum(pipeline: string, row: MetricRow): MetricDatum {
  const dims: MetricDatum["Dimensions"] = [
    { Name: METRIC_DIMENSIONS.pipeline, Value: pipeline },
    { Name: METRIC_DIMENSIONS.file, Value: row.file },
  ];
  if (row.reason !== null) dims.push({ Name: METRIC_DIMENSIONS.reason, Value: row.reason });
  return { MetricName: row.metric_name, Dimensions: dims, Unit: row.unit, Value: row.value };
}

/** The job's duration datum (seconds, one decimal). */
export function durationDatum(pipeline: string, ms: number): MetricDatum {
  return {
    MetricName: RUN_METRICS.jobDuration,
    Dimensions: [
      { Name: METRIC_DIMENSIONS.pipeline, Value: pipeline },
      { Name: METRIC_DIMENSIONS.file, Value: "all" },
    ],
    Unit: "Seconds",
    Value: Math.round(ms / 100) / 10,
  };
}

/**
 * The PutMetricData requests for `datums`: at most {@link MAX_DATUMS_PER_REQUEST} each.
 * @throws Error for a datum PutMetricData would refuse (no name, more than 30 dimensions, a
 *   non-finite value, an empty dimension value).
 */
export function putMetricDataRequests(
  datums: readonly MetricDatum[],
  namespace: string = METRICS_NAMESPACE,
): PutMetricDataRequest[] {
  for (const d of datums) {
    const bad =
      d.MetricName === "" ||
      d.Dimensions.length > 30 ||
      !Number.isFinite(d.Value) ||
      d.Dimensions.some((x) => x.Name === "" || x.Value === "" || x.Value.length > 1024);
    if (bad) {
      throw new Error(
        `Metric datum must have a name, 1-30 dimensions with non-empty values and a finite ` +
          `value; found ${JSON.stringify(d)}.`,
      );
    }
  }
  const requests: PutMetricDataRequest[] = [];
  for (let i = 0; i < datums.length; i += MAX_DATUMS_PER_REQUEST) {
    requests.push({
      Namespace: namespace,
      MetricData: datums.slice(i, i + MAX_DATUMS_PER_REQUEST),
    });
  }
  return requests;
}
