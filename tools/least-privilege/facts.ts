/** Facts: the names and ARNs the role tables refer to, read from the synthesized graph. */
import { partitionOf } from "../../lib/iam/document";
import { type Graph, type GraphResource, MOCK_ACCOUNT, mockOutputs } from "../synth";

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

export const T = {
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

export function str(value: unknown, what: string): string {
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
      `expected at most one ${what} in the graph, found ${found.length}: ${found.map((r) => r.name).join(", ")}; teach factsOf() in tools/least-privilege/facts.ts which one the tables mean.`,
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
