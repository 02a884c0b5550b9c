"""AWS Glue 5.0 (Spark 3.5, Python 3.11) entrypoint of the spotify-pipeline transform.

The Spark twin of local/etl.ts (DuckDB): it validates the three input CSVs against
glue/contract.json, registers the raw views ``raw_albums``, ``raw_artists`` and ``raw_tracks``
(every kept column as text under its canonical name, plus ``_source_file``), runs the SQL steps
``NN_<table>.sql`` in file-name order, writes silver, quarantine and gold Snappy Parquet
(overwrite), and writes the run summary JSON (docs/contracts.md).

Three ways to run it:

* On Glue: ``main()`` resolves ``--JOB_NAME --run_id --input_path --processed_path
  --warehouse_path``, builds the GlueContext and the Job, calls :func:`run`, commits the job.
  ``--extra-files`` puts ``contract.json`` and the SQL files flat in the working directory.
* Locally, without awsglue: ``python glue/job.py --local --input DIR --out OUT --run-id ID``
  writes ``OUT/processed/...`` and ``OUT/datawarehouse/tracks/`` (the layout of local/etl.ts),
  prints the summary JSON on stdout, and exits 1 with the message on stderr on an input error.
* From Python (tests): ``run(spark, input_path, processed_path, warehouse_path, run_id)``.

Only ``main()`` touches awsglue; everything else is plain PySpark.

Materialized steps (the raw views and ``sql.materialize``) are local checkpoints, not caches:
with caches, each step's plan embeds every earlier one, and Spark spent over 80% of a small run
analyzing those plans and printing them into its events (about 50 s against 10 s per warm run of
the fixtures). The trade-off: checkpoint blocks live on the executors, so losing an executor
mid-run (a FLEX capacity reclaim) fails the run instead of recomputing; a rerun is safe (every
output is overwritten).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# On Glue, --extra-files puts job_io.py in the working directory; from the repository it sits
# beside this script.
for _folder in (str(Path(__file__).resolve().parent), os.getcwd()):
    if _folder not in sys.path:
        sys.path.append(_folder)

from job_io import (  # noqa: E402
    HEADER_SCAN_BYTES,
    HERE,
    SQL_FILE,
    InputError,
    SqlStep,
    _raise_problems,
    _Storage,
    contract_entities,
    contract_reasons,
    find_glue_files,
    inspect_inputs,
    is_uri,
    join,
    load_contract,
    load_sql_steps,
    match_header,
    normalize_header,
    parse_csv_record,
)

from job_audit import (  # noqa: E402
    check_snapshot_date,
    duration_datum,
    gate_failure_message,
    gate_limit_rows,
    merge_gates,
    publish,
    read_gates,
    read_metric_data,
    register_gate_limits,
    reuse_identical_gold,
    snapshot_partition,
)

LOG = logging.getLogger("spotify-pipeline.job")

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# The output table written as the gold table: its rows, read back, are ``output.tracks``.
GOLD_TABLE = "gold_tracks"

# --------------------------------------------------------------------------------------------
# The transform
# --------------------------------------------------------------------------------------------


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "desc", None) or err)
    return text.strip().split("\n")[0]


def materialize(frame: Any) -> Any:
    """Computes a DataFrame once and returns it as a leaf without lineage (a local checkpoint,
    kept by the executors in memory, then on disk).

    A cached DataFrame would keep its whole plan: every later step would re-analyze it and Spark
    would print it into each event it posts (with adaptive execution, once per query stage), so
    a chain of cached steps costs more in plan handling than in data on small batches. A
    checkpointed step reads as a scan of ready rows. Its blocks are released by
    :func:`release_blocks` at the end of the run.
    """
    return frame.localCheckpoint(eager=True)


def _persisted_rdds(spark: Any) -> set[int]:
    return {int(k) for k in spark.sparkContext._jsc.getPersistentRDDs().keySet()}


def release_blocks(spark: Any, keep: set[int]) -> None:
    """Unpersists every RDD persisted since ``keep`` was taken (the run's checkpoints)."""
    rdds = spark.sparkContext._jsc.getPersistentRDDs()
    for rdd_id in _persisted_rdds(spark) - keep:
        rdds.get(rdd_id).unpersist(False)


def register_raw_views(
    spark: Any, contract: dict[str, Any], input_dir: str, headers: dict[str, list[str]]
) -> None:
    """Registers ``raw_<entity>``: kept columns as STRING under canonical names, plus the source.

    Every header cell becomes a positional STRING column (the header row is skipped, its names
    are matched by :func:`match_header`); an absent optional column is NULL. Each file is parsed
    once (:func:`materialize`): its checked step reads it (the run counts read that).

    Raises:
        InputError: when a file cannot be parsed or has a header but no data rows.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    problems: list[tuple[str, str]] = []
    for entity in contract_entities(contract):
        input_ = contract["inputs"][entity]
        location = join(input_dir, input_["file"])
        header = headers[entity]
        positions = match_header(input_, header)["positions"]
        schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(header))])
        frame = (
            spark.read.schema(schema)
            .option("header", True)
            .option("multiLine", True)
            .option("quote", '"')
            .option("escape", '"')
            .option("sep", ",")
            .option("encoding", "UTF-8")
            .option("mode", "PERMISSIVE")
            .csv(location)
        )
        columns = [
            F.col(f"c{positions[c['name']]}").alias(c["name"])
            if c["name"] in positions
            else F.lit(None).cast("string").alias(c["name"])
            for c in input_["columns"]
        ]
        columns.append(F.lit(location).alias(contract["source_file_column"]))
        try:
            raw = materialize(frame.select(*columns))
            rows = raw.count()
        except Exception as err:  # noqa: BLE001 - an input problem, as local/etl.ts reports it
            problems.append(
                (
                    input_["file"],
                    f"Input file {input_['file']} could not be parsed as CSV: {_first_line(err)} "
                    "Check that it is UTF-8, comma-separated, and doubles the quotes inside quoted "
                    "fields.",
                )
            )
            continue
        if rows == 0:
            problems.append(
                (
                    input_["file"],
                    f"Input file {input_['file']} has a header but no data rows: re-export it with "
                    "its rows (an empty file cannot be joined).",
                )
            )
        raw.createOrReplaceTempView(input_["raw_view"])
    _raise_problems(problems, input_dir)


def run_steps(spark: Any, contract: dict[str, Any], steps: list[SqlStep]) -> None:
    """Runs the SQL steps in order: each becomes a temp view, and the ``sql.materialize`` ones
    are computed once (:func:`materialize`), so a failing step fails here, named.

    Raises:
        RuntimeError: naming the SQL file when Spark rejects or fails a step.
    """
    tables = set(contract["sql"]["materialize"])
    for step in steps:
        try:
            frame = spark.sql(step.sql)
            if step.table in tables:
                frame = materialize(frame)
            frame.createOrReplaceTempView(step.table)
        except Exception as err:
            hint = ""
            if "OutOfMemoryError" in str(err):
                hint = (
                    " The JVM ran out of memory: locally, raise SPARK_DRIVER_MEMORY (e.g. "
                    "SPARK_DRIVER_MEMORY=6g); on Glue, use a larger worker type or more workers."
                )
            raise RuntimeError(
                f"SQL step glue/sql/{step.file} failed on Spark: {_first_line(err)}{hint}"
            ) from err


def write_parquet(spark: Any, table: str, location: str) -> None:
    """Replaces ``location`` with ``table`` as Snappy Parquet (mode overwrite). Quarantine tables
    (small, read by people) go to one file sorted on every column, NULLs last like DuckDB's
    ``ORDER BY ALL``; silver and gold keep Spark's order and files (a rerun's gold gets the
    published bytes back through ``reuse_identical_gold``)."""
    frame = spark.table(table)
    if table.startswith("quarantine_"):
        # One partition sorted in place: no range-partitioning pass for a small table.
        order = [frame[c].asc_nulls_last() for c in frame.columns]
        frame = frame.coalesce(1).sortWithinPartitions(*order)
    frame.write.mode("overwrite").option("compression", "snappy").parquet(location)


def build_summary(
    rows: list[tuple[str, str, str | None, int]],
    output: int,
    run_id: str,
    engine: str,
    contract: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Builds the run summary from ``run_counts`` rows and the rows written to gold (``output``),
    and checks the accounting identity. Same rules as local/etl.ts: files and reasons in the order
    of ``contract`` (default glue/contract.json), reasons with no rows left out,
    ``input = accepted + rejected`` per file and ``output.tracks = accepted.albums``.

    Raises:
        RuntimeError: on an unknown reason or broken accounting (a bug in glue/sql).
    """
    contract = contract or load_contract(find_glue_files()[0])
    reasons, entities = contract_reasons(contract), contract_entities(contract)
    counts: dict[str, dict[str, int]] = {"input": {}, "accepted": {}}
    found: dict[str, dict[str, int]] = {e: {} for e in entities}
    for section, entity, reason, count in rows:
        n = int(count)
        if section in ("input", "accepted"):
            counts[section][entity] = n
        elif section == "rejected":
            if reason not in reasons:
                raise RuntimeError(
                    f"run_counts reports unknown reason {reason} for {entity}: use one of "
                    f"{', '.join(reasons)} (glue/contract.json reasons)."
                )
            found[entity][reason] = n
    input_counts = {e: counts["input"].get(e, 0) for e in entities}
    accepted = {e: counts["accepted"].get(e, 0) for e in entities}
    rejected: dict[str, dict[str, int]] = {}
    for entity in entities:
        rejected[entity] = {r: found[entity][r] for r in reasons if r in found[entity]}
        quarantined = sum(found[entity].values())
        if input_counts[entity] != accepted[entity] + quarantined:
            raise RuntimeError(
                f"Row accounting broken for {entity}: {input_counts[entity]} in, "
                f"{accepted[entity]} accepted, {quarantined} quarantined. The SQL in glue/sql "
                "loses or duplicates rows."
            )
    if output != accepted["albums"]:
        raise RuntimeError(
            f"Gold has {output} rows but {accepted['albums']} albums rows were accepted: "
            "glue/sql drops or duplicates rows between accepted_albums and gold_tracks."
        )
    return {
        "run_id": run_id,
        "engine": engine,
        "input": input_counts,
        "accepted": accepted,
        "rejected": rejected,
        "output": {"tracks": output},
    }


