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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG = logging.getLogger("spotify-pipeline.job")

#: Input files of a batch, in contract order (lib/contract.ts ENTITIES checks the same list).
ENTITIES = ("albums", "artists", "tracks")
#: Bytes read to find and check a file's header.
HEADER_SCAN_BYTES = 1 << 20
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# The output table written as the gold table: its rows, read back, are ``output.tracks``.
GOLD_TABLE = "gold_tracks"
SQL_FILE = re.compile(r"^\d{2}_([a-z][a-z0-9_]*)\.sql$")
HERE = Path(__file__).resolve().parent


class InputError(Exception):
    """A fatal problem with the input files (missing, empty, not a CSV, missing a required column).

    The message names the file (and column) and says how to fix it; ``files`` lists the input
    files (e.g. ``albums.csv``) the problems are about, in contract order.
    """

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__(message)
        self.files = files


@dataclass(frozen=True)
class SqlStep:
    """One step of the transform: ``NN_<table>.sql`` holding one SELECT."""

    file: str
    table: str
    sql: str


# --------------------------------------------------------------------------------------------
# Contract and SQL files
# --------------------------------------------------------------------------------------------


def _has_sql_files(folder: Path) -> bool:
    return folder.is_dir() and any(SQL_FILE.match(p.name) for p in folder.iterdir())


def find_glue_files(base: Path | None = None) -> tuple[Path, Path]:
    """Locates ``contract.json`` and the folder of the SQL steps.

    From the repository they are ``glue/contract.json`` and ``glue/sql/``; on Glue,
    ``--extra-files`` copies them flat into the driver's working directory, next to (or apart
    from) the script. Candidates, first match wins: ``base`` (default: the script's folder), then
    the working directory; SQL files in ``<dir>/<sql.dir>/`` or else directly in ``<dir>``.

    Returns:
        (contract file, SQL folder).

    Raises:
        FileNotFoundError: naming every place looked at when either is missing.
    """
    folders = [base or HERE, Path.cwd()]
    contract = next((d / "contract.json" for d in folders if (d / "contract.json").is_file()), None)
    if contract is None:
        raise FileNotFoundError(
            "contract.json not found in "
            + " or ".join(str(d) for d in folders)
            + ": ship glue/contract.json beside the script (Glue: --extra-files)."
        )
    sub = load_contract(contract)["sql"]["dir"]
    candidates = [c for d in folders for c in (d / sub, d)]
    sql_dir = next((c for c in candidates if _has_sql_files(c)), None)
    if sql_dir is None:
        raise FileNotFoundError(
            "No SQL step (NN_<table>.sql) found in "
            + ", ".join(str(c) for c in candidates)
            + ": ship glue/sql/*.sql beside the script (Glue: --extra-files)."
        )
    return contract, sql_dir


def load_contract(file: Path) -> dict[str, Any]:
    """Reads the dataset contract (``glue/contract.json``; validated by lib/contract.ts)."""
    with open(file, encoding="utf-8") as fh:
        contract = json.load(fh)
    keys = ("inputs", "sql", "outputs", "summary", "source_file_column")
    missing = [k for k in keys if k not in contract]
    if missing:
        raise ValueError(f"Dataset contract {file} is invalid: missing {', '.join(missing)}.")
    return contract


def load_sql_steps(folder: Path) -> list[SqlStep]:
    """Lists the SQL steps in execution order (file-name order), like lib/contract.ts.

    Raises:
        ValueError: when a ``.sql`` file is not named ``NN_<table>.sql`` or holds a semicolon.
    """
    steps = []
    for path in sorted(p for p in folder.iterdir() if p.name.endswith(".sql")):
        match = SQL_FILE.match(path.name)
        if not match:
            raise ValueError(
                f"SQL step {path} is misnamed: name it NN_<table>.sql "
                "(two digits, then the lowercase snake_case table it creates)."
            )
        sql = path.read_text(encoding="utf-8").strip()
        if ";" in sql:
            raise ValueError(
                f'SQL step {path} contains ";": a step is one SELECT without a '
                "trailing semicolon (the runner wraps it in CREATE ... AS)."
            )
        steps.append(SqlStep(path.name, match.group(1), sql))
    return steps


