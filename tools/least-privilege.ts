/**
 * Least privilege, proven: for every IAM role the program creates, the requests its service really
 * makes (which must be allowed) and the requests it must never be able to make (which must be
 * denied), evaluated with a real IAM policy simulator (`@cloud-copilot/iam-simulate`) over the
 * role's actual policy documents, taken from the synthesized graph, together with the resource
 * policies that apply (bucket policies, the pipeline key's policy, the topic policy, the role's
 * trust policy).
 *
 * The tables are data: ARNs and context values are templates over {@link FactName placeholders}
 * such as `{staging}` (the staging bucket's name) that {@link factsOf} reads from the graph, so the
 * same rows run against every stack and read well in `docs/least-privilege.md`.
 *
 * Licensing: `@cloud-copilot/iam-simulate` is AGPL-3.0. It is a devDependency and only
 * `test/least-privilege.test.ts` and `scripts/least-privilege-doc.ts` import this module; the
 * deployed program (`index.ts`, `components/`) never does (a test checks its import closure).
 */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  type RequestAnalysis,
  type Simulation,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
} from "@cloud-copilot/iam-simulate";

import { documentsOf, parsePolicyDocument } from "../policy/iam";
import { partitionOf } from "../lib/iam/document";
import { type Graph, type GraphResource, MOCK_ACCOUNT, mockOutputs } from "./synth";

// ------------------------------------------------------------------------------------------------
// Facts: the names and ARNs the tables refer to, read from the graph
// ------------------------------------------------------------------------------------------------

/** What each placeholder of a table stands for (the doc's legend). */
export const FACT_DESCRIPTIONS = {
  partition: "ARN partition of the stack's region",
  region: "the stack's region",
  account: "the account the stack deploys to (the offline synthesis's mock account)",
  otherAccount: "an unrelated AWS account",
  staging: "staging (bronze) bucket name",
  processed: "processed (silver, quarantine, run summaries) bucket name",
  datawarehouse: "datawarehouse (gold) bucket name",
  athenaResults: "Athena results bucket name",
  assets: "assets bucket name (Glue script, SQL, contract)",
  accessLogs: "S3 server access log bucket name",
  key: "ARN of the pipeline's KMS key",
  job: "Glue job name",
  scriptKey: "key of the job's script in the assets bucket (from the job's scriptLocation)",
  assetsDir: "the folder of the job's script in the assets bucket, with a trailing slash",
  crawler: "Glue crawler name",
  database: "Glue Data Catalog database name",
  topic: "ARN of the notification topic",
  stateMachine: "ARN of the pipeline's state machine",
  stateMachineName: "name of the pipeline's state machine",
  markerRule: "ARN of the EventBridge rule that starts a run when a batch's _READY marker lands",
  scheduleRule: "ARN of the EventBridge rule that starts scheduled runs (stacks with a schedule)",
  workgroup: "Athena workgroup name",
  resultsPrefix: "key prefix of Athena results in the results bucket (from the workgroup)",
  vpc: "VPC id of the Glue job (stacks with networkIsolation)",
  subnet: "subnet id of the Glue job's NETWORK connection (stacks with networkIsolation)",
  securityGroup: "security group id of the Glue job (stacks with networkIsolation)",
  connection: "name of the Glue job's NETWORK connection (stacks with networkIsolation)",
  dashboard: "QuickSight dashboard id (stacks with quicksight.enabled)",
  catalogKey: "ARN of the key encrypting the Data Catalog (stacks with dataCatalogEncryption)",
  role: "ARN of the role under test",
} as const;

/** A placeholder name usable as `{name}` in a table's templates. */
export type FactName = keyof typeof FACT_DESCRIPTIONS;

/** Values of the placeholders for one synthesized stack. Optional features leave theirs unset. */
export type Facts = { [K in FactName]?: string };

/** An account that has nothing to do with the stack (cross-account rows). */
export const OTHER_ACCOUNT = "210987654321";

const T = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  key: "aws:kms/key:Key",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  job: "aws:glue/job:Job",
  connection: "aws:glue/connection:Connection",
  catalogEncryption: "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
  workgroup: "aws:athena/workgroup:Workgroup",
} as const;

function str(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new Error(
      `${what} must be a non-empty string in the synthesized graph; found ${JSON.stringify(value)}. Synthesize without preview (unknown values cannot be simulated).`,
    );
  }
  return value;
}

function onlyOne(found: GraphResource[], what: string): GraphResource | undefined {
  if (found.length > 1) {
    throw new Error(
      `expected at most one ${what} in the graph, found ${found.length}: ${found.map((r) => r.name).join(", ")}; teach factsOf() in tools/least-privilege.ts which one the tables mean.`,
    );
  }
  return found[0];
}

/** `s3://bucket/key` -> `{ bucket, key }`. */
function splitS3Uri(uri: string, what: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`${what} must be an s3://bucket/key URI; found ${JSON.stringify(uri)}.`);
  return { bucket: m[1]!, key: m[2]! };
}

/** The ARN the offline synthesis gave a resource (see `mockOutputs` in tools/synth.ts). */
export function arnOf(r: GraphResource, region: string): string {
  return str(mockOutputs(r.type, r.name, r.inputs, region).state.arn, `ARN of ${r.type} ${r.name}`);
}

/** The id the offline synthesis gave a resource. */
function idOf(r: GraphResource, region: string): string {
  return mockOutputs(r.type, r.name, r.inputs, region).id;
}

/**
 * Reads the placeholders' values from a synthesized (non-preview) graph: the program's stack
 * outputs (bucket names, key, job, crawler, database, topic, state machine, workgroup), and from
 * resources where no output carries the fact (the job's script location, the workgroup's results
 * prefix, the rules that target the state machine, the job's network).
 * @throws Error naming the missing output or resource.
 */
export function factsOf(graph: Graph): Facts {
  if (graph.preview) {
    throw new Error(
      "factsOf needs a graph synthesized without preview: unknown values cannot be simulated.",
    );
  }
  const o = graph.outputs;
  const region = str(o.region, "stack output region");
  const buckets = (o.bucketNames ?? {}) as Record<string, unknown>;
  const bucket = (purpose: string) => str(buckets[purpose], `stack output bucketNames.${purpose}`);
  const facts: Facts = {
    partition: partitionOf(region),
    region,
    account: MOCK_ACCOUNT,
    otherAccount: OTHER_ACCOUNT,
    staging: bucket("staging"),
    processed: bucket("processed"),
    datawarehouse: bucket("datawarehouse"),
    athenaResults: bucket("athena-results"),
    assets: bucket("assets"),
    accessLogs: bucket("access-logs"),
    key: str(o.keyArn, "stack output keyArn"),
    job: str(o.glueJobName, "stack output glueJobName"),
    crawler: str(o.glueCrawlerName, "stack output glueCrawlerName"),
    database: str(o.glueDatabaseName, "stack output glueDatabaseName"),
    topic: str(o.notificationTopicArn, "stack output notificationTopicArn"),
    stateMachine: str(o.stateMachineArn, "stack output stateMachineArn"),
    workgroup: str(o.workgroupName, "stack output workgroupName"),
  };
  facts.stateMachineName = facts.stateMachine!.split(":").pop();
  if (o.dashboardId !== undefined) facts.dashboard = str(o.dashboardId, "stack output dashboardId");

  // The job's script: what the job reads at start (and its folder: SQL files and the contract).
  const job = onlyOne(
    graph.resources.filter((r) => r.type === T.job),
    "Glue job",
  );
  if (!job) throw new Error("the graph has no Glue job (aws:glue/job:Job).");
  const command = (job.inputs.command ?? {}) as Record<string, unknown>;
  const script = splitS3Uri(
    str(command.scriptLocation, "Glue job command.scriptLocation"),
    "job script",
  );
  if (script.bucket !== facts.assets) {
    throw new Error(
      `the Glue job's script lives in bucket ${script.bucket}, not in the assets bucket ${facts.assets}; update the glue-job table.`,
    );
  }
  facts.scriptKey = script.key;
  facts.assetsDir = script.key.slice(0, script.key.lastIndexOf("/") + 1);

  // The workgroup's enforced results location.
  const workgroup = onlyOne(
    graph.resources.filter((r) => r.type === T.workgroup),
    "Athena workgroup",
  );
  const results = (
    (workgroup?.inputs.configuration as Record<string, unknown> | undefined)
      ?.resultConfiguration as Record<string, unknown> | undefined
  )?.outputLocation;
  facts.resultsPrefix = splitS3Uri(
    str(results, "workgroup resultConfiguration.outputLocation"),
    "results location",
  ).key;

  // Rules that start the state machine: the marker rule transforms the event; the schedule sends a
  // fixed input.
  const ruleArn = (t: GraphResource) =>
    `arn:${facts.partition}:events:${region}:${MOCK_ACCOUNT}:rule/${str(t.inputs.rule, `rule of event target ${t.name}`)}`;
  const targets = graph.resources.filter(
    (r) => r.type === T.eventTarget && r.inputs.arn === facts.stateMachine,
  );
  const marker = onlyOne(
    targets.filter((t) => t.inputs.inputTransformer !== undefined),
    "event target that starts the state machine from the marker event",
  );
  if (!marker)
    throw new Error("no EventBridge target starts the state machine from the marker event.");
  facts.markerRule = ruleArn(marker);
  const schedule = onlyOne(
    targets.filter((t) => t.inputs.input !== undefined),
    "event target that starts the state machine on a schedule",
  );
  if (schedule) facts.scheduleRule = ruleArn(schedule);

  // The job's network (networkIsolation): its NETWORK connection's subnet and security group.
  const connections = job.inputs.connections as string[] | undefined;
  if (connections && connections.length > 0) {
    const name = str(connections[0], "Glue job connections[0]");
    const conn = onlyOne(
      graph.resources.filter(
        (r) =>
          r.type === T.connection &&
          mockOutputs(r.type, r.name, r.inputs, region).state.name === name,
      ),
      `Glue connection ${name}`,
    );
    if (!conn) throw new Error(`the Glue job uses connection ${name}, which is not in the graph.`);
    const req = (conn.inputs.physicalConnectionRequirements ?? {}) as Record<string, unknown>;
    const sgId = str(
      (req.securityGroupIdLists as string[] | undefined)?.[0],
      "connection security group",
    );
    const sg = onlyOne(
      graph.resources.filter((r) => r.type === T.securityGroup && idOf(r, region) === sgId),
      `security group ${sgId}`,
    );
    facts.connection = name;
    facts.subnet = str(req.subnetId, "connection subnetId");
    facts.securityGroup = sgId;
    facts.vpc = str(sg?.inputs.vpcId, `vpcId of security group ${sgId}`);
  }

  // Data Catalog encryption (dataCatalogEncryption): the key readers of the catalog decrypt with.
  const catalog = onlyOne(
    graph.resources.filter((r) => r.type === T.catalogEncryption),
    "Data Catalog encryption settings",
  );
  if (catalog) {
    const settings = (catalog.inputs.dataCatalogEncryptionSettings ?? {}) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    facts.catalogKey = str(
      settings.encryptionAtRest?.sseAwsKmsKeyId,
      "dataCatalogEncryptionSettings.encryptionAtRest.sseAwsKmsKeyId",
    );
  }
  return facts;
}

