/**
 * Pure comparisons between the offline synthesis (tools/synth.ts) and what the real engine did:
 * state resource for resource, the updates a config change should preview, findings as keys.
 */
import { diffGraphs, diffValues } from "../graph-diff";
import type { GraphResource } from "../synth";
import type { StateResource, Step } from "./engine";

/** A resource the engine holds that the offline graph cannot: the stack, default providers, children of remote components. */
export interface EngineOnly {
  type: string;
  name: string;
}

/** How the engine's state differs from the offline graph. */
export interface StateComparison {
  /** URNs in the offline graph the engine does not hold. */
  missing: string[];
  /** URNs the engine holds that are neither offline nor expected engine-only resources. */
  unexpected: string[];
  /** Resources whose inputs differ, with the differing paths. */
  inputs: { urn: string; paths: string[] }[];
  /** URNs whose parent or protect flag differ. */
  options: { urn: string; field: string }[];
  /** Resources compared. */
  compared: number;
}

const nameOf = (urn: string) => urn.split("::").slice(3).join("::");

/** Pulumi's signature key of a serialized asset in state. */
const ASSET_SIG = "4dabf18193072939515e22adb298388d";
/** Inputs the engine itself adds to a provider resource. */
const ENGINE_PROVIDER_INPUTS = ["version", "__internal"];

/**
 * Replaces assets by a marker on both sides: the offline graph holds the SDK's asset object
 * (its path still a promise), the state the serialized asset (path and hash).
 */
function assetsAsMarkers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(assetsAsMarkers);
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o.__pulumiAsset === true || ASSET_SIG in o) return "<asset>";
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, assetsAsMarkers(v)]));
  }
  return value;
}

function comparableInputs(type: string, inputs: Record<string, unknown>): unknown {
  const own = type.startsWith("pulumi:providers:")
    ? Object.fromEntries(
        Object.entries(inputs).filter(([k]) => !ENGINE_PROVIDER_INPUTS.includes(k)),
      )
    : inputs;
  return assetsAsMarkers(own);
}

/**
 * Compares `pulumi stack export` resources with the offline graph: same URNs (so same type, name
 * and parent chain), same inputs for custom resources, same parent and protect flags. Resources
 * in `engineOnly` (by type and name) and the engine's own (the Stack, default providers) may
 * exist only in the engine.
 */
export function compareState(
  offline: readonly GraphResource[],
  state: readonly StateResource[],
  engineOnly: readonly EngineOnly[] = [],
): StateComparison {
  const byUrn = new Map(state.map((r) => [r.urn, r]));
  const offlineUrns = new Set(offline.map((r) => r.urn));
  const allowed = new Set(engineOnly.map((r) => `${r.type}::${r.name}`));
  const result: StateComparison = {
    missing: [],
    unexpected: [],
    inputs: [],
    options: [],
    compared: 0,
  };
  for (const r of offline) {
    const s = byUrn.get(r.urn);
    if (!s) {
      result.missing.push(r.urn);
      continue;
    }
    result.compared++;
    if (r.custom) {
      const paths = diffValues(
        comparableInputs(r.type, r.inputs),
        comparableInputs(s.type, s.inputs ?? {}),
      ).map((c) => c.path);
      if (paths.length) result.inputs.push({ urn: r.urn, paths });
    }
    // The engine parents top-level resources to the Stack; the offline graph leaves them without.
    const engineParent = s.parent?.includes("::pulumi:pulumi:Stack::") ? "" : (s.parent ?? "");
    if ((r.parent ?? "") !== engineParent) result.options.push({ urn: r.urn, field: "parent" });
    if (r.protect !== (s.protect ?? false)) result.options.push({ urn: r.urn, field: "protect" });
  }
  for (const s of state) {
    if (offlineUrns.has(s.urn)) continue;
    const engineOwn = s.type === "pulumi:pulumi:Stack" || isDefaultProvider(s.urn);
    if (!engineOwn && !allowed.has(`${s.type}::${nameOf(s.urn)}`)) result.unexpected.push(s.urn);
  }
  return result;
}

/** True when the comparison found no difference. */
export function agrees(c: StateComparison): boolean {
  return !c.missing.length && !c.unexpected.length && !c.inputs.length && !c.options.length;
}

/** `type::name` of the resources whose inputs differ between two offline graphs. */
export function expectedUpdates(
  before: readonly GraphResource[],
  after: readonly GraphResource[],
): string[] {
  const rows = (g: readonly GraphResource[]) =>
    g.map(({ type, name, parent, inputs }) => ({ type, name, parent: parent ?? null, inputs }));
  const d = diffGraphs(rows(before), rows(after));
  if (d.added.length || d.removed.length) {
    throw new Error(
      `A config-change scenario must only change inputs; found ${d.added.length} added and ${d.removed.length} removed resource(s).`,
    );
  }
  return d.changed.map((c) => `${c.type}::${c.name}`).sort();
}

/** True for a default provider the engine creates on its own (`pulumi:providers:<pkg>::default...`). */
export function isDefaultProvider(urn: string): boolean {
  return urn.includes("::pulumi:providers:") && nameOf(urn).startsWith("default");
}

/** `type::name` of the engine steps with operation `op` (default providers left out). */
export function stepsWith(steps: readonly Step[], ...ops: string[]): string[] {
  return steps
    .filter((s) => ops.includes(s.op) && !isDefaultProvider(s.urn))
    .map((s) => `${s.type}::${nameOf(s.urn)}`)
    .sort();
}
