"""Quality gates, write-audit-publish and run metrics of glue/job.py on real local PySpark.

The twins of test/quality-gates.test.ts (DuckDB): the same glue/sql/17_quality_gates.sql and
18_run_metrics.sql, the same failure text, the same publish rules (staged gold, snapshot
partition, the latest snapshot date wins, a crash between write and publish loses nothing).

Run: .venv/bin/python -m pytest -q glue/tests/test_audit.py (needs Java 17).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import job
import job_audit

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "test" / "fixtures" / "csv"
KAGGLE = FIXTURES / "kaggle"
RENAMED = FIXTURES / "renamed"
OPEN = {"max_rejected_pct": 100, "max_rejected_pct_per_reason": 100}


def run(spark, source: Path, root: Path, run_id: str, gates: dict, day: str, publish=True):
    return job.run(
        spark,
        str(source),
        str(root / "processed"),
        str(root / "datawarehouse"),
        run_id,
        quality_gates=gates,
        snapshot_date=day,
        publish_gold=publish,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def find(summary, gate: str, file: str, reason: str | None = None) -> dict:
    return next(
        g
        for g in summary["gates"]
        if g["gate"] == gate and g["file"] == file and g.get("reason") == reason
    )


def test_each_gate_passes_at_its_threshold_and_fails_beyond_it(spark, tmp_path):
    gates = {
        "files": {
            "albums": {**OPEN, "max_rejected_pct": 60},  # 11 of 17 = 64.71%: fails
            "artists": {"max_rejected_pct": 100, "max_rejected_pct_per_reason": 5,  # 10%: fails
                        "min_accepted_rows": 6},  # 6 accepted: passes at the threshold
            "tracks": {**OPEN, "min_accepted_rows": 10},  # 9 accepted: fails
        },
        "gold": {"min_rows": 6},  # 6 gold rows: passes at the threshold
    }
    s = run(spark, KAGGLE, tmp_path, "g", gates, "2024-06-01")
    assert find(s, "max_rejected_pct", "albums") == {
        "gate": "max_rejected_pct", "file": "albums", "value": 11 * 100 / 17, "threshold": 60,
        "passed": False,
    }
    assert find(s, "max_rejected_pct", "artists")["passed"] is True
    assert find(s, "max_rejected_pct_per_reason", "albums", "bad_date")["passed"] is True
    assert find(s, "max_rejected_pct_per_reason", "artists", "missing_key")["passed"] is False
    assert find(s, "min_accepted_rows", "artists")["passed"] is True
    assert find(s, "min_accepted_rows", "tracks") == {
        "gate": "min_accepted_rows", "file": "tracks", "value": 9, "threshold": 10,
        "passed": False,
    }
    assert find(s, "min_rows", "gold")["passed"] is True
    assert find(s, "max_drop_pct", "gold") == {
        "gate": "max_drop_pct", "file": "gold", "value": 0, "threshold": 50, "passed": True,
    }
    assert s["gates_failed"] == sum(1 for g in s["gates"] if not g["passed"]) == 6
    assert s["gates_message"] == job_audit.gate_failure_message(s["gates"])
    assert s["gates_message"].startswith(
        "6 quality gates failed: albums max_rejected_pct = 64.71 (maximum 60); "
    )
    # Written and audited, never published; the rejected rows wait in the quarantine.
    assert not (tmp_path / "datawarehouse" / "tracks").exists()
    assert not (tmp_path / "datawarehouse" / "tracks_history").exists()
    assert files(tmp_path / "processed" / "runs" / "g" / "gold" / "tracks")
    assert files(tmp_path / "processed" / "quarantine" / "albums")


def test_drop_gate_keeps_the_published_gold_and_a_crash_before_publish_loses_nothing(
    spark, tmp_path
):
    all_open = {"files": {f: OPEN for f in ("albums", "artists", "tracks")}}
    run(spark, KAGGLE, tmp_path, "r1", all_open, "2024-06-01")
    current = tmp_path / "datawarehouse" / "tracks"
    before = files(current)
    assert before

    # 6 gold rows published; the renamed fixture has 2: a drop of 66.67%.
    strict = {**all_open, "gold": {"max_drop_pct": 60}}
    s = run(spark, RENAMED, tmp_path, "r2", strict, "2024-06-02")
    assert s["previous_gold_rows"] == 6
    drop = find(s, "max_drop_pct", "gold")
    assert (drop["passed"], round(drop["value"], 3)) == (False, 66.667)
    assert files(current) == before

    # A passing run that crashes between writing and publishing: the table stays as it was.
    loose = {**all_open, "gold": {"max_drop_pct": 70}}
    s = run(spark, RENAMED, tmp_path, "r3", loose, "2024-06-02", publish=False)
    assert s["gates_failed"] == 0
    assert files(current) == before
    # The publish step, run later (PublishGold: the job with --mode publish), publishes it.
    contract = json.loads((REPO / "glue" / "contract.json").read_text("utf-8"))
    result = job_audit.publish(
        spark, contract, str(tmp_path / "processed"), str(tmp_path / "datawarehouse"), "r3",
        "2024-06-02",
    )
    assert result["current"] is True
    assert spark.read.parquet(str(current)).count() == 2
    history = tmp_path / "datawarehouse" / "tracks_history"
    assert sorted(p.name for p in history.iterdir()) == [
        "snapshot_date=2024-06-01",
        "snapshot_date=2024-06-02",
    ]

    # A backfill of an older day: its snapshot only, the current table stays at 2024-06-02.
    backfill = job_audit.publish(
        spark, contract, str(tmp_path / "processed"), str(tmp_path / "datawarehouse"), "r1",
        "2024-05-31",
    )
    assert backfill["current"] is False
    assert spark.read.parquet(str(current)).count() == 2


def test_an_interrupted_swap_is_put_back_before_the_next_publish(spark, tmp_path):
    warehouse = tmp_path / "datawarehouse"
    aside = warehouse / "_publish" / "tracks.prev-r9"
    aside.mkdir(parents=True)
    (aside / "part-00000.snappy.parquet").write_bytes(b"old table")
    leftover = warehouse / "_publish" / "tracks.next-r9"
    leftover.mkdir()
    (leftover / "part-00000.snappy.parquet").write_bytes(b"half copied")
    fs = job_audit._Fs(spark)
    job_audit.recover(fs, str(warehouse))
    assert (warehouse / "tracks" / "part-00000.snappy.parquet").read_bytes() == b"old table"
    assert list((warehouse / "_publish").iterdir()) == []


def test_metric_data_matches_the_duckdb_runner_shape(spark, tmp_path):
    all_open = {"files": {f: OPEN for f in ("albums", "artists", "tracks")}}
    s = run(spark, KAGGLE, tmp_path, "m", all_open, "2024-06-01")
    by_key = {
        (d["MetricName"], *(x["Value"] for x in d["Dimensions"][1:]), d["Unit"]): d["Value"]
        for d in s["metric_data"]
    }
    assert by_key[("InputRows", "albums", "Count")] == 17
    assert by_key[("RejectedRows", "albums", "orphan_artist", "Count")] == 2
    assert by_key[("GoldRows", "gold", "Count")] == 6
    assert by_key[("GatesFailed", "all", "Count")] == 0
    assert isinstance(by_key[("JobDuration", "all", "Seconds")], (int, float))
    assert len(s["metric_data"]) <= 1000
    assert all(d["Dimensions"][0] == {"Name": "Pipeline", "Value": "spotify-pipeline-local"}
               for d in s["metric_data"])


def test_gate_override_errors_name_the_key_and_value():
    contract = json.loads((REPO / "glue" / "contract.json").read_text("utf-8"))
    try:
        job_audit.merge_gates(contract, {"gold": {"max_drop_pct": 150}, "files": {"genres": {}}})
    except ValueError as err:
        message = str(err)
    else:
        raise AssertionError("merge_gates accepted a bad override")
    assert message.startswith("--quality_gates must override only files.")
    assert "files.genres" in message and "gold.max_drop_pct = 150" in message


def test_failure_text_is_the_duckdb_runners():
    gates = [
        {"gate": "max_rejected_pct", "file": "albums", "value": 41.0249, "threshold": 10,
         "passed": False},
        {"gate": "min_accepted_rows", "file": "artists", "value": 1671, "threshold": 1,
         "passed": True},
        {"gate": "max_rejected_pct_per_reason", "file": "albums", "reason": "orphan_artist",
         "value": 40.15, "threshold": 5, "passed": False},
        {"gate": "min_rows", "file": "gold", "value": 0, "threshold": 1, "passed": False},
    ]
    # The same text test/quality-gates.test.ts expects from lib/quality-gates.ts.
    assert job_audit.gate_failure_message(gates) == (
        "3 quality gates failed: albums max_rejected_pct = 41.02 (maximum 10); albums "
        "max_rejected_pct_per_reason[orphan_artist] = 40.15 (maximum 5); gold min_rows = 0 "
        "(minimum 1). Gold was not published; the rejected rows are in the quarantine."
    )


@pytest.mark.parametrize(
    "value, ok",
    [
        ("2024-06-01", True),
        ("2024-02-29", True),  # a leap day
        ("2024-02-30", False),  # passes the pattern, not the calendar
        ("2023-02-29", False),
        ("2024-04-31", False),
        ("2024-13-01", False),
        ("2024-6-1", False),
        ("", False),
        (None, False),
        ("2024-06-01T00:00:00Z", False),
    ],
)
def test_a_snapshot_date_must_be_a_calendar_day(value, ok):
    if ok:
        assert job_audit.check_snapshot_date(value, "--snapshot_date") == value
    else:
        with pytest.raises(ValueError) as err:
            job_audit.check_snapshot_date(value, "--snapshot_date")
        assert str(err.value) == (
            f"--snapshot_date must be a calendar date YYYY-MM-DD; found {json.dumps(value)}. "
            "Example: 2024-06-01."
        )
