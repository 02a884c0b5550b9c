/**
 * Shared machinery of the IAM document rules: a resource policy over the parsed policy documents
 * of given kinds (`documentPolicy`), per-statement checks, and the public-principal check used by
 * the key and resource policy rules.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";

import { ANY_CONCRETE, classifyPrincipal, whyNotRestricting } from "./access";
import {
  type DocumentKind,
  type DocumentSource,
  type PolicyDocument,
  type Statement,
  IamCatalog,
  PolicyDocumentError,
  TYPE_LABELS,
  actionMatches,
  conditionsOf,
  documentsOf,
  parsePolicyDocument,
  statementLabel,
  typesWithDocuments,
} from "./document";
import { Unknown, UnknownValueError, isUnknown, must, runChecks, snapshot } from "./support";

/** A parsed document with its source. */
export interface ParsedDocument {
  source: DocumentSource;
  doc: PolicyDocument;
}

export interface DocumentCheckContext {
  args: ResourceValidationArgs;
  report: ReportViolation;
  docs: ParsedDocument[];
  catalog: IamCatalog;
}

/** Known action strings of a set of documents. */
export function actionsIn(docs: ParsedDocument[]): string[] {
  const out: string[] = [];
  for (const { doc } of docs) {
    for (const s of doc.Statement) {
      for (const a of [...(s.Action ?? []), ...(s.NotAction ?? [])]) {
        if (typeof a === "string") out.push(a);
      }
    }
  }
  return out;
}

/**
 * A resource policy over the documents of the given kinds. Documents that are unknown (preview)
 * leave the engine's "can't run during preview" advisory after the known ones were checked;
 * documents that do not parse are reported by `iam-actions-exist` only (`onInvalid`).
 */
export function documentPolicy(
  kinds: readonly DocumentKind[],
  check: (ctx: DocumentCheckContext, d: ParsedDocument) => (() => void)[],
  onInvalid?: (
    ctx: Omit<DocumentCheckContext, "docs" | "catalog">,
    source: DocumentSource,
    e: Error,
  ) => void,
): (args: ResourceValidationArgs, report: ReportViolation) => Promise<void> {
  const types = typesWithDocuments(kinds);
  return async (args, report) => {
    if (!types.includes(args.type)) {
      return args.notApplicable(
        `Policy only applies to resources with ${kinds.join("/")} policy documents`,
      );
    }
    const props = snapshot(args.props);
    let sources: DocumentSource[];
    try {
      sources = documentsOf(args.type, args.name, props).filter((s) => kinds.includes(s.kind));
    } catch (e) {
      if (!(e instanceof PolicyDocumentError)) throw e; // unknown desired state: preview
      onInvalid?.(
        { args, report },
        {
          kind: "resource",
          path: "desiredState",
          label: `${TYPE_LABELS[args.type] ?? args.type} '${args.name}'`,
          value: undefined,
        },
        e,
      );
      return;
    }
    const docs: ParsedDocument[] = [];
    const pending: (() => void)[] = [];
    for (const source of sources) {
      pending.push(() => {
        try {
          docs.push({ source, doc: parsePolicyDocument(source.value) });
        } catch (e) {
          if (e instanceof PolicyDocumentError) {
            onInvalid?.({ args, report }, source, e);
            return;
          }
          throw e;
        }
      });
    }
    let unknownError: UnknownValueError | undefined;
    try {
      runChecks(pending);
    } catch (e) {
      if (!(e instanceof UnknownValueError)) throw e;
      unknownError = e;
    }
    const catalog = await IamCatalog.load(actionsIn(docs));
    const ctx: DocumentCheckContext = { args, report, docs, catalog };
    const checks = docs.flatMap((d) => check(ctx, d));
    if (unknownError) {
      const err = unknownError;
      checks.push(() => {
        throw err;
      });
    }
    runChecks(checks);
  };
}

/** Per statement of a document, one check each. */
export function perStatement(
  d: ParsedDocument,
  fn: (s: Statement) => void,
  effect: "Allow" | "Any" = "Allow",
): (() => void)[] {
  return d.doc.Statement.filter((s) => effect === "Any" || s.Effect === effect).map(
    (s) => () => fn(s),
  );
}

export function quoteList(values: (string | Unknown)[]): string {
  return values.map((v) => (isUnknown(v) ? "(unknown)" : v)).join(", ");
}

/** Known action patterns of a statement's Action that match a given action. */
export function grants(s: Statement, action: string): string[] {
  return (s.Action ?? []).filter(
    (a): a is string => typeof a === "string" && actionMatches(a, action),
  );
}

/** Statements of a resource-side document that allow Principal "*" without a restricting condition. */
export function publicPrincipalCheck(ctx: DocumentCheckContext, d: ParsedDocument): (() => void)[] {
  return perStatement(d, (s) => {
    const anyone =
      s.NotPrincipal !== undefined ||
      (s.Principal ?? []).some((p) => classifyPrincipal(p, ANY_CONCRETE) === "anyone");
    if (!anyone) return;
    const conditions = conditionsOf(s);
    const why: string[] = [];
    for (const c of conditions) {
      const reason = whyNotRestricting(c, ANY_CONCRETE, false);
      if (reason === undefined) return;
      why.push(reason);
    }
    ctx.report(
      must(
        `${statementLabel(s)} of ${d.source.label}`,
        `not allow ${s.NotPrincipal ? "NotPrincipal (every principal not listed)" : 'Principal "*"'} unless a positive condition (no Not..., no ...IfExists) on a key the caller cannot choose (aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount, ...) pins it to concrete values`,
        why.length > 0 ? why.join("; ") : "no condition",
      ),
    );
  });
}
