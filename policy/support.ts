/**
 * Helpers every policy module shares: reading props that may hold unknown values (preview),
 * running independent checks so one unknown value cannot hide another violation, correlating
 * resources of a stack (a bucket and its separate encryption resource), and message formatting.
 *
 * The policy engine wraps props in `unknownCheckingProxy`: reading an unknown value throws
 * `UnknownValueError`, which the engine turns into an advisory "can't run policy during preview".
 * Policies here first take a {@link snapshot} (unknowns become {@link Unknown} markers), check
 * presence where presence is enough, and only rethrow an unknown where the value itself matters.
 */
import * as policySdk from "@pulumi/policy";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
} from "@pulumi/policy";

/** The engine's error for reading an unknown value (typed here: the SDK's .d.ts omits it). */
export interface UnknownValueError extends Error {
  /** The unknown sentinel that was read. */
  readonly unknownTypeSentinel: string;
  /** The property path that was read, e.g. `["rules", "0", "bucketKeyEnabled"]`. */
  readonly props: string[];
}

const sdk = policySdk as unknown as {
  UnknownValueError: new (unknownTypeSentinel: string, props: string[]) => UnknownValueError;
  unknownCheckingProxy: <T extends object>(props: T) => T;
};

/** `UnknownValueError` from @pulumi/policy, with its type. */
export const UnknownValueError = sdk.UnknownValueError;

/** `unknownCheckingProxy` from @pulumi/policy: how the engine wraps props. */
export const unknownCheckingProxy = sdk.unknownCheckingProxy;

/** A value that cannot be known during a preview, with the engine's error for reading it. */
export class Unknown {
  constructor(
    /** The `UnknownValueError` the engine's proxy raised (or would raise) for this value. */
    readonly error: UnknownValueError,
  ) {}
}

/** A plain-data copy of props, with {@link Unknown} markers where values are unknown. */
export type Snapshot = unknown;

function unknownLeaf(value: unknown, path: string[]): UnknownValueError | undefined {
  // The engine's sentinels are all UUID-shaped: skip the proxy test for anything else.
  if (typeof value !== "string" || value.length !== 36 || value[8] !== "-") return undefined;
  try {
    // The engine's own sentinel test: reading a sentinel through the proxy throws.
    void (unknownCheckingProxy({ v: value }) as Record<string, unknown>).v;
    return undefined;
  } catch (e) {
    if (e instanceof UnknownValueError) {
      return new UnknownValueError(e.unknownTypeSentinel, path);
    }
    throw e;
  }
}

function snapshotAt(value: unknown, path: string[]): Snapshot {
  if (value instanceof Unknown) return value;
  const leaf = unknownLeaf(value, path);
  if (leaf) return new Unknown(leaf);
  if (value === null || typeof value !== "object") return value;
  const read = (key: string | number): Snapshot => {
    const childPath = [...path, String(key)];
    try {
      return snapshotAt((value as Record<string | number, unknown>)[key], childPath);
    } catch (e) {
      if (e instanceof UnknownValueError) return new Unknown(e);
      throw e;
    }
  };
  if (Array.isArray(value)) {
    const out: Snapshot[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(i));
    return out;
  }
  const out: Record<string, Snapshot> = {};
  for (const key of Object.keys(value)) out[key] = read(key);
  return out;
}

/**
 * Copies props (proxied by the engine or plain) into plain data, replacing every unknown value
 * (the engine's sentinels) with an {@link Unknown} marker instead of throwing.
 */
export function snapshot(props: unknown): Snapshot {
  return snapshotAt(props, []);
}

const snapshots = new WeakMap<object, Snapshot>();

/** {@link snapshot} of a stack resource's props, computed once per resource object. */
export function propsOf(resource: PolicyResource): Snapshot {
  let snap = snapshots.get(resource);
  if (snap === undefined) {
    snap = snapshot(resource.props);
    snapshots.set(resource, snap);
  }
  return snap;
}

/** True for an {@link Unknown} marker. */
export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/**
 * Walks a snapshot along a path. Returns the {@link Unknown} marker if any step is unknown,
 * `undefined` if any step is missing.
 */
