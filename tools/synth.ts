/**
 * Offline synthesis: runs a Pulumi TypeScript program under mocks with a stack's real config
 * (`Pulumi.<stack>.yaml`) and returns the whole resource graph. It is the offline counterpart of
 * `pulumi preview`, used by the tests, `npm run synth`, `npm run policy:check` and `synth:diff`.
 *
 * A process hosts one mock monitor at a time; `synthesize` resets it on every call and re-evaluates
 * the program's modules, so several stacks can be synthesized one after another in one process.
 */
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

import { PROJECT } from "../lib/config";
import { vpcLayout, vpcOutputs } from "./awsx-vpc";

/** The repository root (where Pulumi.yaml lives). */
export const ROOT = path.resolve(__dirname, "..");

/** Account id every mocked resource lives in. */
export const MOCK_ACCOUNT = "123456789012";

/**
 * How an unknown value (a computed output during a preview) appears in graph inputs: Pulumi's own
 * unknown sentinel, as the policy engine receives it.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Replaces the SDK's unknown markers with {@link UNKNOWN}, recursively. */
export function normalizeUnknowns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeUnknowns);
  if (value !== null && typeof value === "object") {
    if ((value as Record<string, unknown>).__pulumiUnknown === true) return UNKNOWN;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalizeUnknowns(v)]),
    );
  }
  return value;
}

/** True when a value is, or contains, an unknown. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object")
    return Object.values(value).some(containsUnknown);
  return false;
}

/** One resource of the synthesized graph. */
export interface GraphResource {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent resource; undefined at the top level. */
  parent?: string;
  /** false for components. */
  custom: boolean;
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource explicitly depends on (`dependsOn` and input dependencies). */
  dependsOn: string[];
  /** Per input property, the URNs its value came from (what the policy engine uses to relate resources). */
  propertyDependencies: Record<string, string[]>;
}

/** The result of one synthesis. */
export interface Graph {
  stack: string;
  preview: boolean;
  resources: GraphResource[];
  /** The program's stack outputs (undefined where unknown during a preview). */
  outputs: Record<string, unknown>;
  /** Wall time of the synthesis. */
  millis: number;
}

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** Stack name; its config comes from `Pulumi.<stack>.yaml` in {@link ROOT}. */
  stack: string;
  /** Program entry, relative to the repository root or absolute. @default "index.ts" */
  program?: string;
  /** Simulate a preview: computed outputs are unknown, `apply` callbacks on them do not run. @default false */
  preview?: boolean;
  /** Config values that replace or add to the stack file's (full keys, raw values). */
  configOverrides?: Record<string, unknown>;
  /** Use exactly this config instead of reading `Pulumi.<stack>.yaml`. */
  config?: Record<string, unknown>;
}

/** Reads a stack file's config as Pulumi's raw config map (full keys, string values). */
export function readStackConfig(stack: string, root = ROOT): Record<string, string> {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(root)
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5));
    throw new Error(
      `No stack file ${path.relative(process.cwd(), file) || file} for stack "${stack}"; known stacks: ${known.join(", ") || "(none)"}. Create it with \`pulumi stack init ${stack}\`.`,
    );
  }
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  return toRawConfig(doc.config ?? {});
}

/** Turns config values into Pulumi's raw form: namespaced keys, strings, JSON for structures. */
export function toRawConfig(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const full = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (value !== null && typeof value === "object" && "secure" in value) {
      throw new Error(
        `Config ${full} is a secret; offline synthesis cannot decrypt it. Override it in the test config.`,
      );
    }
    out[full] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** A short deterministic suffix, like Pulumi's auto-naming (7 hex characters). */
function suffix(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 7);
}

