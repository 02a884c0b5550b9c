/**
 * VPC endpoint policies of the job's network (lib/iam/network.ts): each endpoint mirrors the
 * job's role policy for its service, pinned to this account's principals.
 */
import { expect } from "chai";

import type { PolicyDocument, Statement } from "../lib/iam/document";
import { glueJobPolicy } from "../lib/iam/etl";
import { type EndpointService, endpointPolicy } from "../lib/iam/network";

const ACCOUNT = "123456789012";
const JOB = glueJobPolicy({
  partition: "aws",
  region: "eu-west-1",
  accountId: ACCOUNT,
  keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`,
  catalogEncrypted: true,
  input: { bucket: "staging", prefix: "incoming/" },
  assets: { bucket: "assets", prefix: "glue/" },
  outputs: [{ bucket: "processed", prefixes: ["silver"] }],
  network: {
    vpcId: "vpc-1",
    subnetIds: ["subnet-1"],
    securityGroupIds: ["sg-1"],
    connectionName: "net",
  },
});

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];
const actionsOf = (d: PolicyDocument): string[] => d.Statement.flatMap((s) => list(s.Action));
const resourcesOf = (d: PolicyDocument): string[] => d.Statement.flatMap((s) => list(s.Resource));

describe("endpointPolicy", () => {
  const cases: { service: EndpointService; actions: string[]; resources: string[] }[] = [
    {
      service: "s3",
      actions: ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:GetBucketLocation"],
      resources: [
        "arn:aws:s3:::staging/incoming/*",
        "arn:aws:s3:::assets/glue/*",
        "arn:aws:s3:::processed",
      ],
    },
    {
      service: "glue",
      actions: ["glue:GetConnection"],
      resources: [`arn:aws:glue:eu-west-1:${ACCOUNT}:connection/net`],
    },
    {
      service: "logs",
      actions: ["logs:PutLogEvents", "logs:AssociateKmsKey"],
      resources: [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws-glue/*`],
    },
    {
      service: "kms",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`],
    },
    { service: "sts", actions: ["sts:GetCallerIdentity"], resources: ["*"] },
    { service: "monitoring", actions: ["cloudwatch:PutMetricData"], resources: ["*"] },
  ];
  for (const c of cases) {
    it(`${c.service}: only the job's ${c.actions[0]!.split(":")[0]} actions, on the job's resources`, () => {
      const d = endpointPolicy(c.service, JOB, ACCOUNT);
      const prefix = `${c.actions[0]!.split(":")[0]}:`;
      expect(actionsOf(d).every((a) => a.startsWith(prefix))).to.equal(true);
      expect(actionsOf(d)).to.include.members(c.actions);
      expect(resourcesOf(d)).to.include.members(c.resources);
    });
    it(`${c.service}: every statement is an Allow for principals of this account only`, () => {
      for (const s of endpointPolicy(c.service, JOB, ACCOUNT).Statement) {
        expect(s.Effect).to.equal("Allow");
        expect(s.Principal).to.equal("*");
        expect(s.Condition?.StringEquals?.["aws:PrincipalAccount"]).to.equal(ACCOUNT);
      }
    });
  }

  it("keeps the job statement's own conditions beside the account pin", () => {
    const metrics = endpointPolicy("monitoring", JOB, ACCOUNT).Statement[0]!;
    expect(metrics.Condition).to.deep.equal({
      StringEquals: { "cloudwatch:namespace": "Glue", "aws:PrincipalAccount": ACCOUNT },
    });
    const kms = endpointPolicy("kms", JOB, ACCOUNT).Statement[0]!;
    expect(Object.keys(kms.Condition?.StringEquals ?? {})).to.deep.equal([
      "kms:ViaService",
      "aws:PrincipalAccount",
    ]);
  });

  it("names no bucket the job's role does not (no AWS-owned bucket: none documented for script jobs)", () => {
    const buckets = new Set(
      resourcesOf(endpointPolicy("s3", JOB, ACCOUNT)).map((r) => r.split(":::")[1]!.split("/")[0]),
    );
    expect([...buckets].sort()).to.deep.equal(["assets", "processed", "staging"]);
  });

  const refusals: { name: string; doc: PolicyDocument; account: string; error: RegExp }[] = [
    { name: "an account id that is not 12 digits", doc: JOB, account: "1234", error: /12-digit/ },
    {
      name: "a Deny in the job policy",
      doc: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" } as Statement],
      },
      account: ACCOUNT,
      error: /only Allow statements/,
    },
    {
      name: "a service the job never calls",
      doc: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
      },
      account: ACCOUNT,
      error: /at least one glue:\* action/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}`, () => {
      expect(() => endpointPolicy("glue", r.doc, r.account)).to.throw(r.error);
    });
  }
});