def _location(path: str) -> str:
    """A local path made absolute (as local/etl.ts resolves inputDir); a URI without final "/"."""
    return path.rstrip("/") if is_uri(path) else os.path.abspath(path)


def check_run_id(run_id: str) -> None:
    """Raises ValueError unless ``run_id`` is a safe folder name (it names ``runs/<run_id>/``)."""
    if not RUN_ID.match(run_id):
        raise ValueError(
            f"run_id {json.dumps(run_id)} is not a safe folder name: use 1-128 letters, "
            'digits, ".", "_" or "-", starting with a letter or digit.'
        )


def preflight(
    spark: Any, input_path: str, run_id: str, glue_dir: Path | None = None
) -> tuple[dict[str, Any], list[SqlStep], str, dict[str, list[str]]]:
    """Checks the run id, loads the contract and the SQL steps, and checks the input files.

    Needs no Spark session (``spark=None``) when ``input_path`` is a local folder.

    Returns:
        (contract, SQL steps, input location, header cells per entity).

    Raises:
        ValueError: ``run_id`` is not a safe folder name.
        InputError: a file is missing, empty, not a CSV, or lacks a required column (all at once).
    """
    check_run_id(run_id)
    contract_file, sql_dir = find_glue_files(glue_dir)
    contract = load_contract(contract_file)
    steps = load_sql_steps(sql_dir)
    input_dir = _location(input_path)
    headers = inspect_inputs(_Storage(spark), contract, input_dir)
    return contract, steps, input_dir, headers