/** Realistic computed outputs per resource type, so ARNs and names flow through the program. */
export function mockOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): { id: string; state: Record<string, unknown> } {
  const physical = (typeof inputs.name === "string" && inputs.name) || `${name}-${suffix(name)}`;
  const acct = MOCK_ACCOUNT;
  const state: Record<string, unknown> = { ...inputs };
  let id = physical;
  const [pkg, mod] = type.split(":");
  const service = (mod ?? "").split("/")[0] ?? "";
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = (typeof inputs.bucket === "string" && inputs.bucket) || physical.toLowerCase();
      id = bucket;
      Object.assign(state, {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        region,
      });
      break;
    }
    case "aws:kms/key:Key": {
      const keyId = `${suffix(name)}-0000-4000-8000-${suffix(`${name}!`)}00000`;
      id = keyId;
      Object.assign(state, { keyId, arn: `arn:aws:kms:${region}:${acct}:key/${keyId}` });
      break;
    }
    case "aws:kms/alias:Alias":
      Object.assign(state, { arn: `arn:aws:kms:${region}:${acct}:${physical}` });
      break;
    case "aws:iam/role:Role":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:iam::${acct}:role/${physical}`,
        uniqueId: `AROA${suffix(name).toUpperCase()}`,
      });
      break;
    case "aws:iam/policy:Policy":
      id = `arn:aws:iam::${acct}:policy/${physical}`;
      Object.assign(state, { name: physical, arn: id });
      break;
    case "aws:sns/topic:Topic":
      id = `arn:aws:sns:${region}:${acct}:${physical}`;
      Object.assign(state, { name: physical, arn: id });
      break;
    case "aws:sqs/queue:Queue":
      id = `https://sqs.${region}.amazonaws.com/${acct}/${physical}`;
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:sqs:${region}:${acct}:${physical}`,
        url: id,
      });
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:logs:${region}:${acct}:log-group:${physical}`,
      });
      break;
    case "aws:glue/job:Job":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:glue:${region}:${acct}:job/${physical}`,
      });
      break;
    case "aws:glue/crawler:Crawler":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:glue:${region}:${acct}:crawler/${physical}`,
      });
      break;
    case "aws:glue/catalogDatabase:CatalogDatabase":
      id = `${acct}:${physical}`;
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:glue:${region}:${acct}:database/${physical}`,
        catalogId: acct,
      });
      break;
    case "aws:glue/securityConfiguration:SecurityConfiguration":
    case "aws:glue/connection:Connection":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:glue:${region}:${acct}:connection/${physical}`,
      });
      break;
    case "aws:sfn/stateMachine:StateMachine":
      id = `arn:aws:states:${region}:${acct}:stateMachine:${physical}`;
      Object.assign(state, { name: physical, arn: id });
      break;
    case "aws:cloudwatch/eventRule:EventRule":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:events:${region}:${acct}:rule/${physical}`,
      });
      break;
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:cloudwatch:${region}:${acct}:alarm:${physical}`,
      });
      break;
    case "aws:athena/workgroup:Workgroup":
      Object.assign(state, {
        name: physical,
        arn: `arn:aws:athena:${region}:${acct}:workgroup/${physical}`,
      });
      break;
    case "aws:athena/namedQuery:NamedQuery": {
      // Athena names a named query by a generated UUID.
      const h = createHash("sha256").update(name).digest("hex");
      id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
      break;
    }
    case "aws:quicksight/dataSource:DataSource":
      id = `${acct},${String(inputs.dataSourceId)}`;
      Object.assign(state, {
        arn: `arn:aws:quicksight:${region}:${acct}:datasource/${String(inputs.dataSourceId)}`,
      });
      break;
    case "aws:quicksight/dataSet:DataSet":
      id = `${acct},${String(inputs.dataSetId)}`;
      Object.assign(state, {
        arn: `arn:aws:quicksight:${region}:${acct}:dataset/${String(inputs.dataSetId)}`,
      });
      break;
    case "aws:quicksight/refreshSchedule:RefreshSchedule":
      id = `${acct},${String(inputs.dataSetId)},${String(inputs.scheduleId)}`;
      Object.assign(state, {
        arn: `arn:aws:quicksight:${region}:${acct}:dataset/${String(inputs.dataSetId)}/refresh-schedule/${String(inputs.scheduleId)}`,
      });
      break;
    case "aws:cloudcontrol/resource:Resource":
      // Cloud Control echoes the desired state as the resource's properties; it has no ARN output.
      Object.assign(state, { properties: inputs.desiredState });
      break;
    case "aws:s3/bucketObjectv2:BucketObjectv2":
      id = String(inputs.key ?? physical);
      Object.assign(state, {
        versionId: `v-${suffix(JSON.stringify(inputs.source ?? inputs.content ?? name))}`,
        etag: suffix(name),
      });
      break;
    case "awsx:ec2:Vpc": {
      // awsx is remote: its children never reach the mocks, only these outputs. The children
      // (tools/awsx-vpc.ts, the same layout the awsx provider double registers) give the ids;
      // subnets and route tables come back as plain objects standing in for the aws.ec2.Subnet /
      // RouteTable references a real run returns.
      const layout = vpcLayout(name, inputs, region);
      const vpcId = mockOutputs(layout.vpc.type, layout.vpc.name, layout.vpc.inputs, region).id;
      const subnets = layout.subnets.map((s) => {
        const subnet = mockOutputs(s.type, s.name, s.inputs, region);
        return {
          subnetType: s.subnetType,
          subnet: {
            id: subnet.id,
            arn: String(subnet.state.arn),
            availabilityZone: s.availabilityZone,
            vpcId,
          },
          routeTableId: mockOutputs(s.routeTable.type, s.routeTable.name, {}, region).id,
        };
      });
      Object.assign(state, vpcOutputs(vpcId, subnets));
      break;
    }
    case "aws:ec2/vpc:Vpc":
      id = `vpc-${suffix(name)}`;
      Object.assign(state, { arn: `arn:aws:ec2:${region}:${acct}:vpc/${id}` });
      break;
    case "aws:ec2/subnet:Subnet":
      id = `subnet-${suffix(name)}`;
      Object.assign(state, { arn: `arn:aws:ec2:${region}:${acct}:subnet/${id}` });
      break;
    case "aws:ec2/routeTable:RouteTable":
      id = `rtb-${suffix(name)}`;
      Object.assign(state, { arn: `arn:aws:ec2:${region}:${acct}:route-table/${id}` });
      break;
    case "aws:ec2/securityGroup:SecurityGroup":
      id = `sg-${suffix(name)}`;
      Object.assign(state, { arn: `arn:aws:ec2:${region}:${acct}:security-group/${id}` });
      break;
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      id = `vpce-${suffix(name)}`;
      Object.assign(state, {
        arn: `arn:aws:ec2:${region}:${acct}:vpc-endpoint/${id}`,
        ...(inputs.vpcEndpointType === "Gateway" ? { prefixListId: `pl-${suffix(name)}` } : {}),
      });
      break;
    default:
      if (pkg === "aws" && !("arn" in state)) {
        Object.assign(state, {
          arn: `arn:aws:${service}:${region}:${acct}:${(mod ?? "").split("/")[1] ?? "resource"}/${physical}`,
        });
      }
  }
  return { id, state };
}

