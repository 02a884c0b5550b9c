/**
 * Renders a state machine definition as a Mermaid flowchart and as Markdown tables, so the
 * documentation is generated from the definition and cannot drift (`npm run docs:workflow`).
 */
import type {
  AslDefinition,
  AslState,
  ChoiceCondition,
  ChoiceState,
  DataTest,
  Retrier,
} from "../lib/state-machine";

/** Short edge labels for Choice rules: state name -> one label per rule, in rule order. */
export type ChoiceLabels = Record<string, readonly string[]>;

/** Label of a Choice state's Default edge. */
export const DEFAULT_EDGE_LABEL = "otherwise";

/** Longest generated rule text used as an edge label when no explicit label is given. */
const MAX_GENERATED_LABEL = 40;

const OPERATORS: Record<string, string> = {
  StringEquals: "=",
  StringEqualsPath: "=",
  StringMatches: "matches",
  NumericEquals: "=",
  NumericGreaterThanEquals: ">=",
  NumericGreaterThanEqualsPath: ">=",
  TimestampGreaterThan: ">",
  TimestampGreaterThanPath: ">",
  BooleanEquals: "=",
};

const TYPE_TESTS: Record<string, string> = {
  IsPresent: "present",
  IsNull: "null",
  IsString: "a string",
  IsNumeric: "a number",
  IsBoolean: "a boolean",
  IsTimestamp: "a timestamp",
};

function isDataTest(c: ChoiceCondition): c is DataTest {
  return "Variable" in c;
}

/**
 * A Choice condition as readable text, e.g. `$.run_id is present and not ($.run_id is a string)`.
 * Every operator of the definition's type is covered; an unknown one throws so docs never lie.
 */
export function describeCondition(c: ChoiceCondition): string {
  if ("And" in c) return c.And.map((x) => wrap(x)).join(" and ");
  if ("Or" in c) return c.Or.map((x) => wrap(x)).join(" or ");
  if ("Not" in c) return `not ${wrap(c.Not, true)}`;
  if (!isDataTest(c)) throw new Error(`Unsupported Choice condition: ${JSON.stringify(c)}`);
  const { Variable, ...ops } = c;
  const entries = Object.entries(ops).filter(([k]) => k !== "Next");
  if (entries.length !== 1)
    throw new Error(`A data test needs exactly one operator: ${JSON.stringify(c)}`);
  const [op, value] = entries[0]!;
  if (op in TYPE_TESTS) return `${Variable} ${value === true ? "is" : "is not"} ${TYPE_TESTS[op]}`;
  const symbol = OPERATORS[op];
  if (!symbol) throw new Error(`Unsupported Choice operator ${op} in ${JSON.stringify(c)}`);
  const operand = op.endsWith("Path") ? String(value) : JSON.stringify(value);
  return `${Variable} ${symbol} ${operand}`;
}

function wrap(c: ChoiceCondition, always = false): string {
  const text = describeCondition(c);
  return always || !isDataTest(c) ? `(${text})` : text;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/\n/g, " ");
}

function nodeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The service action of an integration ARN: `arn:aws:states:::aws-sdk:glue:getCrawler` -> `glue:getCrawler`. */
export function shortResource(resource: string): string {
  return resource.replace(/^arn:aws:states:::/, "").replace(/^aws-sdk:/, "");
}

function retrySummary(retry: Retrier[] | undefined): string | undefined {
  if (!retry || retry.length === 0) return undefined;
  const attempts = retry.map((r) => r.MaxAttempts ?? 3);
  return `retry x${Math.max(...attempts)}`;
}

function nodeLabel(name: string, state: AslState): string {
  const lines = [name];
  if (state.Type === "Task") {
    lines.push(shortResource(state.Resource));
    const retry = retrySummary(state.Retry);
    if (retry) lines.push(retry);
  }
  if (state.Type === "Wait") lines.push(`wait ${state.Seconds} s`);
  return escapeLabel(lines.join("<br/>"));
}

function node(name: string, state: AslState): string {
  const id = nodeId(name);
  const label = nodeLabel(name, state);
  switch (state.Type) {
    case "Task":
      return `${id}["${label}"]:::task`;
    case "Choice":
      return `${id}{"${label}"}:::choice`;
    case "Wait":
      return `${id}(["${label}"]):::wait`;
    case "Pass":
      return `${id}("${label}"):::pass`;
    case "Succeed":
      return `${id}(["${label}"]):::succeed`;
    case "Fail":
      return `${id}(["${label}"]):::fail`;
  }
}

function ruleLabel(state: ChoiceState, name: string, index: number, labels: ChoiceLabels): string {
  const given = labels[name]?.[index];
  if (given) return given;
  const rule = state.Choices[index]!;
  const text = describeCondition(rule);
  return text.length <= MAX_GENERATED_LABEL ? text : `rule ${index + 1}`;
}

