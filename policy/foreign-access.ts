/**
 * Who can act through policies: the rule `iam-foreign-access` with its trusted-set helpers, and
 * the public-principal rules for key and resource policies.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

import { ANY_CONCRETE, type TrustedSet, foreignGrants, whyNotRestricting } from "./access";
import { configSchemas, policyConfig } from "./config";
import {
  type Statement,
  IamCatalog,
  conditionsOf,
  hasWildcard,
  parseArn,
  statementLabel,
} from "./document";
import { known, must } from "./support";
import { documentPolicy, perStatement, publicPrincipalCheck } from "./document-policy";

/** KMS key policies and grants without unrestricted `*` principals. */
export const kmsKeyPolicyNoPublicPrincipal: ResourceValidationPolicy = {
  name: "kms-key-policy-no-public-principal",
  description:
    'Checks that KMS key policies and grants do not allow Principal "*" (or NotPrincipal) unless a positive condition on a key the caller cannot choose pins it to concrete values (Resource "*" in a key policy means the key itself and is fine).',
  validateResource: documentPolicy(["key", "grant"], publicPrincipalCheck),
};

/** Bucket, topic, queue, Glue and Logs resource policies without unrestricted `*` principals. */
export const iamNoPublicResourcePolicy: ResourceValidationPolicy = {
  name: "iam-no-public-resource-policy",
  description:
    'Checks that S3 bucket, SNS topic, SQS queue, Glue and CloudWatch Logs resource policies do not allow Principal "*" (or NotPrincipal) unless a positive condition on a key the caller cannot choose pins it to concrete values.',
  validateResource: documentPolicy(["resource"], publicPrincipalCheck),
};

/** The trusted set of a stack from the iam-foreign-access config. */
function trustedSet(args: ResourceValidationArgs): TrustedSet {
  const { accounts, trustedAccounts, trustedOrganizations } = policyConfig(
    "iam-foreign-access",
    args,
  );
  return {
    accounts: [...accounts, ...trustedAccounts.map((a) => a.account)],
    organizations: trustedOrganizations.map((o) => o.id),
  };
}

const ACCOUNT_SCOPE_KEYS = ["aws:resourceaccount", "aws:resourceorgid", "s3:resourceaccount"];

/** Resource ARNs of a statement that belong to an account outside the trusted set. */
function foreignResources(s: Statement, trusted: TrustedSet): string[] {
  return (s.Resource ?? [])
    .filter((r): r is string => typeof r === "string")
    .filter((r) => {
      const arn = parseArn(r);
      return (
        arn !== undefined && /^\d{12}$/.test(arn.account) && !trusted.accounts.includes(arn.account)
      );
    });
}

const PRINCIPAL_ACCOUNT_KEYS = ["aws:principalaccount", "aws:principalarn", "aws:principalorgid"];

/**
 * `Resource: "*"` in an endpoint statement reaches no other account's resource when every
 * action it allows acts only in the caller's own account (no resource type in the data, e.g.
 * `sts:GetCallerIdentity`, or listed in `callerScopedActions` with a reason, e.g.
 * `cloudwatch:PutMetricData`) and a restricting condition pins the caller to the trusted
 * accounts (`aws:PrincipalAccount`, ...). The data's "required" flag cannot decide this: S3 marks
 * alternative resource types (object or access point object) as optional.
 */
function callerScopedWildcard(
  s: Statement,
  trusted: TrustedSet,
  catalog: IamCatalog,
  listed: readonly string[],
): boolean {
  const pinned = conditionsOf(s).some(
    (c) => PRINCIPAL_ACCOUNT_KEYS.includes(c.key) && !whyNotRestricting(c, trusted, false),
  );
  if (!pinned || s.NotAction || (s.Action ?? []).length === 0) return false;
  return (s.Action ?? []).every((a) => {
    const pattern = known<string>(a);
    if (listed.includes(pattern.toLowerCase())) return true;
    const x = catalog.expand(pattern);
    return (
      x.wellFormed &&
      x.serviceExists &&
      !x.anyService &&
      x.matches.length > 0 &&
      x.matches.every((m) => m.resourceTypes.length === 0)
    );
  });
}