/**
 * Replaces every `{fact}` in a template with its value.
 * @throws Error naming the placeholder when the fact is unknown or unset for this stack.
 */
export function resolve(template: string, facts: Facts): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    if (!(name in FACT_DESCRIPTIONS)) {
      throw new Error(
        `unknown placeholder {${name}} in ${JSON.stringify(template)}; known: ${Object.keys(FACT_DESCRIPTIONS).join(", ")}.`,
      );
    }
    const value = facts[name as FactName];
    if (value === undefined) {
      throw new Error(
        `placeholder {${name}} in ${JSON.stringify(template)} has no value in this stack; give the row \`when: "${name}"\` or fix factsOf().`,
      );
    }
    return value;
  });
}

// ------------------------------------------------------------------------------------------------
// The tables
// ------------------------------------------------------------------------------------------------

/** The simulator's decision. */
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/**
 * A decisive statement, `<policy>:<Sid>`, where policy is `identity` (the role's own policies),
 * `trust` (its trust policy), `bucket-policy`, `key-policy` or `topic-policy`.
 */
export type Reason =
  `${"identity" | "trust" | "bucket-policy" | "key-policy" | "topic-policy"}:${string}`;

/** One request of a table; strings are templates over {@link FactName placeholders}. */
export interface Request {
  /** `service:Action`, e.g. `s3:GetObject`. */
  action: string;
  /** Resource ARN, or `*` for actions without a resource type. */
  resource: string;
  /** Request context keys (besides the defaults every request of the role carries). */
  context?: Record<string, string | string[]>;
  /**
   * Who makes the request. @default the role's session. Trust rows name the service principal
   * that assumes the role (`sts:AssumeRole` on `{role}`).
   */
  principal?: string;
  /** Account owning the resource. @default "{account}" */
  resourceAccount?: string;
  /** The decision the row demands. */
  expect: Decision;
  /**
   * The statement that decides it: the granting statement of an allowed row, the denying one of
   * an explicit deny. Required for both; absent for implicit denies.
   */
  by?: Reason;
  /**
   * Only in stacks where these facts exist (e.g. `subnet`: networkIsolation; `scheduleRule`; a
   * list: all of them).
   */
  when?: FactName | readonly FactName[];
  /** Why the service makes (or must not be able to make) this request. */
  why: string;
  /**
   * A known gap between what the role should allow and what its policy allows. The row keeps the
   * decision it should get in `expect`; the test asserts the simulated decision is `actual` until
   * the policy is fixed (then it fails, asking to drop this field).
   */
  finding?: { actual: Decision; fix: string };
}

/** Identifies a role of the program and lists its requests. */
export interface RoleTable {
  /** Stable id, e.g. `glue-job`. */
  id: string;
  /** Human title, e.g. "Glue job role". */
  title: string;
  /** Type token of the component that creates the role. */
  component: string;
  /** The role's logical name is the component's name plus this suffix. */
  suffix: string;
  /** Role session name in the role's requests (as the service names its sessions). */
  session: string;
  /** Only in stacks where this fact exists. */
  when?: FactName | readonly FactName[];
  /** What its service really does: every row must be Allowed. */
  allowed: Request[];
  /** What it must not be able to do: every row must be denied. */
  denied: Request[];
}

const S3 = "arn:{partition}:s3:::";
const GLUE = "arn:{partition}:glue:{region}:{account}";
const LOGS = "arn:{partition}:logs:{region}:{account}:log-group:";
const EC2 = "arn:{partition}:ec2:{region}:{account}";
const OTHER_KEY = "arn:{partition}:kms:{region}:{account}:key/00000000-0000-4000-8000-000000000000";
const BATCH = "incoming/2024-06-01/";
const RUN = "run-2024-06-01";
const viaS3 = { "kms:ViaService": "s3.{region}.amazonaws.com" };
const viaSns = { "kms:ViaService": "sns.{region}.amazonaws.com" };
const viaGlue = { "kms:ViaService": "glue.{region}.amazonaws.com" };
const noTls = { "aws:SecureTransport": "false" };

/** Requests every role must be denied: IAM changes (privilege escalation). */
function iamDenied(): Request[] {
  return [
    {
      action: "iam:PassRole",
      resource: "{role}",
      expect: "ImplicitlyDenied",
      why: "cannot hand its own role to another service (escalation path)",
    },
    {
      action: "iam:CreateRole",
      resource: "arn:{partition}:iam::{account}:role/escalate",
      expect: "ImplicitlyDenied",
      why: "cannot create roles",
    },
    {
      action: "iam:PutRolePolicy",
      resource: "{role}",
      expect: "ImplicitlyDenied",
      why: "cannot widen its own permissions",
    },
  ];
}

/** Trust rows: the service assumes the role for this account; nobody else does. */
function trustRows(
  service: string,
  sid: string,
  context: Record<string, string>,
  otherContext: Record<string, string>,
  when?: FactName,
): { allowed: Request[]; denied: Request[] } {
  const base = { action: "sts:AssumeRole", resource: "{role}" };
  return {
    allowed: [
      {
        ...base,
        principal: service,
        context,
        expect: "Allowed",
        by: `trust:${sid}`,
        why: `${service} assumes the role on behalf of this stack`,
        ...(when ? { when } : {}),
      },
    ],
    denied: [
      {
        ...base,
        principal: service,
        context: otherContext,
        expect: "ImplicitlyDenied",
        why: `${service} acting for another account or resource cannot assume it (confused deputy)`,
      },
      {
        ...base,
        principal: "lambda.amazonaws.com",
        context: { "aws:SourceAccount": "{account}" },
        expect: "ImplicitlyDenied",
        why: "no other service principal is trusted",
      },
    ],
  };
}

const glueTrust = trustRows(
  "glue.amazonaws.com",
  "GlueAssumesRole",
  { "aws:SourceAccount": "{account}" },
  { "aws:SourceAccount": "{otherAccount}" },
);

