/**
 * Justified, expiring suppressions, applied inside the pack so they work the same through the
 * Pulumi engine (`pulumi preview --policy-pack-config policy/<stack>.json`) and offline
 * (`npm run policy:check`). A policy's config entry may carry
 * `"suppressions": [{ "resource": "<name or URN pattern>", "reason": "...", "expires": "YYYY-MM-DD" }]`.
 *
 * `withSuppressions` wraps a policy's `validateResource`/`validateStack` so that each violation it
 * reports is checked against the policy's suppressions:
 * - matched by an active suppression: reported as advisory, the message ending with a
 *   `[suppressed by "<pattern>" until <date>: <reason>]` note, so every report (and the engine's
 *   own output) lists the suppressions in effect; the policy's configured level tells what the
 *   finding would have been;
 * - matched by an expired one: reported at its own level again, with an `[suppression by
 *   "<pattern>" expired on <date>: <reason>]` note;
 * - a suppression without a reason, with an invalid date or expiring more than a year ahead is
 *   refused: the policy throws, which fails the preview (and `policy:check`) with the message.
 */
import type {
  EnforcementLevel,
  Policy,
  ReportViolation,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidation,
  StackValidationPolicy,
} from "@pulumi/policy";

import { type Suppression, suppressionsSchema } from "./config";
import { validateSchema } from "./schema";

export type { Suppression };

/** The shortest reason a suppression may give. */
export const MIN_REASON_LENGTH = suppressionsSchema.items.properties.reason.minLength;

/** `YYYY-MM-DD` of a date (UTC). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The same day one year later (29 February goes to 28 February). */
function oneYearAfter(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y + 1, m - 1, d));
  if (next.getUTCMonth() !== m - 1) next.setUTCDate(0);
  return isoDay(next);
}

/**
 * Why a suppression is refused, or undefined when it is acceptable on `today`.
 * @param policy the policy it belongs to, named in the message.
 */
export function refusal(policy: string, s: Suppression, today: string): string | undefined {
  const what = `Suppression of ${policy} for ${JSON.stringify(s.resource)}`;
  if (typeof s.resource !== "string" || s.resource.trim() === "") {
    return `${what} must name a resource (logical name or URN pattern); found ${JSON.stringify(s.resource)}. Set "resource".`;
  }
  if (typeof s.reason !== "string" || s.reason.trim().length < MIN_REASON_LENGTH) {
    return `${what} must give a reason of at least ${MIN_REASON_LENGTH} characters; found ${JSON.stringify(s.reason)}. Say why the finding is accepted.`;
  }
  const date = /^\d{4}-\d{2}-\d{2}$/.test(String(s.expires))
    ? new Date(`${s.expires}T00:00:00Z`)
    : null;
  if (!date || Number.isNaN(date.getTime()) || isoDay(date) !== s.expires) {
    return `${what} must expire on a real date written YYYY-MM-DD; found ${JSON.stringify(s.expires)}.`;
  }
  const latest = oneYearAfter(today);
  if (s.expires > latest) {
    return `${what} must expire within a year (by ${latest}); found ${s.expires}. Choose an earlier date and review the finding then.`;
  }
  return undefined;
}

/** True when the suppression is still in effect on `today` (its expiry day included). */
export function isActive(s: Suppression, today: string): boolean {
  return today <= s.expires;
}

/** The logical name in a URN (its last `::` segment). */
export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i < 0 ? urn : urn.slice(i + 2);
}

/** True when a pattern (`*` matches any characters) names the resource: by URN, else by name. */
export function matchesResource(pattern: string, urn: string | undefined, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return pattern.startsWith("urn:") ? urn !== undefined && re.test(urn) : re.test(name);
}

/** A note a suppression adds to a violation's message. */
export type SuppressionNote = {
  kind: "suppressed" | "expired";
  /** The suppression's resource pattern. */
  resource: string;
  expires: string;
  reason: string;
};

/** The note at the end of a message, as {@link parseNote} reads it back. */
export function formatNote(note: SuppressionNote): string {
  return note.kind === "suppressed"
    ? ` [suppressed by ${JSON.stringify(note.resource)} until ${note.expires}: ${note.reason}]`
    : ` [suppression by ${JSON.stringify(note.resource)} expired on ${note.expires}: ${note.reason}]`;
}

const NOTE =
  / \[(suppressed by|suppression by) ("(?:[^"\\]|\\.)*") (until|expired on) (\d{4}-\d{2}-\d{2}): ([^]*)\]$/;