/**
 * A Mermaid `flowchart TD` of the definition: one node per state (shape by type: Task rectangle,
 * Choice diamond, Wait stadium, Pass rounded, Succeed/Fail stadium), solid edges for `Next`,
 * `Default` and Choice rules, dashed edges labelled with the error names for `Catch`.
 *
 * @param labels short labels for Choice rules; without one, a rule shows its condition when short,
 *   else `rule N` (the full conditions are in `choiceRulesMarkdown`).
 */
export function toMermaid(def: AslDefinition, labels: ChoiceLabels = {}): string {
  const lines = ["flowchart TD"];
  lines.push(`  start((start)) --> ${nodeId(def.StartAt)}`);
  for (const [name, state] of Object.entries(def.States)) lines.push(`  ${node(name, state)}`);
  for (const [name, state] of Object.entries(def.States)) {
    const from = nodeId(name);
    if (state.Type === "Choice") {
      state.Choices.forEach((rule, i) => {
        const label = escapeLabel(ruleLabel(state, name, i, labels));
        lines.push(`  ${from} -->|"${label}"| ${nodeId(rule.Next)}`);
      });
      lines.push(`  ${from} -->|"${DEFAULT_EDGE_LABEL}"| ${nodeId(state.Default)}`);
      continue;
    }
    if ("Next" in state) lines.push(`  ${from} --> ${nodeId(state.Next)}`);
    if (state.Type === "Task") {
      for (const c of state.Catch ?? []) {
        lines.push(`  ${from} -.->|"${escapeLabel(c.ErrorEquals.join(", "))}"| ${nodeId(c.Next)}`);
      }
    }
  }
  lines.push(
    "  classDef task fill:#e7f0fd,stroke:#2f6fde,color:#0b1f44",
    "  classDef choice fill:#fff4d6,stroke:#c99400,color:#3d2d00",
    "  classDef wait fill:#efe7fb,stroke:#7a4fd1,color:#24123f",
    "  classDef pass fill:#f2f2f2,stroke:#8a8a8a,color:#222222",
    "  classDef succeed fill:#dcf5e3,stroke:#1f8f4a,color:#0b3019",
    "  classDef fail fill:#fde2e1,stroke:#c9302c,color:#400b0a",
  );
  return lines.join("\n") + "\n";
}

/** Text safe in a Markdown table cell (no pipes, no raw HTML such as `<run_id>`). */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");
}

function code(text: string): string {
  return "`" + text.replace(/`/g, "'") + "`";
}

function nextOf(state: AslState): string {
  if (state.Type === "Choice") {
    const targets = [...new Set([...state.Choices.map((c) => c.Next), state.Default])];
    return targets.join(", ");
  }
  const targets: string[] = "Next" in state ? [state.Next] : [];
  if (state.Type === "Task") {
    for (const c of state.Catch ?? []) {
      if (!targets.includes(c.Next)) targets.push(`${c.Next} (on ${c.ErrorEquals.join(", ")})`);
    }
  }
  return targets.length > 0 ? targets.join(", ") : "(end)";
}

/** A Markdown table of every state: name, type, resource, what it does (its Comment), next states. */
export function statesMarkdown(def: AslDefinition): string {
  const rows = ["| State | Type | Resource | What it does | Next |", "|---|---|---|---|---|"];
  for (const [name, state] of Object.entries(def.States)) {
    const resource = state.Type === "Task" ? code(shortResource(state.Resource)) : "";
    rows.push(
      `| ${name} | ${state.Type} | ${resource} | ${cell(state.Comment ?? "")} | ${cell(nextOf(state))} |`,
    );
  }
  return rows.join("\n") + "\n";
}

/** Every Choice rule's full condition, in evaluation order, with its target. */
export function choiceRulesMarkdown(def: AslDefinition, labels: ChoiceLabels = {}): string {
  const out: string[] = [];
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type !== "Choice") continue;
    out.push(`**${name}**`, "");
    state.Choices.forEach((rule, i) => {
      const label = labels[name]?.[i];
      const prefix = label ? `${label}: ` : "";
      out.push(`${i + 1}. ${prefix}${code(describeCondition(rule))} -> ${rule.Next}`);
    });
    out.push(`${state.Choices.length + 1}. ${DEFAULT_EDGE_LABEL} -> ${state.Default}`, "");
  }
  return out.join("\n");
}

/** A Markdown table of every Retry entry. */
export function retriesMarkdown(def: AslDefinition): string {
  const rows = [
    "| State | Errors | Interval (s) | Backoff | Max attempts | Max delay (s) | Jitter |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type !== "Task") continue;
    for (const r of state.Retry ?? []) {
      rows.push(
        `| ${name} | ${r.ErrorEquals.join(", ")} | ${r.IntervalSeconds ?? 1} | ${r.BackoffRate ?? 2} | ` +
          `${r.MaxAttempts ?? 3} | ${r.MaxDelaySeconds ?? "none"} | ${r.JitterStrategy ?? "NONE"} |`,
      );
    }
  }
  return rows.join("\n") + "\n";
}
