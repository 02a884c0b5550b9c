/**
 * The layout's import rules (README "Layout"): what each folder may import. Checked on the import
 * specifiers of every source file, so a rule broken by one new import fails here with its name.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { importClosure, importsOf, sourcesUnder } from "./import-graph";
import { repo } from "./harness";

const rel = (file: string) => path.relative(repo(), file);
const folderOf = (file: string) => rel(file).split(path.sep)[0]!;

/** `<file> imports <target>` for every project import from `from` into one of `forbidden`. */
function crossings(from: string, forbidden: (target: string) => boolean): string[] {
  return sourcesUnder(repo(from)).flatMap((file) =>
    importsOf(file)
      .files.filter(forbidden)
      .map((target) => `${rel(file)} imports ${rel(target)}`),
  );
}

describe("import rules (README Layout)", () => {
  it("policy/ imports nothing of ours outside policy/ (the pack stands alone)", () => {
    expect(crossings("policy", (t) => folderOf(t) !== "policy")).to.deep.equal([]);
  });

  it("lib/ never imports policy/, tools/, local/, test/ or components/", () => {
    const banned = new Set(["policy", "tools", "local", "test", "components"]);
    expect(crossings("lib", (t) => banned.has(folderOf(t)))).to.deep.equal([]);
  });

  it("components/ import only lib/ and each other", () => {
    const allowed = new Set(["lib", "components"]);
    expect(crossings("components", (t) => !allowed.has(folderOf(t)))).to.deep.equal([]);
  });

  it("local/ never imports tools/, policy/, test/ or components/", () => {
    const banned = new Set(["tools", "policy", "test", "components"]);
    expect(crossings("local", (t) => banned.has(folderOf(t)))).to.deep.equal([]);
  });

  it("nothing but test/ imports test/", () => {
    const dirs = ["components", "lib", "local", "policy", "tools", "scripts"];
    expect(dirs.flatMap((d) => crossings(d, (t) => folderOf(t) === "test"))).to.deep.equal([]);
  });

  it("the deployed program's import closure holds only runtime dependencies, not even a type", () => {
    const pkg = JSON.parse(fs.readFileSync(repo("package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const runtime = new Set(Object.keys(pkg.dependencies));
    const builtin = new Set(builtinModules);
    const { files, packages } = importClosure(repo("index.ts"));
    const folders = new Set([...files].map(folderOf));
    expect(
      [...folders].filter((f) => !["index.ts", "components", "lib"].includes(f)),
    ).to.deep.equal([]);
    const devOnly = [...packages].filter(
      (p) => !runtime.has(p) && !p.startsWith("node:") && !builtin.has(p),
    );
    expect(devOnly).to.deep.equal([]);
  });
});