def normalize_header(cell: str) -> str:
    """Drops a UTF-8 byte order mark and surrounding whitespace, lowercases."""
    return cell.removeprefix("\ufeff").strip().lower()


def match_header(input_: dict[str, Any], header: list[str]) -> dict[str, Any]:
    """Maps header cells to the input's kept columns (lib/contract.ts ``matchHeader``).

    For each column the first of its ``headers`` present wins; extra cells are ignored.

    Returns:
        ``{"positions": {column: index}, "missing": [column], "repeated": [(column, [index])]}``.
    """
    cells = [normalize_header(c) for c in header]
    positions: dict[str, int] = {}
    missing: list[dict[str, Any]] = []
    repeated: list[tuple[dict[str, Any], list[int]]] = []
    for column in input_["columns"]:
        name = next((h.lower() for h in column["headers"] if h.lower() in cells), None)
        if name is None:
            if column["required"]:
                missing.append(column)
            continue
        found = [i for i, cell in enumerate(cells) if cell == name]
        if len(found) > 1:
            repeated.append((column, found))
        positions[column["name"]] = found[0]
    return {"positions": positions, "missing": missing, "repeated": repeated}


# --------------------------------------------------------------------------------------------
# Storage: local paths with Python, URIs (s3://, file://) with Hadoop's FileSystem
# --------------------------------------------------------------------------------------------


