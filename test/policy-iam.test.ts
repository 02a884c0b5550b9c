import { expect } from "chai";

import { IamCatalog, actionMatches, documentsOf, parsePolicyDocument } from "../policy/iam";
import { snapshot } from "../policy/support";
import {
  ACCOUNT,
  KEY_ARN,
  REGION,
  T,
  TOPIC_ARN,
  UNKNOWN,
  baseline,
  editDocument,
  patch,
  physical,
  plus,
  res,
  type Editable,
} from "./fixtures/policy/graph";
import { advisory, cannotCheck, check, mandatory } from "./fixtures/policy/run";

const only = async (policy: string, graph = baseline(), stack = "prod") =>
  (await check(graph, { stack })).filter((v) => v.policy === policy);

/** Edits the statements of a resource's `field` document. */
const editDoc = (type: string, name: string, edit: (s: Editable[]) => void, field = "policy") =>
  patch(baseline(), type, name, (i) => (i[field] = editDocument(i[field], edit)));

const RW_REQ = "must name resource ARNs for actions that support resource-level permissions";

describe("policy/iam helpers", () => {
  it("parses JSON strings and objects into list-valued statements", () => {
    const doc = parsePolicyDocument(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
          Principal: { Service: ["a.amazonaws.com", "b.amazonaws.com"] },
        },
      }),
    );
    expect(doc).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          index: 0,
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::b/*"],
          Principal: [
            { kind: "Service", value: "a.amazonaws.com" },
            { kind: "Service", value: "b.amazonaws.com" },
          ],
        },
      ],
    });
  });

  it("rejects documents that are not policies, saying why", () => {
    expect(() => parsePolicyDocument('{"Version":"2012-10-17"}')).to.throw(
      "must have at least one Statement",
    );
    expect(() =>
      parsePolicyDocument({ Statement: [{ Effect: "Maybe", Action: "s3:GetObject" }] }),
    ).to.throw('statement #1 Effect must be "Allow" or "Deny"; found "Maybe"');
    expect(() => parsePolicyDocument({ Statement: [{ Effect: "Allow", Resource: "*" }] })).to.throw(
      "statement #1 must have Action or NotAction",
    );
  });

  it("lists every document a resource carries, with its kind", () => {
    const role = snapshot({
      assumeRolePolicy: "{}",
      inlinePolicies: [
        { name: "inline", policy: "{}" },
        { name: "empty", policy: "" },
      ],
    });
    expect(documentsOf(T.role, "r", role).map((d) => [d.kind, d.path, d.label])).to.deep.equal([
      ["trust", "assumeRolePolicy", "trust policy of IAM role 'r'"],
      ["identity", "inlinePolicies[0].policy", "inline policy 'inline' of IAM role 'r'"],
    ]);
    expect(
      documentsOf(T.keyPolicy, "k", snapshot({ policy: "{}" })).map((d) => [d.kind, d.label]),
    ).to.deep.equal([["key", "KMS key policy 'k'"]]);
    expect(
      documentsOf(T.queue, "q", snapshot({ policy: "{}" })).map((d) => [d.kind, d.label]),
    ).to.deep.equal([["resource", "policy of SQS queue 'q'"]]);
    expect(documentsOf(T.topic, "t", snapshot({}))).to.deep.equal([]);
  });

  it("matches IAM wildcards case-insensitively", () => {
    expect(actionMatches("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")).to.equal(
      true,
    );
    expect(actionMatches("iam:pass?ole", "iam:PassRole")).to.equal(true);
    expect(actionMatches("s3:Get*", "s3:PutObject")).to.equal(false);
    expect(actionMatches("s3:GetObject", "s3:GetObjectAcl")).to.equal(false);
  });

  it("expands actions against the service authorization data", async () => {
    const catalog = await IamCatalog.load([
      "logs:CreateLogDelivery",
      "glue:StartJobRun",
      "kms:GenerateDataKey*",
      "nope:Thing",
    ]);
    expect(
      catalog.expand("logs:CreateLogDelivery").matches.map((m) => [m.action, m.resourceTypes]),
    ).to.deep.equal([["logs:CreateLogDelivery", []]]);
    expect(
      catalog.expand("glue:startjobrun").matches.map((m) => [m.action, m.resourceTypes]),
    ).to.deep.equal([["glue:StartJobRun", ["job"]]]);
    expect(catalog.expand("kms:GenerateDataKey*").matches.map((m) => m.action)).to.deep.equal([
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyPair",
      "kms:GenerateDataKeyPairWithoutPlaintext",
      "kms:GenerateDataKeyWithoutPlaintext",
    ]);
    expect(catalog.expand("nope:Thing")).to.include({ wellFormed: true, serviceExists: false });
    expect(catalog.expand("NoColon")).to.include({ wellFormed: false });
    expect(() => catalog.expand("sqs:SendMessage")).to.throw("service sqs was not loaded");
  });
});

describe("policy: iam-actions-exist", () => {
  const policy = "iam-actions-exist";
  const what = (action: string, where = "Statement 'RunJob' of IAM role policy 'sfn-role'") =>
    `Action '${action}' in ${where}`;
  const runJob = (action: string) =>
    editDoc(T.rolePolicy, "sfn-role", (s) => (s[0]!.Action = ["glue:GetJobRun", action]));

  it("passes the baseline (every action, including kms:GenerateDataKey*, exists)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a misspelt action", async () => {
    expect(await check(runJob("glue:StartJobRunn"))).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `${what("glue:StartJobRunn")} must match an action of the AWS service authorization reference; found no glue action matching it.`,
      ),
    ]);
  });

  it("reports an unknown service prefix", async () => {
    expect(await check(runJob("glu:StartJobRun"))).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `${what("glu:StartJobRun")} must name a service prefix of the AWS service authorization reference; found unknown service 'glu'.`,
      ),
    ]);
  });

  it("reports an action without a service prefix", async () => {
    expect(await check(runJob("StartJobRun"))).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `${what("StartJobRun")} must have the form service:Action; found 'StartJobRun'.`,
      ),
    ]);
  });

  it("reports a wildcard that matches no action", async () => {
    const g = editDoc(
      T.rolePolicy,
      "sfn-role",
      (s) => (s[4]!.Action = ["kms:GenerateDataKeys*", "kms:Decrypt"]),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `${what("kms:GenerateDataKeys*", "Statement 'UseKey' of IAM role policy 'sfn-role'")} must match an action of the AWS service authorization reference; found no kms action matching it.`,
      ),
    ]);
  });

  it("checks trust, key and bucket policies, and NotAction in Deny statements", async () => {
    let g = editDoc(
      T.role,
      "sfn-role",
      (s) => (s[0]!.Action = "sts:AssumeRol"),
      "assumeRolePolicy",
    );
    g = patch(
      g,
      T.key,
      "pipeline-key",
      (i) => (i.policy = editDocument(i.policy, (s) => (s[1]!.Action = ["kms:Decrypts"]))),
    );
    g = patch(g, T.bucketPolicy, "staging", (i) => {
      i.policy = editDocument(i.policy, (s) => {
        s.push({
          Sid: "DenyOthers",
          Effect: "Deny",
          Principal: "*",
          NotAction: "s3:GetObjekt",
          Resource: "*",
        });
      });
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.key,
        "pipeline-key",
        `${what("kms:Decrypts", "Statement 'AllowCloudWatchLogs' of policy of KMS key 'pipeline-key'")} must match an action of the AWS service authorization reference; found no kms action matching it.`,
      ),
      mandatory(
        policy,
        T.bucketPolicy,
        "staging",
        `${what("s3:GetObjekt", "Statement 'DenyOthers' of S3 bucket policy 'staging'")} must match an action of the AWS service authorization reference; found no s3 action matching it.`,
      ),
      mandatory(
        policy,
        T.role,
        "sfn-role",
        `${what("sts:AssumeRol", "Statement #1 of trust policy of IAM role 'sfn-role'")} must match an action of the AWS service authorization reference; found no sts action matching it.`,
      ),
    ]);
  });

  it("reports a document that is not a policy", async () => {
    const g = patch(
      baseline(),
      T.rolePolicy,
      "sfn-role",
      (i) => (i.policy = '{"Version":"2012-10-17"}'),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        "Policy document (policy) of IAM role policy 'sfn-role' must be a valid IAM policy document; found must have at least one Statement.",
      ),
    ]);
  });

  it("turns a document unknown during preview into one advisory per document policy", async () => {
    const g = patch(baseline(), T.rolePolicy, "sfn-role", (i) => (i.policy = UNKNOWN));
    const found = await check(g);
    expect(found.map((v) => v.policy)).to.deep.equal([
      "iam-actions-exist",
      "iam-no-wildcard-actions",
      "iam-passrole-scoped",
      "iam-no-not-elements",
      "iam-no-kms-decrypt-all-keys",
      "iam-foreign-access",
      // A stack policy (it needs the stack's resources): it runs after the resource policies.
      "iam-resource-wildcard",
    ]);
    expect(found[0]).to.deep.equal(
      cannotCheck(
        policy,
        T.rolePolicy,
        "sfn-role",
        "string value at .policy can't be known during preview",
      ),
    );
  });

  it("reports an unknown action inside an object document as advisory, and the known typos", async () => {
    const g = patch(baseline(), T.rolePolicy, "glue-role", (i) => {
      i.policy.Statement[0].Action = [UNKNOWN, "s3:GetObjekt"];
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "glue-role",
        `${what("s3:GetObjekt", "Statement 'ReadStaging' of IAM role policy 'glue-role'")} must match an action of the AWS service authorization reference; found no s3 action matching it.`,
      ),
      cannotCheck(
        policy,
        T.rolePolicy,
        "glue-role",
        "string value at .policy.Statement.0.Action.0 can't be known during preview",
      ),
    ]);
  });
});

describe("policy: iam-no-wildcard-actions", () => {
  const policy = "iam-no-wildcard-actions";

  it("passes the baseline (s3:* in the TLS Deny and kms:* in the key policy's root statement are fine)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports a service-wide action in an identity policy", async () => {
    const g = patch(
      baseline(),
      T.rolePolicy,
      "glue-role",
      (i) => (i.policy.Statement[0].Action = ["s3:*"]),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "glue-role",
        "Statement 'ReadStaging' of IAM role policy 'glue-role' must name each action it grants (or list the exact pattern with a reason in iam-no-wildcard-actions.allowedActionPatterns); found Action s3:* (180 actions: 57 Write; 66 Read; 27 Permissions management, Write; 12 Tagging, Write; 18 List).",
      ),
    ]);
  });

  it("reports * (which also grants iam:PassRole)", async () => {
    const g = patch(
      baseline(),
      T.rolePolicy,
      "glue-role",
      (i) => (i.policy.Statement[0].Action = "*"),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "glue-role",
        "Statement 'ReadStaging' of IAM role policy 'glue-role' must name each action it grants (or list the exact pattern with a reason in iam-no-wildcard-actions.allowedActionPatterns); found Action * (actions of every service).",
      ),
      mandatory(
        "iam-passrole-scoped",
        T.rolePolicy,
        "glue-role",
        "Statement 'ReadStaging' of IAM role policy 'glue-role' (grants iam:PassRole via *) must have an iam:PassedToService condition; found no condition.",
      ),
    ]);
  });

  it("reports a service-wide action in a topic policy", async () => {
    const g = editDoc(T.topicPolicy, "alerts", (s) => (s[0]!.Action = "sns:*"));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.topicPolicy,
        "alerts",
        "Statement 'AllowEventBridge' of SNS topic policy 'alerts' must name each action it grants (or list the exact pattern with a reason in iam-no-wildcard-actions.allowedActionPatterns); found Action sns:* (41 actions: 3 Permissions management, Write; 10 Read; 19 Write; 7 List; 2 Tagging, Write).",
      ),
    ]);
  });
});

describe("policy: iam-resource-wildcard", () => {
  const policy = "iam-resource-wildcard";

  it("passes the baseline (log delivery and X-Ray need *, PutMetricData is a justified exception)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it("reports an action with a resource type on Resource *", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => {
      s[0]!.Action = "glue:StartJobRun";
      s[0]!.Resource = "*";
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `Statement 'RunJob' of IAM role policy 'sfn-role' ${RW_REQ}; found Resource * with glue:StartJobRun (resource types: job).`,
      ),
    ]);
  });

  it("expands wildcards: a pattern matching scoped actions is reported", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => {
      s[3]!.Action = "sns:Publish*";
      s[3]!.Resource = "*";
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `Statement 'Notify' of IAM role policy 'sfn-role' ${RW_REQ}; found Resource * with sns:Publish* (matches sns:Publish, resource types: topic).`,
      ),
    ]);
  });

  it("reports the exception's action without its condition", async () => {
    const g = patch(
      baseline(),
      T.rolePolicy,
      "glue-role",
      (i) => delete i.policy.Statement[1].Condition,
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "glue-role",
        `Statement 'Metrics' of IAM role policy 'glue-role' ${RW_REQ}; found Resource * with cloudwatch:PutMetricData (resource types: dataset).`,
      ),
    ]);
  });

  it("takes justified exceptions from config", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => (s[3]!.Resource = "*"));
    const found = await check(g, {
      config: {
        [policy]: {
          // A config value replaces the default list, so the default exception is repeated.
          exceptions: [
            {
              action: "cloudwatch:PutMetricData",
              conditionKey: "cloudwatch:namespace",
              reason: "Metrics go to namespaces, which have no ARN.",
            },
            {
              action: "sns:Publish",
              reason: "test: the topic ARN is not known to this role at all",
            },
          ],
        },
      },
    });
    expect(found).to.deep.equal([]);
  });

  const readStaging = (resource: string) =>
    editDoc(T.rolePolicy, "glue-role", (s) => (s[0]!.Resource = resource));
  const NOT_OWNED = "nothing proves every resource it matches is this stack's";
  const SCOPE_REQ =
    "must name this stack's resources by ARN (no wildcard partition, service, region, account or resource name; or list the pattern with a reason in iam-resource-wildcard.allowedResourcePatterns)";

  const unproven: [string, string, string][] = [
    [
      "a prefix of a bucket that is not the stack's",
      "arn:aws:s3:::elsewhere/incoming/*",
      "elsewhere/incoming/*",
    ],
    [
      "a bucket name the stack's bucket name only starts",
      `arn:aws:s3:::${physical("staging")}*`,
      `${physical("staging")}*`,
    ],
    [
      "a log group prefix no log group of the stack owns",
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/other/*`,
      "/other/*",
    ],
    [
      "a sibling of the stack's log group",
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/pipeline*`,
      "/aws/vendedlogs/states/pipeline*",
    ],
    [
      "tables of a database that is not the stack's",
      `arn:aws:glue:${REGION}:${ACCOUNT}:table/other_db/*`,
      "other_db/*",
    ],
  ];
  for (const [what, resource, name] of unproven) {
    it(`reports a wildcard ARN that can match resources outside the stack: ${what}`, async () => {
      expect(await only(policy, readStaging(resource))).to.deep.equal([
        mandatory(
          policy,
          T.rolePolicy,
          "glue-role",
          `Statement 'ReadStaging' of IAM role policy 'glue-role' ${SCOPE_REQ}; found Resource ${resource} (wildcard in the resource name '${name}': ${NOT_OWNED}).`,
        ),
      ]);
    });
  }

  it("accepts wildcards that lie within the stack's own bucket and log group", async () => {
    for (const resource of [
      `arn:aws:s3:::${physical("staging")}/*`,
      `arn:aws:s3:::${physical("staging")}/incoming/2026-*/part-?.csv`,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/pipeline:log-stream:*`,
    ]) {
      expect(await only(policy, readStaging(resource)), resource).to.deep.equal([]);
    }
  });

  it("accepts an unproven pattern that allowedResourcePatterns lists with a reason", async () => {
    const found = await check(readStaging("arn:aws:s3:::elsewhere/incoming/*"), {
      config: {
        [policy]: {
          allowedResourcePatterns: [
            {
              pattern: "logs:log-group:/aws-glue/*",
              reason: "test: Glue names its own log groups with the security configuration suffix.",
            },
            {
              pattern: "s3:elsewhere/incoming/*",
              reason: "test: a partner bucket this stack reads by agreement.",
            },
          ],
        },
      },
    });
    expect(found.filter((v) => v.policy === policy)).to.deep.equal([]);
  });

  it("reports an unknown action on Resource * as advisory", async () => {
    const g = patch(
      baseline(),
      T.rolePolicy,
      "glue-role",
      (i) => (i.policy.Statement[1].Action = UNKNOWN),
    );
    // A stack policy: the engine reports the unknown on the stack, after checking the rest.
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(
        policy,
        "pulumi:pulumi:Stack",
        "prod",
        "string value at .policy.Statement.1.Action can't be known during preview",
      ),
    ]);
  });
});

