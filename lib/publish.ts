/**
 * Where write-audit-publish puts gold (`glue/contract.json` `publish`): the run's staging
 * location, the current table and the snapshot history partitioned by snapshot date. Read by the
 * local runner and the local publish; `glue/job_io.py` reads the same key.
 */
import * as fs from "node:fs";
import { z } from "zod";
import { CONTRACT_FILE } from "./quality-gates";

const publishSchema = z.object({
  description: z.string(),
  staging: z.strictObject({ root: z.literal("processed_path"), path: z.string() }),
  history: z.strictObject({
    table: z.string().regex(/^[a-z][a-z0-9_]*$/),
    root: z.literal("warehouse_path"),
    path: z.string(),
    partition_key: z.string().regex(/^[a-z][a-z0-9_]*$/),
  }),
});

/** The contract's `publish` key. */
export type PublishLayout = z.infer<typeof publishSchema>;

/**
 * Where the cloud publish step (glue/job_audit.py `ASIDE`) keeps its aside copies, a top-level
 * prefix of the datawarehouse bucket.
 */
export const PUBLISH_ASIDE_PREFIX = "_publish";

/** A snapshot date: `YYYY-MM-DD`. */
export const SNAPSHOT_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Reads the contract's `publish` key.
 * @throws Error naming the contract and the invalid fields.
 */
export function loadPublishLayout(file: string = CONTRACT_FILE): PublishLayout {
  const raw = (JSON.parse(fs.readFileSync(file, "utf8")) as { publish?: unknown }).publish;
  const parsed = publishSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${file} publish must hold staging {root, path} and history {table, root, path, ` +
        `partition_key}; found ${JSON.stringify(raw)}. Fix the contract.`,
    );
  }
  return parsed.data;
}

/** The snapshot date of a run started at `date` (UTC): `YYYY-MM-DD`. */
export function snapshotDateOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Checks a snapshot date (a real calendar day).
 * @throws Error naming the option, the bad value and the expected form.
 */
export function checkSnapshotDate(value: string, option: string): string {
  const day = new Date(`${value}T00:00:00Z`);
  if (!SNAPSHOT_DATE.test(value) || Number.isNaN(day.getTime()) || snapshotDateOf(day) !== value) {
    throw new Error(
      `${option} must be a calendar date YYYY-MM-DD; found ${JSON.stringify(value)}. ` +
        "Example: 2024-06-01.",
    );
  }
  return value;
}