def run(
    spark: Any,
    input_path: str,
    processed_path: str,
    warehouse_path: str,
    run_id: str,
    *,
    engine: str = "spark",
    glue_dir: Path | None = None,
    snapshot_date: str | None = None,
    pipeline_name: str = "spotify-pipeline-local",
    quality_gates: dict[str, Any] | None = None,
    publish_gold: bool = True,
) -> dict[str, Any]:
    """Runs the transform on Spark over one batch and writes every output (overwriting).

    Writes ``<processed_path>/silver/<entity>/``, ``<processed_path>/quarantine/<entity>/``,
    ``<warehouse_path>/tracks/`` (Snappy Parquet) and
    ``<processed_path>/runs/<run_id>/summary.json``, as glue/contract.json ``outputs`` and
    ``summary`` say. Locations are local paths or URIs (``s3://bucket``, ``file:///...``).

    Args:
        spark: The session (Glue's, or a local one).
        input_path: The batch folder or prefix holding albums.csv, artists.csv and tracks.csv.
        processed_path: Root of the processed area (the processed bucket, ``s3://<bucket>``).
        warehouse_path: Root of the warehouse area (the datawarehouse bucket).
        run_id: Id of the run (1-128 letters, digits, ``.``, ``_``, ``-``).
        engine: Engine recorded in the summary.
        glue_dir: Where to look first for contract.json and the SQL (default: the script's
            folder; then the working directory).
        snapshot_date: The batch's snapshot date, ``YYYY-MM-DD`` (default: today, UTC).
        pipeline_name: The Pipeline dimension of the metrics.
        quality_gates: Overrides of the contract's quality gates (``--quality_gates``).
        publish_gold: Publish the staged gold when every gate passes (Glue: False; the state
            machine's PublishGold step runs the job again with ``--mode publish``).

    Returns:
        The run summary (docs/contracts.md), also written as JSON.

    Raises:
        InputError: a file is missing, empty, not a CSV, or lacks a required column (all at once).
        ValueError: ``run_id`` is not a safe folder name.
        RuntimeError: a SQL step failed, or the row accounting is broken.
    """
    started = time.monotonic()
    contract, steps, input_dir, headers = preflight(spark, input_path, run_id, glue_dir)
    snapshot_date = snapshot_date or datetime.now(timezone.utc).strftime("%Y-%m-%d")
    check_snapshot_date(snapshot_date, "snapshot_date")
    gates = merge_gates(contract, quality_gates)
    roots = {
        "processed_path": _location(processed_path),
        "warehouse_path": _location(warehouse_path),
    }
    keep = _persisted_rdds(spark)
    gold_output = next(o for o in contract["outputs"] if o["table"] == GOLD_TABLE)
    current = join(roots["warehouse_path"], gold_output["path"])
    staged = join(
        roots["processed_path"],
        contract["publish"]["staging"]["path"].replace("{run_id}", run_id),
        gold_output["path"],
    )
    try:
        previous = spark.read.parquet(current).count() if _Storage(spark).exists(current) else None
        register_gate_limits(spark, gate_limit_rows(gates, previous))
        register_raw_views(spark, contract, input_dir, headers)
        run_steps(spark, contract, steps)
        if GOLD_TABLE not in [o["table"] for o in contract["outputs"]]:
            raise RuntimeError(f"glue/contract.json outputs do not list {GOLD_TABLE}: add it.")
        gate_results = read_gates(spark)
        metric_data = read_metric_data(spark, pipeline_name)
        gold_rows = 0
        for output in contract["outputs"]:
            # Gold goes to the run's staging location; the publish step moves it.
            location = (
                staged
                if output["table"] == GOLD_TABLE
                else join(roots[output["root"]], output["path"])
            )
            LOG.info("writing %s to %s", output["table"], location)
            write_parquet(spark, output["table"], location)
            if output["table"] == GOLD_TABLE:
                # The rows written, read back from the Parquet footers.
                gold_rows = spark.read.parquet(location).count()
        # A rerun stages the bytes already published for the same rows (safe reruns).
        snapshot = join(roots["warehouse_path"], snapshot_partition(contract, snapshot_date))
        reuse_identical_gold(spark, staged, [snapshot, current])
        table = contract["summary"]["table"]
        counts = spark.sql(f"SELECT section, entity, reason, row_count FROM {table}").collect()
        summary = build_summary(
            [tuple(r) for r in counts], gold_rows, run_id, engine, contract
        )
        failed = sum(1 for g in gate_results if not g["passed"])
        elapsed_ms = (time.monotonic() - started) * 1000
        summary.update(
            snapshot_date=snapshot_date,
            previous_gold_rows=previous,
            gates=gate_results,
            gates_failed=failed,
            gates_message=gate_failure_message(gate_results),
            metric_data=[*metric_data, duration_datum(pipeline_name, elapsed_ms)],
        )
        summary_path = contract["summary"]["path"].replace("{run_id}", run_id)
        storage = _Storage(spark)
        storage.write_text(
            join(roots[contract["summary"]["root"]], summary_path),
            json.dumps(summary, indent=2) + "\n",
        )
        LOG.info("run %s: %s", run_id, json.dumps(summary))
        if publish_gold and failed == 0:
            publish(
                spark,
                contract,
                roots["processed_path"],
                roots["warehouse_path"],
                run_id,
                snapshot_date,
            )
        return summary
    finally:
        # The views read released blocks from here on: drop them with the blocks.
        views = [contract["inputs"][e]["raw_view"] for e in contract_entities(contract)]
        views += [s.table for s in steps]
        views.append("gate_limits")
        for view in views:
            spark.catalog.dropTempView(view)
        release_blocks(spark, keep)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def main() -> None:
    """The Glue entrypoint: resolves the job arguments, runs the transform, commits the job.

    A failure (an :class:`InputError` naming the file and column, a SQL step) propagates, so
    Glue marks the run FAILED with that message and the job is not committed.
    """
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(
        sys.argv,
        [
            "JOB_NAME",
            "run_id",
            "input_path",
            "processed_path",
            "warehouse_path",
            "mode",
            "snapshot_date",
            "pipeline_name",
            "quality_gates",
        ],
    )
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    spark = glue_context.spark_session
    if args["mode"] == "publish":
        contract_file, _ = find_glue_files()
        publish(
            spark,
            load_contract(contract_file),
            _location(args["processed_path"]),
            _location(args["warehouse_path"]),
            args["run_id"],
            args["snapshot_date"],
        )
    elif args["mode"] == "write":
        run(
            spark,
            input_path=args["input_path"],
            processed_path=args["processed_path"],
            warehouse_path=args["warehouse_path"],
            run_id=args["run_id"],
            snapshot_date=args["snapshot_date"],
            pipeline_name=args["pipeline_name"],
            quality_gates=json.loads(args["quality_gates"] or "{}"),
            publish_gold=False,
        )
    else:
        raise ValueError(f"--mode must be write or publish; found {json.dumps(args['mode'])}.")
    job.commit()