describe("policy: iam-passrole-scoped", () => {
  const policy = "iam-passrole-scoped";
  const pass = (edit: (s: Editable) => void) =>
    editDoc(T.policy, "pass-glue-role", (s) => edit(s[0]!));
  const what =
    "Statement 'PassGlueRole' of IAM policy 'pass-glue-role' (grants iam:PassRole via iam:PassRole)";

  it("passes the baseline (one role ARN, iam:PassedToService)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });

  it('reports PassRole on Resource "*" (also a resource-wildcard violation)', async () => {
    const g = pass((s) => (s.Resource = "*"));
    // iam-resource-wildcard is a stack policy: its reports come after the resource policies'.
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.policy,
        "pass-glue-role",
        `${what} must name specific role ARNs; found Resource *.`,
      ),
      mandatory(
        "iam-resource-wildcard",
        T.policy,
        "pass-glue-role",
        `Statement 'PassGlueRole' of IAM policy 'pass-glue-role' ${RW_REQ}; found Resource * with iam:PassRole (resource types: role).`,
      ),
    ]);
  });

  it("reports PassRole on a role wildcard", async () => {
    const g = pass((s) => (s.Resource = `arn:aws:iam::${ACCOUNT}:role/*`));
    expect((await check(g)).filter((v) => v.policy === policy)).to.deep.equal([
      mandatory(
        policy,
        T.policy,
        "pass-glue-role",
        `${what} must name specific role ARNs; found Resource arn:aws:iam::${ACCOUNT}:role/*.`,
      ),
    ]);
  });

  it("reports PassRole without iam:PassedToService", async () => {
    const g = pass((s) => (s.Condition = { StringEquals: { "aws:ResourceTag/team": "data" } }));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.policy,
        "pass-glue-role",
        `${what} must have an iam:PassedToService condition; found condition keys aws:resourcetag/team.`,
      ),
    ]);
  });

  it("sees PassRole granted through a wildcard", async () => {
    const g = pass((s) => {
      s.Action = "iam:Pass*";
      delete s.Condition;
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.policy,
        "pass-glue-role",
        "Statement 'PassGlueRole' of IAM policy 'pass-glue-role' (grants iam:PassRole via iam:Pass*) must have an iam:PassedToService condition; found no condition.",
      ),
    ]);
  });

  it("accepts a role ARN that is unknown during preview", async () => {
    const g = patch(baseline(), T.rolePolicy, "glue-role", (i) => {
      i.policy.Statement.push({
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: UNKNOWN,
        Condition: { StringEquals: { "iam:PassedToService": "glue.amazonaws.com" } },
      });
    });
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: iam-no-not-elements", () => {
  const policy = "iam-no-not-elements";
  const req = "must not combine Allow with NotAction, NotResource or NotPrincipal";

  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports Allow with NotAction", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => {
      delete s[3]!.Action;
      s[3]!.NotAction = ["iam:*"];
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `Statement 'Notify' of IAM role policy 'sfn-role' ${req}; found NotAction iam:*.`,
      ),
    ]);
  });

  it("reports Allow with NotResource", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => {
      delete s[3]!.Resource;
      s[3]!.NotResource = TOPIC_ARN;
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `Statement 'Notify' of IAM role policy 'sfn-role' ${req}; found NotResource ${TOPIC_ARN}.`,
      ),
    ]);
  });

  it("reports Allow with NotPrincipal in a bucket policy", async () => {
    const g = editDoc(T.bucketPolicy, "access-logs", (s) => {
      delete s[1]!.Principal;
      s[1]!.NotPrincipal = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
    });
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.bucketPolicy,
        "access-logs",
        `Statement 'AllowServerAccessLogDelivery' of S3 bucket policy 'access-logs' ${req}; found NotPrincipal AWS:arn:aws:iam::${ACCOUNT}:root.`,
      ),
    ]);
  });

  it("allows NotAction in a Deny", async () => {
    const g = editDoc(T.bucketPolicy, "staging", (s) => {
      s.push({ Effect: "Deny", Principal: "*", NotAction: "s3:GetObject", Resource: "*" });
    });
    expect(await only(policy, g)).to.deep.equal([]);
  });
});

