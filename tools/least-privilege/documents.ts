/** Finding a role's policy documents and the resource policies that apply in the graph. */
import { documentsOf, parsePolicyDocument } from "../../policy/iam";
import { type Graph, type GraphResource, mockOutputs } from "../synth";
import { T, arnOf, str } from "./facts";

import { ROLE_TABLES } from "./roles";
import { RoleTable } from "./table";

// ------------------------------------------------------------------------------------------------
// Finding a role's documents in the graph
// ------------------------------------------------------------------------------------------------

/** A policy document as the simulator takes it, with where it came from. */
export interface NamedDocument {
  /** The resource (and field) that carries it, e.g. `aws:iam/rolePolicy:RolePolicy spotify-dev-etl-job-role`. */
  name: string;
  /** The parsed JSON document. */
  policy: Record<string, unknown>;
}

/** A role of the graph with every document that decides its requests. */
export interface RoleDocuments {
  role: GraphResource;
  /** The role's physical name and ARN (as the offline synthesis names it). */
  roleName: string;
  roleArn: string;
  /** Its trust policy. */
  trust: NamedDocument;
  /** Its identity policies: inline, `RolePolicy`, and customer managed policies attached to it. */
  identity: NamedDocument[];
}

/** Validates a document the way the policy pack does, then hands the plain JSON on. */
function parsed(value: unknown, label: string): Record<string, unknown> {
  try {
    parsePolicyDocument(value);
  } catch (e) {
    throw new Error(
      `${label} cannot be simulated: ${(e as Error).message}. Synthesize without preview and fix the document.`,
      { cause: e },
    );
  }
  return (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** The type and name of the component a resource belongs to, from its parent URN. */
function parentOf(r: GraphResource): { type: string; name: string } | undefined {
  if (!r.parent) return undefined;
  // urn:pulumi:<stack>::<project>::<parent types joined by $>::<name>
  const parts = r.parent.split("::");
  if (parts.length < 4) return undefined;
  const name = parts[parts.length - 1]!;
  const type = parts[parts.length - 2]!.split("$").pop()!;
  return { type, name };
}

/**
 * The table that covers a role of the graph: the one whose component type creates it and whose
 * suffix completes the component's name to the role's logical name.
 * @throws Error naming the role when no table covers it (a new role must get a table).
 */
export function tableFor(
  role: GraphResource,
  tables: readonly RoleTable[] = ROLE_TABLES,
): RoleTable {
  const parent = parentOf(role);
  const found = tables.filter(
    (t) => parent && parent.type === t.component && role.name === `${parent.name}${t.suffix}`,
  );
  if (found.length !== 1) {
    throw new Error(
      `IAM role ${role.name} (created by ${parent ? `${parent.type} ${parent.name}` : "the stack itself"}) has ${found.length === 0 ? "no" : "more than one"} least-privilege table; add one to ROLE_TABLES in tools/least-privilege/roles.ts with the requests its service makes and those it must be denied.`,
    );
  }
  return found[0]!;
}

/**
 * Every document that decides a role's requests, found in the graph: its trust policy, inline
 * policies (`inlinePolicies`), `aws:iam/rolePolicy:RolePolicy` resources on it, and
 * `aws:iam/policy:Policy` documents attached to it by `RolePolicyAttachment` or `PolicyAttachment`.
 * A resource refers to the role by its name or ARN, or through the role's URN in its dependencies.
 * @throws Error when an attached policy is not in the graph (an AWS managed policy cannot be
 *   simulated and is not allowed by the policy pack) or a document is invalid or unknown.
 */
export function roleDocumentsOf(graph: Graph, role: GraphResource, region: string): RoleDocuments {
  const out = mockOutputs(role.type, role.name, role.inputs, region).state;
  const roleName = str(out.name, `name of role ${role.name}`);
  const roleArn = str(out.arn, `ARN of role ${role.name}`);
  const refersToRole = (r: GraphResource, field: string): boolean => {
    const v = r.inputs[field];
    const refs = Array.isArray(v) ? v : [v];
    return (
      refs.includes(roleName) ||
      refs.includes(roleArn) ||
      (r.propertyDependencies[field] ?? []).includes(role.urn)
    );
  };
  const docs = documentsOf(role.type, role.name, role.inputs);
  const trustSource = docs.find((d) => d.kind === "trust");
  if (!trustSource) throw new Error(`role ${role.name} has no assumeRolePolicy in the graph.`);
  const identity: NamedDocument[] = docs
    .filter((d) => d.kind === "identity")
    .map((d) => ({ name: `${role.name} ${d.path}`, policy: parsed(d.value, d.label) }));

  for (const rp of graph.resources.filter(
    (r) => r.type === T.rolePolicy && refersToRole(r, "role"),
  )) {
    for (const d of documentsOf(rp.type, rp.name, rp.inputs)) {
      identity.push({ name: `RolePolicy ${rp.name}`, policy: parsed(d.value, d.label) });
    }
  }
  const attachments = [
    ...graph.resources.filter((r) => r.type === T.attachment && refersToRole(r, "role")),
    ...graph.resources.filter((r) => r.type === T.policyAttachment && refersToRole(r, "roles")),
  ];
  const managed = (role.inputs.managedPolicyArns as string[] | undefined) ?? [];
  const policyArns = [
    ...attachments.map((a) => ({
      arn: a.inputs.policyArn,
      deps: a.propertyDependencies.policyArn ?? [],
      from: a.name,
    })),
    ...managed.map((arn) => ({
      arn,
      deps: [] as string[],
      from: `${role.name} managedPolicyArns`,
    })),
  ];
  for (const { arn, deps, from } of policyArns) {
    const policy = graph.resources.find(
      (r) => r.type === T.policy && (deps.includes(r.urn) || arnOf(r, region) === arn),
    );
    if (!policy) {
      throw new Error(
        `${from} attaches ${JSON.stringify(arn)} to role ${role.name}, but that policy is not in the graph (an AWS managed policy?): its document cannot be simulated, and the policy pack forbids broad managed policies. Attach a customer managed aws.iam.Policy instead.`,
      );
    }
    for (const d of documentsOf(policy.type, policy.name, policy.inputs)) {
      identity.push({ name: `Policy ${policy.name}`, policy: parsed(d.value, d.label) });
    }
  }
  if (identity.length === 0) {
    throw new Error(`role ${role.name} has no identity policy in the graph; nothing to simulate.`);
  }
  return {
    role,
    roleName,
    roleArn,
    trust: {
      name: `${role.name} assumeRolePolicy`,
      policy: parsed(trustSource.value, trustSource.label),
    },
    identity,
  };
}

/** The resource policies of the graph, by what they protect. */
export interface ResourcePolicies {
  /** The resource policy that applies to a request on this ARN, and its kind. */
  forResource(
    arn: string,
  ):
    | { kind: "bucket-policy" | "key-policy" | "topic-policy"; policy: Record<string, unknown> }
    | undefined;
}

/** Collects bucket policies (by bucket), key policies (by key ARN) and topic policies (by topic ARN). */
export function resourcePoliciesOf(graph: Graph, region: string): ResourcePolicies {
  const buckets = new Map<string, Record<string, unknown>>();
  const keys = new Map<string, Record<string, unknown>>();
  const topics = new Map<string, Record<string, unknown>>();
  for (const r of graph.resources) {
    const docs = documentsOf(r.type, r.name, r.inputs).filter(
      (d) => d.kind !== "identity" && d.kind !== "trust",
    );
    for (const d of docs) {
      if (r.type === T.bucketPolicy)
        buckets.set(str(r.inputs.bucket, `bucket of ${r.name}`), parsed(d.value, d.label));
      else if (r.type === T.key) keys.set(arnOf(r, region), parsed(d.value, d.label));
      else if (r.type === T.topicPolicy)
        topics.set(str(r.inputs.arn, `arn of ${r.name}`), parsed(d.value, d.label));
    }
  }
  return {
    forResource(arn) {
      const s3 = /^arn:[^:]+:s3:::([^/]+)/.exec(arn);
      if (s3) {
        const policy = buckets.get(s3[1]!);
        return policy ? { kind: "bucket-policy", policy } : undefined;
      }
      const key = keys.get(arn);
      if (key) return { kind: "key-policy", policy: key };
      const topic = topics.get(arn);
      if (topic) return { kind: "topic-policy", policy: topic };
      return undefined;
    },
  };
}
