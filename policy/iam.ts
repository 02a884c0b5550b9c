/**
 * IAM rules of the pack: least privilege for identity and trust policies (actions expanded
 * against AWS's service authorization data, resource ARNs judged segment by segment), who can
 * act through resource-side policies (`policy/access.ts`), managed policies, users.
 *
 * The document model (parsing every document kind, the action catalog, conditions, ARNs) lives
 * in `policy/document.ts`; its parsing helpers are re-exported here for existing importers. The
 * shared document-rule machinery is in `policy/document-policy.ts`, `iam-resource-wildcard` in
 * `policy/resource-wildcard.ts`, and the foreign/public access rules in `policy/foreign-access.ts`;
 * they are re-exported here too.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { ANY_CONCRETE, whyNotRestricting } from "./access";
import { configSchemas, policyConfig } from "./config";
import {
  IamCatalog,
  PolicyDocumentError,
  TYPE_LABELS,
  actionMatches,
  conditionKeys,
  conditionsOf,
  desiredStateOf,
  documentsOf,
  parsePolicyDocument,
  statementLabel,
  typesWithDocuments,
} from "./document";
import { asList, at, known, must, reportAdvisory, show, snapshot } from "./support";
import { documentPolicy, grants, perStatement, quoteList } from "./document-policy";
import {
  iamForeignAccess,
  iamNoPublicResourcePolicy,
  kmsKeyPolicyNoPublicPrincipal,
} from "./foreign-access";
import { iamResourceWildcard, ownedPrefixes, provenOwned } from "./resource-wildcard";

export {
  IamCatalog,
  PolicyDocumentError,
  actionMatches,
  conditionKeys,
  documentsOf,
  parsePolicyDocument,
  statementLabel,
  typesWithDocuments,
};
export type {
  ActionExpansion,
  ActionInfo,
  DocumentKind,
  DocumentSource,
  PolicyDocument,
  PrincipalEntry,
  Statement,
} from "./document";

export type { ParsedDocument } from "./document-policy";
export type { OwnedPrefixes } from "./resource-wildcard";
export {
  iamForeignAccess,
  iamNoPublicResourcePolicy,
  iamResourceWildcard,
  kmsKeyPolicyNoPublicPrincipal,
  ownedPrefixes,
  provenOwned,
};

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

/** Every action named in any policy document exists in AWS's service authorization data. */
export const iamActionsExist: ResourceValidationPolicy = {
  name: "iam-actions-exist",
  description:
    "Checks that every action named in an IAM, key, bucket, topic or queue policy exists in AWS's service authorization reference (a misspelt action silently grants nothing).",
  validateResource: documentPolicy(
    ["identity", "resource", "trust", "key", "endpoint", "grant"],
    (ctx, d) =>
      d.doc.Statement.flatMap((s) =>
        [...(s.Action ?? []), ...(s.NotAction ?? [])].map((a) => () => {
          const pattern = known<string>(a);
          if (pattern === "*") return;
          const what = `Action '${pattern}' in ${statementLabel(s)} of ${d.source.label}`;
          const x = ctx.catalog.expand(pattern);
          if (x.anyService) return; // judged by iam-no-wildcard-actions
          if (!x.wellFormed) {
            ctx.report(must(what, "have the form service:Action", `'${pattern}'`));
          } else if (!x.serviceExists) {
            ctx.report(
              must(
                what,
                "name a service prefix of the AWS service authorization reference",
                `unknown service '${x.service}'`,
              ),
            );
          } else if (x.matches.length === 0) {
            ctx.report(
              must(
                what,
                "match an action of the AWS service authorization reference",
                `no ${x.service} action matching it`,
              ),
            );
          }
        }),
      ),
    ({ report }, source, e) =>
      report(
        must(
          `Policy document (${source.path}) of ${source.label}`,
          "be a valid IAM policy document",
          e.message,
        ),
      ),
  ),
};

