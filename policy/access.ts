/**
 * Who can act: decides, for one Allow statement of a resource-side policy (bucket, key, topic,
 * queue, Glue and Logs resource policies, VPC endpoint policies, KMS grants, trust policies),
 * whether a principal outside the trusted accounts and organizations can be allowed by it.
 *
 * A statement's conditions combine with AND, so one restricting condition is enough. A condition
 * restricts only when
 * - its operator is positive (no `...Not...`, no `...IfExists`, no `ForAllValues:`, which all
 *   match when the key is absent or holds another value),
 * - its key is one the caller cannot choose (the keys IAM Access Analyzer treats as restricting:
 *   {@link CALLER_KEYS}; for service principals also keys the service itself sets, such as
 *   `kms:EncryptionContext:aws:logs:arn`: {@link SERVICE_SET_KEYS}), and
 * - no value admits a foreign caller: account and organization values inside the trusted set,
 *   ARN values whose account segment is inside it, wildcards only where every value they can
 *   match is trusted.
 *
 * Service principals act for whichever account calls the service, so they count as foreign
 * unless a confused-deputy condition pins the trusted accounts ({@link DEPUTY_KEYS}).
 */
import {
  type Condition,
  type PrincipalEntry,
  type Statement,
  conditionsOf,
  parseArn,
} from "./document";
import { known } from "./support";

/** The accounts and organizations whose principals are not foreign. */
export interface TrustedSet {
  /** 12-digit account ids: the stack's own and any configured trusted ones. */
  accounts: readonly string[];
  /** Organization ids (`o-...`). */
  organizations: readonly string[];
  /**
   * Accept any literal account, ARN or organization value (only wildcards, negations and
   * `IfExists` fail): "pinned to some account" rather than "pinned to a trusted one".
   */
  anyConcrete?: boolean;
}

/** A trusted set that accepts any literal value (see {@link TrustedSet.anyConcrete}). */
export const ANY_CONCRETE: TrustedSet = { accounts: [], organizations: [], anyConcrete: true };

/** Condition keys that name the caller and cannot be chosen by it (lower case). */
export const CALLER_KEYS: Record<string, "account" | "arn" | "org" | "orgPath" | "vpc"> = {
  "aws:principalaccount": "account",
  "aws:principalarn": "arn",
  "aws:principalorgid": "org",
  "aws:principalorgpaths": "orgPath",
  "aws:sourceaccount": "account",
  "aws:sourceowner": "account",
  "aws:sourcearn": "arn",
  "aws:sourceorgid": "org",
  "aws:sourceorgpaths": "orgPath",
  "aws:sourcevpc": "vpc",
  "aws:sourcevpce": "vpc",
  "kms:calleraccount": "account",
};

/** Keys that pin the account a service principal acts for (confused-deputy conditions). */
export const DEPUTY_KEYS = [
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:sourcearn",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
];

/**
 * Keys set by the service itself (never by the caller of the service) that name the resource it
 * acts for: they pin a service principal to this account's resources when every value is an ARN
 * of a trusted account. For other principals they are caller-chosen (a direct KMS call picks its
 * own encryption context) and restrict nothing.
 */
export const SERVICE_SET_KEYS = [
  "kms:encryptioncontext:aws:logs:arn",
  "kms:encryptioncontext:aws:sns:topicarn",
  "kms:encryptioncontext:aws:states:statemachinearn",
  "kms:encryptioncontext:aws:s3:arn",
];

const POSITIVE_STRING = new Set(["stringequals", "stringequalsignorecase", "stringlike"]);
const POSITIVE_ARN = new Set(["arnequals", "arnlike", "stringequals", "stringlike"]);
const ACCOUNT_ID = /^\d{12}$/;

