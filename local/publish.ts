/**
 * The local publish step of write-audit-publish: moves a run's staged gold into the current table
 * (`datawarehouse/tracks/`) and into its snapshot partition of the history table
 * (`datawarehouse/tracks_history/snapshot_date=<date>/`), each by a folder swap.
 *
 * A swap is two renames (current -> `.<name>.prev-<run>`, staged copy -> current) after which the
 * previous folder is deleted; a crash between the two renames is repaired by
 * {@link recoverInterruptedPublish} (the previous folder comes back), so a published table is never
 * lost or half-replaced. The cloud twin is `publish` in `glue/job.py`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadPublishLayout } from "../lib/publish";
import { loadContract } from "../lib/contract";

/** Where the publish step reads and writes, for one run. */
export interface PublishPaths {
  /** The run's staged gold table folder (`processed/runs/<run_id>/gold/tracks/`). */
  staged: string;
  /** The current gold table (`datawarehouse/tracks/`). */
  current: string;
  /** The history table (`datawarehouse/tracks_history/`). */
  history: string;
  /** The history partition column (`snapshot_date`). */
  partitionKey: string;
}

/** The publish paths of run `runId` under the local roots. */
export function publishPaths(processed: string, warehouse: string, runId: string): PublishPaths {
  const contract = loadContract();
  const layout = loadPublishLayout();
  const gold = contract.outputs.find((o) => o.table === "gold_tracks");
  if (gold === undefined) throw new Error("glue/contract.json outputs do not list gold_tracks.");
  return {
    staged: path.join(processed, layout.staging.path.replace("{run_id}", runId), gold.path),
    current: path.join(warehouse, gold.path),
    history: path.join(warehouse, layout.history.path),
    partitionKey: layout.history.partition_key,
  };
}

/** What {@link publishGold} did. */
export interface PublishResult {
  /** The current table was replaced (false: an older snapshot, history only). */
  current: boolean;
  /** The snapshot partition written. */
  snapshot: string;
  /** The newest snapshot date published, after this one. */
  latest: string;
}

/** The snapshot dates in the history table, oldest first. */
export function snapshotDates(p: PublishPaths): string[] {
  if (!fs.existsSync(p.history)) return [];
  const prefix = `${p.partitionKey}=`;
  return fs
    .readdirSync(p.history)
    .filter((d) => d.startsWith(prefix))
    .map((d) => d.slice(prefix.length))
    .sort();
}

/**
 * Puts back a folder a crash left renamed aside (`.<name>.prev-<run>` while `<name>` is missing)
 * and deletes leftover staged copies (`.<name>.next-<run>`).
 */
export function recoverInterruptedPublish(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const folders = [
    dir,
    ...fs
      .readdirSync(dir)
      .filter((d) => !d.startsWith("."))
      .map((d) => path.join(dir, d)),
  ].filter((d) => fs.statSync(d).isDirectory());
  for (const parent of folders) {
    for (const entry of fs.readdirSync(parent)) {
      const m = /^\.(.+)\.(prev|next)-[A-Za-z0-9._-]+$/.exec(entry);
      if (!m) continue;
      const aside = path.join(parent, entry);
      const target = path.join(parent, m[1] as string);
      if (m[2] === "prev" && !fs.existsSync(target)) fs.renameSync(aside, target);
      else fs.rmSync(aside, { recursive: true, force: true });
    }
  }
}

/** The snapshot partition of `snapshotDate` in the history table. */
export function snapshotPath(p: PublishPaths, snapshotDate: string): string {
  return path.join(p.history, `${p.partitionKey}=${snapshotDate}`);
}

/** Hard links (else copies) every file of `from` into a new folder `to`. */
export function linkTree(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else {
      try {
        fs.linkSync(source, target);
      } catch {
        fs.copyFileSync(source, target);
      }
    }
  }
}

/**
 * Replaces folder `target` with a copy of `source`: the copy is made aside, then swapped in by
 * two renames; `crashAfterAside` stops between them (tests of the repair).
 */
export function swapIn(
  source: string,
  target: string,
  runId: string,
  crashAfterAside = false,
): void {
  const parent = path.dirname(target);
  const name = path.basename(target);
  const next = path.join(parent, `.${name}.next-${runId}`);
  const prev = path.join(parent, `.${name}.prev-${runId}`);
  fs.mkdirSync(parent, { recursive: true });
  linkTree(source, next);
  fs.rmSync(prev, { recursive: true, force: true });
  if (fs.existsSync(target)) fs.renameSync(target, prev);
  if (crashAfterAside) throw new Error(`simulated crash while swapping ${target}`);
  fs.renameSync(next, target);
  fs.rmSync(prev, { recursive: true, force: true });
}

/**
 * Publishes a run's staged gold: its snapshot partition always (replacing only that partition),
 * the current table only when no newer snapshot is published (the latest snapshot date wins).
 * @throws Error when the run staged no gold.
 */
export function publishGold(
  p: PublishPaths,
  runId: string,
  snapshotDate: string,
  crashAfterAside = false,
): PublishResult {
  if (!fs.existsSync(p.staged)) {
    throw new Error(
      `Run ${runId} staged no gold at ${p.staged}: run the job (write and audit) before publishing.`,
    );
  }
  recoverInterruptedPublish(path.dirname(p.current));
  const newest = snapshotDates(p).at(-1);
  const snapshot = snapshotPath(p, snapshotDate);
  swapIn(p.staged, snapshot, runId);
  const current = newest === undefined || snapshotDate >= newest;
  if (current) swapIn(p.staged, p.current, runId, crashAfterAside);
  return { current, snapshot, latest: snapshotDates(p).at(-1) ?? snapshotDate };
}
