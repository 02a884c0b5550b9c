import * as fs from "node:fs";

import { expect } from "chai";
import { parse } from "yaml";

import { repo } from "./harness";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  permissions?: Record<string, string>;
  strategy?: { matrix?: { stack?: string[]; include?: { stack: string; environment: string }[] } };
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  if?: string;
  needs?: string | string[];
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (name: string) =>
  parse(fs.readFileSync(repo(".github/workflows", name), "utf8")) as Workflow;
const WORKFLOWS = fs.readdirSync(repo(".github/workflows")).filter((f) => f.endsWith(".yml"));

describe("GitHub workflows", () => {
  it("are the pull-request, deploy and drift workflows", () => {
    expect(WORKFLOWS.sort()).to.deep.equal(["deploy.yml", "drift.yml", "pull-request.yml"]);
  });

  for (const file of WORKFLOWS) {
    it(`${file}: pins every action to a full commit SHA with its release tag, and declares permissions per job`, () => {
      const wf = load(file);
      expect(wf.permissions).to.deep.equal({ contents: "read" });
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect(job.permissions, `${file} job ${name}`).to.be.an("object");
        for (const step of job.steps) {
          if (step.uses)
            expect(step.uses, `${file} job ${name}`).to.match(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        }
      }
      // The YAML parser drops comments: read the tag comment from the text.
      const uses = fs
        .readFileSync(repo(".github/workflows", file), "utf8")
        .split("\n")
        .filter((l) => /^\s+(- )?uses: /.test(l));
      for (const line of uses) expect(line, file).to.match(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    });
  }

  it("pull request: previews both stacks with the policy pack, the diff in the job summary and the steps as JSON for the PR comment", () => {
    const preview = load("pull-request.yml").jobs.preview!;
    expect(preview.strategy?.matrix?.stack).to.deep.equal(["dev", "prod"]);
    expect(preview.concurrency).to.deep.equal({
      group: "pulumi-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
    expect(preview.permissions).to.deep.equal({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).to.deep.include({
      command: "preview",
      "comment-on-pr": false,
      "comment-on-summary": true,
      diff: true,
      policyPacks: "policy",
      policyPackConfigs: "policy/${{ matrix.stack }}.json",
    });
    const aws = preview.steps.find((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(aws?.with?.["role-to-assume"]).to.equal("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    expect(preview.if).to.equal(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    const json = preview.steps.find((s) => s.run?.startsWith("pulumi preview --json"));
    expect(json?.run).to.contain("> preview-${{ matrix.stack }}.json");
    const artifact = preview.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with).to.deep.include({ name: "preview-${{ matrix.stack }}" });
  });

  it("pull request: lints, typechecks, tests and runs the offline policy check for dev and prod", () => {
    const runs = load("pull-request.yml")
      .jobs.checks!.steps.map((s) => s.run)
      .filter(Boolean);
    expect(runs).to.deep.equal([
      "npm run setup",
      "npm run lint",
      "npm run typecheck",
      "npm test",
      "npm run policy:check -- --stack dev",
      "npm run policy:check -- --stack prod",
    ]);
  });

  it("pull request: the offline PR comment runs without credentials, keeps the full report as an artifact and updates one comment in place", () => {
    const job = load("pull-request.yml").jobs["pr-comment"]!;
    expect([job.needs, job.if]).to.deep.equal(["preview", "always()"]);
    expect(job.permissions).to.deep.equal({
      contents: "read",
      "pull-requests": "write",
    });
    expect(job.steps.some((s) => s.uses?.startsWith("aws-actions/"))).to.equal(false);
    const build = job.steps.find((s) => s.run?.includes("pr:comment"));
    expect(build?.run).to.contain('--base "${{ github.event.pull_request.base.sha }}"');
    expect(build?.run).to.contain("--full pr-comment-full.md");
    expect(build?.run).to.contain("--preview-dir previews");
    const previews = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(previews?.with).to.deep.include({ pattern: "preview-*", path: "previews" });
    const artifact = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with).to.deep.include({ name: "pr-report", path: "pr-comment-full.md" });
    const post = job.steps.find((s) => s.uses?.startsWith("actions/github-script@"));
    expect(String(post?.with?.script)).to.contain("<!-- spotify-pipeline:pr-report -->");
    expect(String(post?.with?.script)).to.contain("updateComment");
  });

  it("pull request: uploads the policy results of each stack as SARIF to code scanning", () => {
    const job = load("pull-request.yml").jobs["code-scanning"]!;
    expect(job.strategy?.matrix?.stack).to.deep.equal(["dev", "prod"]);
    expect(job.permissions).to.deep.equal({ contents: "read", "security-events": "write" });
    const check = job.steps.find((s) => s.run?.includes("policy:check"));
    expect(check?.run).to.contain("--format sarif --output policy-${{ matrix.stack }}.sarif");
    const upload = job.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with).to.deep.equal({
      sarif_file: "policy-${{ matrix.stack }}.sarif",
      category: "policy-${{ matrix.stack }}",
    });
  });

  it("deploy: attaches the compliance report of each stack as an artifact", () => {
    const steps = load("deploy.yml").jobs.up!.steps;
    expect(steps.find((s) => s.run?.includes("policy:report"))?.run).to.equal(
      "npm run policy:report -- --stack ${{ matrix.stack }} --out-dir compliance",
    );
    const artifact = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with).to.deep.include({
      name: "compliance-${{ matrix.stack }}",
      path: "compliance/",
    });
  });

  it("deploy: dev then prod (one at a time), prod behind the protected production environment", () => {
    const up = load("deploy.yml").jobs.up!;
    expect(up.strategy).to.deep.equal({
      "max-parallel": 1,
      matrix: {
        include: [
          { stack: "dev", environment: "development" },
          { stack: "prod", environment: "production" },
        ],
      },
    });
    expect(up.environment).to.equal("${{ matrix.environment }}");
    const pulumi = up.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).to.deep.include({ command: "up", policyPacks: "policy" });
  });

  it("drift: a refreshed preview that must find no changes, on a schedule", () => {
    const wf = load("drift.yml");
    expect(Object.keys(wf.on).sort()).to.deep.equal(["schedule", "workflow_dispatch"]);
    const pulumi = wf.jobs.drift!.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).to.deep.include({
      command: "preview",
      refresh: true,
      "expect-no-changes": true,
    });
  });
});
