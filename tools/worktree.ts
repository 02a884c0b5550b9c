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
 * Runs `fn` in a temporary worktree of `ref`, removed afterwards.
 * @throws UnknownRefError when `ref` is not a commit here.
 */
export function withWorktree<T>(ref: string, fn: (dir: string) => T, prefix = "worktree-"): T {
  try {
    execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: ROOT, stdio: "pipe" });
  } catch {
    throw new UnknownRefError(
      `${JSON.stringify(ref)} is not a commit in this repository (try origin/main, or fetch it first).`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", dir, ref], {
    cwd: ROOT,
    stdio: "pipe",
  });
  try {
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return fn(dir);
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: ROOT, stdio: "pipe" });
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