/** Splits a violation message into the policy's own message and the suppression note, if any. */
export function parseNote(message: string): { message: string; note?: SuppressionNote } {
  const m = NOTE.exec(message);
  if (!m || (m[1] === "suppressed by") !== (m[3] === "until")) return { message };
  return {
    message: message.slice(0, m.index),
    note: {
      kind: m[1] === "suppressed by" ? "suppressed" : "expired",
      resource: JSON.parse(m[2]!) as string,
      expires: m[4]!,
      reason: m[5]!,
    },
  };
}

interface ViolationInfo {
  message?: string;
  description?: string;
  urn?: string;
  name?: string;
  enforcementLevel?: EnforcementLevel;
}

/**
 * The `suppressions` of a policy's config, checked against {@link suppressionsSchema} and
 * {@link refusal}; throws every problem. (The property is not part of the policies'
 * `configSchema`s: the engine passes config properties that a schema does not declare.)
 */
function suppressionsOf(
  policy: string,
  getConfig: <T extends object>() => T,
  today: string,
): Suppression[] {
  const list = getConfig<{ suppressions?: Suppression[] }>().suppressions ?? [];
  const invalid = validateSchema(suppressionsSchema, list, "suppressions");
  if (invalid.length > 0) {
    throw new Error(
      `Suppressions of ${policy} must each have resource, reason (at least ${MIN_REASON_LENGTH} characters) and expires (YYYY-MM-DD):\n  ${invalid.join("\n  ")}`,
    );
  }
  for (const s of list) {
    const problem = refusal(policy, s, today);
    if (problem) throw new Error(problem);
  }
  return list;
}

/**
 * A reportViolation that applies the suppressions to each report.
 * @param target the resource analysed (resource policies); stack policies name it in the report.
 */
function suppressingReport(
  policy: Policy,
  report: ReportViolation,
  suppressions: Suppression[],
  today: string,
  target?: { urn: string; name: string },
): ReportViolation {
  return ((message: unknown, urn?: string) => {
    const info: ViolationInfo =
      message !== null && typeof message === "object"
        ? { ...(message as ViolationInfo) }
        : { ...(typeof message === "string" ? { message } : {}), ...(urn ? { urn } : {}) };
    const about = info.urn ?? target?.urn;
    const name = about ? nameOfUrn(about) : (target?.name ?? "");
    const matching = suppressions.filter((s) => matchesResource(s.resource, about, name));
    const match = matching.find((s) => isActive(s, today)) ?? matching[0];
    if (!match) {
      report(message as string, urn);
      return;
    }
    const active = isActive(match, today);
    const note = formatNote({
      kind: active ? "suppressed" : "expired",
      resource: match.resource,
      expires: match.expires,
      reason: match.reason,
    });
    // The object form of reportViolation: the engine takes its message, urn and level.
    const text = info.message || info.description || policy.description;
    report({
      ...info,
      message: `${text}${note}`,
      ...(active ? { enforcementLevel: "advisory" } : {}),
    } as unknown as string);
  }) as ReportViolation;
}

function copyType<F>(from: unknown, to: F): F {
  const t = (from as { __pulumiType?: unknown }).__pulumiType;
  if (t !== undefined) (to as { __pulumiType?: unknown }).__pulumiType = t;
  return to;
}

/**
 * The policy with its suppressions applied to every violation it reports (see the module doc).
 * @param now the clock (tests pass a fixed day). @default the current time
 */
export function withSuppressions<P extends ResourceValidationPolicy | StackValidationPolicy>(
  policy: P,
  now: () => Date = () => new Date(),
): P {
  const wrapped = { ...policy };
  const r = policy as ResourceValidationPolicy;
  if (r.validateResource) {
    const wrap = (v: ResourceValidation): ResourceValidation =>
      copyType(v, (args, report) => {
        const today = isoDay(now());
        const list = suppressionsOf(policy.name, args.getConfig, today);
        if (list.length === 0) return v(args, report);
        const target = { urn: args.urn, name: args.name };
        return v(args, suppressingReport(policy, report, list, today, target));
      });
    (wrapped as ResourceValidationPolicy).validateResource = Array.isArray(r.validateResource)
      ? r.validateResource.map(wrap)
      : wrap(r.validateResource);
  }
  const s = policy as StackValidationPolicy;
  if (typeof s.validateStack === "function") {
    const v: StackValidation = s.validateStack;
    (wrapped as StackValidationPolicy).validateStack = copyType(v, (args, report) => {
      const today = isoDay(now());
      const list = suppressionsOf(policy.name, args.getConfig, today);
      if (list.length === 0) return v(args, report);
      return v(args, suppressingReport(policy, report, list, today));
    });
  }
  return wrapped;
}
