/**
 * SARIF 2.1.0 output of `policy:check --format sarif`, for GitHub code scanning: one rule per
 * policy (description, remediation as help, control ids as tags, severity from the enforcement
 * level and `security-severity` from the policy's severity), one result per finding located where
 * the program declares the resource. Suppressed findings are results with a `suppressions` entry
 * (GitHub shows them as dismissed); suppressions that match nothing are tool notifications.
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html
 * @see https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
 */
import { createHash } from "node:crypto";

import type { EnforcementLevel, Policy, Severity } from "@pulumi/policy";

import type { SourcePosition } from "../synth";
import { type Finding, type PolicyFindings, describe, unmatched } from "./findings";

export const SARIF_SCHEMA =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** GitHub's numeric `security-severity` per policy severity (its bands: 9+ critical, 7+ high, 4+ medium). */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "7.5",
  medium: "5.5",
  low: "3.0",
};

/** The SARIF level of an enforcement level. */
export function sarifLevel(level: EnforcementLevel): "error" | "warning" | "none" {
  if (level === "mandatory" || level === "remediate") return "error";
  return level === "advisory" ? "warning" : "none";
}

/** Where the program is when a finding has no declared resource (stack-wide findings). */
export const PROGRAM_ENTRY = "index.ts";

export interface SarifOptions {
  findings: PolicyFindings;
  /** The pack's policies (with metadata), in report order. */
  policies: readonly Policy[];
  /** Effective level of each policy in this stack. */
  levels: Record<string, EnforcementLevel>;
  /** Where a resource is declared, by `type::name`. */
  sources: ReadonlyMap<string, SourcePosition>;
  /** The pack's version. */
  version: string;
}

// SARIF is loosely typed here on purpose: the test validates it against the official schema.
type Json = Record<string, unknown>;

function location(f: Finding, sources: ReadonlyMap<string, SourcePosition>): Json {
  const at = sources.get(`${f.type}::${f.name}`);
  return {
    physicalLocation: {
      artifactLocation: { uri: at?.file ?? PROGRAM_ENTRY, uriBaseId: "%SRCROOT%" },
      region: at ? { startLine: at.line, startColumn: at.column } : { startLine: 1 },
    },
    logicalLocations: [
      { name: f.name, fullyQualifiedName: `${f.type}::${f.name}`, kind: "resource" },
    ],
  };
}

/** The SARIF log (one run) of a stack's findings. */
export function toSarif(o: SarifOptions): Json {
  const index = new Map(o.policies.map((p, i) => [p.name, i]));
  const rules = o.policies.map((p) => {
    const level = o.levels[p.name] ?? "mandatory";
    return {
      id: p.name,
      name: p.name
        .split("-")
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join(""),
      shortDescription: { text: p.description.split(/(?<=\.) /)[0]! },
      fullDescription: { text: p.description },
      help: {
        text: p.remediationSteps ?? p.description,
        markdown: `${p.remediationSteps ?? p.description}${p.framework ? `\n\n${p.framework.name}: ${p.framework.reference}` : ""}${p.url ? `\n\n[${p.url}](${p.url})` : ""}`,
      },
      ...(p.url ? { helpUri: p.url } : {}),
      defaultConfiguration: {
        level: sarifLevel(level),
        ...(level === "disabled" ? { enabled: false } : {}),
      },
      properties: {
        tags: ["security", "pulumi-policy", ...(p.tags ?? [])],
        ...(p.severity ? { "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
        enforcementLevel: level,
      },
    };
  });
  const result = (f: Finding, suppressed: boolean): Json => ({
    ruleId: f.policy,
    ...(index.has(f.policy) ? { ruleIndex: index.get(f.policy) } : {}),
    level: sarifLevel(suppressed ? f.policyLevel : f.level),
    message: { text: describe(f) },
    locations: [location(f, o.sources)],
    partialFingerprints: {
      "spotifyPipelineFinding/v1": createHash("sha256")
        .update(`${f.policy}\0${f.type}\0${f.name}`)
        .digest("hex")
        .slice(0, 32),
    },
    ...(suppressed && f.suppression
      ? {
          suppressions: [
            {
              kind: "external",
              status: "accepted",
              justification: `${f.suppression.reason} (until ${f.suppression.expires}; policy/${o.findings.stack}.json)`,
            },
          ],
        }
      : {}),
  });
  const notifications = unmatched(o.findings).map((s) => ({
    level: "warning",
    message: {
      text: `Suppression of ${s.policy} for ${JSON.stringify(s.resource)} matches no finding in stack ${o.findings.stack}; remove it from policy/${o.findings.stack}.json.`,
    },
    descriptor: { id: "stale-suppression" },
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "spotify-pipeline-policy",
            fullName: "spotify-pipeline Pulumi policy pack",
            version: o.version,
            semanticVersion: o.version,
            informationUri: "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
            rules,
          },
        },
        automationDetails: { id: `policy-check/${o.findings.stack}/` },
        originalUriBaseIds: {
          "%SRCROOT%": { description: { text: "The repository root." } },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: notifications,
          },
        ],
        results: [
          ...o.findings.active.map((f) => result(f, false)),
          ...o.findings.suppressed.map((f) => result(f, true)),
        ],
        properties: {
          stack: o.findings.stack,
          suppressions: o.findings.suppressions,
        },
      },
    ],
  };
}