#: The local driver's memory unless SPARK_DRIVER_MEMORY says otherwise (a 4M-track batch needs
#: about 3g).
LOCAL_DRIVER_MEMORY = "3g"

#: Settings of the local session: no UI, UTC, and no _SUCCESS or .crc files beside the Parquet
#: (the layout local/etl.ts writes).
LOCAL_SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.hadoop.fs.file.impl.disable.cache": "true",
}


def local_session(master: str = "local[*]", shuffle_partitions: int = 4) -> Any:
    """A local SparkSession for the ``--local`` mode (and the tests): see ``LOCAL_SPARK_CONF``."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("spotify-pipeline-local")
    for key, value in LOCAL_SPARK_CONF.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    # Locally the driver is the executor too: Spark's 1g default fails a 4M-track batch.
    driver_memory = os.environ.get("SPARK_DRIVER_MEMORY") or LOCAL_DRIVER_MEMORY
    builder = builder.config("spark.driver.memory", driver_memory)
    return builder.getOrCreate()


def local_main(argv: list[str]) -> int:
    """``--local`` mode: the job on a local Spark, with the local layout of local/etl.ts.

    ``python glue/job.py --local --input DIR --out OUT --run-id ID`` writes ``OUT/processed/``
    (silver, quarantine, ``runs/ID/summary.json``) and ``OUT/datawarehouse/tracks/``, prints the
    summary JSON on stdout and returns 0. On an input problem or a bad run id it prints
    ``InputError: <message>`` (or ``ValueError: ...``) on stderr and returns 1, before starting
    Spark. Spark's own logging goes to stderr.
    """
    parser = argparse.ArgumentParser(
        prog="glue/job.py --local",
        description="Run the Glue job's transform on a local Spark (no awsglue needed).",
    )
    parser.add_argument("--local", action="store_true", required=True)
    parser.add_argument("--input", required=True, help="batch folder: albums, artists, tracks.csv")
    parser.add_argument("--out", required=True, help="root of the local layout (OUT/)")
    parser.add_argument("--run-id", required=True, help="names OUT/processed/runs/<run-id>/")
    parser.add_argument("--snapshot-date", help="YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--pipeline-name", default="spotify-pipeline-local")
    parser.add_argument("--quality-gates", default="{}", help="JSON overrides of the gates")
    parser.add_argument(
        "--no-publish", action="store_true", help="stage gold only (the caller publishes)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if is_uri(args.input) or is_uri(args.out):
        print("ValueError: --input and --out are local folders in --local mode.", file=sys.stderr)
        return 1
    try:
        preflight(None, args.input, args.run_id)
    except (InputError, ValueError) as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    spark = local_session()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        summary = run(
            spark,
            input_path=args.input,
            processed_path=os.path.join(args.out, "processed"),
            warehouse_path=os.path.join(args.out, "datawarehouse"),
            run_id=args.run_id,
            snapshot_date=args.snapshot_date,
            pipeline_name=args.pipeline_name,
            quality_gates=json.loads(args.quality_gates),
            publish_gold=not args.no_publish,
        )
    except InputError as err:
        print(f"InputError: {err}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    if "--local" in sys.argv[1:]:
        sys.exit(local_main(sys.argv[1:]))
    logging.basicConfig(level=logging.INFO)
    main()
