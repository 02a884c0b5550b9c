/**
 * tools/worktree.ts: refs resolve to commits (and nothing that looks like an option does), and a
 * temporary worktree holds the commit's files with this checkout's folders linked in, and is
 * removed once the work settles, failed or not.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { UnknownRefError, commitOf, withWorktree, withWorktreeAsync } from "../tools/worktree";

const REPO = path.resolve(__dirname, "..");
const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim();

describe("tools/worktree.ts", function () {
  this.timeout(60_000);
  const head = git("rev-parse", "HEAD");

  it("resolves refs to commits, and refuses the rest", () => {
    expect(commitOf("HEAD")).to.equal(head);
    expect(commitOf(head.slice(0, 12))).to.equal(head);
    for (const bad of ["no-such-revision-xyz", "--output=/tmp/x", "-h", "HEAD;true", "a b", ""]) {
      expect(commitOf(bad), bad).to.equal(undefined);
    }
  });

  it("runs async work in a worktree of the commit with the links, then removes it", async () => {
    let seen = "";
    const result = await withWorktreeAsync(
      "HEAD",
      async (dir) => {
        seen = dir;
        expect(fs.readFileSync(path.join(dir, "package.json"), "utf8")).to.equal(
          git("show", "HEAD:package.json") + "\n",
        );
        expect(fs.realpathSync(path.join(dir, "node_modules"))).to.equal(
          fs.realpathSync(path.join(REPO, "node_modules")),
        );
        await new Promise((r) => setTimeout(r, 10));
        return 42;
      },
      "worktree-test-",
    );
    expect(result).to.equal(42);
    expect(fs.existsSync(seen)).to.equal(false);
    expect(git("worktree", "list")).to.not.include(seen);
  });

  it("removes the worktree when the work fails, and names an unknown ref", async () => {
    let seen = "";
    const failing = withWorktreeAsync("HEAD", async (dir) => {
      seen = dir;
      throw new Error("boom");
    });
    await failing.then(
      () => expect.fail("should have failed"),
      (e: Error) => expect(e.message).to.equal("boom"),
    );
    expect(fs.existsSync(seen)).to.equal(false);
    expect(() => withWorktree("no-such-revision-xyz", () => 1)).to.throw(
      UnknownRefError,
      '"no-such-revision-xyz" is not a commit in this repository',
    );
  });
});
