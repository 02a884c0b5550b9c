/**
 * A git ref checked out into a temporary worktree that shares this checkout's node_modules, for
 * tools that run the program as it was at another commit (`synth:diff`, `pr:comment`).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository root. */
const ROOT = path.resolve(__dirname, "..");

/** A ref that names no commit of this repository. */
export class UnknownRefError extends Error {}

/**
 * The full SHA of commit `ref` of this repository, or undefined when it names none (a ref that
 * looks like an option names none).
 */
export function commitOf(ref: string): string | undefined {
  if (!/^[A-Za-z0-9._/~^@{}][A-Za-z0-9._/~^@{}-]*$/.test(ref)) return undefined;
  try {
    const sha = execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Adds a detached worktree of `ref` in a new temporary folder, with this checkout's `links`
 * (folders such as node_modules, where present) linked in.
 * @throws UnknownRefError when `ref` is not a commit here.
 */
function addWorktree(ref: string, prefix: string, links: readonly string[]): string {
  const commit = commitOf(ref);
  if (commit === undefined) {
    throw new UnknownRefError(
      `${JSON.stringify(ref)} is not a commit in this repository (try origin/main, or fetch it first).`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", dir, commit], {
    cwd: ROOT,
    stdio: "pipe",
  });
  try {
    for (const link of links) {
      const from = path.join(ROOT, link);
      if (fs.existsSync(from)) fs.symlinkSync(from, path.join(dir, link), "dir");
    }
  } catch (error) {
    removeWorktree(dir);
    throw error;
  }
  return dir;
}

function removeWorktree(dir: string): void {
  execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: ROOT, stdio: "pipe" });
}

/**
 * Runs `fn` in a temporary worktree of `ref` (sharing this checkout's node_modules), removed
 * afterwards.
 * @throws UnknownRefError when `ref` is not a commit here.
 */
export function withWorktree<T>(ref: string, fn: (dir: string) => T, prefix = "worktree-"): T {
  const dir = addWorktree(ref, prefix, ["node_modules"]);
  try {
    return fn(dir);
  } finally {
    removeWorktree(dir);
  }
}

/**
 * {@link withWorktree} for asynchronous work: the worktree is removed once `fn` settles. `links`
 * are the folders of this checkout linked in (default node_modules; the benchmark adds .venv).
 * @throws UnknownRefError when `ref` is not a commit here.
 */
export async function withWorktreeAsync<T>(
  ref: string,
  fn: (dir: string) => Promise<T>,
  prefix = "worktree-",
  links: readonly string[] = ["node_modules"],
): Promise<T> {
  const dir = addWorktree(ref, prefix, links);
  try {
    return await fn(dir);
  } finally {
    removeWorktree(dir);
  }
}

/**
 * Runs `run` for each stack in a checkout of `ref` (this working tree when undefined), one after
 * another, logging progress to stderr as `<tool>: synthesizing <stack> at <ref>...`. A failing
 * stack yields its Error; the others still run.
 * @throws UnknownRefError when `ref` is not a commit here.
 */
export function perStackAt<T>(
  ref: string | undefined,
  stacks: readonly string[],
  run: (dir: string, stack: string) => T,
  tool: string,
): Map<string, T | Error> {
  const collect = (dir: string) =>
    new Map(
      stacks.map((s): [string, T | Error] => {
        process.stderr.write(`${tool}: synthesizing ${s} at ${ref ?? "the working tree"}...\n`);
        try {
          return [s, run(dir, s)];
        } catch (e) {
          return [s, e as Error];
        }
      }),
    );
  return ref ? withWorktree(ref, collect, `${tool.replace(/\W/g, "-")}-`) : collect(ROOT);
}
