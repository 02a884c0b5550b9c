/**
 * Least privilege, proven: for every IAM role the program creates, the requests its service really
 * makes (which must be allowed) and the requests it must never be able to make (which must be
 * denied), evaluated with a real IAM policy simulator (`@cloud-copilot/iam-simulate`) over the
 * role's actual policy documents, taken from the synthesized graph, together with the resource
 * policies that apply (bucket policies, the pipeline key's policy, the topic policy, the role's
 * trust policy).
 *
 * The tables are data: ARNs and context values are templates over {@link FactName placeholders}
 * such as `{staging}` (the staging bucket's name) that {@link factsOf} reads from the graph, so the
 * same rows run against every stack and read well in `docs/least-privilege.md`.
 *
 * Licensing: `@cloud-copilot/iam-simulate` is AGPL-3.0. It is a devDependency and only
 * `test/least-privilege.test.ts` and `scripts/least-privilege-doc.ts` import this module; the
 * deployed program (`index.ts`, `components/`) never does (a test checks its import closure).
 */
export * from "./facts";
export * from "./table";
export * from "./etl-job";
export * from "./etl-crawler";
export * from "./states";
export * from "./events";
export * from "./dashboards";
export * from "./documents";
export * from "./simulate";
export * from "./doc";
export * from "./roles";
