/**
 * What every report (policy:check's table and JSON, SARIF, the compliance report, the PR comment)
 * is made from: one evaluation of the pack split into active findings, suppressed findings, and
 * the suppressions configured for the stack (in effect, expired, or matching nothing). The pack
 * applies the suppressions (policy/suppressions.ts); this module reads the notes it leaves.
 */
import type { EnforcementLevel } from "@pulumi/policy";

import type { Evaluation, Violation } from "../../policy/evaluate";
import {
  type Suppression,
  type SuppressionNote,
  isActive,
  parseNote,
} from "../../policy/suppressions";

/** One violation with the suppression note split from its message. */
export interface Finding extends Violation {
  /** The policy's own message, without the suppression note. */
  message: string;
  /** The level the policy has in this stack (a suppressed finding is reported as advisory). */
  policyLevel: EnforcementLevel;
  /** The suppression that silenced it, or that expired. */
  suppression?: SuppressionNote;
}

/** A suppression of the stack's policy config and what it matched. */
export interface ConfiguredSuppression extends Suppression {
  policy: string;
  /** "active" (until its expiry day), "expired". */
  state: "active" | "expired";
  /** How many findings it matched (suppressed, or re-reported as expired). */
  matched: number;
}

/** The findings of one stack. */
export interface PolicyFindings {
  stack: string;
  /** Violations that count: mandatory and advisory (expired suppressions included, with their note). */
  active: Finding[];
  /** Violations silenced by a suppression in effect. */
  suppressed: Finding[];
  /** Every configured suppression, in config order. */
  suppressions: ConfiguredSuppression[];
}

/** Splits an evaluation into findings and suppressions; `today` decides what has expired. */
export function classify(stack: string, evaluation: Evaluation, today: string): PolicyFindings {
  const active: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const v of evaluation.violations) {
    const { message, note } = parseNote(v.message);
    const policyLevel = evaluation.config[v.policy]?.enforcementLevel ?? v.level;
    const f: Finding = { ...v, message, policyLevel, ...(note ? { suppression: note } : {}) };
    (note?.kind === "suppressed" ? suppressed : active).push(f);
  }
  const suppressions: ConfiguredSuppression[] = [];
  for (const [policy, c] of Object.entries(evaluation.config)) {
    const list = (c.properties.suppressions ?? []) as Suppression[];
    for (const s of list) {
      const matched = [...active, ...suppressed].filter(
        (f) => f.policy === policy && f.suppression?.resource === s.resource,
      ).length;
      suppressions.push({
        policy,
        resource: s.resource,
        reason: s.reason,
        expires: s.expires,
        state: isActive(s, today) ? "active" : "expired",
        matched,
      });
    }
  }
  return { stack, active, suppressed, suppressions };
}

/** Suppressions that matched no finding: stale, to be removed. */
export function unmatched(f: PolicyFindings): ConfiguredSuppression[] {
  return f.suppressions.filter((s) => s.matched === 0);
}

/** The message of a finding as the table and the PR comment print it (with an expiry note). */
export function describe(f: Finding): string {
  if (f.suppression?.kind === "expired") {
    return `${f.message} (suppression ${JSON.stringify(f.suppression.resource)} expired on ${f.suppression.expires}: ${f.suppression.reason})`;
  }
  return f.message;
}

/** The violations of the findings in the shape `policy:check --json` always printed. */
export function asViolations(list: Finding[]): Violation[] {
  return list.map((f) => ({
    policy: f.policy,
    level: f.level,
    type: f.type,
    name: f.name,
    message: describe(f),
  }));
}