def is_uri(location: str) -> bool:
    """True for ``scheme://...`` locations (S3 on Glue), False for local paths."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location) is not None


def join(root: str, *parts: str) -> str:
    """Joins a root (local path or URI) with relative parts using ``/``."""
    if not is_uri(root):
        return os.path.join(root, *parts)
    return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts)])


class _Storage:
    """The few file operations the job needs, for local paths and Hadoop URIs."""

    def __init__(self, spark: Any) -> None:
        self._spark = spark

    def _hadoop(self, uri: str) -> tuple[Any, Any]:
        jvm = self._spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        return path.getFileSystem(self._spark.sparkContext._jsc.hadoopConfiguration()), path

    def size(self, location: str) -> int | None:
        """Size in bytes, or None when there is no such file."""
        if not is_uri(location):
            return os.path.getsize(location) if os.path.isfile(location) else None
        fs, path = self._hadoop(location)
        if not fs.exists(path) or not fs.getFileStatus(path).isFile():
            return None
        return int(fs.getFileStatus(path).getLen())

    def head(self, location: str, n: int) -> bytes:
        """The first ``n`` bytes (fewer when the file is shorter)."""
        if not is_uri(location):
            with open(location, "rb") as fh:
                return fh.read(n)
        fs, path = self._hadoop(location)
        stream = fs.open(path)
        try:
            return bytes(stream.readNBytes(n))  # Java 11+; py4j returns byte[] as bytes
        finally:
            stream.close()

    def write_text(self, location: str, text: str) -> None:
        """Writes (replaces) a small UTF-8 file; locally through a temp file and a rename."""
        data = text.encode("utf-8")
        if not is_uri(location):
            os.makedirs(os.path.dirname(location), exist_ok=True)
            tmp = f"{location}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, location)
            return
        fs, path = self._hadoop(location)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()


# --------------------------------------------------------------------------------------------
# Input checks (same rules and messages as local/etl.ts inspectInputs)
# --------------------------------------------------------------------------------------------


def _required_names(input_: dict[str, Any]) -> str:
    return ", ".join(c["name"] for c in input_["columns"] if c["required"])


def _header_end(data: bytes) -> int | None:
    """Byte offset of the first line break outside quotes, or None."""
    quoted = False
    for i, b in enumerate(data):
        if b == 0x22:
            quoted = not quoted
        elif b == 0x0A and not quoted:
            return i
    return None


def parse_csv_record(line: str) -> list[str]:
    """Splits one CSV record (RFC 4180: ``"`` quotes, ``""`` escapes a quote)."""
    cells: list[str] = []
    cell: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"' and line[i + 1 : i + 2] == '"':
                cell.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cell.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(ch)
        i += 1
    cells.append("".join(cell))
    return cells


def inspect_file(
    storage: _Storage, input_: dict[str, Any], location: str, input_dir: str
) -> list[str] | str:
    """Returns a file's header cells, or the message of its fatal problem."""
    name = input_["file"]
    size = storage.size(location)
    if size is None:
        return (
            f"Input file {name} not found in {input_dir}: a batch needs albums.csv, artists.csv "
            f"and tracks.csv side by side; add {name}."
        )
    if size == 0:
        return (
            f"Input file {name} is empty (0 bytes): re-export it with its header row (required "
            f"columns: {_required_names(input_)}) and its data rows."
        )
    data = storage.head(location, min(size, HEADER_SCAN_BYTES))

    def not_csv(what: str, fix: str) -> str:
        return f"Input file {name} is not a CSV text file: {what}. {fix}"

    if data[:2] == b"\x1f\x8b":
        return not_csv("it is gzip-compressed", "Decompress it and upload the plain .csv.")
    if data[:4] == b"PK\x03\x04":
        return not_csv(
            "it is a ZIP archive (an Excel .xlsx workbook is one)",
            "Export the sheet as CSV UTF-8 (comma-separated).",
        )
    if data[:4] == b"PAR1":
        return not_csv("it is a Parquet file", "Upload the CSV export instead.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return not_csv("it is UTF-16 encoded", "Re-save it as UTF-8.")
    nul = data.find(b"\x00")
    if nul >= 0:
        return not_csv(
            f"it holds binary data (a NUL byte at offset {nul})",
            "Upload the CSV export (UTF-8, comma-separated).",
        )
    end = _header_end(data)
    if end is None:
        return not_csv(
            f"no line break in its first {HEADER_SCAN_BYTES} bytes"
            if size > len(data)
            else "its header row has an unterminated quoted field",
            "Upload a comma-separated file whose first line names the columns.",
        )
    try:
        line = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        return not_csv("its header row is not valid UTF-8", "Re-save it as UTF-8.")
    cells = parse_csv_record(line.removesuffix("\r"))
    if len(cells) == 1:
        separator = next((s for s in (";", "\t", "|") if s in cells[0]), None)
        if separator is not None:
            return not_csv(
                f"its header is one cell separated by {json.dumps(separator)}",
                "Re-export it comma-separated.",
            )
    match = match_header(input_, cells)
    messages = []
    if match["missing"]:
        listed = ", ".join(
            f"{c['name']} (accepted header names: {', '.join(c['headers'])})"
            for c in match["missing"]
        )
        plural = "columns" if len(match["missing"]) > 1 else "column"
        messages.append(
            f"Input file {name} is missing required {plural} {listed}. Header found: "
            f"{', '.join(cells)}. Add the {plural} or rename the matching header cells."
        )
    for column, positions in match["repeated"]:
        messages.append(
            f"Input file {name} names column {column['name']} more than once in its header "
            f"(cells {' and '.join(str(p + 1) for p in positions)}). Remove or rename the extra "
            "cells."
        )
    return " ".join(messages) if messages else cells


def _raise_problems(problems: list[tuple[str, str]], input_dir: str) -> None:
    if not problems:
        return
    files = [f for f, _ in problems]
    if len(problems) == 1:
        raise InputError(problems[0][1], files)
    raise InputError(
        f"{len(problems)} problems with the input files in {input_dir}:\n"
        + "\n".join(f"- {m}" for _, m in problems),
        files,
    )


def inspect_inputs(
    storage: _Storage, contract: dict[str, Any], input_dir: str
) -> dict[str, list[str]]:
    """Checks every input file's presence, encoding and header; returns the header cells.

    Raises:
        InputError: listing every broken file at once.
    """
    if not is_uri(input_dir) and not os.path.isdir(input_dir):
        raise InputError(
            f"Input folder {input_dir} does not exist or is not a folder: point the input path at "
            "the batch folder that holds albums.csv, artists.csv and tracks.csv.",
            [contract["inputs"][e]["file"] for e in ENTITIES],
        )
    problems: list[tuple[str, str]] = []
    headers: dict[str, list[str]] = {}
    for entity in ENTITIES:
        input_ = contract["inputs"][entity]
        result = inspect_file(storage, input_, join(input_dir, input_["file"]), input_dir)
        if isinstance(result, str):
            problems.append((input_["file"], result))
        else:
            headers[entity] = result
    _raise_problems(problems, input_dir)
    return headers


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
    for entity in ENTITIES:
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
    """Replaces ``location`` with ``table`` as Snappy Parquet (mode overwrite).

    Quarantine tables (small, read by people) go to one file sorted on every column, NULLs last
    like DuckDB's ``ORDER BY ALL``; silver and gold keep Spark's partitioning and order.
    """
    frame = spark.table(table)
    if table.startswith("quarantine_"):
        # One partition sorted in place: no range-partitioning pass for a small table.
        order = [frame[c].asc_nulls_last() for c in frame.columns]
        frame = frame.coalesce(1).sortWithinPartitions(*order)
    frame.write.mode("overwrite").option("compression", "snappy").parquet(location)


def contract_reasons(contract: dict[str, Any]) -> tuple[str, ...]:
    """The quarantine reasons, in the order the checks apply (glue/contract.json ``reasons``)."""
    return tuple(r["name"] for r in contract["reasons"])


def build_summary(
    rows: list[tuple[str, str, str | None, int]],
    output: int,
    run_id: str,
    engine: str,
    reasons: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Builds the run summary from ``run_counts`` rows and the rows written to gold (``output``),
    and checks the accounting identity.

    Same rules as local/etl.ts: reasons in contract order, reasons with no rows left out,
    ``input = accepted + rejected`` per file and ``output.tracks = accepted.albums``.

    Raises:
        RuntimeError: on an unknown reason or broken accounting (a bug in glue/sql).
    """
    if reasons is None:
        reasons = contract_reasons(load_contract(find_glue_files()[0]))
    counts: dict[str, dict[str, int]] = {"input": {}, "accepted": {}}
    found: dict[str, dict[str, int]] = {e: {} for e in ENTITIES}
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
    input_counts = {e: counts["input"].get(e, 0) for e in ENTITIES}
    accepted = {e: counts["accepted"].get(e, 0) for e in ENTITIES}
    rejected: dict[str, dict[str, int]] = {}
    for entity in ENTITIES:
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

    Returns:
        The run summary (docs/contracts.md), also written as JSON.

    Raises:
        InputError: a file is missing, empty, not a CSV, or lacks a required column (all at once).
        ValueError: ``run_id`` is not a safe folder name.
        RuntimeError: a SQL step failed, or the row accounting is broken.
    """
    contract, steps, input_dir, headers = preflight(spark, input_path, run_id, glue_dir)
    roots = {
        "processed_path": _location(processed_path),
        "warehouse_path": _location(warehouse_path),
    }
    keep = _persisted_rdds(spark)
    try:
        register_raw_views(spark, contract, input_dir, headers)
        run_steps(spark, contract, steps)
        if GOLD_TABLE not in [o["table"] for o in contract["outputs"]]:
            raise RuntimeError(f"glue/contract.json outputs do not list {GOLD_TABLE}: add it.")
        gold_rows = 0
        for output in contract["outputs"]:
            location = join(roots[output["root"]], output["path"])
            LOG.info("writing %s to %s", output["table"], location)
            write_parquet(spark, output["table"], location)
            if output["table"] == GOLD_TABLE:
                # The rows written, read back from the Parquet footers.
                gold_rows = spark.read.parquet(location).count()
        table = contract["summary"]["table"]
        counts = spark.sql(f"SELECT section, entity, reason, row_count FROM {table}").collect()
        summary = build_summary(
            [tuple(r) for r in counts], gold_rows, run_id, engine, contract_reasons(contract)
        )
        summary_path = contract["summary"]["path"].replace("{run_id}", run_id)
        storage = _Storage(spark)
        storage.write_text(
            join(roots[contract["summary"]["root"]], summary_path),
            json.dumps(summary, indent=2) + "\n",
        )
        LOG.info("run %s: %s", run_id, json.dumps(summary))
        return summary
    finally:
        # The views read released blocks from here on: drop them with the blocks.
        views = [contract["inputs"][e]["raw_view"] for e in ENTITIES] + [s.table for s in steps]
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
        sys.argv, ["JOB_NAME", "run_id", "input_path", "processed_path", "warehouse_path"]
    )
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    run(
        glue_context.spark_session,
        input_path=args["input_path"],
        processed_path=args["processed_path"],
        warehouse_path=args["warehouse_path"],
        run_id=args["run_id"],
    )
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
