/**
 * IAM policy document types shared by every pure policy builder (`lib/iam/*`, `lib/storage.ts`).
 * Builders take plain strings (ARNs, names) and return documents; components `apply` them to outputs.
 */

/** A condition block: operator -> key -> value(s). */
export type Condition = Record<string, Record<string, string | string[] | boolean>>;

/** A principal as IAM writes it. */
export type Principal =
  "*" | { AWS?: string | string[]; Service?: string | string[]; Federated?: string };

/** One statement of a policy document. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: Principal;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Condition;
}

/** An IAM policy document (identity, resource, trust or key policy). */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** Builds a document from statements, dropping none and sorting nothing: order is part of the review diff. */
export function policyDocument(statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The ARN partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The DNS suffix of service principals in a partition. */
export function servicePrincipal(service: string): string {
  return `${service}.amazonaws.com`;
}