describe("policy: iam-no-kms-decrypt-all-keys", () => {
  const policy = "iam-no-kms-decrypt-all-keys";

  it("passes the baseline (kms:Decrypt on the pipeline key only)", async () =>
    expect(await only(policy)).to.deep.equal([]));

  it("reports kms:Decrypt on a key ARN wildcard", async () => {
    const g = editDoc(
      T.rolePolicy,
      "sfn-role",
      (s) => (s[4]!.Resource = `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`),
    );
    expect((await check(g)).filter((v) => v.policy === policy)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        `Statement 'UseKey' of IAM role policy 'sfn-role' (allows kms:Decrypt) must name specific KMS key ARNs; found Resource arn:aws:kms:us-east-1:${ACCOUNT}:key/*.`,
      ),
    ]);
  });

  it("reports kms:Decrypt* on all resources (with the resource-wildcard rule)", async () => {
    const g = editDoc(T.rolePolicy, "sfn-role", (s) => {
      s[4]!.Action = "kms:Decrypt*";
      s[4]!.Resource = "*";
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.rolePolicy,
        "sfn-role",
        "Statement 'UseKey' of IAM role policy 'sfn-role' (allows kms:Decrypt*) must name specific KMS key ARNs; found Resource *.",
      ),
      mandatory(
        "iam-resource-wildcard",
        T.rolePolicy,
        "sfn-role",
        `Statement 'UseKey' of IAM role policy 'sfn-role' ${RW_REQ}; found Resource * with kms:Decrypt* (matches kms:Decrypt, resource types: key).`,
      ),
    ]);
  });

  it("does not judge key policies (Resource * is the key itself)", async () => {
    expect(await only(policy)).to.deep.equal([]);
  });
});