/** The Glue job: reads a batch and its code, overwrites silver, quarantine, summary and gold. */
export const GLUE_JOB: RoleTable = {
  id: "glue-job",
  title: "Glue job role",
  component: "spotify-pipeline:etl:GlueEtl",
  suffix: "-job-role",
  session: "GlueJobRunnerSession",
  allowed: [
    ...glueTrust.allowed,
    ...["albums.csv", "artists.csv", "tracks.csv"].map((file): Request => ({
      action: "s3:GetObject",
      resource: `${S3}{staging}/${BATCH}${file}`,
      expect: "Allowed",
      by: "identity:ReadInputBatches",
      why: `reads the batch's ${file} (--input_path)`,
    })),
    {
      action: "s3:ListBucket",
      resource: `${S3}{staging}`,
      context: { "s3:prefix": BATCH },
      expect: "Allowed",
      by: "identity:ListInputBatches",
      why: "Spark lists the batch prefix",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{assets}/{scriptKey}`,
      expect: "Allowed",
      by: "identity:ReadJobAssets",
      why: "Glue downloads the job script",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{assets}/{assetsDir}contract.json`,
      expect: "Allowed",
      by: "identity:ReadJobAssets",
      why: "--extra-files: the dataset contract next to the script",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{assets}`,
      context: { "s3:prefix": "{assetsDir}" },
      expect: "Allowed",
      by: "identity:ListJobAssets",
      why: "lists the script's folder",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "writes silver Parquet",
    },
    {
      action: "s3:DeleteObject",
      resource: `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "full refresh: overwrite deletes the previous silver files",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/silver/artists/part-00000.snappy.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "reads back what it wrote (joins over silver)",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{processed}/quarantine/albums/part-00000.snappy.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "writes rejected rows to quarantine",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{processed}/runs/${RUN}/summary.json`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "writes the run summary the state machine reads",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "writes the gold tracks table",
    },
    {
      action: "s3:DeleteObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "full refresh of gold",
    },
    {
      action: "s3:AbortMultipartUpload",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "Allowed",
      by: "identity:OverwriteOutputs",
      why: "cleans up failed multipart writes",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{processed}`,
      context: { "s3:prefix": "silver/albums/" },
      expect: "Allowed",
      by: "identity:ListOutputs0",
      why: "Spark lists an output prefix before overwriting it",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{datawarehouse}`,
      context: { "s3:prefix": "tracks/" },
      expect: "Allowed",
      by: "identity:ListOutputs1",
      why: "Spark lists the gold prefix before overwriting it",
    },
    {
      action: "s3:GetBucketLocation",
      resource: `${S3}{staging}`,
      expect: "Allowed",
      by: "identity:LocateBuckets",
      why: "the S3 client resolves the bucket's region",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{staging}` },
      expect: "Allowed",
      by: "identity:UseKeyThroughS3",
      why: "S3 decrypts the SSE-KMS input for the job",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{datawarehouse}` },
      expect: "Allowed",
      by: "identity:UseKeyThroughS3",
      why: "S3 encrypts the job's outputs with the key",
    },
    {
      action: "logs:CreateLogGroup",
      resource: `${LOGS}/aws-glue/jobs/output`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "Glue 5 logs to /aws-glue/jobs/output",
    },
    {
      action: "logs:CreateLogStream",
      resource: `${LOGS}/aws-glue/jobs/output:log-stream:jr_0123456789abcdef`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "one stream per job run",
    },
    {
      action: "logs:PutLogEvents",
      resource: `${LOGS}/aws-glue/jobs/error:log-stream:jr_0123456789abcdef`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "driver and executor logs",
    },
    {
      action: "logs:AssociateKmsKey",
      resource: `${LOGS}/aws-glue/jobs/output`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "the security configuration encrypts the job's logs with the key",
    },
    {
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": "Glue" },
      expect: "Allowed",
      by: "identity:PutGlueMetrics",
      why: "--enable-metrics and observability metrics",
    },
    {
      action: "ec2:DescribeSubnets",
      resource: "*",
      context: { "aws:RequestedRegion": "{region}" },
      expect: "Allowed",
      by: "identity:DescribeNetwork",
      when: "subnet",
      why: "Glue inspects the connection's subnet",
    },
    {
      action: "ec2:DescribeVpcEndpoints",
      resource: "*",
      context: { "aws:RequestedRegion": "{region}" },
      expect: "Allowed",
      by: "identity:DescribeNetwork",
      when: "subnet",
      why: "Glue checks the S3 gateway endpoint of the isolated VPC",
    },
    {
      action: "ec2:DescribeVpcAttribute",
      resource: `${EC2}:vpc/{vpc}`,
      expect: "Allowed",
      by: "identity:DescribeJobVpc",
      when: "vpc",
      why: "Glue checks DNS support of the job's VPC",
    },
    {
      action: "ec2:CreateNetworkInterface",
      resource: `${EC2}:subnet/{subnet}`,
      expect: "Allowed",
      by: "identity:CreateJobNetworkInterfaces",
      when: "subnet",
      why: "the job's ENIs go into the connection's subnet",
    },
    {
      action: "ec2:CreateNetworkInterface",
      resource: `${EC2}:security-group/{securityGroup}`,
      expect: "Allowed",
      by: "identity:CreateJobNetworkInterfaces",
      when: "securityGroup",
      why: "with the job's security group",
    },
    {
      action: "ec2:CreateNetworkInterface",
      resource: `${EC2}:network-interface/*`,
      expect: "Allowed",
      by: "identity:CreateJobNetworkInterfaces",
      when: "subnet",
      why: "the new ENI itself",
    },
    {
      action: "ec2:CreateTags",
      resource: `${EC2}:network-interface/eni-0123456789abcdef0`,
      context: { "aws:TagKeys": ["aws-glue-service-resource"] },
      expect: "Allowed",
      by: "identity:TagJobNetworkInterfaces",
      when: "subnet",
      why: "Glue tags the ENIs it creates",
    },
    {
      action: "ec2:DeleteNetworkInterface",
      resource: `${EC2}:network-interface/eni-0123456789abcdef0`,
      context: { "ec2:Vpc": `${EC2}:vpc/{vpc}` },
      expect: "Allowed",
      by: "identity:DeleteJobNetworkInterfaces",
      when: "vpc",
      why: "Glue removes the job's ENIs after the run",
    },
    {
      action: "glue:GetConnection",
      resource: `${GLUE}:connection/{connection}`,
      expect: "Allowed",
      by: "identity:ReadJobConnection",
      when: "connection",
      why: "Glue reads the job's NETWORK connection",
    },
    {
      action: "kms:Decrypt",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "Allowed",
      by: "identity:ReadEncryptedConnection",
      when: ["connection", "catalogKey"],
      why: "the connection is encrypted in the catalog",
    },
  ],
  denied: [
    ...glueTrust.denied,
    {
      action: "s3:PutObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      expect: "ImplicitlyDenied",
      why: "never writes the raw input (bronze is immutable to the job)",
    },
    {
      action: "s3:DeleteObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      expect: "ImplicitlyDenied",
      why: "never deletes the raw input",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{staging}/exports/albums.csv`,
      expect: "ImplicitlyDenied",
      why: "reads only under incoming/",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{staging}`,
      context: { "s3:prefix": "" },
      expect: "ImplicitlyDenied",
      why: "cannot list the whole staging bucket",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{assets}/{scriptKey}`,
      expect: "ImplicitlyDenied",
      why: "cannot rewrite its own code",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{processed}/silver_backup/albums/part-00000.snappy.parquet`,
      expect: "ImplicitlyDenied",
      why: "a sibling prefix of silver/ is not the job's output",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/tracks_by_artist/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "a future gold table next to tracks/ is not the job's output",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/albums/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "writes only the tracks table in gold",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{accessLogs}/logs/2024-06-01-00-00-00-0123456789ABCDEF`,
      expect: "ImplicitlyDenied",
      why: "no access to the audit logs",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{athenaResults}/{resultsPrefix}0123.csv`,
      expect: "ImplicitlyDenied",
      why: "no access to other users' query results",
    },
    {
      action: "s3:DeleteBucket",
      resource: `${S3}{processed}`,
      expect: "ImplicitlyDenied",
      why: "cannot delete buckets",
    },
    {
      action: "s3:PutBucketPolicy",
      resource: `${S3}{datawarehouse}`,
      expect: "ImplicitlyDenied",
      why: "cannot change bucket policies",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "bucket-policy:DenyInsecureTransport",
      why: "the bucket policy refuses plain HTTP",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "bucket-policy:DenyInsecureTransport",
      why: "the bucket policy refuses plain HTTP",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}partner-exports/${BATCH}albums.csv`,
      resourceAccount: "{otherAccount}",
      expect: "ImplicitlyDenied",
      why: "no access to another account's bucket",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      expect: "ImplicitlyDenied",
      why: "uses the key only through S3, never directly",
    },
    {
      action: "kms:Decrypt",
      resource: OTHER_KEY,
      context: viaS3,
      expect: "ImplicitlyDenied",
      why: "no other key of the account",
    },
    {
      action: "kms:Decrypt",
      resource:
        "arn:{partition}:kms:{region}:{otherAccount}:key/00000000-0000-4000-8000-000000000000",
      resourceAccount: "{otherAccount}",
      context: viaS3,
      expect: "ImplicitlyDenied",
      why: "no key of another account",
    },
    {
      action: "kms:ScheduleKeyDeletion",
      resource: "{key}",
      expect: "ImplicitlyDenied",
      why: "cannot manage the key",
    },
    {
      action: "logs:PutLogEvents",
      resource: `${LOGS}/aws/lambda/other:log-stream:x`,
      expect: "ImplicitlyDenied",
      why: "writes logs only under /aws-glue/",
    },
    {
      action: "logs:DeleteLogGroup",
      resource: `${LOGS}/aws-glue/jobs/output`,
      expect: "ImplicitlyDenied",
      why: "cannot delete its own logs",
    },
    {
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": "AWS/Billing" },
      expect: "ImplicitlyDenied",
      why: "metrics only in the Glue namespace",
    },
    {
      action: "glue:StartJobRun",
      resource: `${GLUE}:job/{job}`,
      expect: "ImplicitlyDenied",
      why: "cannot start runs (only the state machine does)",
    },
    {
      action: "glue:UpdateJob",
      resource: `${GLUE}:job/{job}`,
      expect: "ImplicitlyDenied",
      why: "cannot change its own job definition",
    },
    {
      action: "glue:CreateTable",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "ImplicitlyDenied",
      why: "writes S3 paths, not catalog tables (the crawler does)",
    },
    {
      action: "sns:Publish",
      resource: "{topic}",
      expect: "ExplicitlyDenied",
      by: "topic-policy:DenyPublishByOtherPrincipals",
      why: "only the state machine's role publishes run notifications",
    },
    {
      action: "states:StartExecution",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "cannot start pipeline runs",
    },
    {
      action: "ec2:CreateNetworkInterface",
      resource: `${EC2}:subnet/subnet-0ffffffffffffffff`,
      expect: "ImplicitlyDenied",
      when: "subnet",
      why: "ENIs only in the connection's subnet",
    },
    {
      action: "ec2:CreateNetworkInterface",
      resource: `${EC2}:security-group/sg-0ffffffffffffffff`,
      expect: "ImplicitlyDenied",
      when: "subnet",
      why: "ENIs only with the job's security group",
    },
    {
      action: "ec2:DeleteNetworkInterface",
      resource: `${EC2}:network-interface/eni-0ffffffffffffffff`,
      context: { "ec2:Vpc": `${EC2}:vpc/vpc-0ffffffffffffffff` },
      expect: "ImplicitlyDenied",
      when: "vpc",
      why: "cannot delete network interfaces of other VPCs",
    },
    {
      action: "ec2:CreateTags",
      resource: `${EC2}:network-interface/eni-0123456789abcdef0`,
      context: { "aws:TagKeys": ["Name"] },
      expect: "ImplicitlyDenied",
      when: "subnet",
      why: "tags only Glue's own marker",
    },
    {
      action: "ec2:DescribeSubnets",
      resource: "*",
      context: { "aws:RequestedRegion": "us-east-1" },
      expect: "ImplicitlyDenied",
      when: "subnet",
      why: "describes the network of its own region only",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "ImplicitlyDenied",
      when: "catalogKey",
      why: "never writes encrypted catalog metadata",
    },
    {
      action: "glue:GetConnection",
      resource: `${GLUE}:connection/other-connection`,
      expect: "ImplicitlyDenied",
      when: "connection",
      why: "reads only its own connection (others may hold credentials)",
    },
    ...iamDenied(),
  ],
};

/** The crawler: reads the gold prefix and keeps its table in the catalog up to date. */
export const GLUE_CRAWLER: RoleTable = {
  id: "glue-crawler",
  title: "Glue crawler role",
  component: "spotify-pipeline:etl:GlueEtl",
  suffix: "-crawler-role",
  session: "AWS-Crawler",
  allowed: [
    ...glueTrust.allowed,
    {
      action: "s3:GetObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "Allowed",
      by: "identity:ReadCrawledObjects",
      why: "reads the gold files' schema",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{datawarehouse}`,
      context: { "s3:prefix": "tracks/" },
      expect: "Allowed",
      by: "identity:ListCrawledPrefix",
      why: "lists the crawled prefix",
    },
    {
      action: "s3:GetBucketLocation",
      resource: `${S3}{datawarehouse}`,
      expect: "Allowed",
      by: "identity:LocateCrawledBucket",
      why: "resolves the bucket's region",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{datawarehouse}` },
      expect: "Allowed",
      by: "identity:DecryptThroughS3",
      why: "S3 decrypts the SSE-KMS gold files",
    },
    {
      action: "glue:GetDatabase",
      resource: `${GLUE}:database/{database}`,
      expect: "Allowed",
      by: "identity:UpdateCatalogTables",
      why: "checks its target database",
    },
    ...(["catalog", "database/{database}", "table/{database}/tracks"] as const).map(
      (r): Request => ({
        action: "glue:CreateTable",
        resource: `${GLUE}:${r}`,
        expect: "Allowed",
        by: "identity:UpdateCatalogTables",
        why: "creates the tracks table (Glue authorizes catalog, database and table)",
      }),
    ),
    {
      action: "glue:UpdateTable",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "Allowed",
      by: "identity:UpdateCatalogTables",
      why: "UPDATE_IN_DATABASE and DEPRECATE_IN_DATABASE",
    },
    {
      action: "glue:BatchCreatePartition",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "Allowed",
      by: "identity:UpdateCatalogTables",
      why: "adds partitions when the layout has them",
    },
    {
      action: "logs:CreateLogStream",
      resource: `${LOGS}/aws-glue/crawlers:log-stream:{crawler}`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "crawler logs",
    },
    {
      action: "logs:PutLogEvents",
      resource: `${LOGS}/aws-glue/crawlers:log-stream:{crawler}`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "crawler logs",
    },
    {
      action: "logs:AssociateKmsKey",
      resource: `${LOGS}/aws-glue/crawlers`,
      expect: "Allowed",
      by: "identity:WriteGlueLogs",
      why: "the security configuration encrypts crawler logs",
    },
    {
      action: "kms:Decrypt",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "Allowed",
      by: "identity:UseKeyThroughGlue",
      when: "catalogKey",
      why: "reads the encrypted catalog",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "Allowed",
      by: "identity:UseKeyThroughGlue",
      when: "catalogKey",
      why: "writes table metadata into the encrypted catalog",
    },
  ],
  denied: [
    ...glueTrust.denied,
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "reads gold, never writes it",
    },
    {
      action: "s3:DeleteObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "never deletes data",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      expect: "ImplicitlyDenied",
      why: "crawls only the gold prefix",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      expect: "ImplicitlyDenied",
      why: "no access to raw input",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{datawarehouse}`,
      context: { "s3:prefix": "" },
      expect: "ImplicitlyDenied",
      why: "lists only tracks/",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "bucket-policy:DenyInsecureTransport",
      why: "the bucket policy refuses plain HTTP",
    },
    {
      action: "s3:DeleteBucket",
      resource: `${S3}{datawarehouse}`,
      expect: "ImplicitlyDenied",
      why: "cannot delete buckets",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{key}",
      context: viaS3,
      expect: "ImplicitlyDenied",
      why: "never encrypts: it writes no objects",
    },
    {
      action: "kms:Decrypt",
      resource: OTHER_KEY,
      context: viaS3,
      expect: "ImplicitlyDenied",
      why: "no other key",
    },
    {
      action: "glue:DeleteTable",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "ImplicitlyDenied",
      why: "deprecates vanished tables, never deletes them",
    },
    {
      action: "glue:DeleteDatabase",
      resource: `${GLUE}:database/{database}`,
      expect: "ImplicitlyDenied",
      why: "cannot drop the database",
    },
    {
      action: "glue:CreateTable",
      resource: `${GLUE}:table/other_db/tracks`,
      expect: "ImplicitlyDenied",
      why: "writes tables only in its own database",
    },
    {
      action: "glue:GetTable",
      resource: `${GLUE}:table/other_db/customers`,
      expect: "ImplicitlyDenied",
      why: "cannot read other databases' metadata",
    },
    {
      action: "glue:StartCrawler",
      resource: `${GLUE}:crawler/{crawler}`,
      expect: "ImplicitlyDenied",
      why: "cannot start crawlers (only the state machine does)",
    },
    {
      action: "logs:PutLogEvents",
      resource: `${LOGS}/aws/lambda/other:log-stream:x`,
      expect: "ImplicitlyDenied",
      why: "writes logs only under /aws-glue/",
    },
    ...iamDenied(),
  ],
};

const statesTrust = trustRows(
  "states.amazonaws.com",
  "StepFunctionsAssumeRole",
  { "aws:SourceAccount": "{account}", "aws:SourceArn": "{stateMachine}" },
  {
    "aws:SourceAccount": "{otherAccount}",
    "aws:SourceArn": "arn:{partition}:states:{region}:{otherAccount}:stateMachine:pipeline",
  },
);

/** The state machine: runs the job and the crawler, reads the summary, notifies. */
export const STATE_MACHINE: RoleTable = {
  id: "state-machine",
  title: "State machine role",
  component: "spotify-pipeline:orchestration:Orchestration",
  suffix: "-states-role",
  session: "StepFunctionsExecution",
  allowed: [
    ...statesTrust.allowed,
    ...["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"].map(
      (action): Request => ({
        action,
        resource: `${GLUE}:job/{job}`,
        expect: "Allowed",
        by: "identity:RunGlueJob",
        why: "glue:startJobRun.sync starts, polls and (on timeout) stops the run",
      }),
    ),
    {
      action: "glue:StartCrawler",
      resource: `${GLUE}:crawler/{crawler}`,
      expect: "Allowed",
      by: "identity:RunCrawler",
      why: "starts the crawler after the job",
    },
    {
      action: "glue:GetCrawler",
      resource: `${GLUE}:crawler/{crawler}`,
      expect: "Allowed",
      by: "identity:RunCrawler",
      why: "polls the crawler until READY",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/runs/${RUN}/summary.json`,
      expect: "Allowed",
      by: "identity:ReadRunSummaries",
      why: "reads the run summary for the notification",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{processed}` },
      expect: "Allowed",
      by: "identity:DecryptRunSummaries",
      why: "S3 decrypts the summary (bucket keys: the context is the bucket)",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: {
        ...viaS3,
        "kms:EncryptionContext:aws:s3:arn": `${S3}{processed}/runs/${RUN}/summary.json`,
      },
      expect: "Allowed",
      by: "identity:DecryptRunSummaries",
      why: "the same without bucket keys: the context is the object",
    },
    {
      action: "sns:Publish",
      resource: "{topic}",
      expect: "Allowed",
      by: "identity:PublishNotifications",
      why: "publishes success and failure notifications",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{key}",
      context: { ...viaSns, "kms:EncryptionContext:aws:sns:topicArn": "{topic}" },
      expect: "Allowed",
      by: "identity:EncryptNotifications",
      why: "SNS encrypts the message with the key on the publisher's behalf",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaSns, "kms:EncryptionContext:aws:sns:topicArn": "{topic}" },
      expect: "Allowed",
      by: "identity:EncryptNotifications",
      why: "SNS decrypts the data key on the publisher's behalf",
    },
    {
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": "SpotifyPipeline" },
      expect: "Allowed",
      by: "identity:PutRunMetrics",
      why: "PutRunMetrics sends the run summary's metrics (lib/run-metrics.ts)",
    },
    ...["logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"].map(
      (action): Request => ({
        action,
        resource: "*",
        expect: "Allowed",
        by: "identity:DeliverLogs",
        why: "Step Functions sets up log delivery (no resource type: `*`)",
      }),
    ),
    ...["xray:PutTraceSegments", "xray:GetSamplingRules"].map((action): Request => ({
      action,
      resource: "*",
      expect: "Allowed",
      by: "identity:Tracing",
      why: "X-Ray tracing (no resource type: `*`)",
    })),
  ],
  denied: [
    ...statesTrust.denied,
    {
      action: "glue:StartJobRun",
      resource: `${GLUE}:job/other-team-job`,
      expect: "ImplicitlyDenied",
      why: "runs only the pipeline's job",
    },
    ...["Glue", "AWS/States", "SpotifyPipelineOther"].map((namespace): Request => ({
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": namespace },
      expect: "ImplicitlyDenied",
      why: "run metrics only in the pipeline's namespace",
    })),
    {
      action: "cloudwatch:PutMetricData",
      resource: "*",
      expect: "ImplicitlyDenied",
      why: "a request without a namespace matches no grant",
    },
    {
      action: "glue:StartJobRun",
      resource: "arn:{partition}:glue:{region}:{otherAccount}:job/{job}",
      resourceAccount: "{otherAccount}",
      expect: "ImplicitlyDenied",
      why: "not a job of the same name in another account",
    },
    {
      action: "glue:UpdateJob",
      resource: `${GLUE}:job/{job}`,
      expect: "ImplicitlyDenied",
      why: "cannot change the job (its script or role)",
    },
    {
      action: "glue:StartCrawler",
      resource: `${GLUE}:crawler/other-crawler`,
      expect: "ImplicitlyDenied",
      why: "starts only the pipeline's crawler",
    },
    {
      action: "glue:DeleteCrawler",
      resource: `${GLUE}:crawler/{crawler}`,
      expect: "ImplicitlyDenied",
      why: "cannot delete the crawler",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{processed}/runs/${RUN}/summary.json`,
      expect: "ImplicitlyDenied",
      why: "reads summaries, cannot forge one",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      expect: "ImplicitlyDenied",
      why: "reads only run summaries, no data",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      expect: "ImplicitlyDenied",
      why: "never reads the raw input",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/runs/${RUN}/summary.json`,
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "bucket-policy:DenyInsecureTransport",
      why: "the bucket policy refuses plain HTTP",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{staging}` },
      expect: "ImplicitlyDenied",
      why: "decrypts through S3 only for the summaries' bucket",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: {
        ...viaS3,
        "kms:EncryptionContext:aws:s3:arn": `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      },
      expect: "ImplicitlyDenied",
      why: "and only for objects under runs/",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      expect: "ImplicitlyDenied",
      why: "never uses the key directly",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{key}",
      context: {
        ...viaSns,
        "kms:EncryptionContext:aws:sns:topicArn":
          "arn:{partition}:sns:{region}:{account}:other-topic",
      },
      expect: "ImplicitlyDenied",
      why: "encrypts through SNS only for its own topic",
    },
    {
      action: "sns:Publish",
      resource: "arn:{partition}:sns:{region}:{account}:other-topic",
      expect: "ImplicitlyDenied",
      why: "publishes only to the pipeline's topic",
    },
    {
      action: "sns:Publish",
      resource: "{topic}",
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "topic-policy:DenyInsecureTransport",
      why: "the topic policy refuses plain HTTP",
    },
    {
      action: "sns:Subscribe",
      resource: "{topic}",
      expect: "ImplicitlyDenied",
      why: "cannot add subscribers (exfiltration)",
    },
    {
      action: "states:StartExecution",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "cannot start itself",
    },
    {
      action: "logs:DeleteLogGroup",
      resource: `${LOGS}/aws/vendedlogs/states/{stateMachineName}`,
      expect: "ImplicitlyDenied",
      why: "log delivery only; cannot delete its log group",
    },
    ...iamDenied(),
  ],
};

const EVENTS_TRUST_SID = "EventBridgeAssumeRole";

/** The EventBridge role: starts executions of the one state machine. */
export const EVENTS: RoleTable = {
  id: "eventbridge",
  title: "EventBridge role",
  component: "spotify-pipeline:orchestration:Orchestration",
  suffix: "-events-role",
  session: "EventBridgeTarget",
  allowed: [
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: { "aws:SourceAccount": "{account}", "aws:SourceArn": "{markerRule}" },
      expect: "Allowed",
      by: `trust:${EVENTS_TRUST_SID}`,
      why: "the marker rule's target assumes the role",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: { "aws:SourceAccount": "{account}", "aws:SourceArn": "{scheduleRule}" },
      expect: "Allowed",
      by: `trust:${EVENTS_TRUST_SID}`,
      when: "scheduleRule",
      why: "the schedule rule's target assumes the role",
    },
    {
      action: "states:StartExecution",
      resource: "{stateMachine}",
      expect: "Allowed",
      by: "identity:StartPipelineExecutions",
      why: "starts a run",
    },
  ],
  denied: [
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: {
        "aws:SourceAccount": "{account}",
        "aws:SourceArn": "arn:{partition}:events:{region}:{account}:rule/someone-elses-rule",
      },
      expect: "ImplicitlyDenied",
      why: "other rules of the account cannot use it (confused deputy)",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "events.amazonaws.com",
      context: {
        "aws:SourceAccount": "{otherAccount}",
        "aws:SourceArn": "arn:{partition}:events:{region}:{otherAccount}:rule/batch-ready",
      },
      expect: "ImplicitlyDenied",
      why: "rules of another account cannot use it",
    },
    {
      action: "sts:AssumeRole",
      resource: "{role}",
      principal: "lambda.amazonaws.com",
      context: { "aws:SourceAccount": "{account}" },
      expect: "ImplicitlyDenied",
      why: "no other service principal is trusted",
    },
    {
      action: "states:StartExecution",
      resource: "arn:{partition}:states:{region}:{account}:stateMachine:other-pipeline",
      expect: "ImplicitlyDenied",
      why: "starts only this state machine",
    },
    {
      action: "states:StartSyncExecution",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "only asynchronous starts",
    },
    {
      action: "states:StopExecution",
      resource: "arn:{partition}:states:{region}:{account}:execution:{stateMachineName}:" + RUN,
      expect: "ImplicitlyDenied",
      why: "cannot stop runs",
    },
    {
      action: "states:UpdateStateMachine",
      resource: "{stateMachine}",
      expect: "ImplicitlyDenied",
      why: "cannot change the definition",
    },
    {
      action: "glue:StartJobRun",
      resource: `${GLUE}:job/{job}`,
      expect: "ImplicitlyDenied",
      why: "cannot bypass the state machine",
    },
    ...iamDenied(),
  ],
};

const quickSightTrust = trustRows(
  "quicksight.amazonaws.com",
  "QuickSightAssumesRole",
  { "aws:SourceAccount": "{account}" },
  { "aws:SourceAccount": "{otherAccount}" },
);

/** The QuickSight data source role: Athena queries over gold through the workgroup. */
export const QUICKSIGHT: RoleTable = {
  id: "quicksight",
  title: "QuickSight data source role",
  component: "spotify-pipeline:analytics:Dashboards",
  suffix: "-role",
  session: "QuickSight",
  allowed: [
    ...quickSightTrust.allowed,
    ...[
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetWorkGroup",
      "athena:StopQueryExecution",
    ].map((action): Request => ({
      action,
      resource: "arn:{partition}:athena:{region}:{account}:workgroup/{workgroup}",
      expect: "Allowed",
      by: "identity:AthenaQueriesInWorkgroup",
      why: "runs the dashboard's queries in the stack's workgroup",
    })),
    ...["athena:GetDataCatalog", "athena:GetTableMetadata"].map((action): Request => ({
      action,
      resource: "arn:{partition}:athena:{region}:{account}:datacatalog/AwsDataCatalog",
      expect: "Allowed",
      by: "identity:AthenaCatalogMetadata",
      why: "lists the table's columns for the data set",
    })),
    ...(["catalog", "database/{database}", "table/{database}/tracks"] as const).map(
      (r): Request => ({
        action: "glue:GetTable",
        resource: `${GLUE}:${r}`,
        expect: "Allowed",
        by: "identity:GlueCatalogRead",
        why: "Athena reads the table definition (catalog, database and table are checked)",
      }),
    ),
    {
      action: "glue:GetPartitions",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "Allowed",
      by: "identity:GlueCatalogRead",
      why: "Athena plans over the table's partitions",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "Allowed",
      by: "identity:ReadGoldObjects",
      why: "Athena reads gold Parquet as the caller",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{datawarehouse}`,
      context: { "s3:prefix": "tracks/" },
      expect: "Allowed",
      by: "identity:ListGoldPrefix",
      why: "Athena lists the table's location",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{athenaResults}/{resultsPrefix}0d4e1c2a-query.csv`,
      expect: "Allowed",
      by: "identity:ReadWriteQueryResults",
      why: "Athena writes results to the workgroup's location",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{athenaResults}/{resultsPrefix}0d4e1c2a-query.csv`,
      expect: "Allowed",
      by: "identity:ReadWriteQueryResults",
      why: "QuickSight reads the results back",
    },
    {
      action: "s3:ListBucket",
      resource: `${S3}{athenaResults}`,
      context: { "s3:prefix": "{resultsPrefix}" },
      expect: "Allowed",
      by: "identity:ListQueryResultsPrefix",
      why: "lists the results location",
    },
    {
      action: "s3:GetBucketLocation",
      resource: `${S3}{athenaResults}`,
      expect: "Allowed",
      by: "identity:LocateBuckets",
      why: "resolves the results bucket's region",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{datawarehouse}` },
      expect: "Allowed",
      by: "identity:PipelineKeyThroughS3",
      why: "S3 decrypts gold for Athena",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{key}",
      context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${S3}{athenaResults}` },
      expect: "Allowed",
      by: "identity:PipelineKeyThroughS3",
      why: "results are SSE-KMS (enforced by the workgroup)",
    },
    {
      action: "kms:Decrypt",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "Allowed",
      by: "identity:PipelineKeyThroughGlue",
      when: "catalogKey",
      why: "Athena reads the encrypted table definition",
    },
  ],
  denied: [
    ...quickSightTrust.denied,
    {
      action: "athena:StartQueryExecution",
      resource: "arn:{partition}:athena:{region}:{account}:workgroup/primary",
      expect: "ImplicitlyDenied",
      why: "cannot escape the workgroup's scan cutoff and result encryption",
    },
    {
      action: "athena:UpdateWorkGroup",
      resource: "arn:{partition}:athena:{region}:{account}:workgroup/{workgroup}",
      expect: "ImplicitlyDenied",
      why: "cannot lift the bytes-scanned cutoff",
    },
    {
      action: "athena:DeleteWorkGroup",
      resource: "arn:{partition}:athena:{region}:{account}:workgroup/{workgroup}",
      expect: "ImplicitlyDenied",
      why: "cannot delete the workgroup",
    },
    {
      action: "glue:GetTable",
      resource: `${GLUE}:table/other_db/customers`,
      expect: "ImplicitlyDenied",
      why: "reads only the warehouse database",
    },
    {
      action: "glue:CreateTable",
      resource: `${GLUE}:table/{database}/tracks_copy`,
      expect: "ImplicitlyDenied",
      why: "read-only catalog access (no CTAS)",
    },
    {
      action: "glue:DeleteTable",
      resource: `${GLUE}:table/{database}/tracks`,
      expect: "ImplicitlyDenied",
      why: "cannot drop the table",
    },
    {
      action: "s3:PutObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "gold is read-only for dashboards",
    },
    {
      action: "s3:DeleteObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      expect: "ImplicitlyDenied",
      why: "gold is read-only for dashboards",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/silver/albums/part-00000.snappy.parquet`,
      expect: "ImplicitlyDenied",
      why: "no access to silver",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{processed}/quarantine/albums/part-00000.snappy.parquet`,
      expect: "ImplicitlyDenied",
      why: "no access to quarantined rows (raw values)",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{staging}/${BATCH}albums.csv`,
      expect: "ImplicitlyDenied",
      why: "no access to raw input",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{athenaResults}/other-team/0d4e1c2a-query.csv`,
      expect: "ImplicitlyDenied",
      why: "reads results only under the workgroup's prefix",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}{datawarehouse}/tracks/part-0.parquet`,
      context: noTls,
      expect: "ExplicitlyDenied",
      by: "bucket-policy:DenyInsecureTransport",
      why: "the bucket policy refuses plain HTTP",
    },
    {
      action: "kms:Decrypt",
      resource: "{key}",
      expect: "ImplicitlyDenied",
      why: "uses the key only through S3",
    },
    {
      action: "kms:Decrypt",
      resource: OTHER_KEY,
      context: viaS3,
      expect: "ImplicitlyDenied",
      why: "no other key",
    },
    {
      action: "kms:GenerateDataKey",
      resource: "{catalogKey}",
      context: viaGlue,
      expect: "ImplicitlyDenied",
      when: "catalogKey",
      why: "reads the catalog, never writes it",
    },
    {
      action: "s3:GetObject",
      resource: `${S3}partner-exports/tracks/part-0.parquet`,
      resourceAccount: "{otherAccount}",
      expect: "ImplicitlyDenied",
      why: "no access to another account's bucket",
    },
    ...iamDenied(),
  ],
  when: "dashboard",
};

/** Every role table, in the order of the doc. */
export const ROLE_TABLES: readonly RoleTable[] = [
  GLUE_JOB,
  GLUE_CRAWLER,
  STATE_MACHINE,
  EVENTS,
  QUICKSIGHT,
];

// ------------------------------------------------------------------------------------------------
// Finding a role's documents in the graph
// ------------------------------------------------------------------------------------------------

/** A policy document as the simulator takes it, with where it came from. */
export interface NamedDocument {
  /** The resource (and field) that carries it, e.g. `aws:iam/rolePolicy:RolePolicy spotify-dev-etl-job-role`. */
  name: string;
  /** The parsed JSON document. */
  policy: Record<string, unknown>;
}

/** A role of the graph with every document that decides its requests. */
export interface RoleDocuments {
  role: GraphResource;
  /** The role's physical name and ARN (as the offline synthesis names it). */
  roleName: string;
  roleArn: string;
  /** Its trust policy. */
  trust: NamedDocument;
  /** Its identity policies: inline, `RolePolicy`, and customer managed policies attached to it. */
  identity: NamedDocument[];
}

/** Validates a document the way the policy pack does, then hands the plain JSON on. */
function parsed(value: unknown, label: string): Record<string, unknown> {
  try {
    parsePolicyDocument(value);
  } catch (e) {
    throw new Error(
      `${label} cannot be simulated: ${(e as Error).message}. Synthesize without preview and fix the document.`,
      { cause: e },
    );
  }
  return (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** The type and name of the component a resource belongs to, from its parent URN. */
function parentOf(r: GraphResource): { type: string; name: string } | undefined {
  if (!r.parent) return undefined;
  // urn:pulumi:<stack>::<project>::<parent types joined by $>::<name>
  const parts = r.parent.split("::");
  if (parts.length < 4) return undefined;
  const name = parts[parts.length - 1]!;
  const type = parts[parts.length - 2]!.split("$").pop()!;
  return { type, name };
}

/**
 * The table that covers a role of the graph: the one whose component type creates it and whose
 * suffix completes the component's name to the role's logical name.
 * @throws Error naming the role when no table covers it (a new role must get a table).
 */
export function tableFor(
  role: GraphResource,
  tables: readonly RoleTable[] = ROLE_TABLES,
): RoleTable {
  const parent = parentOf(role);
  const found = tables.filter(
    (t) => parent && parent.type === t.component && role.name === `${parent.name}${t.suffix}`,
  );
  if (found.length !== 1) {
    throw new Error(
      `IAM role ${role.name} (created by ${parent ? `${parent.type} ${parent.name}` : "the stack itself"}) has ${found.length === 0 ? "no" : "more than one"} least-privilege table; add one to ROLE_TABLES in tools/least-privilege.ts with the requests its service makes and those it must be denied.`,
    );
  }
  return found[0]!;
}

/**
 * Every document that decides a role's requests, found in the graph: its trust policy, inline
 * policies (`inlinePolicies`), `aws:iam/rolePolicy:RolePolicy` resources on it, and
 * `aws:iam/policy:Policy` documents attached to it by `RolePolicyAttachment` or `PolicyAttachment`.
 * A resource refers to the role by its name or ARN, or through the role's URN in its dependencies.
 * @throws Error when an attached policy is not in the graph (an AWS managed policy cannot be
 *   simulated and is not allowed by the policy pack) or a document is invalid or unknown.
 */
export function roleDocumentsOf(graph: Graph, role: GraphResource, region: string): RoleDocuments {
  const out = mockOutputs(role.type, role.name, role.inputs, region).state;
  const roleName = str(out.name, `name of role ${role.name}`);
  const roleArn = str(out.arn, `ARN of role ${role.name}`);
  const refersToRole = (r: GraphResource, field: string): boolean => {
    const v = r.inputs[field];
    const refs = Array.isArray(v) ? v : [v];
    return (
      refs.includes(roleName) ||
      refs.includes(roleArn) ||
      (r.propertyDependencies[field] ?? []).includes(role.urn)
    );
  };
  const docs = documentsOf(role.type, role.name, role.inputs);
  const trustSource = docs.find((d) => d.kind === "trust");
  if (!trustSource) throw new Error(`role ${role.name} has no assumeRolePolicy in the graph.`);
  const identity: NamedDocument[] = docs
    .filter((d) => d.kind === "identity")
    .map((d) => ({ name: `${role.name} ${d.path}`, policy: parsed(d.value, d.label) }));

  for (const rp of graph.resources.filter(
    (r) => r.type === T.rolePolicy && refersToRole(r, "role"),
  )) {
    for (const d of documentsOf(rp.type, rp.name, rp.inputs)) {
      identity.push({ name: `RolePolicy ${rp.name}`, policy: parsed(d.value, d.label) });
    }
  }
  const attachments = [
    ...graph.resources.filter((r) => r.type === T.attachment && refersToRole(r, "role")),
    ...graph.resources.filter((r) => r.type === T.policyAttachment && refersToRole(r, "roles")),
  ];
  const managed = (role.inputs.managedPolicyArns as string[] | undefined) ?? [];
  const policyArns = [
    ...attachments.map((a) => ({
      arn: a.inputs.policyArn,
      deps: a.propertyDependencies.policyArn ?? [],
      from: a.name,
    })),
    ...managed.map((arn) => ({
      arn,
      deps: [] as string[],
      from: `${role.name} managedPolicyArns`,
    })),
  ];
  for (const { arn, deps, from } of policyArns) {
    const policy = graph.resources.find(
      (r) => r.type === T.policy && (deps.includes(r.urn) || arnOf(r, region) === arn),
    );
    if (!policy) {
      throw new Error(
        `${from} attaches ${JSON.stringify(arn)} to role ${role.name}, but that policy is not in the graph (an AWS managed policy?): its document cannot be simulated, and the policy pack forbids broad managed policies. Attach a customer managed aws.iam.Policy instead.`,
      );
    }
    for (const d of documentsOf(policy.type, policy.name, policy.inputs)) {
      identity.push({ name: `Policy ${policy.name}`, policy: parsed(d.value, d.label) });
    }
  }
  if (identity.length === 0) {
    throw new Error(`role ${role.name} has no identity policy in the graph; nothing to simulate.`);
  }
  return {
    role,
    roleName,
    roleArn,
    trust: {
      name: `${role.name} assumeRolePolicy`,
      policy: parsed(trustSource.value, trustSource.label),
    },
    identity,
  };
}

/** The resource policies of the graph, by what they protect. */
export interface ResourcePolicies {
  /** The resource policy that applies to a request on this ARN, and its kind. */
  forResource(
    arn: string,
  ):
    | { kind: "bucket-policy" | "key-policy" | "topic-policy"; policy: Record<string, unknown> }
    | undefined;
}

/** Collects bucket policies (by bucket), key policies (by key ARN) and topic policies (by topic ARN). */
export function resourcePoliciesOf(graph: Graph, region: string): ResourcePolicies {
  const buckets = new Map<string, Record<string, unknown>>();
  const keys = new Map<string, Record<string, unknown>>();
  const topics = new Map<string, Record<string, unknown>>();
  for (const r of graph.resources) {
    const docs = documentsOf(r.type, r.name, r.inputs).filter(
      (d) => d.kind !== "identity" && d.kind !== "trust",
    );
    for (const d of docs) {
      if (r.type === T.bucketPolicy)
        buckets.set(str(r.inputs.bucket, `bucket of ${r.name}`), parsed(d.value, d.label));
      else if (r.type === T.key) keys.set(arnOf(r, region), parsed(d.value, d.label));
      else if (r.type === T.topicPolicy)
        topics.set(str(r.inputs.arn, `arn of ${r.name}`), parsed(d.value, d.label));
    }
  }
  return {
    forResource(arn) {
      const s3 = /^arn:[^:]+:s3:::([^/]+)/.exec(arn);
      if (s3) {
        const policy = buckets.get(s3[1]!);
        return policy ? { kind: "bucket-policy", policy } : undefined;
      }
      const key = keys.get(arn);
      if (key) return { kind: "key-policy", policy: key };
      const topic = topics.get(arn);
      if (topic) return { kind: "topic-policy", policy: topic };
      return undefined;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Evaluation
// ------------------------------------------------------------------------------------------------

/** A request with its placeholders resolved, as the simulator receives it. */
export interface ResolvedRequest {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string | string[]>;
}

/** What the simulator decided for one row. */
export interface Evaluation {
  request: ResolvedRequest;
  decision: Decision;
  /** Decisive statements (grants of an allowed request, denials of an explicit deny). */
  reasons: Reason[];
  /**
   * `validated`: `runSimulation` (validates the action, the ARN against the action's resource
   * types, and the context keys). `core`: the row carries `kms:EncryptionContext:<key>` keys,
   * which that validation drops; after it checked everything else, the decision comes from the
   * package's core engine with the full context (see {@link authorizeWithFullContext}).
   */
  engine: "validated" | "core";
}

/** The context every request of a role session carries (values AWS sets for a signed request). */
export function defaultContext(roleArn: string, facts: Facts): Record<string, string> {
  return {
    "aws:PrincipalArn": roleArn,
    "aws:PrincipalAccount": facts.account!,
    "aws:PrincipalType": "AssumedRole",
    "aws:PrincipalIsAWSService": "false",
    "aws:SecureTransport": "true",
    "aws:RequestedRegion": facts.region!,
  };
}

const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;

type PolicyKind = "identity" | "trust" | "bucket-policy" | "key-policy" | "topic-policy";

interface SimInputs {
  simulation: Simulation;
  resourceKind?: PolicyKind;
}

function reasonsOf(
  analysis: RequestAnalysis,
  decision: Decision,
  resourceKind: PolicyKind | undefined,
): Reason[] {
  const label = (policyType: string, sid: string | undefined, index: number): Reason =>
    `${policyType === "resource" ? (resourceKind ?? "bucket-policy") : "identity"}:${sid ?? `#${index}`}` as Reason;
  if (decision === "Allowed") {
    return getGrantReasons(analysis).map((g) =>
      label(g.policyType, g.statementId, g.statementIndex),
    );
  }
  if (decision === "ExplicitlyDenied") {
    return getDenialReasons(analysis).flatMap((d) =>
      d.denialType === "Explicit" ? [label(d.policyType, d.statementId, d.statementIndex)] : [],
    );
  }
  return [];
}

/*
 * iam-simulate 0.1.173 validates a request's context keys against the action's condition keys and
 * drops the ones it does not recognize; it recognizes variable keys only in the `prefix/` form
 * (`aws:ResourceTag/<tag>`), so `kms:EncryptionContext:<key>` is always dropped, and its
 * `runUnsafeSimulation` (which skips that validation) crashes on any resource policy (it loads the
 * policy without the metadata it later reads). For those rows, after `runSimulation` validated
 * the action, the ARN and every other key, the request is authorized by the package's own core
 * engine, exactly as `runSimulation` calls it, with the full context.
 */
interface CoreModules {
  authorize: (request: unknown) => RequestAnalysis;
  AwsRequestImpl: new (
    principal: string,
    resource: { resource: string; accountId: string },
    action: string,
    context: unknown,
    wildcardOnlyAction: boolean,
  ) => unknown;
  RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
  DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown;
  loadPolicy: (policy: unknown, metadata: { name: string }) => unknown;
}

let core: CoreModules | undefined;

function coreModules(): CoreModules {
  if (core) return core;
  const dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
  const load = (rel: string): Record<string, unknown> => {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) {
      throw new Error(
        `${file} is missing: tools/least-privilege.ts evaluates kms:EncryptionContext rows with iam-simulate's core engine, whose layout changed in this version; re-check the workaround (see coreModules).`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as Record<string, unknown>;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const policy = require(require.resolve("@cloud-copilot/iam-policy", { paths: [dir] })) as {
    loadPolicy: CoreModules["loadPolicy"];
  };
  core = {
    authorize: load("core_engine/CoreSimulatorEngine.js").authorize as CoreModules["authorize"],
    AwsRequestImpl: load("request/request.js").AwsRequestImpl as CoreModules["AwsRequestImpl"],
    RequestContextImpl: load("requestContext.js")
      .RequestContextImpl as CoreModules["RequestContextImpl"],
    DiscoveryContextKeyConstraints: load("context_keys/discoveryContextKeyConstraints.js")
      .DiscoveryContextKeyConstraints as CoreModules["DiscoveryContextKeyConstraints"],
    loadPolicy: policy.loadPolicy,
  };
  return core;
}

