"""Write, audit, publish for the Glue job (glue/job.py): the quality gates' limits, the gate and
metric rows read back, and the publish step. The DuckDB twins are lib/quality-gates.ts,
lib/run-metrics.ts, local/audit.ts and local/publish.ts; both evaluate the gates with
glue/sql/17_quality_gates.sql and build the metrics with glue/sql/18_run_metrics.sql.

Shipped beside job.py (Glue: ``--extra-files``).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any

FILE_GATES = ("max_rejected_pct", "max_rejected_pct_per_reason", "min_accepted_rows")
GOLD_GATES = ("min_rows", "max_drop_pct")
SNAPSHOT_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def check_snapshot_date(value: Any, option: str) -> str:
    """``value`` when it is a calendar date ``YYYY-MM-DD`` (2024-02-30 is not); else ValueError
    naming ``option`` and the value (lib/publish.ts ``checkSnapshotDate``, same message)."""
    valid = isinstance(value, str) and SNAPSHOT_DATE.match(value) is not None
    if valid:
        try:
            date.fromisoformat(value)
        except ValueError:
            valid = False
    if not valid:
        raise ValueError(
            f"{option} must be a calendar date YYYY-MM-DD; found {json.dumps(value)}. "
            "Example: 2024-06-01."
        )
    return value


def merge_gates(contract: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """The contract's ``quality_gates`` with ``override`` (the stack's ``qualityGates``) applied.

    Raises:
        ValueError: naming an unknown key or a value out of range.
    """
    base = contract["quality_gates"]
    override = override or {}
    problems = [k for k in override if k not in ("files", "gold")]
    # The gated files, in contract order (glue/contract.json quality_gates.files).
    files = {f: dict(limits) for f, limits in base["files"].items()}
    for f, values in (override.get("files") or {}).items():
        if f not in files:
            problems.append(f"files.{f}")
            continue
        for key, value in values.items():
            if key not in FILE_GATES:
                problems.append(f"files.{f}.{key}")
            else:
                files[f][key] = value
    gold = dict(base["gold"])
    for key, value in (override.get("gold") or {}).items():
        if key not in GOLD_GATES:
            problems.append(f"gold.{key}")
        else:
            gold[key] = value
    for f in files:
        for key in FILE_GATES:
            _check_value(f"files.{f}.{key}", files[f][key], key, problems)
    for key in GOLD_GATES:
        _check_value(f"gold.{key}", gold[key], key, problems)
    if problems:
        raise ValueError(
            f"--quality_gates must override only files.{{{','.join(files)}}}."
            "{max_rejected_pct, max_rejected_pct_per_reason (0-100), min_accepted_rows (>= 0)} "
            f"and gold.{{min_rows (>= 0), max_drop_pct (0-100)}}; found {', '.join(problems)} in "
            f"{json.dumps(override)}."
        )
    return {"files": files, "gold": gold}


def _check_value(where: str, value: Any, key: str, problems: list[str]) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if ok and (key.endswith("_pct") or key.endswith("_per_reason")):
        ok = ok and value <= 100
    if ok and key.startswith("min_"):
        ok = float(value).is_integer()
    if not ok:
        problems.append(f"{where} = {json.dumps(value)}")


def gate_limit_rows(gates: dict[str, Any], previous_gold_rows: int | None) -> list[tuple]:
    """The rows of ``gate_limits`` (gate, file, threshold, baseline), as lib/quality-gates.ts
    ``gateLimits`` orders them."""
    rows: list[tuple] = []
    for f in gates["files"]:
        for key in FILE_GATES:
            rows.append((key, f, float(gates["files"][f][key]), None))
    rows.append(("min_rows", "gold", float(gates["gold"]["min_rows"]), None))
    baseline = None if previous_gold_rows is None else float(previous_gold_rows)
    rows.append(("max_drop_pct", "gold", float(gates["gold"]["max_drop_pct"]), baseline))
    return rows


def register_gate_limits(spark: Any, rows: list[tuple]) -> None:
    """Registers the ``gate_limits`` view that 17_quality_gates.sql joins."""
    schema = "gate STRING, file STRING, threshold DOUBLE, baseline DOUBLE"
    spark.createDataFrame(rows, schema).createOrReplaceTempView("gate_limits")


def read_gates(spark: Any) -> list[dict[str, Any]]:
    """The evaluated gates, in the order local/audit.ts reads them."""
    rows = spark.sql(
        "SELECT gate, file, reason, value, threshold, passed FROM quality_gates "
        "ORDER BY file, gate, reason NULLS FIRST"
    ).collect()
    gates = []
    for r in rows:
        gate = {"gate": r["gate"], "file": r["file"]}
        if r["reason"] is not None:
            gate["reason"] = r["reason"]
        gate.update(
            value=_number(r["value"]), threshold=_number(r["threshold"]), passed=bool(r["passed"])
        )
        gates.append(gate)
    return gates


def _number(value: float) -> int | float:
    """A whole float as an int, so the JSON reads like JavaScript's (19797, not 19797.0)."""
    return int(value) if float(value).is_integer() else float(value)