/** Wildcard pattern (`*`, `?`) to a regular expression; `literal` keeps them as characters. */
function globRegex(pattern: string, literal: boolean, ignoreCase = false): RegExp {
  const body = pattern
    .split("")
    .map((c) =>
      !literal && c === "*"
        ? ".*"
        : !literal && c === "?"
          ? "."
          : c.replace(/[.+^${}()|[\]\\*?]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${body}$`, ignoreCase ? "i" : "");
}

/**
 * True when a glob over 12-digit account ids matches an id outside `trusted`: searches digit by
 * digit, pruning prefixes the glob cannot extend, until it finds one untrusted match.
 */
export function globAdmitsForeignAccount(glob: string, trusted: readonly string[]): boolean {
  if (!/[*?]/.test(glob)) return ACCOUNT_ID.test(glob) && !trusted.includes(glob);
  if (/[^0-9*?]/.test(glob)) return false; // a literal non-digit never matches an account id
  // Minimal characters the glob still needs from each position, and whether a `*` remains.
  const need: number[] = [];
  const star: boolean[] = [];
  for (let p = glob.length; p >= 0; p--) {
    need[p] = p === glob.length ? 0 : need[p + 1]! + (glob[p] === "*" ? 0 : 1);
    star[p] = p === glob.length ? false : star[p + 1]! || glob[p] === "*";
  }
  const completes = (p: number, left: number) => need[p]! <= left && (star[p]! || need[p] === left);
  const close = (states: Set<number>): Set<number> => {
    for (const p of [...states]) for (let q = p; glob[q] === "*";) states.add(++q);
    return states;
  };
  const step = (states: Set<number>, ch: string): Set<number> => {
    const next = new Set<number>();
    for (const p of states) {
      const g = glob[p];
      if (g === "*") next.add(p);
      else if (g === "?" || g === ch) next.add(p + 1);
    }
    return close(next);
  };
  const re = globRegex(glob, false);
  const walk = (prefix: string, states: Set<number>): boolean => {
    const left = 12 - prefix.length;
    if (![...states].some((p) => completes(p, left))) return false;
    if (left === 0) return re.test(prefix) && !trusted.includes(prefix);
    for (let d = 0; d <= 9; d++) {
      if (walk(prefix + d, step(states, String(d)))) return true;
    }
    return false;
  };
  return walk("", close(new Set([0])));
}

/** Whether one condition value admits a foreign caller, by the kind of key. */
function valueAdmitsForeign(
  kind: "account" | "arn" | "org" | "orgPath" | "vpc" | "service-arn",
  base: string,
  value: string,
  trusted: TrustedSet,
): boolean {
  const like = base === "stringlike" || base === "arnlike" || base === "arnequals";
  const wild = like && /[*?]/.test(value);
  if (trusted.anyConcrete) {
    if (kind === "arn" || kind === "service-arn") {
      const arn = parseArn(value);
      if (!arn) return wild;
      return like && /[*?]/.test(value.split(":").slice(0, 5).join(":"));
    }
    return kind === "orgPath" ? /[*?]/.test(value.split("/")[0] ?? "") : wild;
  }
  switch (kind) {
    case "account":
      if (!like) return ACCOUNT_ID.test(value) && !trusted.accounts.includes(value);
      return globAdmitsForeignAccount(value, trusted.accounts);
    case "org":
      if (!wild) return !trusted.organizations.includes(value);
      return true;
    case "orgPath": {
      // o-xxxx/r-yyyy/ou-zzzz/...: the organization must be a literal trusted one.
      const org = value.split("/")[0] ?? "";
      return /[*?]/.test(org) || !trusted.organizations.includes(org);
    }
    case "vpc":
      return wild;
    case "arn":
    case "service-arn": {
      const arn = parseArn(value);
      if (!arn) return wild; // a literal that is not an ARN matches no caller
      if (wild && base === "stringlike" && /[*]/.test(value.split(":").slice(0, 4).join(":"))) {
        return true; // a `*` before the account segment can absorb the account under StringLike
      }
      if (!wild) return ACCOUNT_ID.test(arn.account) && !trusted.accounts.includes(arn.account);
      return globAdmitsForeignAccount(arn.account, trusted.accounts);
    }
  }
}

/** Why a condition does not restrict the caller, or undefined when it does. */
export function whyNotRestricting(
  c: Condition,
  trusted: TrustedSet,
  forService: boolean,
): string | undefined {
  const op = c.operator;
  if (c.negated) return `${op} is negated (it matches every other value)`;
  if (c.ifExists) return `${op} matches when ${c.keyAsWritten} is absent`;
  if (c.set === "ForAllValues") return `${op} matches when ${c.keyAsWritten} is absent`;
  let kind: Parameters<typeof valueAdmitsForeign>[0] | undefined = CALLER_KEYS[c.key];
  if (forService && !DEPUTY_KEYS.includes(c.key)) {
    kind = SERVICE_SET_KEYS.includes(c.key) ? "service-arn" : undefined;
    if (!kind) return `${c.keyAsWritten} does not pin the account the service acts for`;
  }
  if (!kind) return `${c.keyAsWritten} is not a key that identifies the caller`;
  const base = c.base.toLowerCase();
  const positive = kind === "arn" || kind === "service-arn" ? POSITIVE_ARN : POSITIVE_STRING;
  if (!positive.has(base)) return `${op} does not compare ${c.keyAsWritten} with fixed values`;
  if (c.values.length === 0) return `${op} ${c.keyAsWritten} has no values`;
  const values = c.values.map((v) => known<string>(v));
  const open = values.filter((v) => valueAdmitsForeign(kind, base, v, trusted));
  if (open.length > 0) {
    return `${op} ${c.keyAsWritten} admits callers outside the trusted accounts (${open.join(", ")})`;
  }
  return undefined;
}

/** The account a principal ARN or id belongs to; `*` when it names any account. */
function accountOfPrincipal(value: string): string | undefined {
  if (value === "*") return "*";
  if (ACCOUNT_ID.test(value)) return value;
  const arn = parseArn(value);
  if (!arn) return undefined;
  return /[*?]/.test(arn.account) ? "*" : arn.account;
}

/** What a principal entry is, as far as trust goes. */
export type PrincipalClass = "trusted" | "anyone" | "foreign" | "service";

/** Classifies a principal entry against the trusted accounts. */
export function classifyPrincipal(p: PrincipalEntry, trusted: TrustedSet): PrincipalClass {
  const value = known<string>(p.value);
  if (p.kind === "*") return "anyone";
  if (p.kind === "Service") return "service";
  if (p.kind === "AWS" || p.kind === "Federated") {
    const account = accountOfPrincipal(value);
    if (account === "*") return "anyone";
    if (account !== undefined && trusted.accounts.includes(account)) return "trusted";
    return "foreign";
  }
  return "foreign"; // CanonicalUser and anything else: an identity outside IAM accounts
}

/** One way a statement lets a foreign principal act. */
export interface ForeignGrant {
  /** The principal as written, e.g. `AWS:*`, `Service:logs.amazonaws.com`. */
  principal: string;
  /** Why no condition stops it (one line per condition, or "no condition"). */
  reasons: string[];
}

/**
 * The principals of an Allow statement that can act from outside the trusted set, each with why
 * the statement's conditions do not stop them. Empty when none can (or the statement is a Deny).
 * @param services whether service principals count (trust policies judge them separately).
 * @throws UnknownValueError when a principal or condition is unknown (preview).
 */
export function foreignGrants(s: Statement, trusted: TrustedSet, services = true): ForeignGrant[] {
  if (s.Effect !== "Allow") return [];
  const conditions = conditionsOf(s);
  const out: ForeignGrant[] = [];
  const judge = (principal: string, forService: boolean) => {
    const reasons: string[] = [];
    for (const c of conditions) {
      const why = whyNotRestricting(c, trusted, forService);
      if (why === undefined) return;
      reasons.push(why);
    }
    out.push({ principal, reasons: reasons.length > 0 ? reasons : ["no condition"] });
  };
  if (s.NotPrincipal) {
    judge(`NotPrincipal (every principal not listed)`, false);
    return out;
  }
  for (const p of s.Principal ?? []) {
    const cls = classifyPrincipal(p, trusted);
    if (cls === "trusted") continue;
    if (cls === "service" && !services) continue;
    judge(p.kind === "*" ? "*" : `${p.kind}:${known<string>(p.value)}`, cls === "service");
  }
  return out;
}
