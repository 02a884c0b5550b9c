import { expect } from "chai";

import { BUCKETS, PURPOSE_TAG, lifecycleRules } from "../lib/storage";
import { MOCK_ACCOUNT } from "../tools/synth";
import { STACKS, byType, graphOf, json } from "./harness";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  owner: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  logging: "aws:s3/bucketLogging:BucketLogging",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  key: "aws:kms/key:Key",
};

describe("MedallionStorage wiring (whole program under mocks)", () => {
  it("ships a dev and a prod stack", () => {
    expect(STACKS).to.include.members(["dev", "prod"]);
  });

  for (const stack of ["dev", "prod"]) {
    describe(`stack ${stack}`, () => {
      it("creates the six buckets of the lake, tagged with their purpose", async () => {
        const g = await graphOf(stack);
        const purposes = byType(g, T.bucket)
          .map((b) => (b.inputs.tags as Record<string, string>)[PURPOSE_TAG])
          .filter((p) => p !== undefined)
          .sort();
        expect(purposes).to.deep.equal([
          "access-logs",
          "assets",
          "athena-results",
          "datawarehouse",
          "processed",
          "staging",
        ]);
      });

      it("gives every bucket all four public-access-block flags and BucketOwnerEnforced", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        for (const name of Object.values(names)) {
          const pab = byType(g, T.pab).filter((r) => r.inputs.bucket === name);
          expect(pab, name).to.have.length(1);
          expect(pab[0]!.inputs).to.deep.include({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
          });
          const own = byType(g, T.owner).filter((r) => r.inputs.bucket === name);
          expect(
            own.map((o) => o.inputs.rule),
            name,
          ).to.deep.equal([{ objectOwnership: "BucketOwnerEnforced" }]);
        }
      });

      it("encrypts data buckets with the pipeline key and bucket keys; access logs with SSE-S3", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        const keyArn = g.outputs.keyArn as string;
        expect(keyArn).to.match(new RegExp(`^arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/`));
        for (const spec of BUCKETS) {
          const sse = byType(g, T.sse).filter((r) => r.inputs.bucket === names[spec.purpose]);
          expect(sse, spec.purpose).to.have.length(1);
          const expected = spec.kms
            ? [
                {
                  applyServerSideEncryptionByDefault: {
                    sseAlgorithm: "aws:kms",
                    kmsMasterKeyId: keyArn,
                  },
                  bucketKeyEnabled: true,
                },
              ]
            : [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
          expect(sse[0]!.inputs.rules, spec.purpose).to.deep.equal(expected);
        }
      });

      it("versions exactly the data buckets", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        const versioned = byType(g, T.versioning).map((v) => {
          expect(v.inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
          return purposeOf(names, v.inputs.bucket);
        });
        expect(versioned.sort()).to.deep.equal(["assets", "datawarehouse", "processed", "staging"]);
      });

      it("denies non-TLS requests on every bucket; only the log bucket admits S3 log delivery", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        const arns = g.outputs.bucketArns as Record<string, string>;
        for (const spec of BUCKETS) {
          const pol = byType(g, T.policy).filter((p) => p.inputs.bucket === names[spec.purpose]);
          expect(pol, spec.purpose).to.have.length(1);
          const doc = json<{ Statement: Record<string, unknown>[] }>(pol[0]!.inputs.policy);
          expect(doc.Statement[0]).to.deep.equal({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arns[spec.purpose], `${arns[spec.purpose]}/*`],
            Condition: { Bool: { "aws:SecureTransport": false } },
          });
          if (spec.purpose === "access-logs") {
            expect(doc.Statement[1]).to.deep.equal({
              Sid: "AllowServerAccessLogDelivery",
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: `${arns["access-logs"]}/*`,
              Condition: {
                StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
                ArnLike: {
                  "aws:SourceArn": BUCKETS.filter((b) => b.accessLogged).map(
                    (b) => arns[b.purpose],
                  ),
                },
              },
            });
          } else {
            expect(doc.Statement, spec.purpose).to.have.length(1);
          }
        }
      });

      it("logs server access of every other bucket to the access-log bucket under its purpose", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        const logging = byType(g, T.logging).map((l) => ({
          from: purposeOf(names, l.inputs.bucket),
          to: purposeOf(names, l.inputs.targetBucket),
          prefix: l.inputs.targetPrefix,
        }));
        expect(logging).to.deep.equal(
          ["staging", "processed", "datawarehouse", "athena-results", "assets"].map((p) => ({
            from: p,
            to: "access-logs",
            prefix: `${p}/`,
          })),
        );
      });

      it("ages data with lifecycle rules on every bucket", async () => {
        const g = await graphOf(stack);
        const names = lakeBucketNames(g);
        const rules = Object.fromEntries(
          byType(g, T.lifecycle).map((l) => [purposeOf(names, l.inputs.bucket), l.inputs.rules]),
        ) as Record<string, { id: string }[]>;
        expect(Object.keys(rules).sort()).to.deep.equal(BUCKETS.map((b) => b.purpose).sort());
        for (const list of Object.values(rules)) {
          expect(list[0]).to.deep.equal({
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          });
        }
        const tier = (rules.staging ?? []).find(
          (r) => r.id === "tier-cold-raw-data",
        ) as unknown as {
          transitions: unknown[];
        };
        expect(tier.transitions).to.deep.equal(
          stack === "prod"
            ? [
                { days: 90, storageClass: "STANDARD_IA" },
                { days: 365, storageClass: "GLACIER_IR" },
              ]
            : [
                { days: 30, storageClass: "STANDARD_IA" },
                { days: 180, storageClass: "GLACIER_IR" },
              ],
        );
        expect(rules["athena-results"]?.map((r) => r.id)).to.deep.equal([
          "abort-incomplete-multipart-uploads",
          "expire-query-results",
        ]);
      });

      it("rotates the pipeline key and scopes its service statements with conditions", async () => {
        const g = await graphOf(stack);
        const [key] = byType(g, T.key);
        expect(key!.inputs.enableKeyRotation).to.equal(true);
        const doc = json<{ Statement: { Sid: string; Principal: unknown; Condition?: unknown }[] }>(
          key!.inputs.policy,
        );
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
          "EnableIamPolicies",
          "AllowCloudWatchLogs",
          "AllowCloudWatchAlarmsToEncryptedTopic",
          "AllowEventBridgeToEncryptedTopic",
        ]);
        expect(doc.Statement[0]!.Principal).to.deep.equal({
          AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root`,
        });
        expect(doc.Statement[1]!.Condition).to.deep.equal({
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": [
              `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:/aws/vendedlogs/states/*`,
              `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:/aws-glue/*`,
            ],
          },
        });
        for (const s of doc.Statement.slice(1)) expect(s.Condition, s.Sid).to.not.equal(undefined);
      });

      it("tags everything through the provider's defaultTags", async () => {
        const g = await graphOf(stack);
        const [provider] = byType(g, "pulumi:providers:aws");
        expect(json(provider!.inputs.defaultTags)).to.deep.equal({
          tags: {
            project: "spotify-pipeline",
            stack,
            environment: stack,
            owner: "data-platform",
            "cost-center": `data-eng-${stack}`,
          },
        });
        expect(provider!.inputs.region).to.equal("eu-west-1");
      });

      it("survives a preview, where computed values are unknown", async () => {
        const [real, preview] = await Promise.all([
          graphOf(stack),
          graphOf(stack, { preview: true }),
        ]);
        // Registration order differs (unknowns resolve later); the set of resources must not.
        const ids = (g: typeof real) => g.resources.map((r) => `${r.type}::${r.name}`).sort();
        expect(ids(preview)).to.deep.equal(ids(real));
      });
    });
  }

  it("prod protects and retains the key and the data buckets; dev lets them go", async () => {
    const summary = async (stack: string) => {
      const g = await graphOf(stack);
      return [...byType(g, T.bucket), ...byType(g, T.key)].map((r) => ({
        name: r.name,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        forceDestroy: r.inputs.forceDestroy,
      }));
    };
    const prod = await summary("prod");
    const dataNames = ["staging", "processed", "datawarehouse", "assets", "key"].map(
      (p) => `spotify-prod-${p}`,
    );
    for (const r of prod) {
      const isData = dataNames.includes(r.name);
      expect({ protect: r.protect, retainOnDelete: r.retainOnDelete }, r.name).to.deep.equal({
        protect: isData,
        retainOnDelete: isData,
      });
      if (r.forceDestroy !== undefined) expect(r.forceDestroy, r.name).to.equal(false);
    }
    const dev = await summary("dev");
    for (const r of dev) {
      expect(r.protect || r.retainOnDelete, r.name).to.equal(false);
      if (r.name !== "spotify-dev-key") expect(r.forceDestroy, r.name).to.equal(true);
    }
  });
});

describe("lifecycleRules (pure)", () => {
  const s = {
    rawDataTransitionDays: 30,
    rawDataArchiveDays: 180,
    noncurrentVersionExpirationDays: 7,
    athenaResultsExpirationDays: 5,
    accessLogExpirationDays: 90,
  };
  const cases: [string, string[]][] = [
    [
      "staging",
      ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "tier-cold-raw-data"],
    ],
    ["processed", ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]],
    ["datawarehouse", ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]],
    ["assets", ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"]],
    ["athena-results", ["abort-incomplete-multipart-uploads", "expire-query-results"]],
    ["access-logs", ["abort-incomplete-multipart-uploads", "expire-access-logs"]],
  ];
  for (const [purpose, ids] of cases) {
    it(`${purpose}: ${ids.join(", ")}`, () => {
      const rules = lifecycleRules(purpose as never, s);
      expect(rules.map((r) => r.id)).to.deep.equal(ids);
    });
  }
  it("uses the configured days", () => {
    const byId = Object.fromEntries(
      [...lifecycleRules("athena-results", s), ...lifecycleRules("staging", s)].map((r) => [
        r.id,
        r,
      ]),
    );
    expect(byId["expire-query-results"]?.expiration).to.deep.equal({ days: 5 });
    expect(byId["expire-noncurrent-versions"]?.noncurrentVersionExpiration).to.deep.equal({
      noncurrentDays: 7,
    });
  });
});

function lakeBucketNames(g: { outputs: Record<string, unknown> }): Record<string, string> {
  return g.outputs.bucketNames as Record<string, string>;
}

function purposeOf(names: Record<string, string>, bucket: unknown): string {
  const found = Object.entries(names).find(([, n]) => n === bucket);
  if (!found) throw new Error(`bucket ${String(bucket)} is not one of the lake's`);
  return found[0];
}