describe("policy: iam-trust-policy-principals", () => {
  const policy = "iam-trust-policy-principals";
  const trust = (edit: (s: Editable) => void) =>
    editDoc(T.role, "glue-role", (s) => edit(s[0]!), "assumeRolePolicy");
  const req =
    "must allow only specific AWS service principals (or principals listed in allowedPrincipals)";

  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it('reports Principal "*"', async () => {
    const g = trust((s) => (s.Principal = "*"));
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "glue-role",
        `Statement #1 of trust policy of IAM role 'glue-role' ${req}; found Principal *.`,
      ),
    ]);
  });

  it("reports an account principal that is not allowed", async () => {
    const g = trust((s) => (s.Principal = { AWS: "arn:aws:iam::999999999999:root" }));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "glue-role",
        `Statement #1 of trust policy of IAM role 'glue-role' ${req}; found Principal AWS arn:aws:iam::999999999999:root.`,
      ),
    ]);
  });

  it("accepts an account principal listed in allowedPrincipals", async () => {
    const g = trust((s) => (s.Principal = { AWS: "arn:aws:iam::999999999999:root" }));
    const found = await check(g, {
      config: { [policy]: { allowedPrincipals: ["arn:aws:iam::999999999999:root"] } },
    });
    expect(found).to.deep.equal([]);
  });

  it("reports a wildcard service principal", async () => {
    const g = trust((s) => (s.Principal = { Service: "*.amazonaws.com" }));
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "glue-role",
        `Statement #1 of trust policy of IAM role 'glue-role' ${req}; found Principal Service *.amazonaws.com.`,
      ),
    ]);
  });

  it("reports a statement without a principal", async () => {
    const g = trust((s) => delete s.Principal);
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "glue-role",
        "Statement #1 of trust policy of IAM role 'glue-role' must name the principals that may assume the role; found no Principal.",
      ),
    ]);
  });

  it("reports an unknown account principal as advisory", async () => {
    const g = patch(baseline(), T.role, "glue-role", (i) => {
      i.assumeRolePolicy = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: UNKNOWN }, Action: "sts:AssumeRole" }],
      };
    });
    expect(await only(policy, g)).to.deep.equal([
      cannotCheck(
        policy,
        T.role,
        "glue-role",
        "string value at .assumeRolePolicy.Statement.0.Principal.AWS can't be known during preview",
      ),
    ]);
  });
});

