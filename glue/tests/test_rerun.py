"""Safe reruns on Spark: the same batch gives byte-identical gold (glue/job_audit.py
``reuse_identical_gold``), whatever Spark's partitioning, and replaces only its own snapshot.

The twin of the DuckDB rerun test in test/quality-gates.test.ts. Run:
.venv/bin/python -m pytest -q glue/tests/test_rerun.py (needs Java 17).
"""

from __future__ import annotations

from pathlib import Path

import job
from job_audit import reuse_identical_gold, same_rows

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


def test_a_rerun_writes_the_same_gold_bytes_under_the_same_names(spark, tmp_path):
    first = run(spark, KAGGLE, tmp_path, "r1", "2024-06-01")
    dw = tmp_path / "datawarehouse"
    current = folder_bytes(dw / "tracks")
    assert any(name.endswith(".parquet") for name in current)
    assert spark.read.parquet(str(dw / "tracks")).count() == first["output"]["tracks"] > 1

    # Another run id and another shuffle partition count: Spark's partitioning, task order and
    # part-file names differ; the rerun stages a copy of the published snapshot instead.
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


def test_same_rows_ignores_order_and_files_but_not_values_or_counts(spark, tmp_path):
    rows = [("a", 1, "x"), ("b", None, "y"), ("c", 3, None), ("c", 3, None)]
    frame = spark.createDataFrame(rows, "id string, n int, s string")
    frame.coalesce(1).write.parquet(str(tmp_path / "one"))
    frame.orderBy("id", ascending=False).repartition(3).write.parquet(str(tmp_path / "three"))
    other = spark.createDataFrame([*rows[:3], ("c", 4, None)], "id string, n int, s string")
    other.write.parquet(str(tmp_path / "changed"))
    fewer = spark.createDataFrame([*rows[:3], ("b", None, "y")], "id string, n int, s string")
    fewer.write.parquet(str(tmp_path / "multiplicity"))
    wider = frame.selectExpr("id", "CAST(n AS BIGINT) AS n", "s")
    wider.write.parquet(str(tmp_path / "bigint"))
    one = str(tmp_path / "one")
    assert same_rows(spark, one, str(tmp_path / "three"))
    assert not same_rows(spark, one, str(tmp_path / "changed"))
    # exceptAll counts duplicates: the same distinct rows, other multiplicities, differ.
    assert not same_rows(spark, one, str(tmp_path / "multiplicity"))
    assert not same_rows(spark, one, str(tmp_path / "bigint"))
    assert not same_rows(spark, one, str(tmp_path / "missing"))


def test_reuse_copies_the_matching_published_folder_and_skips_a_damaged_one(spark, tmp_path):
    rows = [("a", 1), ("b", 2), ("c", 3)]
    spark.createDataFrame(rows, "id string, n int").write.parquet(str(tmp_path / "staged"))
    spark.createDataFrame(rows[::-1], "id string, n int").repartition(2).write.parquet(
        str(tmp_path / "published")
    )
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "part-0.parquet").write_bytes(b"not Parquet")
    staged, published = str(tmp_path / "staged"), str(tmp_path / "published")
    assert reuse_identical_gold(spark, staged, [str(damaged)]) is None
    assert reuse_identical_gold(spark, staged, [str(damaged), published]) == published
    assert folder_bytes(tmp_path / "staged") == folder_bytes(tmp_path / "published")


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
