import { expect } from "chai";

import {
  T,
  UNKNOWN,
  baseline,
  bucketPolicy,
  find,
  patch,
  physical,
  plus,
  res,
  without,
  type Editable,
} from "./fixtures/policy/graph";
import { advisory, cannotCheck, check, mandatory } from "./fixtures/policy/run";
import type { GraphResource } from "../policy/evaluate";

const PAB_REQ =
  "must block public access with all four flags (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets)";
const TLS_REQ =
  'must have a bucket policy that denies s3:* to Principal "*" on exactly the bucket\'s ARN and <arn>/* when aws:SecureTransport is false';

const only = async (policy: string, graph = baseline(), stack = "prod") =>
  (await check(graph, { stack })).filter((v) => v.policy === policy);

describe("policy: s3-bucket-public-access-block", () => {
  const policy = "s3-bucket-public-access-block";

  it("passes the baseline (every bucket has all four flags)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without a public access block, on the bucket", async () => {
    expect(await check(without(baseline(), T.pab, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${PAB_REQ}; found no aws.s3.BucketPublicAccessBlock.`,
      ),
    ]);
  });

  for (const flag of [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
  ]) {
    it(`reports ${flag} false`, async () => {
      const g = patch(baseline(), T.pab, "athena-results", (i) => (i[flag] = false));
      expect(await check(g)).to.deep.equal([
        mandatory(
          policy,
          T.bucket,
          "athena-results",
          `S3 bucket 'athena-results' ${PAB_REQ}; found ${flag} false.`,
        ),
      ]);
    });
  }

  it("reports every flag that is unset", async () => {
    const g = patch(baseline(), T.pab, "staging", (i) => {
      delete i.ignorePublicAcls;
      delete i.restrictPublicBuckets;
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${PAB_REQ}; found ignorePublicAcls none, restrictPublicBuckets none.`,
      ),
    ]);
  });

  it("keeps checking other buckets when a flag is unknown, then reports the unknown as advisory", async () => {
    let g = patch(baseline(), T.pab, "staging", (i) => (i.blockPublicAcls = UNKNOWN));
    g = without(g, T.pab, "athena-results");
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "athena-results",
        `S3 bucket 'athena-results' ${PAB_REQ}; found no aws.s3.BucketPublicAccessBlock.`,
      ),
      cannotCheck(
        policy,
        T.stack,
        "prod",
        "string value at .blockPublicAcls can't be known during preview",
      ),
    ]);
  });

  it("finds the bucket through its dependency when the bucket reference is unknown (preview)", async () => {
    const g = patch(baseline(), T.pab, "staging", (i) => (i.bucket = UNKNOWN));
    find(g, T.pab, "staging").dependsOn = [find(g, T.bucket, "staging").urn];
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("finds the bucket through property dependencies, whatever the value", async () => {
    const g = patch(baseline(), T.pab, "staging", (i) => (i.bucket = UNKNOWN));
    find(g, T.pab, "staging").propertyDependencies = { bucket: [find(g, T.bucket, "staging").urn] };
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("matches a bucket reference by the bucket's logical name (the id under mocks)", async () => {
    const g = patch(baseline(), T.pab, "staging", (i) => (i.bucket = "staging"));
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("still requires presence when the reference is unknown and cannot be resolved", async () => {
    const g = patch(baseline(), T.pab, "staging", (i) => (i.bucket = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${PAB_REQ}; found no aws.s3.BucketPublicAccessBlock (1 BucketPublicAccessBlock resource ('staging') point at a bucket unknown during preview and have no property dependencies to resolve it).`,
      ),
    ]);
  });
});

describe("policy: s3-bucket-acls-disabled", () => {
  const policy = "s3-bucket-acls-disabled";
  const req = "must disable ACLs with ownership controls BucketOwnerEnforced";

  it("passes the baseline", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without ownership controls", async () => {
    expect(await check(without(baseline(), T.ownership, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${req}; found no aws.s3.BucketOwnershipControls.`,
      ),
    ]);
  });

  it("reports ownership ObjectWriter", async () => {
    const g = patch(
      baseline(),
      T.ownership,
      "staging",
      (i) => (i.rule.objectOwnership = "ObjectWriter"),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${req}; found objectOwnership ObjectWriter.`,
      ),
    ]);
  });

  it("reports an aws.s3.BucketAcl on the bucket", async () => {
    const g = plus(
      baseline(),
      res(T.acl, "staging-acl", { bucket: physical("staging"), acl: "private" }),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have no ACL resources (ACLs disabled); found aws.s3.BucketAcl 'staging-acl'.",
      ),
    ]);
  });

  it("reports a canned ACL on the bucket itself", async () => {
    const g = patch(baseline(), T.bucket, "staging", (i) => (i.acl = "public-read"));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have no canned ACL (ACLs disabled); found acl public-read.",
      ),
    ]);
  });

  it("reports ACL grants on the bucket itself", async () => {
    const g = patch(
      baseline(),
      T.bucket,
      "staging",
      (i) => (i.grants = [{ type: "Group", permissions: ["READ"] }]),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have no ACL grants (ACLs disabled); found 1 grant(s).",
      ),
    ]);
  });

  it("reports an unknown ownership as advisory, not as a pass", async () => {
    const g = patch(baseline(), T.ownership, "staging", (i) => (i.rule = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(policy, T.stack, "prod", "string value at .rule can't be known during preview"),
    ]);
  });
});

describe("policy: s3-bucket-tls-only", () => {
  const policy = "s3-bucket-tls-only";
  const CC = "aws:cloudcontrol/resource:Resource";
  const ccBucket = (state: Record<string, unknown>) =>
    res(CC, "cc-bucket", { typeName: "AWS::S3::Bucket", desiredState: JSON.stringify(state) });
  const ccTls = (bucket: string, on: string) =>
    res(CC, "cc-bucket-policy", {
      typeName: "AWS::S3::BucketPolicy",
      desiredState: JSON.stringify({
        Bucket: bucket,
        PolicyDocument: bucketPolicy(`arn:aws:s3:::${on}`),
      }),
    });
  const CC_WHAT = `Cloud Control resource 'cc-bucket' (AWS::S3::Bucket) must have a bucket policy that denies s3:* to Principal "*" on exactly the bucket's ARN and <arn>/* when aws:SecureTransport is false`;

  it("judges a Cloud Control bucket's TLS deny like a native bucket's", async () => {
    const cases: [string, GraphResource[], string | undefined][] = [
      [
        "a Cloud Control bucket policy naming it",
        [ccBucket({ BucketName: "cc" }), ccTls("cc", "cc")],
        undefined,
      ],
      [
        "a native bucket policy naming it",
        [
          ccBucket({ BucketName: "cc" }),
          res(T.bucketPolicy, "cc-native", {
            bucket: "cc",
            policy: JSON.stringify(bucketPolicy("arn:aws:s3:::cc")),
          }),
        ],
        undefined,
      ],
      ["no bucket policy", [ccBucket({ BucketName: "cc" })], "no bucket policy"],
      [
        "a policy of another bucket",
        [ccBucket({ BucketName: "cc" }), ccTls("other", "other")],
        "no bucket policy",
      ],
      [
        "a deny on another bucket's ARN",
        [ccBucket({ BucketName: "cc" }), ccTls("cc", "other")],
        "Cloud Control bucket policy 'cc-bucket-policy' without such a statement",
      ],
      [
        "no BucketName",
        [ccBucket({}), ccTls("cc", "cc")],
        "no BucketName in desiredState (set it, so the TLS deny's ARNs can be checked)",
      ],
    ];
    for (const [what, extra, found] of cases) {
      const violations = await only(policy, plus(baseline(), ...extra));
      expect(violations, what).to.deep.equal(
        found === undefined
          ? []
          : [mandatory(policy, CC, "cc-bucket", `${CC_WHAT}; found ${found}.`)],
      );
    }
  });

  const stagingArn = `arn:aws:s3:::${physical("staging")}`;
  const withDoc = (doc: unknown) =>
    patch(baseline(), T.bucketPolicy, "staging", (i) => (i.policy = JSON.stringify(doc)));
  const tls = () => bucketPolicy(stagingArn) as { Statement: Editable[] };

  it("passes the baseline (deny without TLS on bucket and objects)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without a bucket policy", async () => {
    expect(await check(without(baseline(), T.bucketPolicy, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${TLS_REQ}; found no bucket policy.`,
      ),
    ]);
  });

  const broken: [string, (s: Editable) => void][] = [
    ["an Allow instead of a Deny", (s) => (s.Effect = "Allow")],
    ["SecureTransport true", (s) => (s.Condition = { Bool: { "aws:SecureTransport": "true" } })],
    ["no condition", (s) => delete s.Condition],
    ["only s3:GetObject", (s) => (s.Action = "s3:GetObject")],
    ["a specific principal", (s) => (s.Principal = { AWS: "arn:aws:iam::123456789012:root" })],
    ["objects only", (s) => (s.Resource = [`${stagingArn}/*`])],
    ["the bucket only", (s) => (s.Resource = stagingArn)],
    ["one prefix only", (s) => (s.Resource = [stagingArn, `${stagingArn}/incoming/*`])],
    ["another bucket", (s) => (s.Resource = ["arn:aws:s3:::other", "arn:aws:s3:::other/*"])],
    [
      "an extra condition that narrows it",
      (s) => (s.Condition.StringEquals = { "aws:PrincipalAccount": "999999999999" }),
    ],
  ];
  for (const [what, edit] of broken) {
    it(`reports a TLS statement with ${what}`, async () => {
      const doc = tls();
      edit(doc.Statement[0]!);
      expect(await only(policy, withDoc(doc))).to.deep.equal([
        mandatory(
          policy,
          T.bucket,
          "staging",
          `S3 bucket 'staging' ${TLS_REQ}; found bucket policy 'staging' without such a statement.`,
        ),
      ]);
    });
  }

  it('accepts the string "false", Resource "*" and Principal {AWS: "*"}', async () => {
    const doc = tls();
    Object.assign(doc.Statement[0]!, {
      Principal: { AWS: "*" },
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(await only(policy, withDoc(doc))).to.deep.equal([]);
  });

  it("accepts the statement in the bucket's inline policy", async () => {
    let g = without(baseline(), T.bucketPolicy, "staging");
    g = patch(g, T.bucket, "staging", (i) => (i.policy = JSON.stringify(tls())));
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("reports a bucket policy that is not valid JSON", async () => {
    const g = patch(baseline(), T.bucketPolicy, "staging", (i) => (i.policy = "{not json"));
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${TLS_REQ}; found bucket policy 'staging' (not a valid policy document).`,
      ),
    ]);
  });

  it("turns an unknown policy document (preview) into an advisory; presence is still required", async () => {
    let g = patch(baseline(), T.bucketPolicy, "staging", (i) => (i.policy = UNKNOWN));
    g = without(g, T.bucketPolicy, "athena-results");
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "athena-results",
        `S3 bucket 'athena-results' ${TLS_REQ}; found no bucket policy.`,
      ),
      cannotCheck(policy, T.stack, "prod", "string value at .policy can't be known during preview"),
    ]);
  });

  it("counts unknown resource ARNs toward bucket and objects", async () => {
    const doc = tls();
    doc.Statement[0]!.Resource = [UNKNOWN, UNKNOWN];
    const g = patch(baseline(), T.bucketPolicy, "staging", (i) => (i.policy = doc));
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: s3-bucket-versioning", () => {
  const policy = "s3-bucket-versioning";

  it("passes the baseline (access-logs and athena-results are exempt by purpose)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a data bucket without versioning", async () => {
    expect(await check(without(baseline(), T.versioning, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have versioning enabled (aws.s3.BucketVersioning status Enabled); found none.",
      ),
    ]);
  });

  it("reports versioning Suspended", async () => {
    const g = patch(
      baseline(),
      T.versioning,
      "staging",
      (i) => (i.versioningConfiguration.status = "Suspended"),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have versioning enabled (versioningConfiguration.status Enabled); found status Suspended.",
      ),
    ]);
  });

  it("treats a bucket without a purpose tag as a data bucket", async () => {
    const g = patch(baseline(), T.bucket, "athena-results", (i) => delete i.tags);
    const found = await only(policy, g);
    expect(found.map((v) => [v.name, v.level])).to.deep.equal([["athena-results", "mandatory"]]);
  });

  const ATHENA_UNPROVEN =
    "S3 bucket 'athena-results' must have versioning enabled (aws.s3.BucketVersioning status Enabled); found none.";
  it("exempts athena-results only where a workgroup of the stack writes its results there", async () => {
    expect(await only(policy, without(baseline(), T.workgroup, "analytics"))).to.deep.equal([
      mandatory(policy, T.bucket, "athena-results", ATHENA_UNPROVEN),
    ]);
    const elsewhere = patch(
      baseline(),
      T.workgroup,
      "analytics",
      (i) => (i.configuration.resultConfiguration.outputLocation = "s3://someone-elses-bucket/"),
    );
    expect(await only(policy, elsewhere)).to.deep.equal([
      mandatory(policy, T.bucket, "athena-results", ATHENA_UNPROVEN),
    ]);
  });

  it("does not exempt an athena-results bucket that also receives uploads", async () => {
    const g = plus(
      baseline(),
      res("aws:s3/bucketObjectv2:BucketObjectv2", "extra", {
        bucket: physical("athena-results"),
        key: "incoming/extra.csv",
      }),
    );
    expect(await only(policy, g)).to.deep.equal([
      mandatory(policy, T.bucket, "athena-results", ATHENA_UNPROVEN),
    ]);
  });

  it("cannot prove athena-results while the output location is unknown (preview)", async () => {
    const g = patch(
      baseline(),
      T.workgroup,
      "analytics",
      (i) => (i.configuration.resultConfiguration.outputLocation = UNKNOWN),
    );
    const found = await only(policy, g);
    expect(found.map((v) => v.level)).to.deep.equal(["advisory"]);
    expect(found[0]!.message).to.match(/can't run policy 's3-bucket-versioning'.*during preview/);
  });

  it("is advisory in dev", async () => {
    const found = await only(policy, without(baseline(), T.versioning, "staging"), "dev");
    expect(found.map((v) => [v.name, v.level])).to.deep.equal([["staging", "advisory"]]);
  });

  it("follows unversionedPurposes from config", async () => {
    const found = await check(without(baseline(), T.versioning, "staging"), {
      config: { [policy]: { unversionedPurposes: ["staging", "access-logs", "athena-results"] } },
    });
    expect(found).to.deep.equal([]);
  });
});

describe("policy: s3-bucket-lifecycle", () => {
  const policy = "s3-bucket-lifecycle";
  const abortReq =
    "must abort incomplete multipart uploads within 7 days in an enabled lifecycle rule (abortIncompleteMultipartUpload.daysAfterInitiation)";

  it("passes the baseline", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without lifecycle rules", async () => {
    expect(await check(without(baseline(), T.lifecycle, "access-logs"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "access-logs",
        "S3 bucket 'access-logs' must have lifecycle rules (aws.s3.BucketLifecycleConfiguration); found none.",
      ),
    ]);
  });

  it("reports lifecycle rules that are all disabled", async () => {
    const g = patch(baseline(), T.lifecycle, "staging", (i) => (i.rules[0].status = "Disabled"));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must have at least one enabled lifecycle rule; found 1 rule(s), none enabled.",
      ),
    ]);
  });

  it("reports enabled rules that never abort incomplete multipart uploads", async () => {
    const g = patch(baseline(), T.lifecycle, "staging", (i) => {
      i.rules = [
        { id: "expire", status: "Enabled", filter: { prefix: "" }, expiration: { days: 30 } },
      ];
    });
    expect(await check(g)).to.deep.equal([
      mandatory(policy, T.bucket, "staging", `S3 bucket 'staging' ${abortReq}; found none.`),
    ]);
  });

  it("reports an abort rule slower than maxAbortIncompleteMultipartUploadDays", async () => {
    const g = patch(baseline(), T.lifecycle, "staging", (i) => {
      i.rules[0].abortIncompleteMultipartUpload.daysAfterInitiation = 30;
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${abortReq}; found daysAfterInitiation 30.`,
      ),
    ]);
  });

  it("takes the threshold from config", async () => {
    const g = patch(baseline(), T.lifecycle, "staging", (i) => {
      i.rules[0].abortIncompleteMultipartUpload.daysAfterInitiation = 30;
    });
    const found = await check(g, {
      config: { [policy]: { maxAbortIncompleteMultipartUploadDays: 30 } },
    });
    expect(found).to.deep.equal([]);
  });

  it("reports an unknown rule status as advisory", async () => {
    const g = patch(baseline(), T.lifecycle, "staging", (i) => (i.rules[0].status = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(
        policy,
        T.stack,
        "prod",
        "string value at .rules.0.status can't be known during preview",
      ),
    ]);
  });
});

describe("policy: s3-bucket-access-logging", () => {
  const policy = "s3-bucket-access-logging";

  it("passes the baseline (the access-logs bucket needs no logging of its own)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a bucket without server access logging", async () => {
    expect(await check(without(baseline(), T.logging, "staging"))).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "staging",
        "S3 bucket 'staging' must send server access logs to a log bucket (aws.s3.BucketLogging); found none.",
      ),
    ]);
  });

  it("reports logs sent to a bucket that is not a log bucket", async () => {
    const g = patch(
      baseline(),
      T.logging,
      "athena-results",
      (i) => (i.targetBucket = physical("staging")),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucket,
        "athena-results",
        "S3 bucket 'athena-results' must send server access logs to a dedicated log bucket (spotify-pipeline:purpose one of access-logs); found target bucket 'staging' (spotify-pipeline:purpose staging).",
      ),
    ]);
  });

  it("accepts a log bucket outside the stack (cannot be checked here)", async () => {
    const g = patch(
      baseline(),
      T.logging,
      "staging",
      (i) => (i.targetBucket = "org-central-access-logs"),
    );
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("is advisory in dev", async () => {
    const found = await only(policy, without(baseline(), T.logging, "staging"), "dev");
    expect(found.map((v) => v.level)).to.deep.equal(["advisory"]);
  });

  it("keeps presence mandatory when the logging target is unknown (preview)", async () => {
    const g = patch(baseline(), T.logging, "staging", (i) => (i.targetBucket = UNKNOWN));
    expect(await only(policy, g)).to.deep.equal([]);
    const missing = await only(policy, without(g, T.logging, "staging"));
    expect(missing.map((v) => [v.name, v.level])).to.deep.equal([["staging", "mandatory"]]);
  });
});

describe("policy: storage with an advisory-only config", () => {
  it("reports the same findings as advisory when the config makes the rule advisory", async () => {
    const found = await check(without(baseline(), T.pab, "staging"), {
      config: { "s3-bucket-public-access-block": "advisory" },
    });
    expect(found).to.deep.equal([
      advisory(
        "s3-bucket-public-access-block",
        T.bucket,
        "staging",
        `S3 bucket 'staging' ${PAB_REQ}; found no aws.s3.BucketPublicAccessBlock.`,
      ),
    ]);
  });
});