describe("policy: iam-trust-confused-deputy", () => {
  const policy = "iam-trust-confused-deputy";
  const req =
    "must pin the caller with a positive aws:SourceArn or aws:SourceAccount condition on concrete values";

  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("requires the condition for a service that sends it (states.amazonaws.com)", async () => {
    const g = editDoc(T.role, "sfn-role", (s) => delete s[0]!.Condition, "assumeRolePolicy");
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "sfn-role",
        `Statement #1 of trust policy of IAM role 'sfn-role' (Service states.amazonaws.com) ${req}; found no condition.`,
      ),
    ]);
  });

  it("does not count unrelated condition keys", async () => {
    const g = editDoc(
      T.role,
      "sfn-role",
      (s) => (s[0]!.Condition = { StringEquals: { "aws:PrincipalOrgID": "o-123" } }),
      "assumeRolePolicy",
    );
    expect(await only(policy, g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "sfn-role",
        `Statement #1 of trust policy of IAM role 'sfn-role' (Service states.amazonaws.com) ${req}; found aws:PrincipalOrgID does not pin the account the service acts for.`,
      ),
    ]);
  });

  it("only advises for other services (glue.amazonaws.com), even in prod", async () => {
    const g = editDoc(T.role, "glue-role", (s) => delete s[0]!.Condition, "assumeRolePolicy");
    expect(await check(g)).to.deep.equal([
      advisory(
        policy,
        T.role,
        "glue-role",
        `Statement #1 of trust policy of IAM role 'glue-role' (Service glue.amazonaws.com) ${req}; found no condition. Advisory: glue.amazonaws.com is not in requiredForServices; add the condition if the service sends it.`,
      ),
    ]);
  });

  it("makes it mandatory for services added to requiredForServices", async () => {
    const g = editDoc(T.role, "glue-role", (s) => delete s[0]!.Condition, "assumeRolePolicy");
    const found = await check(g, {
      config: { [policy]: { requiredForServices: ["states.amazonaws.com", "glue.amazonaws.com"] } },
    });
    expect(found.map((v) => [v.name, v.level])).to.deep.equal([["glue-role", "mandatory"]]);
  });
});

