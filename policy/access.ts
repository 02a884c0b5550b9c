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
  return foreignAccountMatching(glob, trusted) !== undefined;
}

/** An account id outside `trusted` that a glob matches (the first in digit order), if any. */
export function foreignAccountMatching(
  glob: string,
  trusted: readonly string[],
): string | undefined {
  if (!/[*?]/.test(glob)) {
    return ACCOUNT_ID.test(glob) && !trusted.includes(glob) ? glob : undefined;
  }
  if (/[^0-9*?]/.test(glob)) return undefined; // a literal non-digit never matches an account id
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
  const walk = (prefix: string, states: Set<number>): string | undefined => {
    const left = 12 - prefix.length;
    if (![...states].some((p) => completes(p, left))) return undefined;
    if (left === 0) return re.test(prefix) && !trusted.includes(prefix) ? prefix : undefined;
    for (let d = 0; d <= 9; d++) {
      const found = walk(prefix + d, step(states, String(d)));
      if (found) return found;
    }
    return undefined;
  };
  return walk("", close(new Set([0])));
}

/** Whether one condition value admits a foreign caller, by the kind of key. */
function valueAdmitsForeign(
  kind: "account" | "arn" | "org" | "orgPath" | "vpc" | "service-arn",
  base: string,
  value: string,
  trusted: TrustedSet,
  account?: string,
): boolean {
  const like = base === "stringlike" || base === "arnlike" || base === "arnequals";
  const wild = like && /[*?]/.test(value);
  if (account !== undefined && (kind === "account" || kind === "arn" || kind === "service-arn")) {
    // The principal is one known foreign account: the value admits it or nothing foreign.
    const segment = kind === "account" ? value : parseArn(value)?.account;
    if (segment === undefined) {
      return wild && base === "stringlike"; // a `*` spanning segments may reach the account
    }
    return like ? globRegex(segment, false).test(account) : segment === account;
  }
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
      if (wild) return true;
      return /^o-[a-z0-9]{10,32}$/.test(value) && !trusted.organizations.includes(value);
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
      // ARN operators compare six segments: a value with fewer matches nothing; under StringLike
      // a wildcard may stand for whole segments.
      if (!arn) return wild && base === "stringlike";
      if (wild && base === "stringlike" && /[*]/.test(value.split(":").slice(0, 4).join(":"))) {
        return true; // a `*` before the account segment can absorb the account under StringLike
      }
      if (!like && /[*?]/.test(value)) return false; // no ARN holds a literal `*` or `?`
      if (!wild) return ACCOUNT_ID.test(arn.account) && !trusted.accounts.includes(arn.account);
      return globAdmitsForeignAccount(arn.account, trusted.accounts);
    }
  }
}

/** Keys every IAM principal of an account carries (so IfExists and set operators see them). */
const IDENTITY_KEYS = ["aws:principalaccount", "aws:principalarn", "kms:calleraccount"];

/**
 * Whether some principal of `account` (its root or a role it names freely) satisfies a
 * condition on an identity key. Unknown values throw (preview).
 */
function holdsForAccount(c: Condition, account: string, fixedArn?: string): boolean {
  const base = c.base.toLowerCase();
  const like = base === "stringlike" || base === "arnlike" || base === "arnequals";
  if (
    !["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"].includes(base)
  ) {
    return true; // another comparison (Null, Bool, ...): assume a principal can satisfy it
  }
  const values = c.values.map((v) => known<string>(v));
  const arnKey = c.key === "aws:principalarn";
  /** Whether the value matches some principal of the account, and whether it matches all. */
  const match = (v: string): { some: boolean; all: boolean } => {
    if (arnKey && fixedArn !== undefined) {
      const arnOperator = base === "arnlike" || base === "arnequals";
      const hit =
        arnOperator && !parseArn(v)
          ? false // ARN operators compare six segments
          : like
            ? globRegex(v, false).test(fixedArn)
            : v === fixedArn;
      return { some: hit, all: hit };
    }
    if (!arnKey) {
      const some = like ? globRegex(v, false).test(account) : v === account;
      return { some, all: some };
    }
    if (base === "stringlike" && v === "*") return { some: true, all: true };
    const arn = parseArn(v);
    if (!arn) return { some: false, all: false };
    const inAccount = like ? globRegex(arn.account, false).test(account) : arn.account === account;
    const rest = [arn.partition, arn.service, arn.region].every((seg, i) =>
      like ? globRegex(seg, false).test(["aws", "iam", ""][i]!) : seg === ["aws", "iam", ""][i],
    );
    // A literal must be a principal's own ARN (no wildcard characters in IAM names).
    const named = like || /^(root|(role|user)\/[\w+=,.@/-]+)$/.test(arn.resource);
    const some = inAccount && rest && named;
    return { some, all: some && like && arn.resource === "*" };
  };
  const arnOperator = base === "arnlike" || base === "arnequals";
  // An ARN operator with a value that is not an ARN never holds, negated or not (as the
  // simulator evaluates it).
  if (arnOperator && c.negated && values.some((v) => !parseArn(v))) return false;
  const results = values.map(match);
  return c.negated ? !results.some((r) => r.all) : results.some((r) => r.some);
}

