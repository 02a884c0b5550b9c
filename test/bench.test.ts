/**
 * The benchmark's command line and arithmetic (scripts/bench.ts), table-driven: sizes, the
 * baseline comparison's repeat count, the rerun flag, and the best/median/percent helpers. The
 * runs themselves print numbers (`npm run bench`); no test times anything.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { median, parseBenchArgs, parseSize, percent } from "../scripts/bench";

const REPO = path.resolve(__dirname, "..");

describe("bench (scripts/bench.ts)", () => {
  it("parses sizes with k and m suffixes and refuses the rest", () => {
    const cases: [string, number | undefined][] = [
      ["100k", 100_000],
      ["4m", 4_000_000],
      ["440000", 440_000],
      ["1_000_000", 1_000_000],
      ["1.5k", 1_500],
      ["19", undefined],
      ["k", undefined],
      ["-5", undefined],
      ["4g", undefined],
    ];
    for (const [raw, want] of cases) expect(parseSize(raw), raw).to.equal(want);
  });

  it("takes --repeat with --baseline, and --rerun on its own", () => {
    const ok = parseBenchArgs(["--baseline", REPO, "--repeat", "5", "--rerun"], false);
    expect(ok.ok && ok.options).to.include({ repeat: 5, rerun: true, baseline: REPO });
    const plain = parseBenchArgs([], false);
    expect(plain.ok && plain.options).to.include({ repeat: 4, rerun: false });
    expect(plain.ok && plain.options.engines).to.deep.equal(["duckdb"]);
  });

  it("takes a commit of this repository as the baseline", () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();
    const parsed = parseBenchArgs(["--baseline", "HEAD", "--repeat", "2"], false);
    expect(parsed.ok && parsed.options).to.include({ baselineCommit: head, repeat: 2 });
    expect(parsed.ok && parsed.options.baseline).to.equal(undefined);
  });

  it("names the flag, the bad value and the fix", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    const cases: [string[], RegExp][] = [
      [
        ["--baseline", REPO, "--repeat", "0"],
        /^--repeat must be a whole number from 1 to 20; got "0"/,
      ],
      [["--baseline", REPO, "--repeat", "x"], /got "x"\. Example: --repeat 5$/],
      [
        ["--repeat", "3"],
        /^--repeat applies to the baseline comparison: add --baseline DIR\|COMMIT/,
      ],
      [
        ["--baseline", "no-such-revision-xyz"],
        /is neither a folder nor a commit of this repository\. Example: --baseline bdec651/,
      ],
      [["--baseline", empty], /has no scripts\/bench\.ts\. Point it at a checkout/],
      [["--sizes", "10"], /^--sizes: "10" is not a track count of at least 20/],
      [["--engines", "spark"], /^--engines spark needs .*npm run setup:python/],
      [["--seed", "4.5"], /^--seed must be a whole number; got "4.5"/],
    ];
    for (const [argv, message] of cases) {
      const parsed = parseBenchArgs(argv, false);
      expect(parsed.ok, argv.join(" ")).to.equal(false);
      if (!parsed.ok) expect(parsed.problems.join("\n"), argv.join(" ")).to.match(message);
    }
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it("computes medians and signed percentages", () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([7])).to.equal(7);
    expect(percent(2000, 2074)).to.equal("+3.7%");
    expect(percent(20300, 20150)).to.equal("-0.7%");
    expect(percent(10, 10)).to.equal("+0.0%");
  });
});
