"""Safe reruns on Spark: the same batch gives byte-identical gold (glue/job_io.py
``write_one_sorted_file``), whatever Spark's partitioning, and replaces only its own snapshot.

The twin of the DuckDB rerun test in test/quality-gates.test.ts. Run:
.venv/bin/python -m pytest -q glue/tests/test_rerun.py (needs Java 17).
"""

from __future__ import annotations

from pathlib import Path

import job
from job_io import GOLD_FILE

REPO = Path(__file__).resolve().parents[2]
KAGGLE = REPO / "test" / "fixtures" / "csv" / "kaggle"
RENAMED = REPO / "test" / "fixtures" / "csv" / "renamed"
OPEN = {"max_rejected_pct": 100, "max_rejected_pct_per_reason": 100}
GATES = {"files": {f: OPEN for f in ("albums", "artists", "tracks")}, "gold": {"max_drop_pct": 100}}


def run(spark, source: Path, root: Path, run_id: str, day: str) -> dict:
    return job.run(spark, str(source), str(root / "processed"), str(root / "datawarehouse"),
                   run_id, quality_gates=GATES, snapshot_date=day)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a folder, by name (nothing but the Parquet file is expected)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_rerun_writes_the_same_gold_bytes_under_the_same_name(spark, tmp_path):
    first = run(spark, KAGGLE, tmp_path, "r1", "2024-06-01")
    dw = tmp_path / "datawarehouse"
    current = folder_bytes(dw / "tracks")
    assert list(current) == [GOLD_FILE]
    # One small file is one scan partition: collect() returns the rows in file order.
    rows = [r["track_id"] for r in spark.read.parquet(str(dw / "tracks" / GOLD_FILE)).collect()]
    assert len(rows) == first["output"]["tracks"] > 1
    assert rows == sorted(rows)

    # Another run id and another shuffle partition count: Spark's partitioning and task order
    # differ, the bytes must not.
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "5")
    try:
        run(spark, KAGGLE, tmp_path, "r2", "2024-06-01")
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
    staged = tmp_path / "processed" / "runs"
    assert folder_bytes(staged / "r2" / "gold" / "tracks") == folder_bytes(
        staged / "r1" / "gold" / "tracks"
    ) == current
    assert folder_bytes(dw / "tracks") == current
    assert folder_bytes(dw / "tracks_history" / "snapshot_date=2024-06-01") == current


def test_a_rerun_replaces_only_its_own_snapshot_and_a_backfill_keeps_the_current_table(
    spark, tmp_path
):
    dw = tmp_path / "datawarehouse"
    run(spark, KAGGLE, tmp_path, "d1", "2024-06-01")
    day1 = folder_bytes(dw / "tracks")
    run(spark, RENAMED, tmp_path, "d2", "2024-06-02")
    day2 = folder_bytes(dw / "tracks")
    assert day2 != day1
    # A rerun of day 1's batch (a backfill: older than day 2) rewrites only day 1's snapshot.
    run(spark, KAGGLE, tmp_path, "d1-again", "2024-06-01")
    history = dw / "tracks_history"
    assert sorted(p.name for p in history.iterdir()) == [
        "snapshot_date=2024-06-01", "snapshot_date=2024-06-02"
    ]
    assert folder_bytes(history / "snapshot_date=2024-06-01") == day1
    assert folder_bytes(history / "snapshot_date=2024-06-02") == day2
    assert folder_bytes(dw / "tracks") == day2
