/**
 * VPC endpoint policies of the Glue job's isolated network: each endpoint lets through only what
 * the job's own role may do with that service, and only for principals of this account.
 * Pure: the job's policy document and the account in, one document per endpoint out.
 *
 * Why the job's role policy is the source: inside the isolated VPC only the job runs, and it
 * calls AWS with its role. An endpoint policy that allows exactly the role's statements for the
 * endpoint's service (same actions, same resources, same conditions) cannot deny the job a call
 * its role allows, and lets nothing else through: no other account's bucket (data exfiltration
 * through the gateway endpoint), no other principal's credentials.
 *
 * AWS-owned resources reached through the endpoints: AWS documents one AWS-owned bucket a Glue
 * job reads, `aws-glue-studio-transforms-<account>-prod-<region>`, only for jobs that use Glue
 * Studio visual transforms
 * (https://docs.aws.amazon.com/glue/latest/dg/getting-started-min-privs-job.html). This job is a
 * script job without Studio transforms, so no AWS-owned bucket is allowed. For the interface
 * endpoints (Glue, CloudWatch Logs, KMS, STS, CloudWatch) AWS documents that an endpoint policy
 * controls access (https://docs.aws.amazon.com/glue/latest/dg/vpc-interface-endpoints.html) but
 * no AWS-owned resource a job needs through them.
 *
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
 */
import { type PolicyDocument, type Statement, policyDocument } from "./document";

/** The endpoints of the job's network: the S3 gateway and the interface endpoint services. */
export type EndpointService = "s3" | "glue" | "logs" | "kms" | "sts" | "monitoring";

/** IAM service prefix of each endpoint service (`monitoring` is CloudWatch's endpoint name). */
export const ENDPOINT_IAM_PREFIX: Readonly<Record<EndpointService, string>> = {
  s3: "s3",
  glue: "glue",
  logs: "logs",
  kms: "kms",
  sts: "sts",
  monitoring: "cloudwatch",
};

/**
 * STS: the job's role grants no STS action and AWS documents no STS call of a Glue job; the
 * endpoint exists because the AWS SDKs resolve the caller (`GetCallerIdentity`, which needs no
 * permission and has no resource) through it. Only that call is let through.
 */
const STS_CALLER_IDENTITY: Omit<Statement, "Condition"> = {
  Sid: "CallerIdentity",
  Effect: "Allow",
  Action: "sts:GetCallerIdentity",
  Resource: "*",
};

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The statement with `aws:PrincipalAccount = accountId` added to its conditions. */
function pinnedToAccount(
  s: Omit<Statement, "Condition"> & Pick<Statement, "Condition">,
  accountId: string,
): Statement {
  const condition = { ...(s.Condition ?? {}) };
  condition.StringEquals = { ...(condition.StringEquals ?? {}), "aws:PrincipalAccount": accountId };
  return { ...s, Principal: "*", Condition: condition };
}

/**
 * The endpoint policy of one endpoint service: the job policy's Allow statements narrowed to the
 * service's actions, each for any principal of `accountId` only (`aws:PrincipalAccount`).
 * @throws Error when the job policy has a Deny or a statement without `Action` (the mirror would
 * not be exact), or when nothing remains for a service other than STS.
 */
export function endpointPolicy(
  service: EndpointService,
  jobPolicy: PolicyDocument,
  accountId: string,
): PolicyDocument {
  if (!/^\d{12}$/.test(accountId)) {
    throw new Error(`accountId must be a 12-digit AWS account id; found "${accountId}".`);
  }
  const prefix = `${ENDPOINT_IAM_PREFIX[service]}:`;
  const statements: Statement[] = [];
  for (const s of jobPolicy.Statement) {
    if (s.Effect !== "Allow") {
      throw new Error(
        `The job policy must hold only Allow statements to be mirrored into endpoint policies; found ${s.Effect} in ${s.Sid ?? "a statement"}. Mirror the Deny explicitly.`,
      );
    }
    const actions = asList(s.Action).filter((a) => a.toLowerCase().startsWith(prefix));
    if (actions.length === 0) continue;
    statements.push(
      pinnedToAccount({ ...s, Action: actions.length === 1 ? actions[0]! : actions }, accountId),
    );
  }
  if (service === "sts") statements.push(pinnedToAccount(STS_CALLER_IDENTITY, accountId));
  if (statements.length === 0) {
    throw new Error(
      `The job policy must allow at least one ${prefix}* action for the ${service} endpoint to serve the job; found none. Remove the endpoint or grant the job what it calls through it.`,
    );
  }
  return policyDocument(statements);
}