/** Invokes the program may make; anything else fails loudly. */
export function mockCall(token: string, region: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/ci`,
        userId: "AIDAMOCK",
        id: MOCK_ACCOUNT,
      };
    case "aws:index/getRegion:getRegion":
      return {
        name: region,
        region,
        id: region,
        description: region,
        endpoint: `ec2.${region}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return {
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
        id: "aws",
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: [`${region}a`, `${region}b`, `${region}c`],
        zoneIds: ["z1", "z2", "z3"],
        id: region,
      };
    default:
      throw new Error(
        `Unmocked invoke ${token}: the offline synthesis knows only getCallerIdentity, getRegion, getPartition and getAvailabilityZones. Add a realistic result for it in tools/synth.ts mockCall().`,
      );
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, response?: RegisterResponse) => void;

function propertyDependencies(req: RegisterRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value, key) => {
    out[key] = value.getUrnsList();
  });
  return out;
}

/** Drops the program's own modules from the require cache so the next run re-declares every resource. */
function forgetProgramModules(): void {
  for (const key of Object.keys(require.cache)) {
    if (
      key.startsWith(ROOT + path.sep) &&
      !key.includes(`${path.sep}node_modules${path.sep}`) &&
      !key.startsWith(path.join(ROOT, "lib") + path.sep)
    ) {
      delete require.cache[key];
    }
  }
}

/**
 * Runs a Pulumi program under mocks and returns its resource graph.
 * @throws the program's own error (e.g. invalid config) unchanged.
 */
