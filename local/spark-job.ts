/**
 * The Glue job step on local PySpark: runs the real entrypoint `glue/job.py --local`.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { RunSummary } from "./etl";
import { REPO_ROOT } from "./layout";

// ---------------------------------------------------------------------------------------------
// The Glue job step
// ---------------------------------------------------------------------------------------------

/** An error as Step Functions reports a failed Task: `name` is the error Retry/Catch match. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The Python of the venv `npm run setup:python` creates. */
export function venvPython(): string {
  return path.join(REPO_ROOT, ".venv", "bin", "python");
}

/** Last non-empty lines of a text, for an error cause. */
function tail(text: string, lines: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-lines)
    .join("\n");
}

/**
 * Runs the real Glue entrypoint on local PySpark: `glue/job.py --local --input DIR --out OUT
 * --run-id ID`. It prints the run summary JSON on stdout and exits 1 with the message on stderr
 * when the input is bad.
 */
export async function runSparkJob(job: {
  inputDir: string;
  outDir: string;
  runId: string;
  snapshotDate: string;
  pipelineName: string;
  gates: object;
  publish: boolean;
}): Promise<RunSummary> {
  const python = venvPython();
  const script = path.join(REPO_ROOT, "glue", "job.py");
  const args = [
    script,
    "--local",
    "--input",
    job.inputDir,
    "--out",
    job.outDir,
    "--run-id",
    job.runId,
    "--snapshot-date",
    job.snapshotDate,
    "--pipeline-name",
    job.pipelineName,
    "--quality-gates",
    JSON.stringify(job.gates),
    ...(job.publish ? [] : ["--no-publish"]),
  ];
  const child = spawn(python, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-65_536);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0) {
    const message = sparkErrorMessage(stderr, code);
    throw new Error(
      /No module named '?(pyspark|py4j)/.test(message)
        ? `${message}. The .venv lacks PySpark: run \`npm run setup:python\`.`
        : message,
    );
  }
  const summary = lastJsonObject(stdout);
  if (!summary) {
    throw new Error(
      `glue/job.py --local exited 0 but printed no run summary JSON on stdout; it printed: ` +
        `${tail(stdout, 3) || "(nothing)"}`,
    );
  }
  const missing = ["input", "accepted", "rejected", "output"].filter(
    (k) => typeof summary[k] !== "object" || summary[k] === null,
  );
  if (missing.length > 0) {
    throw new Error(
      `glue/job.py --local printed a run summary without ${missing.join(", ")} ` +
        `(docs/contracts.md, "Run summary"): ${JSON.stringify(summary).slice(0, 300)}`,
    );
  }
  return summary as unknown as RunSummary;
}

/**
 * The message of a failed `glue/job.py --local`: from its last `<Name>Error: ...` line to the end
 * of stderr (the message may span lines), without an `InputError: ` prefix (the DuckDB engine's
 * messages have none); else the last lines of stderr.
 */
export function sparkErrorMessage(stderr: string, code: number | null): string {
  const lines = stderr.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^[A-Z][A-Za-z]*(Error|Exception): /.test(lines[i] as string)) {
      return lines
        .slice(i)
        .join("\n")
        .trim()
        .replace(/^InputError: /, "");
    }
  }
  return (
    tail(stderr, 5) || `glue/job.py --local exited with code ${code} and printed nothing on stderr.`
  );
}

/** The last JSON object printed (possibly over several lines) at the end of `text`. */
export function lastJsonObject(text: string): Record<string, unknown> | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!(lines[i] as string).startsWith("{")) continue;
    try {
      const value: unknown = JSON.parse(lines.slice(i).join("\n"));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
    } catch {
      // Not the start of the summary: keep looking upwards.
    }
  }
  return undefined;
}