def read_metric_data(spark: Any, pipeline: str) -> list[dict[str, Any]]:
    """The ``run_metrics`` rows as PutMetricData datums (lib/run-metrics.ts ``metricDatum``)."""
    rows = spark.sql(
        "SELECT metric_name, file, reason, unit, value FROM run_metrics "
        "ORDER BY metric_name, file, reason NULLS FIRST"
    ).collect()
    datums = []
    for r in rows:
        dims = [{"Name": "Pipeline", "Value": pipeline}, {"Name": "File", "Value": r["file"]}]
        if r["reason"] is not None:
            dims.append({"Name": "Reason", "Value": r["reason"]})
        datums.append(
            {
                "MetricName": r["metric_name"],
                "Dimensions": dims,
                "Unit": r["unit"],
                "Value": _number(r["value"]),
            }
        )
    return datums


def duration_datum(pipeline: str, ms: float) -> dict[str, Any]:
    """The job's duration datum (seconds, one decimal)."""
    return {
        "MetricName": "JobDuration",
        "Dimensions": [{"Name": "Pipeline", "Value": pipeline}, {"Name": "File", "Value": "all"}],
        "Unit": "Seconds",
        "Value": _number(math.floor(ms / 100 + 0.5) / 10),
    }


def show_value(n: float) -> str:
    """lib/quality-gates.ts ``showValue``: whole numbers as they are, else at most 2 decimals."""
    if float(n).is_integer():
        return str(int(n))
    rounded = math.floor(n * 100 + 0.5) / 100
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def gate_failure_message(gates: list[dict[str, Any]]) -> str:
    """lib/quality-gates.ts ``gateFailureMessage``: every breached gate with value and threshold."""
    failed = [g for g in gates if not g["passed"]]
    if not failed:
        return ""
    parts = []
    for g in failed:
        label = f"{g['file']} {g['gate']}" + (f"[{g['reason']}]" if g.get("reason") else "")
        bound = "minimum" if g["gate"].startswith("min_") else "maximum"
        parts.append(
            f"{label} = {show_value(g['value'])} ({bound} {show_value(g['threshold'])})"
        )
    plural = "s" if len(failed) > 1 else ""
    return (
        f"{len(failed)} quality gate{plural} failed: {'; '.join(parts)}. "
        "Gold was not published; the rejected rows are in the quarantine."
    )


# --------------------------------------------------------------------------------------------
# Publish (Hadoop FileSystem: S3 on Glue, local paths in tests)
# --------------------------------------------------------------------------------------------


class _Fs:
    """Copy, delete, rename and list folders through Hadoop's FileSystem."""

    def __init__(self, spark: Any) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _fs(self, location: str) -> tuple[Any, Any]:
        path = self._jvm.org.apache.hadoop.fs.Path(location)
        return path.getFileSystem(self._conf), path

    def exists(self, location: str) -> bool:
        fs, path = self._fs(location)
        return bool(fs.exists(path))

    def delete(self, location: str) -> None:
        fs, path = self._fs(location)
        if fs.exists(path):
            fs.delete(path, True)

    def copy(self, source: str, target: str) -> None:
        src_fs, src = self._fs(source)
        dst_fs, dst = self._fs(target)
        self.delete(target)
        self._jvm.org.apache.hadoop.fs.FileUtil.copy(src_fs, src, dst_fs, dst, False, self._conf)

    def mkdirs(self, location: str) -> None:
        fs, path = self._fs(location)
        fs.mkdirs(path)

    def rename(self, source: str, target: str) -> None:
        fs, src = self._fs(source)
        _, dst = self._fs(target)
        if not fs.rename(src, dst):
            raise RuntimeError(f"Could not rename {source} to {target}.")

    def folders(self, location: str) -> list[str]:
        fs, path = self._fs(location)
        if not fs.exists(path):
            return []
        return sorted(s.getPath().getName() for s in fs.listStatus(path) if s.isDirectory())


#: Where publish keeps its aside copies, under the warehouse root (the job role may write it).
ASIDE = "_publish"


