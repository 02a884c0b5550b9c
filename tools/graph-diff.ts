/**
 * Compares two synthesized graphs (the JSON of `npm run synth -- --json`): resources added,
 * removed and changed, with the changed inputs. Pure; `scripts/synth-diff.ts` feeds it.
 */

/** A resource as `npm run synth -- --json` prints it. */
export interface GraphRow {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

/** One changed input: its path (`rules[0].expiration.days`), the value before and after. */
export interface InputChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** The difference between two graphs. */
export interface GraphDiff {
  added: GraphRow[];
  removed: GraphRow[];
  changed: { type: string; name: string; changes: InputChange[] }[];
  unchanged: number;
}

const keyOf = (r: { type: string; name: string }): string => `${r.type}::${r.name}`;

/** JSON strings that hold documents (IAM policies, ASL, dashboard bodies) are compared as data. */
function expand(value: unknown): unknown {
  if (typeof value === "string" && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The leaf-level differences between two values, with paths. */
export function diffValues(before: unknown, after: unknown, path = ""): InputChange[] {
  const a = expand(before);
  const b = expand(after);
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: InputChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      out.push(...diffValues(a[i], b[i], `${path}[${i}]`));
    }
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, before: a, after: b }];
}

/** Resources added, removed and changed between `base` and `head`, in a stable order. */
export function diffGraphs(base: GraphRow[], head: GraphRow[]): GraphDiff {
  const before = new Map(base.map((r) => [keyOf(r), r]));
  const after = new Map(head.map((r) => [keyOf(r), r]));
  const sort = <T extends { type: string; name: string }>(list: T[]) =>
    list.sort((x, y) => keyOf(x).localeCompare(keyOf(y)));
  const added = sort(head.filter((r) => !before.has(keyOf(r))));
  const removed = sort(base.filter((r) => !after.has(keyOf(r))));
  const changed: GraphDiff["changed"] = [];
  let unchanged = 0;
  for (const [k, b] of after) {
    const a = before.get(k);
    if (!a) continue;
    const changes = diffValues(a.inputs, b.inputs);
    if (a.parent !== b.parent)
      changes.unshift({ path: "(parent)", before: a.parent, after: b.parent });
    if (changes.length > 0) changed.push({ type: b.type, name: b.name, changes });
    else unchanged++;
  }
  return { added, removed, changed: sort(changed), unchanged };
}

function short(v: unknown): string {
  const s = v === undefined ? "(none)" : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The Markdown table of a diff: one row per added or removed resource and per changed input. */
export function diffTable(d: GraphDiff): string[] {
  const lines = ["| | resource | input | before | after |", "|---|---|---|---|---|"];
  for (const r of d.added) lines.push(`| + | \`${r.type}\` ${cell(r.name)} | | | |`);
  for (const r of d.removed) lines.push(`| - | \`${r.type}\` ${cell(r.name)} | | | |`);
  for (const r of d.changed) {
    for (const c of r.changes) {
      lines.push(
        `| ~ | \`${r.type}\` ${cell(r.name)} | \`${cell(c.path)}\` | ${cell(short(c.before))} | ${cell(short(c.after))} |`,
      );
    }
  }
  return lines;
}

/** A Markdown report for a pull-request comment, one section per stack. */
export function renderMarkdown(
  sections: { stack: string; diff?: GraphDiff; error?: string }[],
  refs: { base: string; head: string },
): string {
  const lines = [
    "<!-- spotify-pipeline:synth-diff -->",
    `### Offline infrastructure diff (\`${refs.base}\` → \`${refs.head}\`)`,
    "",
    "Synthesized under Pulumi mocks with each stack's config: no cloud credentials involved.",
    "",
  ];
  for (const s of sections) {
    if (s.error) {
      lines.push(`#### ${s.stack}: could not compare`, "", "```", s.error, "```", "");
      continue;
    }
    const d = s.diff!;
    const total = d.added.length + d.removed.length + d.changed.length;
    lines.push(
      `#### ${s.stack}: ${total === 0 ? "no changes" : `${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove`} (${d.unchanged} unchanged)`,
      "",
    );
    if (total === 0) continue;
    lines.push(...diffTable(d), "");
  }
  return lines.join("\n");
}

/** A plain-text report for the terminal. */
export function renderText(stack: string, d: GraphDiff): string {
  const lines = [
    `stack ${stack}: +${d.added.length} ~${d.changed.length} -${d.removed.length} (${d.unchanged} unchanged)`,
  ];
  for (const r of d.added) lines.push(`  + ${r.type} ${r.name}`);
  for (const r of d.removed) lines.push(`  - ${r.type} ${r.name}`);
  for (const r of d.changed) {
    lines.push(`  ~ ${r.type} ${r.name}`);
    for (const c of r.changes)
      lines.push(`      ${c.path}: ${short(c.before)} => ${short(c.after)}`);
  }
  return lines.join("\n");
}