describe("policy: iam-no-broad-managed-policies", () => {
  const policy = "iam-no-broad-managed-policies";
  const req =
    "must be a customer managed policy scoped to the pipeline (or be listed in allowedManagedPolicies)";

  it("passes the baseline (a customer managed policy)", async () =>
    expect(await only(policy)).to.deep.equal([]));

  it("reports AdministratorAccess attached to a role", async () => {
    const g = patch(
      baseline(),
      T.attachment,
      "sfn-pass",
      (i) => (i.policyArn = "arn:aws:iam::aws:policy/AdministratorAccess"),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.attachment,
        "sfn-pass",
        `Managed policy attached by IAM role policy attachment 'sfn-pass' ${req}; found arn:aws:iam::aws:policy/AdministratorAccess.`,
      ),
    ]);
  });

  it("reports AWSGlueServiceRole in a role's managedPolicyArns", async () => {
    const g = patch(
      baseline(),
      T.role,
      "glue-role",
      (i) => (i.managedPolicyArns = ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.role,
        "glue-role",
        `Managed policy attached by IAM role 'glue-role' ${req}; found arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole.`,
      ),
    ]);
  });

  it("accepts a reviewed managed policy from config, and unknown (customer) ARNs", async () => {
    let g = patch(
      baseline(),
      T.attachment,
      "sfn-pass",
      (i) => (i.policyArn = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"),
    );
    g = patch(g, T.role, "glue-role", (i) => (i.managedPolicyArns = [UNKNOWN]));
    const found = await check(g, {
      config: {
        [policy]: { allowedManagedPolicies: ["arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"] },
      },
    });
    expect(found).to.deep.equal([]);
  });
});