/** Authorizes a (validated) simulation with its full context through iam-simulate's core engine. */
function authorizeWithFullContext(sim: Simulation): RequestAnalysis {
  const m = coreModules();
  const r = sim.request;
  if (typeof r.principal !== "string" || r.resource.resource.includes("*")) {
    throw new Error(
      `the full-context path handles one named principal on one concrete resource; got ${JSON.stringify(r)}.`,
    );
  }
  return m.authorize({
    request: new m.AwsRequestImpl(
      r.principal,
      { resource: r.resource.resource, accountId: r.resource.accountId },
      r.action,
      new m.RequestContextImpl(r.contextVariables),
      false,
    ),
    sessionPolicy: undefined,
    identityPolicies: sim.identityPolicies.map((p) => m.loadPolicy(p.policy, { name: p.name })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: sim.resourcePolicy
      ? m.loadPolicy(sim.resourcePolicy, { name: "resource policy" })
      : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: "Strict",
      discoveryContextKeyConstraints: new m.DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
}

async function simulate({
  simulation,
  resourceKind,
}: SimInputs): Promise<Omit<Evaluation, "request">> {
  const result = await runSimulation(simulation, {});
  const r = simulation.request;
  const where = `${r.action} on ${r.resource.resource} by ${String(r.principal)}`;
  if (result.resultType === "error") {
    throw new Error(
      `iam-simulate refused ${where}: ${JSON.stringify(result.errors)}. Fix the row (action name, ARN shape for the action's resource type) or the document.`,
    );
  }
  const runs = result.resultType === "single" ? [result.result] : result.results;
  const ignored = [...new Set(runs.flatMap((x) => x.ignoredContextKeys ?? []))];
  const unsupported = ignored.filter((k) => !ENCRYPTION_CONTEXT.test(k));
  if (unsupported.length > 0) {
    throw new Error(
      `context keys ${unsupported.join(", ")} do not apply to ${where} (iam-simulate ignored them); fix the row's context.`,
    );
  }
  if (ignored.length > 0) {
    const analysis = authorizeWithFullContext(simulation);
    return {
      decision: analysis.result,
      reasons: reasonsOf(analysis, analysis.result, resourceKind),
      engine: "core",
    };
  }
  const decision = result.overallResult;
  const reasons = [...new Set(runs.flatMap((x) => reasonsOf(x.analysis, decision, resourceKind)))];
  return { decision, reasons, engine: "validated" };
}

/** Everything needed to evaluate one role's rows. */
export interface RoleContext {
  facts: Facts;
  docs: RoleDocuments;
  resources: ResourcePolicies;
  table: RoleTable;
}

/** True when a row (or table) applies to the stack the facts describe. */
export function applies(item: { when?: FactName | readonly FactName[] }, facts: Facts): boolean {
  return whenList(item).every((f) => facts[f] !== undefined);
}

function whenList(item: { when?: FactName | readonly FactName[] }): readonly FactName[] {
  return item.when === undefined ? [] : typeof item.when === "string" ? [item.when] : item.when;
}

/** Resolves a row against the role and the stack. */
export function resolveRequest(row: Request, ctx: RoleContext): ResolvedRequest {
  const facts = { ...ctx.facts, role: ctx.docs.roleArn };
  const principal = row.principal
    ? resolve(row.principal, facts)
    : `arn:${facts.partition}:sts::${facts.account}:assumed-role/${ctx.docs.roleName}/${ctx.table.session}`;
  const context: Record<string, string | string[]> = row.principal
    ? { "aws:SecureTransport": "true" }
    : defaultContext(ctx.docs.roleArn, facts);
  for (const [k, v] of Object.entries(row.context ?? {})) {
    context[k] = Array.isArray(v) ? v.map((x) => resolve(x, facts)) : resolve(v, facts);
  }
  return {
    principal,
    action: row.action,
    resource: resolve(row.resource, facts),
    resourceAccount: resolve(row.resourceAccount ?? "{account}", facts),
    context,
  };
}

/**
 * Simulates one row: a request of the role's session against the role's identity policies and the
 * resource policy of the target (bucket, key or topic policy); a trust row (`principal` set,
 * `sts:AssumeRole` on the role) against the role's trust policy alone.
 */
export async function evaluateRow(row: Request, ctx: RoleContext): Promise<Evaluation> {
  const request = resolveRequest(row, ctx);
  const trustRow = row.principal !== undefined;
  if (trustRow && !(request.action === "sts:AssumeRole" && request.resource === ctx.docs.roleArn)) {
    throw new Error(
      `row ${row.action} on ${row.resource} names a principal: only trust rows (sts:AssumeRole on {role}) may; other requests are made by the role's session.`,
    );
  }
  const resource = trustRow
    ? { kind: "trust" as const, policy: ctx.docs.trust.policy }
    : ctx.resources.forResource(request.resource);
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context,
    },
    identityPolicies: trustRow
      ? []
      : ctx.docs.identity.map((d) => ({ name: d.name, policy: d.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resource ? { resourcePolicy: resource.policy } : {}),
  };
  return { request, ...(await simulate({ simulation, resourceKind: resource?.kind })) };
}

// ------------------------------------------------------------------------------------------------
// Variants, whole-stack evaluation and the doc
// ------------------------------------------------------------------------------------------------

/** Facts only some stacks have; rows and tables depend on them through `when`. */
export const OPTIONAL_FACTS = [
  "scheduleRule",
  "vpc",
  "subnet",
  "securityGroup",
  "connection",
  "dashboard",
  "catalogKey",
] as const satisfies readonly FactName[];

/** A stack (with optional config overrides) the tables are evaluated against. */
export interface Variant {
  id: string;
  stack: string;
  label: string;
  configOverrides?: Record<string, unknown>;
  /**
   * The optional facts this variant has (declared, so tests can be listed before synthesis; a
   * test checks the graph agrees).
   */
  features: readonly (typeof OPTIONAL_FACTS)[number][];
}

/** The QuickSight principal used for the QuickSight-enabled variant. */
export const QUICKSIGHT_PRINCIPAL =
  "arn:aws:quicksight:us-east-1:123456789012:group/default/analysts";

/**
 * The variants of the tests and the doc: the shipped stacks, dev with QuickSight on, and prod with
 * every optional feature on (QuickSight and Data Catalog encryption add statements to roles).
 */
export const VARIANTS: readonly Variant[] = [
  { id: "dev", stack: "dev", label: "dev", features: [] },
  {
    id: "dev-quicksight",
    stack: "dev",
    label: "dev + QuickSight",
    configOverrides: { quicksight: { enabled: true, principalArn: QUICKSIGHT_PRINCIPAL } },
    features: ["dashboard"],
  },
  {
    id: "prod",
    stack: "prod",
    label: "prod",
    features: ["scheduleRule", "vpc", "subnet", "securityGroup", "connection"],
  },
  {
    id: "prod-everything",
    stack: "prod",
    label: "prod + QuickSight + catalog encryption",
    configOverrides: {
      quicksight: { enabled: true, principalArn: QUICKSIGHT_PRINCIPAL },
      dataCatalogEncryption: true,
    },
    features: [
      "scheduleRule",
      "vpc",
      "subnet",
      "securityGroup",
      "connection",
      "dashboard",
      "catalogKey",
    ],
  },
];

/**
 * The variants `docs/least-privilege.md` shows (dev + QuickSight covers every role of dev; the last
 * one turns on every optional statement).
 */
export const DOC_VARIANTS: readonly string[] = ["dev-quicksight", "prod", "prod-everything"];

/** True when a row or table applies to a variant, by its declared features. */
export function appliesTo(
  item: { when?: FactName | readonly FactName[] },
  variant: Variant,
): boolean {
  return whenList(item).every(
    (f) =>
      !(OPTIONAL_FACTS as readonly string[]).includes(f) ||
      (variant.features as readonly string[]).includes(f),
  );
}

/** One row's outcome in one variant. */
export interface RowResult {
  row: Request;
  /** `allowed` or `denied` list of the table. */
  list: "allowed" | "denied";
  /** Position in that list (stable id across variants). */
  index: number;
  /** Undefined when the row does not apply to the variant. */
  evaluation?: Evaluation;
}

/** A role's outcome in one variant. */
export interface RoleResult {
  table: RoleTable;
  docs: RoleDocuments;
  rows: RowResult[];
}

/** A variant's outcome: facts and every role's rows. */
export interface VariantResult {
  variant: Variant;
  facts: Facts;
  roles: RoleResult[];
}

/**
 * The role of the graph each table covers, with its documents and the stack's facts and resource
 * policies: every role of the graph must have exactly one table (see {@link tableFor}), and each
 * table that applies must find its role.
 * @throws Error naming the role without a table, or the table without a role.
 */
export function roleContexts(graph: Graph, label: string = graph.stack): RoleContext[] {
  const facts = factsOf(graph);
  const region = facts.region!;
  const resources = resourcePoliciesOf(graph, region);
  const roles = graph.resources.filter((r) => r.type === T.role);
  const byTable = new Map<RoleTable, GraphResource>();
  for (const role of roles) {
    const table = tableFor(role);
    const other = byTable.get(table);
    if (other) {
      throw new Error(
        `stack ${label}: roles ${other.name} and ${role.name} both match table ${table.id}; give each role its own table.`,
      );
    }
    byTable.set(table, role);
  }
  const out: RoleContext[] = [];
  for (const table of ROLE_TABLES) {
    const role = byTable.get(table);
    if (!role) {
      if (applies(table, facts)) {
        throw new Error(
          `stack ${label}: no role of the graph matches table ${table.id} (a ${table.component} child named <component>${table.suffix}); roles: ${roles.map((r) => r.name).join(", ")}.`,
        );
      }
      continue;
    }
    out.push({ facts, docs: roleDocumentsOf(graph, role, region), resources, table });
  }
  return out;
}

/** Evaluates every applicable row of every role of a synthesized graph. */
export async function evaluateGraph(variant: Variant, graph: Graph): Promise<VariantResult> {
  const contexts = roleContexts(graph, variant.label);
  const roles: RoleResult[] = [];
  for (const ctx of contexts) {
    const rows: RowResult[] = [];
    for (const list of ["allowed", "denied"] as const) {
      for (const [index, row] of ctx.table[list].entries()) {
        rows.push({
          row,
          list,
          index,
          ...(applies(row, ctx.facts) ? { evaluation: await evaluateRow(row, ctx) } : {}),
        });
      }
    }
    roles.push({ table: ctx.table, docs: ctx.docs, rows });
  }
  return { variant, facts: contexts[0]?.facts ?? factsOf(graph), roles };
}

/**
 * What a row's simulated decision must be: `expect`, or, for a row with a known finding, the
 * decision the finding records.
 */
export function demanded(row: Request): Decision {
  return row.finding ? row.finding.actual : row.expect;
}

/** Checks one row's outcome; returns the problems (empty when it holds). */
export function checkRow(row: Request, ev: Evaluation): string[] {
  const problems: string[] = [];
  const want = demanded(row);
  if (ev.decision !== want) {
    problems.push(
      row.finding
        ? `the finding is gone: the simulator now says ${ev.decision} (expected ${row.expect}); remove \`finding\` from this row.`
        : `expected ${want}, the simulator says ${ev.decision} (${ev.reasons.join(", ") || "no decisive statement"}).`,
    );
  }
  if (row.by && ev.decision === want && !ev.reasons.includes(row.by)) {
    problems.push(
      `expected it to be decided by ${row.by}; decided by ${ev.reasons.join(", ") || "nothing"}.`,
    );
  }
  if (!row.finding && (row.expect === "Allowed" || row.expect === "ExplicitlyDenied") && !row.by) {
    problems.push(`a row expecting ${row.expect} must name the deciding statement in \`by\`.`);
  }
  return problems;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function decisionLabel(ev: Evaluation | undefined, row: Request): string {
  if (!ev) return "n/a";
  const by = ev.reasons.length > 0 ? ` by ${ev.reasons.map((r) => `\`${r}\``).join(", ")}` : "";
  const mark = ev.decision === demanded(row) ? "" : " **MISMATCH**";
  return `${ev.decision}${by}${mark}`;
}

/**
 * Renders `docs/least-privilege.md` from evaluated variants: per role, every request with the
 * expected decision and the simulated one in each variant where the role exists.
 */
export function renderDoc(results: readonly VariantResult[]): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(
    "# Least privilege, proven",
    "",
    "<!-- Generated by `npm run docs:iam` (scripts/least-privilege-doc.ts) from tools/least-privilege.ts; do not edit. test/least-privilege.test.ts fails when this file is out of date. -->",
    "",
    "For every IAM role the program creates, the requests its service really makes must be **Allowed** and the requests it must never make must be **denied**. Each request below was evaluated with [`@cloud-copilot/iam-simulate`](https://github.com/cloud-copilot/iam-simulate) against the role's actual policy documents from the synthesized program (`npm run synth`), together with the resource policy that applies: the bucket policy for S3, the pipeline key's policy for KMS, the topic policy for SNS, the role's trust policy for `sts:AssumeRole`. No service control policies are assumed.",
    "",
    "`@cloud-copilot/iam-simulate` is AGPL-3.0: it is a test-only devDependency, imported only by the test and the script that writes this file, never by the deployed program.",
    "",
    "Reading the tables: placeholders such as `{staging}` stand for the stack's names (legend at the end). *Simulated* shows the decision and the statement that decided it (`identity:<Sid>` in the role's policy, `trust:`, `bucket-policy:`, `key-policy:`, `topic-policy:`); `ImplicitlyDenied` means no statement allows it. Requests of the role's session carry `aws:SecureTransport=true`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:RequestedRegion` unless the row says otherwise. `n/a`: the row needs a feature the stack does not have.",
    "",
    "Rows marked † carry `kms:EncryptionContext:<key>` context keys, which iam-simulate 0.1.173 drops while validating a request (it recognizes only `prefix/<variable>` keys): after its validated run checked the action, the ARN and every other key, their decision comes from the package's core engine with the full context.",
    "",
  );
  const findings = results
    .flatMap((v) =>
      v.roles.flatMap((r) =>
        r.rows.filter((x) => x.row.finding && x.evaluation).map((x) => ({ r, x })),
      ),
    )
    .filter(
      (f, i, all) => all.findIndex((g) => g.r.table === f.r.table && g.x.row === f.x.row) === i,
    );
  push("## Findings", "");
  if (findings.length === 0) push("None: every role allows exactly what its table allows.", "");
  for (const { r, x } of findings) {
    push(
      `- **${r.table.title}**: \`${x.row.action}\` on \`${x.row.resource}\` should be ${x.row.expect} (${x.row.why}) but is ${x.row.finding!.actual}. Fix: ${x.row.finding!.fix}`,
    );
  }
  if (findings.length > 0) push("");

  push("## Roles", "");
  for (const table of ROLE_TABLES) {
    const present = results.filter((v) => v.roles.some((r) => r.table === table));
    if (present.length === 0) continue;
    const first = present[0]!.roles.find((r) => r.table === table)!;
    push(
      `### ${table.title}`,
      "",
      `Logical name \`<${table.component.split(":").pop()}>${table.suffix}\` (e.g. \`${first.docs.role.name}\`); in ${present.map((v) => v.variant.label).join(", ")}. Allowed rows: ${table.allowed.length}; denied rows: ${table.denied.length}.`,
      "",
    );
    const header = [
      "#",
      "Action",
      "Resource",
      "Context",
      "Expected",
      ...present.map((v) => v.variant.label),
      "Why",
    ];
    push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
    for (const list of ["allowed", "denied"] as const) {
      table[list].forEach((row, index) => {
        const ctx = Object.entries(row.context ?? {})
          .map(([k, v]) => `\`${k}=${Array.isArray(v) ? v.join(",") : v}\``)
          .join(" ");
        const who = row.principal ? `${row.principal} → ` : "";
        const evs = present.map(
          (v) =>
            v.roles
              .find((r) => r.table === table)!
              .rows.find((x) => x.list === list && x.index === index)!.evaluation,
        );
        const dagger = evs.some((e) => e?.engine === "core") ? " †" : "";
        const expected = row.finding ? `${row.expect} ⚠ finding` : row.expect;
        push(
          `| ${cell(`${list === "allowed" ? "A" : "D"}${index + 1}`)} | ${cell(`${who}\`${row.action}\``)} | ${cell(`\`${row.resource}\``)} | ${cell(ctx)}${dagger} | ${cell(expected)} | ${evs.map((e) => cell(decisionLabel(e, row))).join(" | ")} | ${cell(row.why)} |`,
        );
      });
    }
    push("");
  }

  push(
    "## Legend",
    "",
    "What each placeholder stood for in each stack (names from the offline synthesis's mocks).",
    "",
  );
  const header = ["Placeholder", "Meaning", ...results.map((v) => v.variant.label)];
  push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
  for (const [name, meaning] of Object.entries(FACT_DESCRIPTIONS)) {
    if (name === "role") continue;
    const shown = (v: VariantResult) => {
      const value = v.facts[name as FactName];
      if (value === undefined) return "—";
      // Content-addressed: the folder changes with every edit of glue/, not with IAM.
      if (CONTENT_ADDRESSED.has(name))
        return `\`${value.replace(/[^/]+\/(?=[^/]*$)/, "<content hash>/")}\``;
      return `\`${value}\``;
    };
    push(
      `| \`{${name}}\` | ${cell(meaning)} | ${results.map((v) => cell(shown(v))).join(" | ")} |`,
    );
  }
  push("");
  return lines.join("\n");
}

/** Facts whose value derives from file contents (the job's assets folder is a content hash). */
const CONTENT_ADDRESSED = new Set<string>(["scriptKey", "assetsDir"]);

/** Where the doc lives. */
export const DOC_PATH = path.join(__dirname, "..", "docs", "least-privilege.md");

/** Reads the committed doc ("" when missing). */
export function readDoc(): string {
  return fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, "utf8") : "";
}
