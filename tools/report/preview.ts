/**
 * The real preview where credentials exist: `pulumi preview --json` lists the engine's steps with
 * their operation and, for replacements, the properties that force them. The PR comment takes
 * deletions and replacements of stateful resources from these steps (exact) instead of inferring
 * them from the synthesized graphs.
 */

/** One step of `pulumi preview --json` (the fields the comment reads). */
export interface PreviewStep {
  op: string;
  urn: string;
  replaceReasons?: string[];
  diffReasons?: string[];
}

/** What the comment needs from a preview. */
export interface Preview {
  steps: PreviewStep[];
}

/** Operations that replace a resource (one logical replacement may show as several steps). */
const REPLACE_OPS = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "discard-replaced",
  "import-replacement",
]);

/** Parses `pulumi preview --json` output. @throws Error saying what is missing. */
export function parsePreview(text: string, source: string): Preview {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${source} must hold the output of \`pulumi preview --json\`; found invalid JSON (${(e as Error).message}).`,
      { cause: e },
    );
  }
  const steps = (raw as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) {
    throw new Error(
      `${source} must hold the output of \`pulumi preview --json\` (an object with "steps"); found ${text.slice(0, 80)}.`,
    );
  }
  return {
    steps: steps.filter(
      (s): s is PreviewStep =>
        typeof (s as PreviewStep).op === "string" && typeof (s as PreviewStep).urn === "string",
    ),
  };
}

/** The type and name in a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeAndName(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return {
    type: qualified.slice(qualified.lastIndexOf("$") + 1),
    name: parts.slice(3).join("::"),
  };
}

/** Deleted and replaced resources of a preview, one entry per URN. */
export function destructiveSteps(p: Preview): {
  kind: "delete" | "replace";
  type: string;
  name: string;
  reasons: string[];
}[] {
  const seen = new Map<string, { kind: "delete" | "replace"; reasons: Set<string> }>();
  for (const s of p.steps) {
    const kind = s.op === "delete" ? "delete" : REPLACE_OPS.has(s.op) ? "replace" : undefined;
    if (!kind) continue;
    const entry = seen.get(s.urn) ?? { kind, reasons: new Set<string>() };
    if (kind === "replace") entry.kind = "replace";
    for (const r of s.replaceReasons ?? []) entry.reasons.add(r);
    seen.set(s.urn, entry);
  }
  return [...seen].map(([urn, e]) => ({
    kind: e.kind,
    ...typeAndName(urn),
    reasons: [...e.reasons].sort(),
  }));
}
