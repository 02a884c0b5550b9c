import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import { type GlueEtlArgs, glueEtlProblems, resolveGlueEtlSettings } from "../components/etl";
import {
  GLUE_SPECIAL_ARGUMENTS,
  JOB_ARGUMENTS,
  PER_RUN_ARGUMENTS,
  assetVersion,
  catalogDatabaseName,
  glueDefaultArguments,
  loadGlueAssets,
  resolvedArgumentNames,
  securityConfigurationEncryption,
} from "../lib/etl";
import { glueCrawlerPolicy, glueJobPolicy, glueTrustPolicy } from "../lib/iam/etl";
import { buildDefinition } from "../lib/state-machine";
import { type Graph, type GraphResource, MOCK_ACCOUNT } from "../tools/synth";
import { byType, graphOf, json, one, repo } from "./harness";

const T = {
  etl: "spotify-pipeline:etl:GlueEtl",
  job: "aws:glue/job:Job",
  crawler: "aws:glue/crawler:Crawler",
  database: "aws:glue/catalogDatabase:CatalogDatabase",
  security: "aws:glue/securityConfiguration:SecurityConfiguration",
  connection: "aws:glue/connection:Connection",
  catalogEncryption: "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  vpc: "awsx:ec2:Vpc",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
};

/** The shipped sizing per stack (Pulumi.<stack>.yaml). */
const SIZING = {
  dev: { workerType: "G.1X", numberOfWorkers: 2, executionClass: "FLEX", timeout: 60 },
  prod: { workerType: "G.1X", numberOfWorkers: 10, executionClass: "STANDARD", timeout: 120 },
} as const;

const NETWORK_TYPES = [T.vpc, T.endpoint, T.sg, T.ingress, T.egress, T.connection];

interface Lake {
  names: Record<string, string>;
  keyArn: string;
}
const lake = (g: Graph): Lake => ({
  names: g.outputs.bucketNames as Record<string, string>,
  keyArn: g.outputs.keyArn as string,
});

const etlName = (stack: string) => `spotify-${stack}-etl`;

/** The exact job policy the stack must carry, built from the graph's own names. */
function expectedJobPolicy(g: Graph, stack: string, catalogEncrypted = false) {
  const { names, keyArn } = lake(g);
  const job = one(g, T.job, `${etlName(stack)}-job`);
  const conn = byType(g, T.connection)[0];
  const req = conn?.inputs.physicalConnectionRequirements as
    { subnetId: string; securityGroupIdLists: string[] } | undefined;
  const vpcId = byType(g, T.sg)[0]?.inputs.vpcId as string | undefined;
  return glueJobPolicy({
    partition: "aws",
    region: "eu-west-1",
    accountId: MOCK_ACCOUNT,
    keyArn,
    catalogEncrypted,
    input: { bucket: names.staging!, prefix: "incoming/" },
    assets: { bucket: names.assets!, prefix: "glue/" },
    outputs: [
      { bucket: names.processed!, prefixes: ["silver", "quarantine", "runs"] },
      { bucket: names.datawarehouse!, prefixes: ["tracks", "tracks_history", "_publish"] },
    ],
    ...(req && vpcId
      ? {
          network: {
            vpcId,
            subnetIds: [req.subnetId],
            securityGroupIds: req.securityGroupIdLists,
            connectionName: (job.inputs.connections as string[])[0]!,
          },
        }
      : {}),
  });
}

