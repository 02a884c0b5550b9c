/**
 * The IAM access of each role in a graph, and its difference between two graphs: which actions on
 * which resources a role can newly reach, or no longer reach, and who can newly assume it. Built
 * from the policy documents the graph carries (inline policies of the role, `aws:iam/rolePolicy`
 * resources, customer managed `aws:iam/policy` resources attached with
 * `aws:iam/rolePolicyAttachment`, and the trust policy), parsed with policy/iam.ts. AWS managed
 * policies are listed by ARN (their content is not in the graph).
 */
import { type Statement, documentsOf, parsePolicyDocument } from "../../policy/iam";
import type { GraphResource } from "../synth";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** A graph resource as the diff needs it (saved graphs may lack the optional fields). */
export type AccessResource = Pick<GraphResource, "type" | "name" | "inputs"> &
  Partial<Pick<GraphResource, "urn" | "propertyDependencies">>;

/** What one role can do: grant lines (`Allow s3:GetObject on arn:...`) and who may assume it. */
export interface RoleAccess {
  role: string;
  grants: Set<string>;
  trust: Set<string>;
}

/** The change of one role's access. */
export interface RoleAccessDiff {
  role: string;
  /** The role is new, removed, or changed. */
  status: "added" | "removed" | "changed";
  granted: string[];
  revoked: string[];
  trustAdded: string[];
  trustRemoved: string[];
}

const text = (v: unknown) => (typeof v === "string" ? v : "(unknown)");

/** One line per (effect, action, resource) of a statement; conditions are named, not expanded. */
function grantLines(s: Statement): string[] {
  const actions = s.Action ?? (s.NotAction ?? []).map((a) => `NOT ${text(a)}`);
  const resources = s.Resource ?? (s.NotResource ?? []).map((r) => `NOT ${text(r)}`);
  const cond = s.Condition
    ? ` when ${Object.entries(s.Condition)
        .flatMap(([op, keys]) => Object.keys(keys ?? {}).map((k) => `${op} ${k}`))
        .join(", ")}`
    : "";
  return actions.flatMap((a) =>
    (resources.length > 0 ? resources : ["*"]).map(
      (r) => `${s.Effect} ${text(a)} on ${text(r)}${cond}`,
    ),
  );
}

function documentLines(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  kind: "identity" | "trust",
): string[] {
  const out: string[] = [];
  for (const d of documentsOf(type, name, inputs).filter((x) => x.kind === kind)) {
    try {
      for (const s of parsePolicyDocument(d.value).Statement) {
        if (kind === "identity") out.push(...grantLines(s));
        else {
          for (const p of s.Principal ?? []) {
            out.push(`${s.Effect} ${p.kind === "*" ? "*" : `${p.kind}:${text(p.value)}`}`);
          }
        }
      }
    } catch (e) {
      out.push(`(${d.label} could not be read: ${(e as Error).message})`);
    }
  }
  return out;
}

/** Finds the resource an input points at: through its property dependency, else by name. */
function target(
  from: AccessResource,
  input: string,
  candidates: AccessResource[],
  nameOf: (value: string) => string,
): AccessResource | undefined {
  const urns = from.propertyDependencies?.[input] ?? [];
  const byUrn = candidates.find((c) => c.urn !== undefined && urns.includes(c.urn));
  if (byUrn) return byUrn;
  const value = from.inputs[input];
  if (typeof value !== "string") return undefined;
  const wanted = nameOf(value);
  return candidates.find(
    (c) =>
      c.name === wanted ||
      c.inputs.name === wanted ||
      // The offline synthesis names a resource `<logical name>-<7 hex>` unless `name` is set.
      wanted.replace(/-[0-9a-f]{7}$/, "") === c.name,
  );
}

/** The access of every role in the graph, by role name. */
export function accessByRole(graph: readonly AccessResource[]): Map<string, RoleAccess> {
  const roles = graph.filter((r) => r.type === ROLE);
  const policies = graph.filter((r) => r.type === POLICY);
  const access = new Map<string, RoleAccess>();
  for (const r of roles) {
    access.set(r.name, {
      role: r.name,
      grants: new Set(documentLines(r.type, r.name, r.inputs, "identity")),
      trust: new Set(documentLines(r.type, r.name, r.inputs, "trust")),
    });
  }
  for (const rp of graph.filter((r) => r.type === ROLE_POLICY)) {
    const role = target(rp, "role", roles, (v) => v);
    if (!role) continue;
    for (const line of documentLines(rp.type, rp.name, rp.inputs, "identity")) {
      access.get(role.name)!.grants.add(line);
    }
  }
  for (const att of graph.filter((r) => r.type === ATTACHMENT)) {
    const role = target(att, "role", roles, (v) => v);
    if (!role) continue;
    const arn = att.inputs.policyArn;
    if (typeof arn === "string" && /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn)) {
      access.get(role.name)!.grants.add(`AWS managed policy ${arn}`);
      continue;
    }
    const policy = target(att, "policyArn", policies, (v) => v.split("/").pop() ?? v);
    if (!policy) {
      access.get(role.name)!.grants.add(`policy ${text(arn)} (not in this stack)`);
      continue;
    }
    for (const line of documentLines(policy.type, policy.name, policy.inputs, "identity")) {
      access.get(role.name)!.grants.add(line);
    }
  }
  return access;
}

/** Roles whose access differs between two graphs, sorted by role name. */
export function diffAccess(
  base: readonly AccessResource[],
  head: readonly AccessResource[],
): RoleAccessDiff[] {
  const before = accessByRole(base);
  const after = accessByRole(head);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: RoleAccessDiff[] = [];
  const minus = (a: Set<string> | undefined, b: Set<string> | undefined) =>
    [...(a ?? [])].filter((x) => !b?.has(x)).sort();
  for (const role of names) {
    const b = before.get(role);
    const a = after.get(role);
    const d: RoleAccessDiff = {
      role,
      status: !b ? "added" : !a ? "removed" : "changed",
      granted: minus(a?.grants, b?.grants),
      revoked: minus(b?.grants, a?.grants),
      trustAdded: minus(a?.trust, b?.trust),
      trustRemoved: minus(b?.trust, a?.trust),
    };
    if (d.granted.length + d.revoked.length + d.trustAdded.length + d.trustRemoved.length > 0) {
      out.push(d);
    }
  }
  return out;
}
