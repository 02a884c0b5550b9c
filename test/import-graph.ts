/**
 * The import graph of the project's TypeScript sources, read from their import specifiers
 * (`from "..."`, `import "..."`, `require("...")`, `import("...")`), type-only imports included:
 * a type from a dev-only package still ties the file to it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A relative specifier resolved to a `.ts` file, or undefined (JSON, SQL, folders...). */
function resolveLocal(file: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(file), spec.replace(/\.js$/, ""));
  return [`${base}.ts`, path.join(base, "index.ts"), base].find(
    (f) => f.endsWith(".ts") && fs.existsSync(f) && fs.statSync(f).isFile(),
  );
}

const IMPORT = /(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)["']([^"']+)["']/g;

/** The package name of a bare specifier (`@scope/name/sub` -> `@scope/name`), `node:` kept. */
export function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The direct imports of one file: project files (absolute paths) and package names. */
export function importsOf(file: string): { files: string[]; packages: string[] } {
  const files: string[] = [];
  const packages: string[] = [];
  for (const m of fs.readFileSync(file, "utf8").matchAll(IMPORT)) {
    const spec = m[1]!;
    if (spec.startsWith(".")) {
      const found = resolveLocal(file, spec);
      if (found) files.push(found);
    } else {
      packages.push(packageOf(spec));
    }
  }
  return { files, packages };
}

/** The project files and packages a TypeScript entry imports, transitively. */
export function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const direct = importsOf(file);
    direct.packages.forEach((p) => packages.add(p));
    direct.files.forEach(visit);
  };
  visit(entry);
  return { files, packages };
}

/** Every `.ts` file under a folder of the repository (node_modules excluded). */
export function sourcesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const full = path.join(entry.parentPath, entry.name);
    if (full.split(path.sep).includes("node_modules")) return [];
    return entry.isFile() && entry.name.endsWith(".ts") ? [full] : [];
  });
}
