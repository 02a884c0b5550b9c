"""Files and input checks of the Glue job (glue/job.py): the dataset contract, the SQL steps,
the few storage operations (local paths and Hadoop URIs) and the checks of a batch's three CSVs
(same rules and messages as local/inputs.ts).

Shipped beside job.py (Glue: ``--extra-files``); job.py puts its own folder and the working
directory on ``sys.path`` before importing it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bytes read to find and check a file's header.
HEADER_SCAN_BYTES = 1 << 20
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


def contract_entities(contract: dict[str, Any]) -> tuple[str, ...]:
    """The input files of a batch, in contract order (glue/contract.json ``inputs``; lib/contract.ts
    ENTITIES is checked against the same keys)."""
    return tuple(contract["inputs"])


def contract_reasons(contract: dict[str, Any]) -> tuple[str, ...]:
    """The quarantine reasons, in the order the checks apply (glue/contract.json ``reasons``)."""
    return tuple(r["name"] for r in contract["reasons"])


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

    def exists(self, location: str) -> bool:
        """True when a file or folder (an S3 prefix) is there."""
        if not is_uri(location):
            return os.path.exists(location)
        fs, path = self._hadoop(location)
        return bool(fs.exists(path))

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
            [contract["inputs"][e]["file"] for e in contract_entities(contract)],
        )
    problems: list[tuple[str, str]] = []
    headers: dict[str, list[str]] = {}
    for entity in contract_entities(contract):
        input_ = contract["inputs"][entity]
        result = inspect_file(storage, input_, join(input_dir, input_["file"]), input_dir)
        if isinstance(result, str):
            problems.append((input_["file"], result))
        else:
            headers[entity] = result
    _raise_problems(problems, input_dir)
    return headers
