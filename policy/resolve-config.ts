/**
 * Config resolution of the offline evaluator: reconciles a policy pack config file with the
 * policies' schema defaults the way the Pulumi CLI does (`ReconcilePolicyPackConfig`), and
 * validates it.
 */
import { type EnforcementLevel, type Policies } from "@pulumi/policy";

import { type PolicyPackConfigFile, defaultEnforcementLevel } from "./config";
import { schemaDefaults, validatePolicyConfig } from "./schema";

/** A policy's effective level and properties after reconciling defaults and a config file. */
export interface ResolvedPolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** Policy pack config that does not fit the pack (unknown policy, bad level, schema errors). */
export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policy pack config:\n  ${problems.join("\n  ")}`);
  }
}

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Reconciles a config file with the policies' defaults the way the Pulumi CLI does, and validates
 * it. Stricter than the CLI in one way: a key that names no policy (a typo) is an error.
 * @throws PolicyConfigError listing every problem.
 */
export function resolvePolicyConfig(
  policies: Policies,
  file: PolicyPackConfigFile,
  packLevel: EnforcementLevel = defaultEnforcementLevel,
): Record<string, ResolvedPolicyConfig> {
  const problems: string[] = [];
  const result: Record<string, ResolvedPolicyConfig> = {};
  for (const p of policies) {
    result[p.name] = {
      enforcementLevel: p.enforcementLevel ?? packLevel,
      properties: schemaDefaults(p.configSchema),
    };
  }
  const levelOf = (key: string, entry: unknown): EnforcementLevel | undefined => {
    const level =
      typeof entry === "string"
        ? entry
        : (entry as { enforcementLevel?: unknown })?.enforcementLevel;
    if (level === undefined) return undefined;
    if (typeof level !== "string" || !LEVELS.includes(level as EnforcementLevel)) {
      problems.push(
        `${key}: enforcementLevel must be one of ${LEVELS.join(", ")}; found ${JSON.stringify(level)}`,
      );
      return undefined;
    }
    return level as EnforcementLevel;
  };
  if (file === null || typeof file !== "object" || Array.isArray(file)) {
    throw new PolicyConfigError([
      `the config must be a JSON object; found ${JSON.stringify(file)}`,
    ]);
  }
  if ("all" in file) {
    const all = levelOf("all", file.all);
    if (all) for (const r of Object.values(result)) r.enforcementLevel = all;
  }
  for (const [key, entry] of Object.entries(file)) {
    if (key === "all") continue;
    const target = result[key];
    if (!target) {
      problems.push(
        `${key}: no such policy in the pack; policies: ${policies.map((p) => p.name).join(", ")}`,
      );
      continue;
    }
    if (
      typeof entry !== "string" &&
      (entry === null || typeof entry !== "object" || Array.isArray(entry))
    ) {
      problems.push(
        `${key}: must be an enforcement level or an object; found ${JSON.stringify(entry)}`,
      );
      continue;
    }
    const level = levelOf(key, entry);
    if (level) target.enforcementLevel = level;
    if (typeof entry === "object") {
      const { enforcementLevel: _, ...props } = entry;
      Object.assign(target.properties, props);
    }
  }
  for (const p of policies) {
    if (!p.configSchema) continue;
    for (const e of validatePolicyConfig(p.configSchema, result[p.name]!.properties)) {
      problems.push(`${p.name}: ${e}`);
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(problems);
  return result;
}