describe("policy: iam-no-users", () => {
  const policy = "iam-no-users";
  it("passes the baseline", async () => expect(await only(policy)).to.deep.equal([]));

  it("reports IAM users and access keys", async () => {
    const g = plus(
      baseline(),
      res(T.user, "ci", { name: "ci" }),
      res(T.accessKey, "ci-key", { user: "ci" }),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.user,
        "ci",
        "IAM user 'ci' must not be created (use an IAM role with temporary credentials); found aws:iam/user:User.",
      ),
      mandatory(
        policy,
        T.accessKey,
        "ci-key",
        "IAM access key 'ci-key' must not be created (use an IAM role with temporary credentials); found aws:iam/accessKey:AccessKey.",
      ),
    ]);
  });
});

describe("policy: kms-key-policy-no-public-principal", () => {
  const policy = "kms-key-policy-no-public-principal";
  const req =
    'must not allow Principal "*" unless a positive condition (no Not..., no ...IfExists) on a key the caller cannot choose (aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount, ...) pins it to concrete values';

  it("passes the baseline (Resource * in a key policy is the key itself)", async () =>
    expect(await only(policy)).to.deep.equal([]));

  it("reports an unconditioned * principal", async () => {
    const g = editDoc(
      T.key,
      "pipeline-key",
      (s) => ((s[1]!.Principal = "*"), delete s[1]!.Condition),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.key,
        "pipeline-key",
        `Statement 'AllowCloudWatchLogs' of policy of KMS key 'pipeline-key' ${req}; found no condition.`,
      ),
    ]);
  });

  it("reports a * principal whose only condition does not restrict the caller", async () => {
    const g = editDoc(T.key, "pipeline-key", (s) => (s[1]!.Principal = { AWS: "*" }));
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.key,
        "pipeline-key",
        `Statement 'AllowCloudWatchLogs' of policy of KMS key 'pipeline-key' ${req}; found kms:EncryptionContext:aws:logs:arn is not a key that identifies the caller.`,
      ),
    ]);
  });

  it("accepts a * principal restricted by kms:CallerAccount, and checks aws.kms.KeyPolicy too", async () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ViaSns",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["kms:Decrypt"],
          Resource: "*",
          Condition: {
            StringEquals: {
              "kms:CallerAccount": ACCOUNT,
              "kms:ViaService": "sns.us-east-1.amazonaws.com",
            },
          },
        },
        { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:DescribeKey", Resource: "*" },
      ],
    };
    const g = plus(
      baseline(),
      res(T.keyPolicy, "extra", { keyId: KEY_ARN, policy: JSON.stringify(doc) }),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.keyPolicy,
        "extra",
        `Statement 'Open' of KMS key policy 'extra' ${req}; found no condition.`,
      ),
    ]);
  });
});