/** An endpoint statement's resources are pinned to the trusted accounts. */
function endpointScopeProblem(
  s: Statement,
  trusted: TrustedSet,
  catalog: IamCatalog,
  listed: readonly string[],
): string | undefined {
  for (const c of conditionsOf(s)) {
    if (!ACCOUNT_SCOPE_KEYS.includes(c.key) || c.negated || c.ifExists) continue;
    if (c.set === "ForAllValues" || !/^string(equals|like)$/i.test(c.base)) continue;
    const values = c.values.map((v) => known<string>(v));
    const ok = c.key.endsWith("orgid")
      ? values.every((v) => trusted.organizations.includes(v))
      : values.every((v) => trusted.accounts.includes(v));
    if (ok && values.length > 0) return undefined;
  }
  const callerScoped = callerScopedWildcard(s, trusted, catalog, listed);
  const open = (s.Resource ?? [])
    .filter((r): r is string => typeof r === "string")
    .filter((r) => {
      if (r === "*") return !callerScoped;
      const arn = parseArn(r);
      if (!arn) return true;
      if (arn.service === "s3" && arn.account === "") {
        return hasWildcard(arn.resource.split("/")[0] ?? "");
      }
      return hasWildcard(arn.account) || !trusted.accounts.includes(arn.account);
    });
  if (s.NotResource) return "NotResource (every resource not listed)";
  return open.length > 0 ? `Resource ${open.join(", ")}` : undefined;
}

/** Who can act: no principal outside the trusted accounts, in any document kind. */
export const iamForeignAccess: ResourceValidationPolicy = {
  name: "iam-foreign-access",
  description:
    "Checks that no policy lets a principal outside this stack's accounts (accounts) or the configured trusted accounts and organizations act: resource, key, Glue, Logs and VPC endpoint policies, KMS grants, trust policies and Cloud Control documents allow foreign, public or service principals only under a restricting condition (positive operator, a key the caller cannot choose, concrete values inside the trusted set; service principals need confused-deputy conditions pinning these accounts); identity policies name no resource of a foreign account; VPC endpoint policies reach only these accounts' resources.",
  configSchema: configSchemas["iam-foreign-access"],
  validateResource: documentPolicy(
    ["resource", "key", "grant", "endpoint", "trust", "identity"],
    (ctx, d) => {
      const trusted = trustedSet(ctx.args);
      const hint =
        trusted.accounts.length === 0
          ? " (iam-foreign-access.accounts is empty: list this stack's account id in policy/<stack>.json)"
          : "";
      return perStatement(d, (s) => {
        const what = `${statementLabel(s)} of ${d.source.label}`;
        if (d.source.kind === "identity") {
          const foreign = foreignResources(s, trusted);
          if (foreign.length > 0) {
            ctx.report(
              must(
                what,
                `name only resources of this stack's accounts (${trusted.accounts.join(", ") || "none configured"}) or trusted accounts`,
                `Resource ${foreign.join(", ")}${hint}`,
              ),
            );
          }
          return;
        }
        if (d.source.kind === "endpoint") {
          const problem = endpointScopeProblem(
            s,
            trusted,
            ctx.catalog,
            policyConfig("iam-foreign-access", ctx.args).callerScopedActions.map((a) =>
              a.action.toLowerCase(),
            ),
          );
          if (problem) {
            ctx.report(
              must(
                what,
                "reach only this stack's accounts' resources (concrete ARNs of these accounts, a positive aws:ResourceAccount condition on them, or Resource \"*\" only for actions that need no resource with aws:PrincipalAccount pinned to them)",
                `${problem}${hint}`,
              ),
            );
          }
        }
        // Trust policies: service principals without deputy conditions are judged by
        // iam-trust-confused-deputy; with them, their values must be trusted.
        const deputy =
          d.source.kind !== "trust" ||
          conditionsOf(s).some((c) =>
            ["aws:sourceaccount", "aws:sourcearn", "aws:sourceowner"].includes(c.key),
          );
        // Principal "*" (or NotPrincipal) with no restricting condition at all is reported by
        // kms-key-policy-no-public-principal / iam-no-public-resource-policy; here, the ones a
        // condition pins to values outside the trusted set.
        const unpinned =
          d.source.kind !== "endpoint" &&
          d.source.kind !== "trust" &&
          conditionsOf(s).every((c) => whyNotRestricting(c, ANY_CONCRETE, false) !== undefined);
        const grants = foreignGrants(s, trusted, deputy).filter(
          (g) =>
            !(
              unpinned &&
              (g.principal === "*" ||
                g.principal === "AWS:*" ||
                g.principal.startsWith("NotPrincipal"))
            ),
        );
        const open =
          d.source.kind === "endpoint" ? grants.filter((g) => g.principal !== "*") : grants;
        if (open.length > 0) {
          ctx.report(
            must(
              what,
              "allow only principals of this stack's accounts or trusted accounts and organizations (or restrict the others with a positive condition on aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn, ... whose values are all trusted)",
              `${open.map((g) => `${g.principal}: ${g.reasons.join("; ")}`).join(" | ")}${hint}`,
            ),
          );
        }
      });
    },
  ),
};