def _swap_in(fs: _Fs, source: str, warehouse: str, target: str, run_id: str) -> None:
    """Replaces folder ``<warehouse>/<target>`` with a copy of ``source``: the copy is made aside
    (``_publish/<target>.next-<run>``) first, so the current folder is replaced only by a
    complete copy; the previous one waits at ``_publish/<target>.prev-<run>`` until the new one
    is in place (local/publish.ts ``swapIn`` keeps them beside the target instead)."""
    nxt = f"{warehouse}/{ASIDE}/{target}.next-{run_id}"
    prev = f"{warehouse}/{ASIDE}/{target}.prev-{run_id}"
    current = f"{warehouse}/{target}"
    fs.copy(source, nxt)
    fs.delete(prev)
    if fs.exists(current):
        fs.rename(current, prev)
    fs.mkdirs(current.rsplit("/", 1)[0])
    fs.rename(nxt, current)
    fs.delete(prev)


def recover(fs: _Fs, warehouse: str, folder: str = "") -> None:
    """Puts back what an interrupted publish left aside (``_publish/<target>.prev-<run>`` while
    ``<target>`` is missing) and deletes leftover copies, in ``_publish/<folder>``."""
    aside = f"{warehouse}/{ASIDE}" + (f"/{folder}" if folder else "")
    for entry in fs.folders(aside):
        m = re.match(r"^(.+)\.(prev|next)-[A-Za-z0-9._-]+$", entry)
        if not m:
            continue
        rel = f"{folder}/{m.group(1)}" if folder else m.group(1)
        target = f"{warehouse}/{rel}"
        if m.group(2) == "prev" and not fs.exists(target):
            fs.rename(f"{aside}/{entry}", target)
        else:
            fs.delete(f"{aside}/{entry}")


def snapshot_partition(contract: dict[str, Any], snapshot_date: str) -> str:
    """The snapshot's partition of the history table, under the warehouse root
    (``tracks_history/snapshot_date=<date>``)."""
    history = contract["publish"]["history"]
    return f"{history['path']}/{history['partition_key']}={snapshot_date}"


def publish(
    spark: Any,
    contract: dict[str, Any],
    processed_path: str,
    warehouse_path: str,
    run_id: str,
    snapshot_date: str,
) -> dict[str, Any]:
    """Publishes a run's staged gold: its snapshot partition of the history table always, the
    current table only when no newer snapshot is published (the latest snapshot date wins).

    Raises:
        ValueError: a bad snapshot date, or the run staged no gold.
    """
    check_snapshot_date(snapshot_date, "--snapshot_date")
    layout = contract["publish"]
    gold = next(o for o in contract["outputs"] if o["table"] == "gold_tracks")
    staged = "/".join(
        [processed_path.rstrip("/"), layout["staging"]["path"].replace("{run_id}", run_id),
         gold["path"]]
    )
    history = f"{warehouse_path.rstrip('/')}/{layout['history']['path']}"
    key = layout["history"]["partition_key"]
    fs = _Fs(spark)
    if not fs.exists(staged):
        raise ValueError(
            f"Run {run_id} staged no gold at {staged}: run the job with --mode write first."
        )
    warehouse = warehouse_path.rstrip("/")
    recover(fs, warehouse)
    recover(fs, warehouse, layout["history"]["path"])
    dates = [d[len(key) + 1 :] for d in fs.folders(history) if d.startswith(f"{key}=")]
    newest = max(dates) if dates else None
    snapshot = snapshot_partition(contract, snapshot_date)
    _swap_in(fs, staged, warehouse, snapshot, run_id)
    is_current = newest is None or snapshot_date >= newest
    if is_current:
        _swap_in(fs, staged, warehouse, gold["path"], run_id)
    return {"current": is_current, "snapshot": f"{warehouse}/{snapshot}"}


def same_rows(spark: Any, a: str, b: str) -> bool:
    """Whether the Parquet tables at ``a`` and ``b`` hold the same rows (as multisets), whatever
    their order and files: the counts (Parquet footers) and schemas first, then ``exceptAll``
    (exact, duplicates counted) only when they agree. local/audit.ts ``sameRows`` is the twin."""
    fs = _Fs(spark)
    if not (fs.exists(a) and fs.exists(b)):
        return False
    left, right = spark.read.parquet(a), spark.read.parquet(b)
    if left.schema != right.schema or left.count() != right.count():
        return False
    return left.exceptAll(right).isEmpty()


def reuse_identical_gold(spark: Any, staged: str, published: list[str]) -> str | None:
    """Safe reruns: when a published copy of gold (the run's snapshot partition, else the current
    table) already holds exactly the staged rows, the staged folder becomes a copy of it, so the
    publish step puts back the very same bytes (Spark's row order and part-file names vary from
    run to run). Other runs stop at the row counts (local/audit.ts ``reuseIdenticalGold``).

    Returns:
        The folder copied, or None (staged kept as written).
    """
    for copy in published:
        try:
            same = same_rows(spark, staged, copy)
        except Exception:  # noqa: BLE001 - a damaged published copy is replaced, not compared
            same = False
        if same:
            _Fs(spark).copy(copy, staged)
            return copy
    return None