describe("policy: iam-no-public-resource-policy", () => {
  const policy = "iam-no-public-resource-policy";
  const req =
    'must not allow Principal "*" unless a positive condition (no Not..., no ...IfExists) on a key the caller cannot choose (aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount, ...) pins it to concrete values';

  it("passes the baseline (Deny * for TLS is not public access)", async () =>
    expect(await only(policy)).to.deep.equal([]));

  it("reports a topic policy open to everyone", async () => {
    const g = editDoc(
      T.topicPolicy,
      "alerts",
      (s) => ((s[0]!.Principal = "*"), delete s[0]!.Condition),
    );
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.topicPolicy,
        "alerts",
        `Statement 'AllowEventBridge' of SNS topic policy 'alerts' ${req}; found no condition.`,
      ),
    ]);
  });

  it("accepts * restricted by aws:SourceAccount", async () => {
    const g = editDoc(T.topicPolicy, "alerts", (s) => (s[0]!.Principal = { AWS: "*" }));
    expect(await only(policy, g)).to.deep.equal([]);
  });

  it("reports a public read bucket policy and a queue's inline policy", async () => {
    let g = editDoc(T.bucketPolicy, "staging", (s) => {
      s.push({
        Sid: "PublicRead",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${physical("staging")}/*`,
      });
    });
    g = patch(g, T.queue, "dlq", (i) => {
      i.policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" }],
      });
    });
    expect(await check(g)).to.deep.equal([
      mandatory(
        policy,
        T.bucketPolicy,
        "staging",
        `Statement 'PublicRead' of S3 bucket policy 'staging' ${req}; found no condition.`,
      ),
      mandatory(
        policy,
        T.queue,
        "dlq",
        `Statement #1 of policy of SQS queue 'dlq' ${req}; found no condition.`,
      ),
    ]);
  });
});