export function synthesize(opts: SynthesizeOptions): Promise<Graph> {
  // One mock monitor per process: syntheses run one after another, never interleaved.
  const run = queue.then(() => withoutSourceMaps(() => synthesizeNow(opts)));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` with Node's source-map support off (tsx turns it on). Every resource records the
 * full call stack of its constructor (its source position, which mocks never use), and mapping
 * those stacks back to TypeScript took about a third of a synthesis.
 */
async function withoutSourceMaps<T>(work: () => Promise<T>): Promise<T> {
  const enabled = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return await work();
  } finally {
    process.setSourceMapsEnabled(enabled);
  }
}

async function synthesizeNow(opts: SynthesizeOptions): Promise<Graph> {
  const started = performance.now();
  const preview = opts.preview ?? false;
  const raw = opts.config ? toRawConfig(opts.config) : readStackConfig(opts.stack);
  Object.assign(raw, toRawConfig(opts.configOverrides ?? {}));
  const region = raw["aws:region"] ?? "us-east-1";

  pulumi.runtime.setAllConfig(raw);
  const resources: GraphResource[] = [];
  let pendingName: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    custom: boolean;
  }[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        pendingName.push({ type: args.type, name: args.name, inputs, custom: args.custom ?? true });
        if (preview) {
          // A fresh preview: only the inputs are known.
          return { id: undefined, state: { ...inputs } };
        }
        return mockOutputs(args.type, args.name, inputs, region);
      },
      call(args) {
        return mockCall(args.token, region);
      },
    },
    PROJECT,
    opts.stack,
    preview,
  );

  // Capture what the mock API does not pass to newResource: parent, protect, dependencies.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
  };
  // The SDK's mock monitor keeps only the parent's last type in a child's URN; the engine keeps
  // the parent's whole qualified type (`GlueEtl$GlueNetwork$awsx:ec2:Vpc` for a component inside
  // a component), so URNs agree with a real deployment.
  (monitor as unknown as { newUrn: (p: string, t: string, n: string) => string }).newUrn = (
    parent,
    type,
    name,
  ) => {
    const parentType = parent ? parent.split("::")[2] : undefined;
    // The stack is every resource's root parent, and no part of its children's types.
    const qualified =
      parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: Callback) =>
    original(req, (err, response) => {
      if (!err && response) {
        const urn = response.getUrn();
        const idx = pendingName.findIndex(
          (p) => p.type === req.getType() && p.name === req.getName(),
        );
        const seen = idx >= 0 ? pendingName.splice(idx, 1)[0] : undefined;
        const inputs = normalizeUnknowns(seen?.inputs ?? {}) as Record<string, unknown>;
        const parent = req.getParent();
        resources.push({
          type: req.getType(),
          name: req.getName(),
          urn,
          ...(parent ? { parent } : {}),
          custom: req.getCustom(),
          inputs,
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
          dependsOn: req.getDependenciesList(),
          propertyDependencies: propertyDependencies(req),
        });
      }
      cb(err, response);
    });

  const entry = path.resolve(ROOT, opts.program ?? "index.ts");
  if (!fs.existsSync(entry)) {
    throw new Error(
      `Program ${opts.program} not found (looked for ${entry}). Pass --program <path to a .ts entry>.`,
    );
  }
  forgetProgramModules();
  pendingName = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(entry) as Record<string, unknown>;

  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exported)) {
    if (key === "__esModule") continue;
    const out = pulumi.output(value as pulumi.Input<unknown>) as unknown as {
      promise(): Promise<unknown>;
      isKnown: Promise<boolean>;
    };
    outputs[key] = (await out.isKnown) ? await out.promise() : undefined;
  }
  // Resources whose inputs wait on other outputs register late: wait until nothing is in flight.
  let count = -1;
  while (count !== resources.length) {
    count = resources.length;
    await settings.waitForRPCs();
    await new Promise((r) => setImmediate(r));
  }
  return { stack: opts.stack, preview, resources, outputs, millis: performance.now() - started };
}

/** Resources of one type, in registration order. */
export function ofType(graph: Graph, type: string): GraphResource[] {
  return graph.resources.filter((r) => r.type === type);
}
