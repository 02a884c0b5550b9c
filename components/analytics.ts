import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { MIN_ATHENA_CUTOFF_BYTES } from "../lib/config";
import { type Query, loadQueries } from "../lib/queries";

/** Key prefix the workgroup writes query results under, in the athena-results bucket. */
export const RESULTS_PREFIX = "results/";

/** Athena engine the workgroup pins (Trino based; the queries are written for it). */
export const ATHENA_ENGINE_VERSION = "Athena engine version 3";

/** Default per-query bytes-scanned cutoff: 1 GiB. */
export const DEFAULT_BYTES_SCANNED_CUTOFF = 1024 ** 3;

const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;

/** Arguments of {@link Analytics}. */
export interface AnalyticsArgs {
  /** AWS account id that owns the results bucket (`expectedBucketOwner`). */
  accountId: pulumi.Input<string>;
  /** Glue database the named queries run against (it holds the gold table `tracks`). */
  databaseName: pulumi.Input<string>;
  /** Name of the athena-results bucket; results go under `results/`. */
  resultsBucketName: pulumi.Input<string>;
  /** ARN of the pipeline key: query results are encrypted with it (SSE_KMS). */
  keyArn: pulumi.Input<string>;
  /**
   * Per-query bytes-scanned cutoff; a query that would scan more is cancelled.
   * @default 1073741824 (1 GiB)
   * @see https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html
   */
  bytesScannedCutoffPerQuery?: number;
  /**
   * Let `pulumi destroy` delete the workgroup with its named queries and query history.
   * @default false
   */
  forceDestroy?: boolean;
  /**
   * The queries deployed as named queries, one per file.
   * @default loadQueries() (every `queries/*.sql`)
   */
  queries?: Query[];
}

/**
 * Athena for the stack: one workgroup that enforces its configuration (engine version 3, results
 * in `s3://<athena-results>/results/` encrypted with the pipeline key, a bytes-scanned cutoff,
 * CloudWatch metrics), and every query file deployed as a named query in it, byte for byte.
 *
 * @see https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html
 */
export class Analytics extends pulumi.ComponentResource {
  /** The workgroup. */
  readonly workgroup: aws.athena.Workgroup;
  /** Name of the workgroup (stack output `workgroupName`). */
  readonly workgroupName: pulumi.Output<string>;
  /** ARN of the workgroup. */
  readonly workgroupArn: pulumi.Output<string>;
  /** The Glue database the named queries use. */
  readonly databaseName: pulumi.Output<string>;
  /** Where query results land, `s3://<bucket>/results/`. */
  readonly resultsLocation: pulumi.Output<string>;
  /** The named queries, by query name (file name without `.sql`). */
  readonly namedQueries: Record<string, aws.athena.NamedQuery>;
  /** Named query ids by query name (stack output). */
  readonly namedQueryIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:analytics:Analytics", name, {}, opts);

    const cutoff = args.bytesScannedCutoffPerQuery ?? DEFAULT_BYTES_SCANNED_CUTOFF;
    const queries = args.queries ?? loadQueries();

    const problems: string[] = [];
    if (!WORKGROUP_NAME.test(name)) {
      problems.push(
        `name: got ${JSON.stringify(name)}; expected 1-128 letters, digits, ".", "_" or "-" (it becomes the workgroup name).`,
      );
    }
    if (!Number.isInteger(cutoff) || cutoff < MIN_ATHENA_CUTOFF_BYTES) {
      problems.push(
        `bytesScannedCutoffPerQuery: got ${cutoff}; expected a whole number of bytes, at least ${MIN_ATHENA_CUTOFF_BYTES} (10 MiB, Athena's minimum).`,
      );
    }
    if (queries.length === 0) {
      problems.push("queries: got an empty list; expected at least one query (queries/*.sql).");
    }
    const dupes = queries.map((q) => q.name).filter((n, i, all) => all.indexOf(n) !== i);
    if (dupes.length > 0) {
      problems.push(
        `queries: got the name ${JSON.stringify(dupes[0])} more than once; expected each query name once (one file per query).`,
      );
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`Analytics "${name}": ${problems.join(" ")}`, this);
    }

    this.resultsLocation = pulumi.interpolate`s3://${args.resultsBucketName}/${RESULTS_PREFIX}`;

    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name,
        description: `spotify-pipeline ${name}: queries over the gold tables`,
        forceDestroy: args.forceDestroy ?? false,
        configuration: {
          enforceWorkgroupConfiguration: true,
          engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
          bytesScannedCutoffPerQuery: cutoff,
          publishCloudwatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: this.resultsLocation,
            expectedBucketOwner: args.accountId,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.keyArn },
          },
        },
      },
      { parent: this },
    );
    this.workgroupName = this.workgroup.name;
    this.workgroupArn = this.workgroup.arn;
    this.databaseName = pulumi.output(args.databaseName);

    const named: Record<string, aws.athena.NamedQuery> = {};
    for (const q of queries) {
      named[q.name] = new aws.athena.NamedQuery(
        `${name}-${q.name}`,
        {
          name: q.title,
          description: q.answers,
          database: args.databaseName,
          workgroup: this.workgroup.name,
          // The file's exact text, header comment included: what runs locally runs in Athena.
          query: q.sql,
        },
        { parent: this },
      );
    }
    this.namedQueries = named;
    const names = Object.keys(named);
    this.namedQueryIds = pulumi
      .all(names.map((n) => named[n]!.id))
      .apply((ids) => Object.fromEntries(names.map((n, i) => [n, ids[i]!])));

    this.registerOutputs({
      workgroupName: this.workgroupName,
      workgroupArn: this.workgroupArn,
      databaseName: this.databaseName,
      resultsLocation: this.resultsLocation,
      namedQueryIds: this.namedQueryIds,
    });
  }
}