/** Why a condition does not restrict the caller, or undefined when it does. */
export function whyNotRestricting(
  c: Condition,
  trusted: TrustedSet,
  forService: boolean,
  account?: string,
  fixedArn?: string,
): string | undefined {
  const op = c.operator;
  if (account !== undefined && IDENTITY_KEYS.includes(c.key)) {
    // A named foreign principal always carries these keys: evaluate the condition for it.
    return holdsForAccount(c, account, fixedArn)
      ? `${op} ${c.keyAsWritten} holds for principals of account ${account}`
      : undefined;
  }
  if (account !== undefined && DEPUTY_KEYS.includes(c.key)) {
    // A named IAM principal's own request carries no source keys: a positive condition on one
    // never holds for it, whatever its values; a negated, IfExists or ForAllValues one always.
    return c.negated || c.ifExists || c.set === "ForAllValues"
      ? `${op} holds when ${c.keyAsWritten} is absent (a principal's own request)`
      : undefined;
  }
  if (c.negated && /^arn/i.test(c.base) && c.values.some((v) => !parseArn(known<string>(v)))) {
    return undefined; // an ARN operator with a value that is not an ARN never holds
  }
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
  const open = values.filter((v) => valueAdmitsForeign(kind, base, v, trusted, account));
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

/** A condition that holds only when its key is present. */
function needsKey(c: Condition): boolean {
  return !c.negated && !c.ifExists && c.set !== "ForAllValues" && c.base.toLowerCase() !== "null";
}

const ORG_KEYS = ["aws:principalorgid", "aws:principalorgpaths"];

/**
 * The callers `Principal: "*"` stands for, by the keys their requests can carry: an IAM
 * principal of some account (identity keys, never source keys), an AWS service acting for some
 * account (source keys only), or an anonymous caller (neither identity, organization nor source
 * keys). A condition that needs a key a kind of caller never carries rules that kind out.
 */
const CALLERS: { kind: string; carries: (key: string) => boolean }[] = [
  { kind: "IAM principal", carries: (k) => !DEPUTY_KEYS.includes(k) },
  { kind: "service", carries: (k) => DEPUTY_KEYS.includes(k) },
  {
    kind: "anonymous caller",
    carries: (k) => !DEPUTY_KEYS.includes(k) && !IDENTITY_KEYS.includes(k) && !ORG_KEYS.includes(k),
  },
];

/** Why some foreign caller behind Principal "*" satisfies every condition, or undefined. */
function anyoneAdmitted(conditions: Condition[], trusted: TrustedSet): string[] | undefined {
  for (const caller of CALLERS) {
    if (conditions.some((c) => needsKey(c) && !caller.carries(c.key))) continue;
    const live = conditions.filter((c) => caller.carries(c.key));
    const judge = (account?: string): string[] | undefined => {
      const reasons: string[] = [];
      for (const c of live) {
        const why = whyNotRestricting(c, trusted, caller.kind === "service", account);
        if (why === undefined) return undefined;
        reasons.push(why);
      }
      return [`a foreign ${caller.kind}`, ...(reasons.length > 0 ? reasons : ["no condition"])];
    };
    if (caller.kind === "IAM principal") {
      for (const account of candidateAccounts(live, trusted)) {
        const why = judge(account);
        if (why) return why;
      }
      continue;
    }
    const why = judge();
    if (why) return why;
  }
  return undefined;
}

/**
 * Foreign accounts worth trying against a statement's conditions: every untrusted account a
 * value names or a glob matches (account values and ARN account segments), and one no value
 * names (the first untrusted account id that differs from all literals).
 */
function candidateAccounts(conditions: Condition[], trusted: TrustedSet): string[] {
  const out = new Set<string>();
  const literals = new Set<string>();
  for (const c of conditions) {
    if (!IDENTITY_KEYS.includes(c.key)) continue;
    for (const v of c.values) {
      const value = known<string>(v);
      const segment = c.key === "aws:principalarn" ? parseArn(value)?.account : value;
      if (segment === undefined) continue;
      if (!/[*?]/.test(segment)) literals.add(segment);
      const found = foreignAccountMatching(segment, trusted.accounts);
      if (found) out.add(found);
    }
  }
  for (let n = 0; ; n++) {
    const fresh = String(n).padStart(12, "0");
    if (!literals.has(fresh) && !trusted.accounts.includes(fresh)) {
      out.add(fresh);
      break;
    }
  }
  return [...out];
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
  const judge = (principal: string, forService: boolean, account?: string, fixedArn?: string) => {
    const reasons: string[] = [];
    for (const c of conditions) {
      const why = whyNotRestricting(c, trusted, forService, account, fixedArn);
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
    const value = known<string>(p.value);
    if (cls === "anyone") {
      const why = anyoneAdmitted(conditions, trusted);
      if (why) out.push({ principal: p.kind === "*" ? "*" : `${p.kind}:${value}`, reasons: why });
      continue;
    }
    const account = cls === "foreign" ? accountOfPrincipal(value) : undefined;
    const named = account !== undefined && ACCOUNT_ID.test(account);
    // A role or user ARN is one principal; an account id or root stands for all of its principals.
    const fixed = named && /:(role|user)\//.test(value) ? value : undefined;
    judge(
      p.kind === "*" ? "*" : `${p.kind}:${value}`,
      cls === "service",
      named ? account : undefined,
      fixed,
    );
  }
  return out;
}
