/**
 * Quality gates: declared once in the dataset contract (`glue/contract.json` `quality_gates`),
 * overridable per stack (config `qualityGates`), evaluated by both runners with
 * `glue/sql/17_quality_gates.sql` over the `gate_limits` rows built here (the Spark twin is
 * `gate_limit_rows` in `glue/job_io.py`).
 *
 * Pure functions plus one file read; no Pulumi, no DuckDB.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/** The contract the gates are declared in. */
export const CONTRACT_FILE = path.resolve(__dirname, "..", "glue", "contract.json");

/** Files a gate can be about: the three inputs. */
export const GATE_FILES = ["albums", "artists", "tracks"] as const;
export type GateFile = (typeof GATE_FILES)[number];

const pct = z.number().min(0).max(100);
const rows = z.int().min(0);

const fileGatesSchema = z.strictObject({
  /** Rows rejected, all reasons together, in percent of the file's input rows. */
  max_rejected_pct: pct,
  /** Rows rejected for any one reason, in percent of the file's input rows. */
  max_rejected_pct_per_reason: pct,
  /** Rows accepted into silver. */
  min_accepted_rows: rows,
});

const goldGatesSchema = z.strictObject({
  /** Rows of the gold table. */
  min_rows: rows,
  /** Drop of the gold rows against the last published run, in percent. */
  max_drop_pct: pct,
});

/** The full set of gates (the contract's `quality_gates` without its description). */
export const qualityGatesSchema = z.strictObject({
  files: z.strictObject({
    albums: fileGatesSchema,
    artists: fileGatesSchema,
    tracks: fileGatesSchema,
  }),
  gold: goldGatesSchema,
});

/** Every gate threshold. */
export type QualityGates = z.infer<typeof qualityGatesSchema>;

/** A per-stack override: any subset of the gates (config `qualityGates`). */
export const qualityGatesOverrideSchema = z.strictObject({
  files: z
    .strictObject({
      albums: fileGatesSchema.partial().optional(),
      artists: fileGatesSchema.partial().optional(),
      tracks: fileGatesSchema.partial().optional(),
    })
    .optional(),
  gold: goldGatesSchema.partial().optional(),
});

/** A partial set of gates, merged over the contract's. */
export type QualityGatesOverride = z.infer<typeof qualityGatesOverrideSchema>;

/** One evaluated gate, as written to the run summary (`gates`). */
export interface GateResult {
  /** `max_rejected_pct`, `max_rejected_pct_per_reason`, `min_accepted_rows`, `min_rows`, `max_drop_pct`. */
  gate: string;
  /** `albums`, `artists`, `tracks` or `gold`. */
  file: string;
  /** The quarantine reason of a per-reason gate, else absent. */
  reason?: string;
  value: number;
  threshold: number;
  passed: boolean;
}

/** One row of the `gate_limits` view that `17_quality_gates.sql` joins. */
export interface GateLimit {
  gate: string;
  file: string;
  threshold: number;
  /** max_drop_pct only: the gold rows last published (null when nothing was published). */
  baseline: number | null;
}

function problemsOf(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.join(".") || "(root)"} ${i.message.toLowerCase()}`)
    .join("; ");
}

/**
 * The gates of the dataset contract (`quality_gates`, description dropped).
 * @throws Error naming the file and every invalid field.
 */
export function loadQualityGates(file: string = CONTRACT_FILE): QualityGates {
  const raw = (JSON.parse(fs.readFileSync(file, "utf8")) as { quality_gates?: unknown })
    .quality_gates;
  const { description: _description, ...gates } = (raw ?? {}) as Record<string, unknown>;
  const parsed = qualityGatesSchema.safeParse(gates);
  if (!parsed.success) {
    throw new Error(
      `${file} quality_gates must declare files.{albums,artists,tracks}.{max_rejected_pct, ` +
        `max_rejected_pct_per_reason, min_accepted_rows} and gold.{min_rows, max_drop_pct}; ` +
        `found: ${problemsOf(parsed.error)}. Fix the contract.`,
    );
  }
  return parsed.data;
}

/**
 * Validates an override (the stack's `qualityGates`, the local run's `gates` option).
 * @param where the name shown in the error, e.g. `spotify-pipeline:qualityGates`.
 * @throws Error naming each bad key and value and the accepted ranges.
 */
export function parseQualityGatesOverride(value: unknown, where: string): QualityGatesOverride {
  const parsed = qualityGatesOverrideSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `${where} must be {"files"?: {"albums"|"artists"|"tracks"?: {"max_rejected_pct"?, ` +
        `"max_rejected_pct_per_reason"?: 0-100, "min_accepted_rows"?: whole number >= 0}}, ` +
        `"gold"?: {"min_rows"?: whole number >= 0, "max_drop_pct"?: 0-100}}; found ` +
        `${JSON.stringify(value)} (${problemsOf(parsed.error)}).`,
    );
  }
  return parsed.data;
}

/** The contract's gates with `override` applied key by key. */
export function mergeQualityGates(
  base: QualityGates,
  override: QualityGatesOverride | undefined,
): QualityGates {
  const files = { ...base.files };
  for (const f of GATE_FILES) files[f] = { ...base.files[f], ...(override?.files?.[f] ?? {}) };
  return { files, gold: { ...base.gold, ...(override?.gold ?? {}) } };
}

/**
 * The rows of `gate_limits`: one per gate and file, in a fixed order.
 * @param previousGoldRows rows of the gold table last published (undefined: none yet).
 */
export function gateLimits(gates: QualityGates, previousGoldRows?: number): GateLimit[] {
  const limits: GateLimit[] = [];
  for (const file of GATE_FILES) {
    const g = gates.files[file];
    limits.push(
      { gate: "max_rejected_pct", file, threshold: g.max_rejected_pct, baseline: null },
      {
        gate: "max_rejected_pct_per_reason",
        file,
        threshold: g.max_rejected_pct_per_reason,
        baseline: null,
      },
      { gate: "min_accepted_rows", file, threshold: g.min_accepted_rows, baseline: null },
    );
  }
  limits.push(
    { gate: "min_rows", file: "gold", threshold: gates.gold.min_rows, baseline: null },
    {
      gate: "max_drop_pct",
      file: "gold",
      threshold: gates.gold.max_drop_pct,
      baseline: previousGoldRows ?? null,
    },
  );
  return limits;
}

/** A number for a person: whole numbers as they are, others with at most 2 decimals. */
export function showValue(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

/** `albums max_rejected_pct_per_reason[orphan_artist]`: which gate, for messages. */
export function gateLabel(g: Pick<GateResult, "gate" | "file" | "reason">): string {
  return `${g.file} ${g.gate}${g.reason ? `[${g.reason}]` : ""}`;
}

/**
 * The sentence the failure notification carries: every breached gate with its value and
 * threshold (`glue/job_io.py` `gate_failure_message` writes the same text), or "" when all pass.
 */
export function gateFailureMessage(gates: readonly GateResult[]): string {
  const failed = gates.filter((g) => !g.passed);
  if (failed.length === 0) return "";
  const parts = failed.map(
    (g) =>
      `${gateLabel(g)} = ${showValue(g.value)} ` +
      `(${g.gate.startsWith("min_") ? "minimum" : "maximum"} ${showValue(g.threshold)})`,
  );
  return (
    `${failed.length} quality gate${failed.length > 1 ? "s" : ""} failed: ${parts.join("; ")}. ` +
    "Gold was not published; the rejected rows are in the quarantine."
  );
}