describe("GlueEtl wiring (whole program under mocks)", () => {
  const assets = loadGlueAssets();

  for (const stack of ["dev", "prod"] as const) {
    describe(`stack ${stack}`, () => {
      it("composes one GlueEtl whose resources are all its children", async () => {
        const g = await graphOf(stack);
        const [etl, ...more] = byType(g, T.etl);
        expect(more).to.have.length(0);
        expect(etl!.name).to.equal(etlName(stack));
        const mine = g.resources.filter((r) => r.name.startsWith(`${etlName(stack)}-`));
        expect(mine.length).to.be.greaterThan(10);
        // The isolated network (prod) is its own component under the GlueEtl; its resources
        // keep their names and carry an alias to their former parent (components/network.ts).
        const network = g.resources.filter(
          (r) => r.type === "spotify-pipeline:network:GlueNetwork",
        );
        expect(network.map((n) => n.parent)).to.deep.equal(stack === "prod" ? [etl!.urn] : []);
        const parents = new Set([etl!.urn, ...network.map((n) => n.urn)]);
        for (const r of mine) expect(parents.has(r.parent!), r.name).to.equal(true);
        const underNetwork = mine.filter((r) => r.parent === network[0]?.urn).map((r) => r.type);
        // 15 network resources plus one VpcEndpointPolicy per endpoint (6, lib/iam/network.ts).
        expect(underNetwork.length).to.equal(stack === "prod" ? 21 : 0);
      });

      it("uploads the script, every SQL file and the contract under one content-hashed prefix", async () => {
        const g = await graphOf(stack);
        const { names } = lake(g);
        const objects = byType(g, T.object).filter((o) => o.name.startsWith(etlName(stack)));
        expect(objects.map((o) => o.inputs.key).sort()).to.deep.equal(
          assets.all.map((a) => a.key).sort(),
        );
        const sqlFiles = fs.readdirSync(repo("glue", "sql")).filter((f) => f.endsWith(".sql"));
        const modules = fs
          .readdirSync(repo("glue"))
          .filter((f) => f.endsWith(".py") && f !== "job.py");
        expect(objects).to.have.length(sqlFiles.length + modules.length + 2);
        for (const o of objects) {
          const a = assets.all.find((x) => x.key === o.inputs.key)!;
          expect(o.inputs.key).to.equal(`glue/${assets.hash}/${a.name}`);
          expect(o.inputs.bucket).to.equal(names.assets);
          expect(o.inputs.sourceHash).to.equal(a.sha256);
          expect(o.inputs.contentType).to.equal(a.contentType);
        }
        expect(assets.hash).to.match(/^[0-9a-f]{12}$/);
      });

      it("runs the job on Glue 5.0 with the stack's sizing, one run at a time, no Glue retries", async () => {
        const g = await graphOf(stack);
        const job = one(g, T.job, `${etlName(stack)}-job`);
        const sec = one(g, T.security, `${etlName(stack)}-security`);
        const role = one(g, T.role, `${etlName(stack)}-job-role`);
        const { names } = lake(g);
        const s = SIZING[stack];
        expect(job.inputs).to.deep.include({
          glueVersion: "5.0",
          workerType: s.workerType,
          numberOfWorkers: s.numberOfWorkers,
          executionClass: s.executionClass,
          timeout: s.timeout,
          maxRetries: 0,
          executionProperty: { maxConcurrentRuns: 1 },
          securityConfiguration: `${sec.name}-${suffixOf(sec)}`,
          roleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${role.name}-${suffixOf(role)}`,
        });
        expect(job.inputs.command).to.deep.equal({
          name: "glueetl",
          pythonVersion: "3",
          scriptLocation: `s3://${names.assets}/glue/${assets.hash}/job.py`,
        });
      });

      it("passes exactly the default arguments the job needs (auto scaling only on STANDARD)", async () => {
        const g = await graphOf(stack);
        const { names } = lake(g);
        const job = one(g, T.job, `${etlName(stack)}-job`);
        const sqlKeys = assets.extraFiles
          .filter((f) => f.kind === "module" || f.kind === "sql")
          .map((f) => f.key);
        expect(job.inputs.defaultArguments).to.deep.equal({
          "--job-language": "python",
          "--extra-files": [...sqlKeys, `glue/${assets.hash}/contract.json`]
            .map((k) => `s3://${names.assets}/${k}`)
            .join(","),
          "--enable-metrics": "true",
          "--enable-observability-metrics": "true",
          ...(stack === "prod" ? { "--enable-auto-scaling": "true" } : {}),
          "--job-bookmark-option": "job-bookmark-disable",
          "--processed_path": `s3://${names.processed}`,
          "--warehouse_path": `s3://${names.datawarehouse}`,
        });
        // SQL files in run (file-name) order.
        const sqlOnly = sqlKeys.filter((k) => k.endsWith(".sql"));
        expect(sqlOnly).to.deep.equal([...sqlOnly].sort());
      });

      it("encrypts S3 output, logs and bookmarks with the pipeline key", async () => {
        const g = await graphOf(stack);
        const sec = one(g, T.security, `${etlName(stack)}-security`);
        expect(sec.inputs.encryptionConfiguration).to.deep.equal({
          s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: lake(g).keyArn },
          cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: lake(g).keyArn },
          jobBookmarksEncryption: {
            jobBookmarksEncryptionMode: "CSE-KMS",
            kmsKeyArn: lake(g).keyArn,
          },
        });
      });

      it("gives both roles the Glue trust policy and their exact inline policies", async () => {
        const g = await graphOf(stack);
        const { names, keyArn } = lake(g);
        for (const r of ["job-role", "crawler-role"]) {
          const role = one(g, T.role, `${etlName(stack)}-${r}`);
          expect(json(role.inputs.assumeRolePolicy), r).to.deep.equal(
            glueTrustPolicy(MOCK_ACCOUNT),
          );
          expect(role.inputs.managedPolicyArns, r).to.equal(undefined);
        }
        const jobPolicy = one(g, T.rolePolicy, `${etlName(stack)}-job-role`);
        expect(json(jobPolicy.inputs.policy)).to.deep.equal(expectedJobPolicy(g, stack));
        const crawlerPolicy = one(g, T.rolePolicy, `${etlName(stack)}-crawler-role`);
        expect(json(crawlerPolicy.inputs.policy)).to.deep.equal(
          glueCrawlerPolicy({
            partition: "aws",
            region: "eu-west-1",
            accountId: MOCK_ACCOUNT,
            keyArn,
            catalogEncrypted: false,
            target: { bucket: names.datawarehouse!, prefix: "tracks/" },
            databaseName: `spotify_pipeline_${stack}`,
          }),
        );
        // Spot checks against literal ARNs of this stack's buckets.
        const byId = Object.fromEntries(
          json<{ Statement: { Sid: string; Resource: unknown }[] }>(
            jobPolicy.inputs.policy,
          ).Statement.map((s) => [s.Sid, s.Resource]),
        );
        expect(byId.ReadInputBatches).to.equal(`arn:aws:s3:::${names.staging}/incoming/*`);
        expect(byId.OverwriteOutputs).to.include(`arn:aws:s3:::${names.datawarehouse}/tracks/*`);
        expect(byId.OverwriteOutputs).to.not.include(`arn:aws:s3:::${names.datawarehouse}/tracks*`);
      });

      it("creates the warehouse database and a crawler over the gold prefix", async () => {
        const g = await graphOf(stack);
        const { names } = lake(g);
        const db = one(g, T.database, `${etlName(stack)}-database`);
        expect(db.inputs.name).to.equal(`spotify_pipeline_${stack}`);
        const crawler = one(g, T.crawler, `${etlName(stack)}-crawler`);
        const sec = one(g, T.security, `${etlName(stack)}-security`);
        const role = one(g, T.role, `${etlName(stack)}-crawler-role`);
        expect(crawler.inputs).to.deep.include({
          databaseName: `spotify_pipeline_${stack}`,
          role: `arn:aws:iam::${MOCK_ACCOUNT}:role/${role.name}-${suffixOf(role)}`,
          securityConfiguration: `${sec.name}-${suffixOf(sec)}`,
        });
        expect(crawler.inputs.s3Targets).to.deep.equal([
          {
            path: `s3://${names.datawarehouse}/tracks/`,
            exclusions: ["**/_SUCCESS", "**/_temporary/**", "**_$folder$"],
          },
        ]);
        expect(crawler.inputs.schemaChangePolicy).to.deep.equal({
          updateBehavior: "UPDATE_IN_DATABASE",
          deleteBehavior: "DEPRECATE_IN_DATABASE",
        });
        expect(crawler.inputs.recrawlPolicy).to.deep.equal({ recrawlBehavior: "CRAWL_EVERYTHING" });
        expect(crawler.inputs.schedule).to.equal(undefined);
        expect(json(crawler.inputs.configuration)).to.deep.equal({
          Version: 1,
          CrawlerOutput: {
            Tables: { AddOrUpdateBehavior: "MergeNewColumns" },
            Partitions: { AddOrUpdateBehavior: "InheritFromTable" },
          },
          Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
        });
      });

      it("exports the job, crawler and database names", async () => {
        const g = await graphOf(stack);
        const job = one(g, T.job, `${etlName(stack)}-job`);
        const crawler = one(g, T.crawler, `${etlName(stack)}-crawler`);
        expect(g.outputs.glueJobName).to.equal(`${job.name}-${suffixOf(job)}`);
        expect(g.outputs.glueCrawlerName).to.equal(`${crawler.name}-${suffixOf(crawler)}`);
        expect(g.outputs.glueDatabaseName).to.equal(`spotify_pipeline_${stack}`);
      });

      it("manages no Data Catalog encryption unless asked (dataCatalogEncryption off)", async () => {
        expect(byType(await graphOf(stack), T.catalogEncryption)).to.have.length(0);
      });

      it("survives a preview, where computed values are unknown", async () => {
        const [real, preview] = await Promise.all([
          graphOf(stack),
          graphOf(stack, { preview: true }),
        ]);
        const ids = (g: Graph) =>
          g.resources
            .filter((r) => r.name.startsWith(etlName(stack)))
            .map((r) => `${r.type}::${r.name}`)
            .sort();
        expect(ids(preview)).to.deep.equal(ids(real));
        expect(ids(real).length).to.be.greaterThan(10);
      });
    });
  }

  describe("network isolation", () => {
    const variants = [
      { title: "prod as shipped (on)", stack: "prod", on: true },
      { title: "prod with networkIsolation false", stack: "prod", on: false },
      { title: "dev as shipped (off)", stack: "dev", on: false },
      { title: "dev with networkIsolation true", stack: "dev", on: true },
    ] as const;
    const graphs = new Map<string, Promise<Graph>>();
    const graphFor = (v: (typeof variants)[number]) => {
      const shipped = (v.stack === "prod") === v.on;
      const key = v.title;
      if (!graphs.has(key)) {
        graphs.set(
          key,
          shipped
            ? graphOf(v.stack)
            : graphOf(v.stack, { configOverrides: { networkIsolation: v.on } }),
        );
      }
      return graphs.get(key)!;
    };

    for (const v of variants) {
      describe(v.title, () => {
        if (!v.on) {
          it("creates no VPC, endpoint, security group or connection; the job has no connection", async () => {
            const g = await graphFor(v);
            for (const t of NETWORK_TYPES) expect(byType(g, t), t).to.have.length(0);
            const job = one(g, T.job, `${etlName(v.stack)}-job`);
            expect(job.inputs.connections).to.equal(undefined);
            const policy = json<{ Statement: { Action: string | string[] }[] }>(
              one(g, T.rolePolicy, `${etlName(v.stack)}-job-role`).inputs.policy,
            );
            const actions = policy.Statement.flatMap((s) => [s.Action].flat());
            expect(
              actions.filter((a) => a.startsWith("ec2:") || a.startsWith("glue:")),
            ).to.deep.equal([]);
          });
          return;
        }

        it("builds an awsx VPC with isolated subnets only and no NAT", async () => {
          const g = await graphFor(v);
          const vpc = one(g, T.vpc, `${etlName(v.stack)}-vpc`);
          expect(vpc.inputs).to.deep.equal({
            cidrBlock: "10.42.0.0/16",
            numberOfAvailabilityZones: 2,
            subnetStrategy: "Auto",
            subnetSpecs: [{ type: "Isolated", name: "glue" }],
            natGateways: { strategy: "None" },
            enableDnsHostnames: true,
            enableDnsSupport: true,
          });
        });

        it("adds an S3 gateway endpoint on every route table and five interface endpoints", async () => {
          const g = await graphFor(v);
          const endpoints = byType(g, T.endpoint);
          const vpcId = byType(g, T.sg)[0]!.inputs.vpcId as string;
          expect(vpcId).to.match(/^vpc-/);
          const s3 = endpoints.find((e) => e.inputs.vpcEndpointType === "Gateway")!;
          expect(s3.inputs).to.deep.equal({
            vpcId,
            serviceName: "com.amazonaws.eu-west-1.s3",
            vpcEndpointType: "Gateway",
            routeTableIds: s3.inputs.routeTableIds,
          });
          expect(s3.inputs.routeTableIds).to.have.length(2);
          for (const id of s3.inputs.routeTableIds as string[]) expect(id).to.match(/^rtb-/);

          const endpointSg = one(g, T.sg, `${etlName(v.stack)}-endpoints-sg`);
          const sgId = `sg-${suffixOf(endpointSg)}`;
          const interfaces = endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface");
          expect(interfaces.map((e) => e.inputs.serviceName).sort()).to.deep.equal(
            ["glue", "kms", "logs", "monitoring", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`),
          );
          for (const e of interfaces) {
            expect(e.inputs.privateDnsEnabled, e.name).to.equal(true);
            expect(e.inputs.securityGroupIds, e.name).to.deep.equal([sgId]);
            expect(e.inputs.subnetIds, e.name).to.have.length(2);
            expect(e.inputs.vpcId, e.name).to.equal(vpcId);
          }
          const job = one(g, T.job, `${etlName(v.stack)}-job`);
          for (const e of endpoints) expect(job.dependsOn, e.name).to.include(e.urn);
        });

        it("allows only self-referencing traffic for the job and HTTPS to the endpoints", async () => {
          const g = await graphFor(v);
          const jobSg = `sg-${suffixOf(one(g, T.sg, `${etlName(v.stack)}-job-sg`))}`;
          const endpointSg = `sg-${suffixOf(one(g, T.sg, `${etlName(v.stack)}-endpoints-sg`))}`;
          const s3 = byType(g, T.endpoint).find((e) => e.inputs.vpcEndpointType === "Gateway")!;
          const rule = (r: GraphResource) => {
            const { description: _d, ...rest } = r.inputs;
            return { name: r.name.slice(etlName(v.stack).length + 1), ...rest };
          };
          expect(byType(g, T.ingress).map(rule)).to.deep.equal([
            {
              name: "job-from-self",
              securityGroupId: jobSg,
              referencedSecurityGroupId: jobSg,
              ipProtocol: "tcp",
              fromPort: 0,
              toPort: 65535,
            },
            {
              name: "endpoints-from-job",
              securityGroupId: endpointSg,
              referencedSecurityGroupId: jobSg,
              ipProtocol: "tcp",
              fromPort: 443,
              toPort: 443,
            },
          ]);
          expect(
            byType(g, T.egress)
              .map(rule)
              .sort((a, b) => a.name.localeCompare(b.name)),
          ).to.deep.equal([
            {
              name: "job-to-endpoints",
              securityGroupId: jobSg,
              referencedSecurityGroupId: endpointSg,
              ipProtocol: "tcp",
              fromPort: 443,
              toPort: 443,
            },
            {
              name: "job-to-s3",
              securityGroupId: jobSg,
              prefixListId: `pl-${suffixOf(s3)}`,
              ipProtocol: "tcp",
              fromPort: 443,
              toPort: 443,
            },
            {
              name: "job-to-self",
              securityGroupId: jobSg,
              referencedSecurityGroupId: jobSg,
              ipProtocol: "tcp",
              fromPort: 0,
              toPort: 65535,
            },
          ]);
          for (const sg of byType(g, T.sg)) {
            expect(sg.inputs.ingress, sg.name).to.equal(undefined);
            expect(sg.inputs.egress, sg.name).to.equal(undefined);
            expect(sg.inputs.revokeRulesOnDelete, sg.name).to.equal(true);
          }
        });

        it("runs the job through a NETWORK connection in the first isolated subnet", async () => {
          const g = await graphFor(v);
          const conn = one(g, T.connection, `${etlName(v.stack)}-network`);
          const jobSg = `sg-${suffixOf(one(g, T.sg, `${etlName(v.stack)}-job-sg`))}`;
          const gateway = byType(g, T.endpoint).find(
            (e) => e.inputs.vpcEndpointType === "Interface",
          )!;
          const firstSubnet = (gateway.inputs.subnetIds as string[])[0];
          expect(conn.inputs).to.deep.include({ connectionType: "NETWORK" });
          expect(conn.inputs.physicalConnectionRequirements).to.deep.equal({
            subnetId: firstSubnet,
            availabilityZone: "eu-west-1a",
            securityGroupIdLists: [jobSg],
          });
          const job = one(g, T.job, `${etlName(v.stack)}-job`);
          expect(job.inputs.connections).to.deep.equal([`${conn.name}-${suffixOf(conn)}`]);
        });

        it("lets the job role manage its network interfaces in that subnet and group only", async () => {
          const g = await graphFor(v);
          const doc = json(one(g, T.rolePolicy, `${etlName(v.stack)}-job-role`).inputs.policy);
          expect(doc).to.deep.equal(expectedJobPolicy(g, v.stack));
          const sids = (doc.Statement as { Sid: string }[]).map((s) => s.Sid);
          expect(sids).to.include.members([
            "CreateJobNetworkInterfaces",
            "DeleteJobNetworkInterfaces",
            "ReadJobConnection",
          ]);
        });
      });
    }
  });

  it("manages the account's Data Catalog encryption with the key when dataCatalogEncryption is on", async () => {
    const g = await graphOf("dev", { configOverrides: { dataCatalogEncryption: true } });
    const { keyArn } = lake(g);
    const [settings, ...more] = byType(g, T.catalogEncryption);
    expect(more).to.have.length(0);
    expect(settings!.name).to.equal("spotify-dev-etl-catalog-encryption");
    expect(settings!.inputs.dataCatalogEncryptionSettings).to.deep.equal({
      encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: keyArn },
      connectionPasswordEncryption: {
        returnConnectionPasswordEncrypted: true,
        awsKmsKeyId: keyArn,
      },
    });
    const crawlerDoc = json<{ Statement: { Sid: string; Condition?: unknown }[] }>(
      one(g, T.rolePolicy, "spotify-dev-etl-crawler-role").inputs.policy,
    );
    expect(crawlerDoc.Statement.at(-1)).to.deep.equal({
      Sid: "UseKeyThroughGlue",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": "glue.eu-west-1.amazonaws.com" } },
    });
  });
});

describe("the job script and its arguments", () => {
  const script = repo("glue", "job.py");

  it("glue/job.py resolves exactly the contract's arguments", () => {
    expect(
      fs.existsSync(script),
      "glue/job.py is missing: the Glue entrypoint (issue 3) must exist",
    ).to.equal(true);
    expect(resolvedArgumentNames(fs.readFileSync(script, "utf8"))).to.have.members([
      ...JOB_ARGUMENTS,
    ]);
  });

  it("every resolved argument is given: by Glue (JOB_NAME), by the state machine, or by defaultArguments", async () => {
    const resolved = resolvedArgumentNames(fs.readFileSync(script, "utf8"));
    const g = await graphOf("dev");
    const job = one(g, T.job, "spotify-dev-etl-job");
    const defaults = Object.keys(job.inputs.defaultArguments as Record<string, string>);
    const special = new Set<string>(GLUE_SPECIAL_ARGUMENTS);
    const scriptDefaults = defaults.filter((k) => !special.has(k));

    const def = buildDefinition({
      jobName: g.outputs.glueJobName as string,
      crawlerName: g.outputs.glueCrawlerName as string,
      topicArn: `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:topic`,
      summaryBucket: (g.outputs.bucketNames as Record<string, string>).processed!,
    });
    const runs = Object.values(def.States).filter(
      (s) => "Resource" in s && s.Resource === "arn:aws:states:::glue:startJobRun.sync",
    ) as unknown as { Parameters: { Arguments: Record<string, string> } }[];
    // RunGlueJob (--mode write) and PublishGold (--mode publish) pass the same arguments.
    expect(runs).to.have.length(2);
    const [perRun, publishRun] = runs.map((r) =>
      Object.keys(r.Parameters.Arguments).map((k) => k.replace(/\.\$$/, "")),
    ) as [string[], string[]];
    expect(perRun).to.have.members([...PER_RUN_ARGUMENTS]);
    expect(publishRun).to.have.members([...PER_RUN_ARGUMENTS]);

    const given = ["--JOB_NAME", ...perRun, ...scriptDefaults];
    expect(given.map((a) => a.slice(2))).to.have.members(resolved);
    // No argument is both a default and a per-run one (a run would silently override it).
    expect(scriptDefaults.filter((a) => perRun.includes(a))).to.deep.equal([]);
  });
});

describe("lib/etl (pure)", () => {
  const files = [
    { name: "job.py", content: "print('x')\n" },
    { name: "contract.json", content: "{}\n" },
    { name: "02_b.sql", content: "SELECT 2\n" },
    { name: "01_a.sql", content: "SELECT 1\n" },
  ];

  it("places every file under one prefix: glue/<12 hex>/<name>, SQL in file-name order", () => {
    const v = assetVersion(files);
    expect(v.hash).to.match(/^[0-9a-f]{12}$/);
    expect(v.prefix).to.equal(`glue/${v.hash}/`);
    expect(v.all.map((a) => a.key)).to.deep.equal(
      ["job.py", "01_a.sql", "02_b.sql", "contract.json"].map((n) => `glue/${v.hash}/${n}`),
    );
    expect(v.script.kind).to.equal("script");
    expect(v.extraFiles.map((f) => f.kind)).to.deep.equal(["sql", "sql", "contract"]);
  });

  it("gives every key a new prefix when one SQL file's content changes (a SQL change redeploys)", () => {
    const before = assetVersion(files);
    const after = assetVersion(
      files.map((f) => (f.name === "02_b.sql" ? { ...f, content: "SELECT 3\n" } : f)),
    );
    expect(after.hash).to.not.equal(before.hash);
    for (let i = 0; i < before.all.length; i++) {
      expect(after.all[i]!.key, before.all[i]!.name).to.not.equal(before.all[i]!.key);
      expect(after.all[i]!.name).to.equal(before.all[i]!.name);
    }
    const args = (v: typeof before) =>
      glueDefaultArguments({
        processedBucket: "p",
        warehouseBucket: "w",
        assetsBucket: "a",
        assets: v,
        autoScaling: false,
      })["--extra-files"];
    expect(args(after)).to.not.equal(args(before));
  });

  it("changes the prefix when a file is added or renamed, not when the input order changes", () => {
    const base = assetVersion(files).hash;
    expect(assetVersion([...files].reverse()).hash).to.equal(base);
    expect(assetVersion([...files, { name: "03_c.sql", content: "SELECT 1\n" }]).hash).to.not.equal(
      base,
    );
    expect(
      assetVersion(files.map((f) => (f.name === "01_a.sql" ? { ...f, name: "00_a.sql" } : f))).hash,
    ).to.not.equal(base);
  });

  it("hashes each file's bytes with SHA-256", () => {
    const v = assetVersion(files);
    for (const f of files) {
      const asset = v.all.find((a) => a.name === f.name)!;
      expect(asset.sha256, f.name).to.equal(createHash("sha256").update(f.content).digest("hex"));
    }
  });

  const broken: [string, { name: string; content: string }[], string][] = [
    [
      "no script",
      files.filter((f) => f.name !== "job.py"),
      "Glue job assets are incomplete: job.py is missing. The job ships glue/job.py, glue/contract.json and glue/sql/*.sql; add the missing files.",
    ],
    [
      "no contract and no SQL",
      files.filter((f) => f.name === "job.py"),
      "Glue job assets are incomplete: contract.json is missing; no SQL file (sql/*.sql). The job ships glue/job.py, glue/contract.json and glue/sql/*.sql; add the missing files.",
    ],
    [
      "an unexpected file",
      [...files, { name: "notes.txt", content: "" }],
      'Glue job assets are incomplete: unexpected files ["notes.txt"] (expected job.py, contract.json, *.sql named with letters, digits, _ . - and *.py modules named in lowercase snake_case). The job ships glue/job.py, glue/contract.json and glue/sql/*.sql; add the missing files.',
    ],
  ];
  for (const [title, input, message] of broken) {
    it(`refuses an incomplete set: ${title}`, () => {
      expect(() => assetVersion(input)).to.throw(message);
    });
  }

  it("loadGlueAssets reads job.py, contract.json and sql/*.sql from a folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glue-assets-"));
    try {
      fs.mkdirSync(path.join(dir, "sql"));
      for (const f of files) {
        const p = f.name.endsWith(".sql") ? path.join(dir, "sql", f.name) : path.join(dir, f.name);
        fs.writeFileSync(p, f.content);
      }
      fs.writeFileSync(path.join(dir, "sql", "README.md"), "ignored\n");
      const v = loadGlueAssets(dir);
      expect(v.hash).to.equal(assetVersion(files).hash);
      expect(v.script.localPath).to.equal(path.join(dir, "job.py"));
      expect(v.extraFiles[0]!.localPath).to.equal(path.join(dir, "sql", "01_a.sql"));
      fs.rmSync(path.join(dir, "job.py"));
      expect(() => loadGlueAssets(dir)).to.throw(`job.py is missing`);
      expect(() => loadGlueAssets(dir)).to.throw(`(looked in ${dir})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("glueDefaultArguments: exact arguments, auto scaling only when asked", () => {
    const v = assetVersion(files);
    const args = glueDefaultArguments({
      processedBucket: "proc",
      warehouseBucket: "dw",
      assetsBucket: "assets",
      assets: v,
      autoScaling: true,
    });
    expect(args).to.deep.equal({
      "--job-language": "python",
      "--extra-files": `s3://assets/glue/${v.hash}/01_a.sql,s3://assets/glue/${v.hash}/02_b.sql,s3://assets/glue/${v.hash}/contract.json`,
      "--enable-metrics": "true",
      "--enable-observability-metrics": "true",
      "--enable-auto-scaling": "true",
      "--job-bookmark-option": "job-bookmark-disable",
      "--processed_path": "s3://proc",
      "--warehouse_path": "s3://dw",
    });
    const { "--enable-auto-scaling": _drop, ...withoutScaling } = args;
    expect(
      glueDefaultArguments({
        processedBucket: "proc",
        warehouseBucket: "dw",
        assetsBucket: "assets",
        assets: v,
        autoScaling: false,
      }),
    ).to.deep.equal(withoutScaling);
  });

  const dbNames: [string, string][] = [
    ["dev", "spotify_pipeline_dev"],
    ["prod", "spotify_pipeline_prod"],
    ["Feature-42.x", "spotify_pipeline_feature_42_x"],
  ];
  for (const [stack, name] of dbNames) {
    it(`catalogDatabaseName(${JSON.stringify(stack)}) = ${name}`, () => {
      expect(catalogDatabaseName(stack)).to.equal(name);
    });
  }

  it("securityConfigurationEncryption uses the one key for S3, logs and bookmarks", () => {
    expect(securityConfigurationEncryption("arn:k")).to.deep.equal({
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: "arn:k" },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: "arn:k" },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: "arn:k" },
    });
  });

  const scripts: [string, string, string[] | string][] = [
    [
      "one line, double quotes",
      'args = getResolvedOptions(sys.argv, ["JOB_NAME", "run_id"])',
      ["JOB_NAME", "run_id"],
    ],
    [
      "several lines, single quotes, comments, trailing comma",
      "args = getResolvedOptions(\n    sys.argv,\n    [\n        'JOB_NAME',  # Glue\n        'input_path',\n    ],\n)",
      ["JOB_NAME", "input_path"],
    ],
    ["no call", "import sys\n", "No getResolvedOptions(sys.argv, [...]) call"],
    [
      "a computed item",
      "getResolvedOptions(sys.argv, ['JOB_NAME', NAME])",
      "getResolvedOptions list item NAME is not a string literal",
    ],
  ];
  for (const [title, source, expected] of scripts) {
    it(`resolvedArgumentNames: ${title}`, () => {
      if (Array.isArray(expected)) expect(resolvedArgumentNames(source)).to.deep.equal(expected);
      else expect(() => resolvedArgumentNames(source)).to.throw(expected);
    });
  }
});

describe("GlueEtl args (pure validation and defaults)", () => {
  const base: GlueEtlArgs = {
    accountId: MOCK_ACCOUNT,
    region: "eu-west-1",
    partition: "aws",
    keyArn: "arn:k",
    stagingBucket: "s",
    processedBucket: "p",
    datawarehouseBucket: "d",
    assetsBucket: "a",
    databaseName: "spotify_pipeline_dev",
  };

  it("defaults: G.1X x2 FLEX, 60 minutes, no auto scaling, no isolation, 10.42.0.0/16 over 2 AZs", () => {
    expect(resolveGlueEtlSettings(base)).to.deep.equal({
      workerType: "G.1X",
      numberOfWorkers: 2,
      executionClass: "FLEX",
      timeoutMinutes: 60,
      autoScaling: false,
      networkIsolation: false,
      vpcCidr: "10.42.0.0/16",
      availabilityZoneCount: 2,
      dataCatalogEncryption: false,
    });
    expect(resolveGlueEtlSettings({ ...base, executionClass: "STANDARD" }).autoScaling).to.equal(
      true,
    );
    expect(glueEtlProblems(base)).to.deep.equal([]);
  });

  const bad: [string, Partial<GlueEtlArgs>, string[]][] = [
    [
      "FLEX on a big worker",
      { workerType: "G.4X" },
      [
        'workerType: got "G.4X" with executionClass FLEX; expected G.1X or G.2X (Flex runs only on those), or executionClass STANDARD.',
      ],
    ],
    [
      "auto scaling on FLEX",
      { autoScaling: true },
      [
        "autoScaling: got true with executionClass FLEX; expected false, or executionClass STANDARD.",
      ],
    ],
    [
      "several at once",
      {
        numberOfWorkers: 1,
        timeoutMinutes: 0,
        databaseName: "spotify-pipeline-dev",
        vpcCidr: "10.0.0.0/8",
        availabilityZoneCount: 0,
      },
      [
        "numberOfWorkers: got 1; expected a whole number from 2 to 299.",
        "timeoutMinutes: got 0; expected a whole number from 1 to 2880.",
        'databaseName: got "spotify-pipeline-dev"; expected lower-case letters, digits and underscores (1-255), e.g. spotify_pipeline_dev.',
        'vpcCidr: got "10.0.0.0/8"; expected an IPv4 CIDR from /16 to /24, e.g. 10.42.0.0/16.',
        "availabilityZoneCount: got 0; expected a whole number from 1 to 6.",
      ],
    ],
  ];
  for (const [title, override, problems] of bad) {
    it(`refuses ${title}`, () => {
      expect(glueEtlProblems({ ...base, ...override })).to.deep.equal(problems);
    });
  }
});

/** The 7-hex suffix the mocks give an auto-named resource (see tools/synth.ts). */
function suffixOf(r: GraphResource): string {
  return createHash("sha256").update(r.name).digest("hex").slice(0, 7);
}
