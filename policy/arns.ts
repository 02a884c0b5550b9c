/**
 * Resource ARNs of the policy model, parsed segment by segment (partition, service, region,
 * account, resource), with wildcard detection and the resource-name part.
 */

/** An ARN (or ARN pattern) split into its segments. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the account: `bucket/key`, `key/1234`, `log-group:/aws-glue/*`. */
  resource: string;
}

/** True when a segment holds an IAM wildcard (`*` or `?`). */
export function hasWildcard(segment: string): boolean {
  return segment.includes("*") || segment.includes("?");
}

/** Parses an ARN or ARN pattern; undefined when it has fewer than six segments. */
export function parseArn(value: string): Arn | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0]!.toLowerCase() !== "arn") return undefined;
  return {
    partition: parts[1]!,
    service: parts[2]!,
    region: parts[3]!,
    account: parts[4]!,
    resource: parts.slice(5).join(":"),
  };
}

/**
 * The resource name part of an ARN's resource segment: what follows the resource type
 * (`key/1234` -> `1234`, `log-group:/aws-glue/*` -> `/aws-glue/*`); for S3, whose ARNs have no
 * type, the whole segment (`bucket/key`).
 */
export function resourceName(arn: Arn): string {
  if (arn.service.toLowerCase() === "s3" && arn.account === "" && arn.region === "") {
    return arn.resource;
  }
  const m = /^([A-Za-z0-9-]+)([/:])(.*)$/.exec(arn.resource);
  return m ? m[3]! : arn.resource;
}