/** No action pattern that matches more than one action, unless allow-listed with a reason. */
export const iamNoWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description:
    'Checks that no Allow statement of an identity, trust, resource or VPC endpoint policy names an action pattern that matches more than one action ("*", "s3:*", "s3:Get*", "iam:?*", "*:Get*"), unless allowedActionPatterns lists that exact pattern with a reason.',
  configSchema: configSchemas["iam-no-wildcard-actions"],
  validateResource: documentPolicy(["identity", "resource", "trust", "endpoint"], (ctx, d) => {
    const { allowedActionPatterns } = policyConfig("iam-no-wildcard-actions", ctx.args);
    const allowed = new Set(allowedActionPatterns.map((a) => a.pattern.toLowerCase()));
    return perStatement(d, (s) => {
      const broad: string[] = [];
      for (const a of s.Action ?? []) {
        const pattern = known<string>(a);
        const x = ctx.catalog.expand(pattern);
        if (!x.wellFormed || !x.serviceExists) continue; // iam-actions-exist reports these
        if (!x.anyService && x.matches.length <= 1) continue;
        if (allowed.has(pattern.toLowerCase())) continue;
        broad.push(
          x.anyService
            ? `${pattern} (actions of every service)`
            : `${pattern} (${x.matches.length} actions: ${summarizeLevels(x.matches)})`,
        );
      }
      if (broad.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label}`,
            "name each action it grants (or list the exact pattern with a reason in iam-no-wildcard-actions.allowedActionPatterns)",
            `Action ${broad.join(", ")}`,
          ),
        );
      }
    });
  }),
};

/** "12 Read, 3 List" for a set of actions. */
function summarizeLevels(actions: { accessLevel: string }[]): string {
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.accessLevel, (counts.get(a.accessLevel) ?? 0) + 1);
  return [...counts].map(([level, n]) => `${n} ${level}`).join("; ");
}

const ROLE_ARN_PATTERN = /^arn:[^:]*:(iam|[^:]*\*[^:]*):/;

/** `iam:PassRole` only on specific roles, with `iam:PassedToService`. */
export const iamPassRoleScoped: ResourceValidationPolicy = {
  name: "iam-passrole-scoped",
  description:
    "Checks that identity policies grant iam:PassRole only on specific role ARNs and only with an iam:PassedToService condition.",
  validateResource: documentPolicy(["identity"], (ctx, d) =>
    perStatement(d, (s) => {
      const via = grants(s, "iam:PassRole");
      if (via.length === 0) return;
      const what = `${statementLabel(s)} of ${d.source.label} (grants iam:PassRole via ${via.join(", ")})`;
      // Only patterns that can match role ARNs matter (`*`, or an iam/wildcard-service ARN).
      const wild = (s.Resource ?? []).filter(
        (r): r is string =>
          typeof r === "string" && r.includes("*") && (r === "*" || ROLE_ARN_PATTERN.test(r)),
      );
      if (s.Resource === undefined || wild.length > 0) {
        ctx.report(
          must(
            what,
            "name specific role ARNs",
            `Resource ${s.Resource ? wild.join(", ") : "none"}`,
          ),
        );
      }
      const keys = conditionKeys(s);
      if (!keys.includes("iam:passedtoservice")) {
        ctx.report(
          must(
            what,
            "have an iam:PassedToService condition",
            keys.length > 0 ? `condition keys ${keys.join(", ")}` : "no condition",
          ),
        );
      }
    }),
  ),
};

/** No Allow with NotAction, NotResource or NotPrincipal. */
export const iamNoNotElements: ResourceValidationPolicy = {
  name: "iam-no-not-elements",
  description:
    "Checks that no Allow statement uses NotAction, NotResource or NotPrincipal (they grant everything not listed).",
  validateResource: documentPolicy(
    ["identity", "resource", "trust", "key", "endpoint", "grant"],
    (ctx, d) =>
      perStatement(d, (s) => {
        const found: string[] = [];
        if (s.NotAction) found.push(`NotAction ${quoteList(s.NotAction)}`);
        if (s.NotResource) found.push(`NotResource ${quoteList(s.NotResource)}`);
        if (s.NotPrincipal) {
          found.push(
            `NotPrincipal ${s.NotPrincipal.map((p) => `${p.kind}:${show(p.value)}`).join(", ")}`,
          );
        }
        if (found.length > 0) {
          ctx.report(
            must(
              `${statementLabel(s)} of ${d.source.label}`,
              "not combine Allow with NotAction, NotResource or NotPrincipal",
              found.join("; "),
            ),
          );
        }
      }),
  ),
};

const ALL_KEYS = /^arn:[a-z-]+:kms:[^:]*:[^:]*:(.*\*.*)$/;

/** No `kms:Decrypt` (or `kms:ReEncryptFrom`) on all keys in identity policies. */
export const iamNoKmsDecryptAllKeys: ResourceValidationPolicy = {
  name: "iam-no-kms-decrypt-all-keys",
  description:
    'Checks that identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all KMS keys (Resource "*" or a key ARN wildcard).',
  validateResource: documentPolicy(["identity"], (ctx, d) =>
    perStatement(d, (s) => {
      const via = [...grants(s, "kms:Decrypt"), ...grants(s, "kms:ReEncryptFrom")];
      if (via.length === 0) return;
      const all = (s.Resource ?? []).filter(
        (r): r is string => typeof r === "string" && (r === "*" || ALL_KEYS.test(r)),
      );
      if (all.length > 0) {
        ctx.report(
          must(
            `${statementLabel(s)} of ${d.source.label} (allows ${[...new Set(via)].join(", ")})`,
            "name specific KMS key ARNs",
            `Resource ${all.join(", ")}`,
          ),
        );
      }
    }),
  ),
};

const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/;

/** Trust policies name specific (service) principals. */
export const iamTrustPolicyPrincipals: ResourceValidationPolicy = {
  name: "iam-trust-policy-principals",
  description:
    'Checks that role trust policies allow only specific AWS service principals (or configured account principals), never "*".',
  configSchema: configSchemas["iam-trust-policy-principals"],
  validateResource: documentPolicy(["trust"], (ctx, d) => {
    const { allowedPrincipals } = policyConfig("iam-trust-policy-principals", ctx.args);
    return perStatement(d, (s) => {
      const what = `${statementLabel(s)} of ${d.source.label}`;
      if (!s.Principal || s.Principal.length === 0) {
        ctx.report(must(what, "name the principals that may assume the role", "no Principal"));
        return;
      }
      const bad: string[] = [];
      for (const p of s.Principal) {
        const value = known<string>(p.value);
        if (p.kind === "Service") {
          if (!SERVICE_PRINCIPAL.test(value)) bad.push(`Service ${value}`);
        } else if (p.kind === "*" || value === "*" || !allowedPrincipals.includes(value)) {
          bad.push(p.kind === "*" ? "*" : `${p.kind} ${value}`);
        }
      }
      if (bad.length > 0) {
        ctx.report(
          must(
            what,
            "allow only specific AWS service principals (or principals listed in allowedPrincipals)",
            `Principal ${bad.join(", ")}`,
          ),
        );
      }
    });
  }),
};

/** Confused-deputy conditions in trust policies for service principals. */
export const iamTrustConfusedDeputy: ResourceValidationPolicy = {
  name: "iam-trust-confused-deputy",
  description:
    "Checks that role trust policies for AWS services pin the caller with a positive aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:SourceOrgID condition on concrete values (no Not..., no ...IfExists, no wildcard account): required for services that send them (requiredForServices), advisory for the others.",
  configSchema: configSchemas["iam-trust-confused-deputy"],
  validateResource: documentPolicy(["trust"], (ctx, d) => {
    const { requiredForServices } = policyConfig("iam-trust-confused-deputy", ctx.args);
    return perStatement(d, (s) => {
      const services = (s.Principal ?? []).filter((p) => p.kind === "Service");
      if (services.length === 0) return;
      const why: string[] = [];
      for (const c of conditionsOf(s)) {
        const reason = whyNotRestricting(c, ANY_CONCRETE, true);
        if (reason === undefined) return;
        why.push(reason);
      }
      const found = why.length > 0 ? why.join("; ") : "no condition";
      for (const p of services) {
        const service = known<string>(p.value);
        const message = must(
          `${statementLabel(s)} of ${d.source.label} (Service ${service})`,
          "pin the caller with a positive aws:SourceArn or aws:SourceAccount condition on concrete values",
          found,
        );
        if (requiredForServices.includes(service)) {
          ctx.report(message);
        } else {
          reportAdvisory(
            ctx.report,
            `${message} Advisory: ${service} is not in requiredForServices; add the condition if the service sends it.`,
          );
        }
      }
    });
  }),
};

const MANAGED_POLICY_FIELDS: Record<string, { field: string; list: boolean }> = {
  "aws:iam/role:Role": { field: "managedPolicyArns", list: true },
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": {
    field: "policyArns",
    list: true,
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/policyAttachment:PolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": { field: "policyArn", list: false },
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": { field: "policyArn", list: false },
};

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

/** No AWS managed policies attached, except reviewed ones. */
export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-broad-managed-policies",
  description:
    "Checks that no AWS managed policy (broad by design, e.g. AdministratorAccess, AWSGlueServiceRole) is attached unless listed in allowedManagedPolicies.",
  configSchema: configSchemas["iam-no-broad-managed-policies"],
  validateResource: (args, report) => {
    const spec = MANAGED_POLICY_FIELDS[args.type];
    const cloudControl =
      args.type === "aws:cloudcontrol/resource:Resource" &&
      at(snapshot(args.props), "typeName") === "AWS::IAM::Role";
    if (!spec && !cloudControl) {
      return args.notApplicable("Policy only applies to roles and policy attachments");
    }
    const { allowedManagedPolicies } = policyConfig("iam-no-broad-managed-policies", args);
    const value = spec
      ? at(snapshot(args.props), spec.field)
      : at(desiredStateOf(snapshot(args.props)), "ManagedPolicyArns");
    // An unknown ARN is the output of a customer managed policy: AWS managed ARNs are literals.
    const arns = asList(value).filter((v): v is string => typeof v === "string");
    const bad = arns.filter((a) => AWS_MANAGED.test(a) && !allowedManagedPolicies.includes(a));
    if (bad.length > 0) {
      report(
        must(
          `Managed policy attached by ${TYPE_LABELS[args.type] ?? args.type} '${args.name}'`,
          "be a customer managed policy scoped to the pipeline (or be listed in allowedManagedPolicies)",
          bad.join(", "),
        ),
      );
    }
  },
};

const USER_TYPES: Record<string, string> = {
  "aws:iam/user:User": "IAM user",
  "aws:iam/accessKey:AccessKey": "IAM access key",
  "aws:iam/userPolicy:UserPolicy": "IAM user policy",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "IAM user policy attachment",
  "aws:iam/userLoginProfile:UserLoginProfile": "IAM user login profile",
};

/** No IAM users or access keys. */
export const iamNoUsers: ResourceValidationPolicy = {
  name: "iam-no-users",
  description:
    "Checks that the stack creates no IAM users, access keys or user policies: services use roles with temporary credentials.",
  validateResource: (args, report) => {
    const kind = USER_TYPES[args.type];
    if (!kind)
      return args.notApplicable("Policy only applies to IAM users and their keys and policies");
    report(
      must(
        `${kind} '${args.name}'`,
        "not be created (use an IAM role with temporary credentials)",
        args.type,
      ),
    );
  },
};

/** The IAM policies, in report order. */
export const iamPolicies: ResourceValidationPolicy[] = [
  iamActionsExist,
  iamNoWildcardActions,
  iamResourceWildcard,
  iamPassRoleScoped,
  iamNoNotElements,
  iamNoKmsDecryptAllKeys,
  iamTrustPolicyPrincipals,
  iamTrustConfusedDeputy,
  iamNoBroadManagedPolicies,
  iamNoUsers,
  kmsKeyPolicyNoPublicPrincipal,
  iamNoPublicResourcePolicy,
  iamForeignAccess,
];
