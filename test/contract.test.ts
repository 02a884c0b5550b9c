/**
 * The dataset contract (glue/contract.json) is the one home of the layout, the gold schema, the
 * quarantine reasons and the run summary: lib/contract.ts checks what its schema cannot say, the
 * facts the program uses derive from it, glue/job.py reads the same reasons, and the generated
 * section of docs/contracts.md is current.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

import {
  CONTRACT,
  ENTITIES,
  GOLD_COLUMNS,
  PROCESSED_PREFIXES,
  REASONS,
  WAREHOUSE_PREFIXES,
  contractProblems,
  type DatasetContract,
  runSummaryKey,
} from "../lib/contract";
import { STAGING_INPUT_PREFIX } from "../lib/etl";
import { INCOMING_PREFIX, MARKER_NAME } from "../lib/iam/events";
import { readContractsDoc, withContractSection } from "../tools/contracts-doc";
import { repo } from "./harness";

const clone = (): DatasetContract => structuredClone(CONTRACT);

describe("dataset contract (glue/contract.json, lib/contract.ts)", () => {
  it("the shipped contract has no cross-field problem", () => {
    expect(contractProblems(CONTRACT)).to.deep.equal([]);
  });

  const cases: [string, (c: DatasetContract) => void, string][] = [
    [
      "reasons out of order",
      (c) => c.reasons.reverse(),
      "reasons (names, in order) must be missing_key, bad_number, bad_date, bad_boolean, orphan_artist, orphan_track, duplicate_row, duplicate_key; found duplicate_key, duplicate_row, orphan_track, orphan_artist, bad_boolean, bad_date, bad_number, missing_key",
    ],
    [
      "a gold column whose types disagree",
      (c) => {
        c.gold.columns[0]!.duckdb_type = "TEXT";
      },
      "gold column track_id types (DuckDB, Glue, Athena) must be VARCHAR, string, varchar; found TEXT, string, varchar",
    ],
    [
      "a run summary outside runs/",
      (c) => {
        c.summary.path = "summaries/{run_id}.json";
      },
      "summary.path must start with runs/; found summaries/{run_id}.json",
    ],
    [
      "a silver output outside silver/ and quarantine/",
      (c) => {
        c.outputs[0]!.path = "clean/artists";
      },
      "output silver_artists path must start with silver/ or quarantine/; found clean/artists",
    ],
    [
      "a gold table that is not the layout's",
      (c) => {
        c.gold.table = "songs";
      },
      "the gold output path and gold.table must be layout.gold_table (tracks); found tracks and songs",
    ],
  ];
  for (const [what, mutate, message] of cases) {
    it(`names ${what}`, () => {
      const c = clone();
      mutate(c);
      expect(contractProblems(c)).to.deep.equal([message]);
    });
  }

  it("derives the layout prefixes the program grants and writes", () => {
    expect([INCOMING_PREFIX, STAGING_INPUT_PREFIX, MARKER_NAME]).to.deep.equal([
      "incoming/",
      "incoming/",
      "_READY",
    ]);
    expect(PROCESSED_PREFIXES).to.deep.equal(["silver", "quarantine", "runs"]);
    expect(WAREHOUSE_PREFIXES).to.deep.equal(["tracks", "tracks_history", "_publish"]);
    expect(runSummaryKey("run-7")).to.equal("runs/run-7/summary.json");
    expect(GOLD_COLUMNS.map((c) => c.name)).to.have.length(20);
    expect(Object.keys(CONTRACT.inputs)).to.deep.equal([...ENTITIES]);
  });

  it("glue/job.py reads the same quarantine reasons and entities", function () {
    this.timeout(20_000);
    const python = repo(".venv", "bin", "python");
    if (!fs.existsSync(python)) this.skip();
    const run = spawnSync(
      python,
      [
        "-c",
        "import json, job; c = job.load_contract(job.find_glue_files()[0]); print(json.dumps([job.contract_reasons(c), job.contract_entities(c)]))",
      ],
      { cwd: repo("glue"), encoding: "utf8" },
    );
    expect(run.stderr).to.equal("");
    expect(JSON.parse(run.stdout)).to.deep.equal([[...REASONS], [...ENTITIES]]);
  });

  it("docs/contracts.md's generated section is current (npm run docs:contracts)", () => {
    const doc = readContractsDoc();
    expect(withContractSection(doc)).to.equal(doc);
  });
});