export function at(value: Snapshot, ...path: (string | number)[]): Snapshot {
  let cur = value;
  for (const key of path) {
    if (isUnknown(cur)) return cur;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** Returns the value, throwing the engine's `UnknownValueError` when it is unknown. */
export function known<T = unknown>(value: Snapshot): T {
  if (isUnknown(value)) throw value.error;
  return value as T;
}

/** True when a value is set: unknown counts as set (a computed output always has a value). */
export function isSet(value: Snapshot): boolean {
  if (isUnknown(value)) return true;
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** A string or array of strings as an array (IAM style); unknown elements stay markers. */
export function asList(value: Snapshot): Snapshot[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Runs independent checks; an unknown value in one does not stop the others. After all ran, the
 * first `UnknownValueError` is rethrown so the engine reports it as "can't run during preview".
 */
export function runChecks(checks: (() => void)[]): void {
  let first: UnknownValueError | undefined;
  for (const check of checks) {
    try {
      check();
    } catch (e) {
      if (!(e instanceof UnknownValueError)) throw e;
      first ??= e;
    }
  }
  if (first) throw first;
}

/** {@link runChecks} over items (e.g. each bucket of a stack). */
export function checkEach<T>(items: readonly T[], check: (item: T) => void): void {
  runChecks(items.map((item) => () => check(item)));
}

/** Shows a found value in a message: strings bare, `none` for missing, JSON otherwise. */
export function show(value: Snapshot): string {
  if (isUnknown(value)) return "(unknown during preview)";
  if (value === undefined || value === null) return "none";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** Formats a violation message the house way: "<what> must <be Y>; found <value>." */
export function must(what: string, requirement: string, found: string): string {
  return `${what} must ${requirement}; found ${found}.`;
}

/**
 * Reports an advisory violation from a policy whatever the policy's own level: the engine honours
 * `enforcementLevel` in the object form of `reportViolation` (see `makeReportViolationFun` in
 * @pulumi/policy's server.js), which the public type does not declare.
 */
export function reportAdvisory(report: ReportViolation, message: string, urn?: string): void {
  const advisory = { message, urn, enforcementLevel: "advisory" };
  (report as unknown as (info: typeof advisory) => void)(advisory);
}

/** The result of correlating related resources to one target resource. */
export interface Related {
  /** Resources whose field points at the target. */
  matched: PolicyResource[];
  /** Resources whose field is unknown and cannot be resolved (no property dependencies). */
  unresolved: PolicyResource[];
}

/**
 * Finds the resources among `candidates` whose `field` refers to `target`. In order: the
 * engine's property dependencies for that field (always known, also in a preview); the field's
 * value compared with `keys` of the target (its name, id, physical name); and, when the field is
 * unknown, the one dependency on a resource of the target's type (or, among several, the one
 * with the same logical name).
 */
export function relatedTo(
  target: PolicyResource,
  candidates: readonly PolicyResource[],
  field: string,
  keys: (r: PolicyResource) => string[],
  targetTypes: readonly string[],
  fallback: {
    /** Dependencies that cannot be the target (e.g. the source bucket of a log target). */
    exclude?: string[];
    /** Break ties between several dependencies by logical name. @default true */
    byName?: boolean;
  } = {},
): Related {
  const matched: PolicyResource[] = [];
  const unresolved: PolicyResource[] = [];
  const targetKeys = new Set(keys(target));
  for (const c of candidates) {
    const deps = c.propertyDependencies?.[field] ?? [];
    const depsOfType = deps.filter((d) => targetTypes.includes(d.type));
    if (depsOfType.length > 0) {
      if (depsOfType.some((d) => d.urn === target.urn)) matched.push(c);
      continue;
    }
    const value = at(propsOf(c), field);
    if (typeof value === "string") {
      if (targetKeys.has(value)) matched.push(c);
      continue;
    }
    if (isUnknown(value)) {
      const typed = c.dependencies.filter(
        (d) => targetTypes.includes(d.type) && !(fallback.exclude ?? []).includes(d.urn),
      );
      // Several candidates: a dependency named like the resource (a bucket and its bucket
      // policy share a name by convention) breaks the tie.
      const same = fallback.byName === false ? [] : typed.filter((d) => d.name === c.name);
      const only = typed.length === 1 ? typed[0] : same.length === 1 ? same[0] : undefined;
      if (only) {
        if (only.urn === target.urn) matched.push(c);
      } else {
        unresolved.push(c);
      }
    }
  }
  return { matched, unresolved };
}

/** A note for a "found none" message when some candidates could not be resolved in a preview. */
export function unresolvedNote(related: Related, kind: string): string {
  const n = related.unresolved.length;
  if (n === 0) return "";
  const names = related.unresolved.map((r) => `'${r.name}'`).join(", ");
  return ` (${n} ${kind} resource${n === 1 ? "" : "s"} (${names}) point at a bucket unknown during preview and have no property dependencies to resolve it)`;
}

/** A check of one resource's props (a {@link snapshot}). */
export type ResourceCheck = (
  props: Snapshot,
  args: ResourceValidationArgs,
  report: ReportViolation,
) => void | Promise<void>;

/**
 * A resource validation for one type token, like `validateResourceOfType` but keyed on the token
 * (no provider SDK import): it carries `__pulumiType`, so the engine skips other types outright,
 * and passes the check a {@link snapshot} of the props.
 */
export function ofType(type: string, check: ResourceCheck): ResourceValidation {
  const validation: ResourceValidation = (args, report) => {
    if (args.type !== type) {
      return args.notApplicable(`Policy only applies to resources of type '${type}'`);
    }
    return check(snapshot(args.props), args, report);
  };
  (validation as { __pulumiType?: string }).__pulumiType = type;
  return validation;
}
