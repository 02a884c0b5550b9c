/** The shape of a role table (requests, expectations) and the templates the tables share. */
import { FactName } from "./facts";

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

export const S3 = "arn:{partition}:s3:::";
export const GLUE = "arn:{partition}:glue:{region}:{account}";
export const LOGS = "arn:{partition}:logs:{region}:{account}:log-group:";

/**
 * Allowed rows of `action` on each level Glue authorizes a table call on: the catalog, the
 * database and the table `tracks`.
 */
export function glueTableLevels(action: string, by: Reason, why: string): Request[] {
  return (["catalog", "database/{database}", "table/{database}/tracks"] as const).map((r) => ({
    action,
    resource: `${GLUE}:${r}`,
    expect: "Allowed",
    by,
    why,
  }));
}
export const EC2 = "arn:{partition}:ec2:{region}:{account}";
export const OTHER_KEY =
  "arn:{partition}:kms:{region}:{account}:key/00000000-0000-4000-8000-000000000000";
export const BATCH = "incoming/2024-06-01/";
export const RUN = "run-2024-06-01";
export const viaS3 = { "kms:ViaService": "s3.{region}.amazonaws.com" };
export const viaSns = { "kms:ViaService": "sns.{region}.amazonaws.com" };
export const viaGlue = { "kms:ViaService": "glue.{region}.amazonaws.com" };
export const noTls = { "aws:SecureTransport": "false" };

/** Requests every role must be denied: IAM changes (privilege escalation). */
export function iamDenied(): Request[] {
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
export function trustRows(
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
