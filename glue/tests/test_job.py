"""glue/job.py on real local PySpark (3.5, the Spark line of Glue 5.0).

The job reads the fixture CSVs of test/fixtures/csv, runs the real glue/sql, and writes real
Snappy Parquet and the run summary to a temp dir standing in for S3. Expected values are the ones
test/etl.test.ts asserts on DuckDB: the two runners are twins. Only awsglue is stubbed
(glue/tests/awsglue_stub). One SparkSession serves the whole suite (conftest.py).

Run: .venv/bin/python -m pytest -q glue/tests/test_job.py (needs Java 17).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import job

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "test" / "fixtures" / "csv"
KAGGLE = FIXTURES / "kaggle"
RENAMED = FIXTURES / "renamed"
FILES = ("albums.csv", "artists.csv", "tracks.csv")
OUTPUT_DIRS = (
    "datawarehouse/tracks",
    "processed/quarantine/albums",
    "processed/quarantine/artists",
    "processed/quarantine/tracks",
    "processed/silver/albums",
    "processed/silver/artists",
    "processed/silver/tracks",
)
#: The fixtures plant every quarantine reason in a few rows: open the share gates so their gold
#: is published (the gates themselves are tested below, as in test/quality-gates.test.ts).
OPEN_GATES = {
    "files": {
        f: {"max_rejected_pct": 100, "max_rejected_pct_per_reason": 100}
        for f in ("albums", "artists", "tracks")
    }
}
COUNT_KEYS = ("run_id", "engine", "input", "accepted", "rejected", "output")


def counts_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The counts of a run summary (its gates and metrics are tested on their own)."""
    return {k: summary[k] for k in COUNT_KEYS}


PART_FILE = re.compile(r"^part-\d{5}-[0-9a-f-]{36}-c000\.snappy\.parquet$")

KAGGLE_SUMMARY = {
    "run_id": "run-1",
    "engine": "spark",
    "input": {"albums": 17, "artists": 10, "tracks": 14},
    "accepted": {"albums": 6, "artists": 6, "tracks": 9},
    "rejected": {
        "albums": {
            "missing_key": 2,
            "bad_number": 1,
            "bad_date": 2,
            "orphan_artist": 2,
            "orphan_track": 2,
            "duplicate_row": 1,
            "duplicate_key": 1,
        },
        "artists": {"missing_key": 1, "bad_number": 1, "duplicate_row": 1, "duplicate_key": 1},
        "tracks": {
            "missing_key": 1,
            "bad_number": 1,
            "bad_boolean": 1,
            "duplicate_row": 1,
            "duplicate_key": 1,
        },
    },
    "output": {"tracks": 6},
}

GOLD_COLUMNS = (
    "track_id track_name track_number duration_ms duration_min explicit track_popularity "
    "album_id album_name album_type total_tracks release_date release_year label "
    "album_popularity artist_id artist_name artist_popularity followers artist_genres"
).split()

# Gold rows expected from test/fixtures/csv/kaggle (the same as test/etl.test.ts KAGGLE_GOLD).
# fmt: off
KAGGLE_GOLD = [dict(zip(GOLD_COLUMNS, r)) for r in [
    ("tr01", "Hello, World", 1, 180300, 3.01, False, 80, "al01", "Zoë Live", "album", 2,
     "2021-03-04", 2021, 'He said "hi" Records', 61, "ar01", "Zoë Quartet", 72, 1500000,
     "dance pop, pop"),
    ("tr02", "Line one\nLine two", 1, 200000, 3.33, True, 65, "al02", "夜の歌", "single", 1,
     "1999-01-01", 1999, "Kaze Records", 40, "ar02", "東京 Strings", 55, 32000, ""),
    ("tr03", "Café del Mar — noche", 1, 90000, 1.5, False, 0, "al03", "Songs, Vol. 2",
     "compilation", 12, "2005-07-01", 2005, "Indie", 33, "ar03", "The Commas, Periods & Co", 40,
     870, "children's music, folk"),
    ("tr07", "Twice", 1, 120000, 2.0, True, 44, "al05", "Twice EP", "single", 1, "2020-05-01",
     2020, "Echo Records", 20, "ar05", "Duplicate Duo", 30, 100, "jazz"),
    ("tr08", "Conflicting", 1, 150000, 2.5, False, 30, "al06", "Clash", "album", 9, "2018-11-30",
     2018, "Echo Records", 10, "ar06", "Conflict A", 20, 50, ""),
    ("tr09", "Quiet", 4, 215999, 3.6, None, 70, "al07", "Stillness", "album", 10, "2010-10-10",
     2010, None, None, "ar07", "Ångström Ensemble", 5, None, "pop, indie"),
]]
# fmt: on


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Dates as ``YYYY-MM-DD``, everything else unchanged."""
    return value.isoformat() if isinstance(value, dt.date) else value


def read_rows(spark, folder: Path, order: str | None = None) -> list[dict[str, Any]]:
    """Rows of a Parquet folder as dicts (file order, or sorted on ``order``)."""
    frame = spark.read.parquet(str(folder))
    if order:
        frame = frame.orderBy(order)
    return [{k: plain(v) for k, v in row.asDict().items()} for row in frame.collect()]


def sorted_rows(spark, folder: Path) -> list[tuple]:
    """Every row as a tuple, sorted (NULLs first): a comparable snapshot of a table."""
    rows = [tuple(plain(v) for v in r) for r in spark.read.parquet(str(folder)).collect()]
    return sorted(rows, key=lambda r: [(v is not None, str(v)) for v in r])


def parquet_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".parquet")


def parquet_codecs(spark, file: Path) -> set[str]:
    """Compression codecs of every column chunk, read from the Parquet footer (parquet-mr)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(str(file))
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
        jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(path, conf)
    )
    try:
        blocks = reader.getFooter().getBlocks()
        return {column.getCodec().name() for block in blocks for column in block.getColumns()}
    finally:
        reader.close()


def batch(tmp: Path, edit: dict[str, str | bytes | None] | None = None) -> Path:
    """Copies the Kaggle fixture batch to ``tmp``, then replaces (or, with None, drops) files."""
    edit = edit or {}
    tmp.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if name not in edit:
            shutil.copyfile(KAGGLE / name, tmp / name)
    for name, content in edit.items():
        if content is not None:
            data = content.encode("utf-8") if isinstance(content, str) else content
            (tmp / name).write_bytes(data)
    return tmp


def variants_batch(tmp: Path) -> Path:
    """The renamed fixture (tutorial layout, BOM, shuffled and cased headers) with CRLF line
    endings, plus in tracks.csv a blank line, a short row (no track_id) and a row with a field
    beyond the header. test/cross-engine.test.ts builds the same batch."""
    tmp.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        text = (RENAMED / name).read_text(encoding="utf-8")
        if name == "tracks.csv":
            text += "\ny,7\nn,5,tr22,extra\n"
        (tmp / name).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    return tmp


def input_error(spark, input_dir: Path, out: Path, run_id: str = "bad") -> job.InputError:
    with pytest.raises(job.InputError) as caught:
        job.run(spark, str(input_dir), str(out / "processed"), str(out / "dw"), run_id)
    return caught.value


# --------------------------------------------------------------------------------------------
# the Kaggle fixture: one run shared by the tests below
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kaggle(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("kaggle-out")
    summary = job.run(
        spark,
        str(KAGGLE),
        str(out / "processed"),
        str(out / "datawarehouse"),
        "run-1",
        quality_gates=OPEN_GATES,
        snapshot_date="2024-06-01",
    )
    return SimpleNamespace(out=out, summary=summary)


def test_returns_and_writes_the_run_summary(kaggle):
    assert counts_of(kaggle.summary) == KAGGLE_SUMMARY
    written = (kaggle.out / "processed" / "runs" / "run-1" / "summary.json").read_text("utf-8")
    # Byte for byte what local/etl.ts writes (JSON.stringify(summary, null, 2) + "\n").
    assert written == json.dumps(kaggle.summary, indent=2) + "\n"
    assert list(kaggle.summary["rejected"]["albums"]) == [
        "missing_key",
        "bad_number",
        "bad_date",
        "orphan_artist",
        "orphan_track",
        "duplicate_row",
        "duplicate_key",
    ]


def test_writes_exactly_the_expected_gold_rows(spark, kaggle):
    gold = read_rows(spark, kaggle.out / "datawarehouse" / "tracks", order="track_id")
    assert gold == KAGGLE_GOLD


def test_gold_has_the_schema_of_the_contract(spark, kaggle):
    contract = json.loads((REPO / "glue" / "contract.json").read_text("utf-8"))
    # Spark's simple type names are the Glue catalog's (string, int, bigint, ...).
    expected = [(c["name"], c["glue_type"]) for c in contract["gold"]["columns"]]
    assert len(expected) == 20
    schema = spark.read.parquet(str(kaggle.out / "datawarehouse" / "tracks")).schema
    assert [(f.name, f.dataType.simpleString()) for f in schema.fields] == expected


def test_types_silver_columns_as_the_contract_says(spark, kaggle):
    contract = json.loads((REPO / "glue" / "contract.json").read_text("utf-8"))
    for entity in ("albums", "artists", "tracks"):
        spec = contract["inputs"][entity]
        expected = sorted((c["name"], c["type"]) for c in spec["columns"] + spec["derived"])
        schema = spark.read.parquet(str(kaggle.out / "processed" / "silver" / entity)).schema
        assert sorted((f.name, f.dataType.simpleString()) for f in schema.fields) == expected


def test_keeps_the_release_date_precision_in_silver_albums(spark, kaggle):
    silver = read_rows(spark, kaggle.out / "processed" / "silver" / "albums", order="track_id")
    assert [(r["track_id"], r["release_date"], r["release_date_precision"]) for r in silver] == [
        ("tr01", "2021-03-04", "day"),
        ("tr02", "1999-01-01", "year"),
        ("tr03", "2005-07-01", "month"),
        ("tr07", "2020-05-01", "day"),
        ("tr08", "2018-11-30", "day"),
        ("tr09", "2010-10-10", "day"),
    ]


def test_quarantines_artists_with_source_file_reason_and_original_text(spark, kaggle):
    source = str(KAGGLE / "artists.csv")
    # File order: sorted on every column, NULLs last (like DuckDB's ORDER BY ALL).
    assert read_rows(spark, kaggle.out / "processed" / "quarantine" / "artists") == [
        {
            "source_file": source,
            "reason": "bad_number",
            "reason_column": "artist_popularity",
            "artist_id": "ar04",
            "artist_name": "Mötley Echo",
            "artist_popularity": "101",
            "artist_genres": "['rock']",
            "followers": "10",
        },
        {
            "source_file": source,
            "reason": "duplicate_key",
            "reason_column": "artist_id",
            "artist_id": "ar06",
            "artist_name": "Conflict B",
            "artist_popularity": "20",
            "artist_genres": "[]",
            "followers": "50",
        },
        {
            "source_file": source,
            "reason": "duplicate_row",
            "reason_column": "artist_id",
            "artist_id": "ar05",
            "artist_name": "Duplicate Duo ",
            "artist_popularity": "30",
            "artist_genres": "['jazz']",
            "followers": "100",
        },
        {
            "source_file": source,
            "reason": "missing_key",
            "reason_column": "artist_id",
            "artist_id": None,
            "artist_name": "Nameless",
            "artist_popularity": "10",
            "artist_genres": "[]",
            "followers": "5",
        },
    ]


def test_quarantines_tracks_with_their_original_text(spark, kaggle):
    rows = read_rows(spark, kaggle.out / "processed" / "quarantine" / "tracks")
    source = str(KAGGLE / "tracks.csv")
    assert rows == [
        {
            "source_file": source,
            "reason": reason,
            "reason_column": column,
            "track_id": track_id,
            "track_popularity": popularity,
            "explicit": explicit,
        }
        for reason, column, track_id, popularity, explicit in [
            ("bad_boolean", "explicit", "tr05", "50", "maybe"),
            ("bad_number", "track_popularity", "tr06", "abc", "False"),
            ("duplicate_key", "track_id", "tr08", "31", "False"),
            ("duplicate_row", "track_id", "tr07", "44", "true"),
            ("missing_key", "track_id", None, "10", "True"),
        ]
    ]


def test_quarantines_albums_rows_orphans_included_with_the_failing_column(spark, kaggle):
    rows = read_rows(spark, kaggle.out / "processed" / "quarantine" / "albums")
    keys = ("reason", "reason_column", "track_id", "track_name", "artist_id", "duration_ms")
    assert {r["source_file"] for r in rows} == {str(KAGGLE / "albums.csv")}
    assert [tuple(r[k] for k in keys) + (r["release_date"],) for r in rows] == [
        ("bad_date", "release_date", "tr10", "Bad Date", "ar05", "100000", "2021-02-30"),
        ("bad_date", "release_date", "tr98", "Placeholder Date", "ar01", "100000", "0000"),
        ("bad_number", "duration_ms", "tr04", "Bad Duration", "ar01", "3:45", "2021-03-04"),
        ("duplicate_key", "track_id", "tr08", "Conflicting", "ar06", "150000", "2018-11-30"),
        ("duplicate_row", "track_id", "tr07", "Twice ", "ar05", "120000", "2020-05-01"),
        ("missing_key", "artist_id", "tr97", "Missing Artist Id", None, "100000", "2020"),
        ("missing_key", "track_id", None, "No Key", "ar01", "100000", "2020"),
        ("orphan_artist", "artist_id", "tr06", "Rejected Artist", "ar04", "100000", "2020"),
        ("orphan_artist", "artist_id", "tr11", "Unknown Artist", "ar99", "100000", "2020"),
        ("orphan_track", "track_id", "tr05", "Rejected Track", "ar01", "100000", "2020"),
        ("orphan_track", "track_id", "tr99", "Unknown Track", "ar01", "100000", "2020"),
    ]


def test_keeps_the_accounting_identity_in_the_written_files(spark, kaggle):
    summary = kaggle.summary
    for entity in ("albums", "artists", "tracks"):
        silver = spark.read.parquet(str(kaggle.out / "processed" / "silver" / entity)).count()
        quarantine = spark.read.parquet(
            str(kaggle.out / "processed" / "quarantine" / entity)
        ).count()
        rejected = sum(summary["rejected"][entity].values())
        assert (silver, quarantine) == (summary["accepted"][entity], rejected), entity
        assert summary["input"][entity] == silver + quarantine, entity
    gold = spark.read.parquet(str(kaggle.out / "datawarehouse" / "tracks")).count()
    assert gold == summary["accepted"]["albums"] == summary["output"]["tracks"]


def test_writes_snappy_parquet_and_nothing_else(spark, kaggle):
    written = sorted(
        str(p.relative_to(kaggle.out)) for p in kaggle.out.rglob("*") if p.is_file()
    )
    parts = [f for f in written if f.endswith(".parquet")]
    assert [f for f in written if f not in parts] == ["processed/runs/run-1/summary.json"]
    staged_and_history = [
        "datawarehouse/tracks_history/snapshot_date=2024-06-01",
        "processed/runs/run-1/gold/tracks",
    ]
    assert sorted({str(Path(f).parent) for f in parts}) == sorted(
        [*OUTPUT_DIRS, *staged_and_history]
    )
    gold_dirs = ("datawarehouse/tracks", *staged_and_history)
    gold = [f for f in parts if str(Path(f).parent) in gold_dirs]
    # Gold (staged, current, history): the same files under the same Spark names in each.
    names = {d: sorted(Path(f).name for f in gold if str(Path(f).parent) == d) for d in gold_dirs}
    assert len({tuple(n) for n in names.values()}) == 1 and names["datawarehouse/tracks"], names
    assert all(PART_FILE.match(Path(f).name) for f in parts), parts
    for area in ("albums", "artists", "tracks"):  # small, read by people: one sorted file
        assert len(parquet_files(kaggle.out / "processed" / "quarantine" / area)) == 1
    codecs = set().union(*(parquet_codecs(spark, kaggle.out / f) for f in parts))
    assert codecs == {"SNAPPY"}


def test_main_on_glue_resolves_arguments_commits_and_overwrites(spark, kaggle, monkeypatch):
    """main() with the awsglue stub and file:// URIs (S3 stand-in, Hadoop FileSystem code path)
    over the same output: same rows, no duplicates, every old part file replaced."""
    from awsglue.job import Job

    before = {d: sorted_rows(spark, kaggle.out / d) for d in OUTPUT_DIRS}
    gold_dir = kaggle.out / "datawarehouse" / "tracks"
    gold_before = {p.name: p.read_bytes() for p in parquet_files(gold_dir)}
    old_files = {f for d in OUTPUT_DIRS[1:] for f in parquet_files(kaggle.out / d)}
    input_uri = f"file://{KAGGLE}/"
    argv = [
        "job.py",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--JOB_NAME",
        "spotify-dev-etl-job",
        "--run_id",
        "run-1",
        "--input_path",
        input_uri,
        "--processed_path",
        f"file://{kaggle.out}/processed",
        "--warehouse_path",
        f"file://{kaggle.out}/datawarehouse",
        "--mode",
        "write",
        "--snapshot_date",
        "2024-06-01",
        "--pipeline_name",
        "spotify-pipeline-dev",
        "--quality_gates",
        json.dumps(OPEN_GATES),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    runs = len(Job.runs)
    job.main()
    # The state machine's PublishGold step: the same job, --mode publish.
    monkeypatch.setattr(sys, "argv", [*argv[: argv.index("--mode")], "--mode", "publish"]
                        + argv[argv.index("--mode") + 2 :])
    job.main()

    assert len(Job.runs) == runs + 2
    run = Job.runs[-2]
    assert (run.name, run.events) == ("spotify-dev-etl-job", ["init", "commit"])
    assert run.args == {
        "JOB_NAME": "spotify-dev-etl-job",
        "run_id": "run-1",
        "input_path": input_uri,
        "processed_path": f"file://{kaggle.out}/processed",
        "warehouse_path": f"file://{kaggle.out}/datawarehouse",
        "mode": "write",
        "snapshot_date": "2024-06-01",
        "pipeline_name": "spotify-pipeline-dev",
        "quality_gates": json.dumps(OPEN_GATES),
    }
    assert Job.runs[-1].args["mode"] == "publish"
    assert Job.runs[-1].events == ["init", "commit"]
    summary = (kaggle.out / "processed" / "runs" / "run-1" / "summary.json").read_text("utf-8")
    assert counts_of(json.loads(summary)) == KAGGLE_SUMMARY
    new_files = {f for d in OUTPUT_DIRS[1:] for f in parquet_files(kaggle.out / d)}
    assert not old_files & new_files, "overwrite must replace every part file"
    # Gold's one file keeps its fixed name and, the same batch rerun, its bytes.
    assert {p.name: p.read_bytes() for p in parquet_files(gold_dir)} == gold_before
    for folder in OUTPUT_DIRS:
        after = sorted_rows(spark, kaggle.out / folder)
        if "quarantine" in folder:
            # source_file names the object as read: now the URI (s3://... on Glue).
            area = Path(folder).name
            local, uri = str(KAGGLE / f"{area}.csv"), f"file://{KAGGLE}/{area}.csv"
            assert {r[0] for r in after} == {uri}
            after = sorted_rows_replacing(after, uri, local)
        assert after == before[folder], folder


def sorted_rows_replacing(rows: list[tuple], old: str, new: str) -> list[tuple]:
    replaced = [tuple(new if v == old else v for v in r) for r in rows]
    return sorted(replaced, key=lambda r: [(v is not None, str(v)) for v in r])


# --------------------------------------------------------------------------------------------
# header and CSV variants
# --------------------------------------------------------------------------------------------


def test_reads_bom_shuffled_cased_headers_crlf_blank_short_and_long_rows(spark, tmp_path):
    source = variants_batch(tmp_path / "in")
    out = tmp_path / "out"
    persisted = job._persisted_rdds(spark)
    summary = job.run(
        spark, str(source), str(out / "processed"), str(out / "dw"), "v", quality_gates=OPEN_GATES
    )
    assert job._persisted_rdds(spark) == persisted, "the run's checkpoint blocks are released"
    assert spark.catalog.listTables() == [], "and its temp views dropped"
    assert counts_of(summary) == {
        "run_id": "v",
        "engine": "spark",
        "input": {"albums": 2, "artists": 1, "tracks": 4},
        "accepted": {"albums": 2, "artists": 1, "tracks": 3},
        "rejected": {"albums": {}, "artists": {}, "tracks": {"missing_key": 1}},
        "output": {"tracks": 2},
    }
    gold = read_rows(spark, out / "dw" / "tracks", order="track_id")
    keys = ("track_id", "track_name", "track_number", "duration_ms", "duration_min", "explicit")
    keys += ("track_popularity", "release_date", "release_year", "artist_name", "followers")
    assert [tuple(r[k] for k in keys) for r in gold] == [
        ("tr20", "Ný Batterí", 1, 61000, 1.02, True, 90, "2022-12-01", 2022, "Sigur Rósa", 2500),
        ("tr21", "Olsen Olsen", 2, 59999, 1.0, False, 10, "2022-12-24", 2022, "Sigur Rósa", 2500),
    ]
    # Optional columns absent from the header are NULL; no genres column means "".
    optional = ("album_type", "label", "album_popularity", "artist_genres")
    assert {tuple(r[k] for k in optional) for r in gold} == {(None, None, None, "")}
    silver = read_rows(spark, out / "processed" / "silver" / "tracks", order="track_id")
    assert silver == [
        {"track_id": "tr20", "track_popularity": 90, "explicit": True},
        {"track_id": "tr21", "track_popularity": 10, "explicit": False},
        {"track_id": "tr22", "track_popularity": 5, "explicit": False},
    ]
    assert read_rows(spark, out / "processed" / "quarantine" / "tracks") == [
        {
            "source_file": str(source / "tracks.csv"),
            "reason": "missing_key",
            "reason_column": "track_id",
            "track_id": None,
            "track_popularity": "7",
            "explicit": "y",
        }
    ]


# --------------------------------------------------------------------------------------------
# fatal input problems: the same messages as local/etl.ts
# --------------------------------------------------------------------------------------------


def test_names_a_missing_file(spark, tmp_path):
    source = batch(tmp_path / "in", {"tracks.csv": None})
    err = input_error(spark, source, tmp_path / "out")
    assert str(err) == (
        f"Input file tracks.csv not found in {source}: a batch needs albums.csv, artists.csv and "
        "tracks.csv side by side; add tracks.csv."
    )
    assert err.files == ["tracks.csv"]


def test_names_a_missing_file_under_a_uri(spark, tmp_path):
    source = batch(tmp_path / "in", {"albums.csv": None})
    with pytest.raises(job.InputError) as caught:
        job.run(spark, f"file://{source}/", "file:///unused/p", "file:///unused/w", "r")
    assert str(caught.value) == (
        f"Input file albums.csv not found in file://{source}: a batch needs albums.csv, "
        "artists.csv and tracks.csv side by side; add albums.csv."
    )


def test_names_an_empty_file_and_its_required_columns(spark, tmp_path):
    err = input_error(spark, batch(tmp_path / "in", {"artists.csv": ""}), tmp_path / "out")
    assert str(err) == (
        "Input file artists.csv is empty (0 bytes): re-export it with its header row (required "
        "columns: artist_id, artist_name) and its data rows."
    )


def test_rejects_a_file_with_a_header_and_no_rows(spark, tmp_path):
    source = batch(tmp_path / "in", {"tracks.csv": "id,track_popularity,explicit\n"})
    err = input_error(spark, source, tmp_path / "out")
    assert str(err) == (
        "Input file tracks.csv has a header but no data rows: re-export it with its rows (an "
        "empty file cannot be joined)."
    )
    assert not (tmp_path / "out").exists()


def test_names_a_missing_required_column_its_accepted_names_and_the_header(spark, tmp_path):
    source = batch(tmp_path / "in", {"tracks.csv": "key,track_popularity,explicit\ntr01,1,True\n"})
    err = input_error(spark, source, tmp_path / "out")
    assert str(err) == (
        "Input file tracks.csv is missing required column track_id (accepted header names: "
        "track_id, id). Header found: key, track_popularity, explicit. Add the column or "
        "rename the matching header cells."
    )
    assert err.files == ["tracks.csv"]


def test_names_several_missing_columns(spark, tmp_path):
    source = batch(tmp_path / "in", {"artists.csv": "followers\n1\n"})
    assert str(input_error(spark, source, tmp_path / "out")) == (
        "Input file artists.csv is missing required columns artist_id (accepted header names: "
        "artist_id, id), artist_name (accepted header names: artist_name, name). Header found: "
        "followers. Add the columns or rename the matching header cells."
    )


def test_names_a_column_given_twice(spark, tmp_path):
    source = batch(tmp_path / "in", {"artists.csv": "id,name,name,followers\nar01,A,B,1\n"})
    assert str(input_error(spark, source, tmp_path / "out")) == (
        "Input file artists.csv names column artist_name more than once in its header (cells 2 "
        "and 3). Remove or rename the extra cells."
    )


@pytest.mark.parametrize(
    ("content", "what", "fix"),
    [
        (
            gzip.compress(b"id,track_popularity,explicit\n"),
            "it is gzip-compressed",
            "Decompress it and upload the plain .csv.",
        ),
        (
            b"PK\x03\x04rest",
            "it is a ZIP archive (an Excel .xlsx workbook is one)",
            "Export the sheet as CSV UTF-8 (comma-separated).",
        ),
        (b"PAR1\x15\x04", "it is a Parquet file", "Upload the CSV export instead."),
        (
            "id,explicit\n".encode("utf-16"),
            "it is UTF-16 encoded",
            "Re-save it as UTF-8.",
        ),
        (
            b"id,explicit\ntr\x0001,1\n",
            "it holds binary data (a NUL byte at offset 14)",
            "Upload the CSV export (UTF-8, comma-separated).",
        ),
        (b"id,expl\xe9cit\ntr01,1\n", "its header row is not valid UTF-8", "Re-save it as UTF-8."),
        (
            b'id,"explicit\ntr01,1\n',
            "its header row has an unterminated quoted field",
            "Upload a comma-separated file whose first line names the columns.",
        ),
        (
            b"id;track_popularity;explicit\ntr01;1;True\n",
            'its header is one cell separated by ";"',
            "Re-export it comma-separated.",
        ),
        (
            b"id\ttrack_popularity\ttr01\n",
            'its header is one cell separated by "\\t"',
            "Re-export it comma-separated.",
        ),
    ],
    ids=["gzip", "zip", "parquet", "utf16", "nul", "latin1", "open-quote", "semicolon", "tab"],
)
def test_recognizes_a_file_that_is_not_csv(spark, tmp_path, content, what, fix):
    err = input_error(spark, batch(tmp_path / "in", {"tracks.csv": content}), tmp_path / "out")
    assert str(err) == f"Input file tracks.csv is not a CSV text file: {what}. {fix}"


def test_reports_every_broken_file_at_once_and_writes_nothing(spark, tmp_path):
    source = batch(tmp_path / "in", {"albums.csv": None, "artists.csv": ""})
    err = input_error(spark, source, tmp_path / "out")
    assert str(err) == (
        f"2 problems with the input files in {source}:\n"
        f"- Input file albums.csv not found in {source}: a batch needs albums.csv, artists.csv "
        "and tracks.csv side by side; add albums.csv.\n"
        "- Input file artists.csv is empty (0 bytes): re-export it with its header row "
        "(required columns: artist_id, artist_name) and its data rows."
    )
    assert err.files == ["albums.csv", "artists.csv"]
    assert not (tmp_path / "out").exists()


def test_names_a_missing_input_folder(spark, tmp_path):
    err = input_error(spark, tmp_path / "nowhere", tmp_path / "out")
    assert str(err) == (
        f"Input folder {tmp_path / 'nowhere'} does not exist or is not a folder: point the input "
        "path at the batch folder that holds albums.csv, artists.csv and tracks.csv."
    )
    assert err.files == list(FILES)


def test_rejects_a_run_id_that_is_not_a_safe_folder_name(spark, tmp_path):
    with pytest.raises(ValueError) as caught:
        job.run(spark, str(KAGGLE), str(tmp_path / "p"), str(tmp_path / "w"), "../x")
    assert str(caught.value) == (
        'run_id "../x" is not a safe folder name: use 1-128 letters, digits, ".", "_" or "-", '
        "starting with a letter or digit."
    )


def test_main_fails_with_the_input_error_and_does_not_commit(spark, tmp_path, monkeypatch):
    from awsglue.job import Job

    source = batch(tmp_path / "in", {"tracks.csv": None})
    monkeypatch.setattr(
        sys,
        "argv",
        ["job.py", "--JOB_NAME", "j", "--run_id", "r", "--input_path", f"file://{source}"]
        + ["--processed_path", "file:///unused/p", "--warehouse_path", "file:///unused/w"]
        + ["--mode", "write", "--snapshot_date", "2024-06-01", "--pipeline_name", "p"]
        + ["--quality_gates", "{}"],
    )
    with pytest.raises(job.InputError, match=r"^Input file tracks\.csv not found in file://"):
        job.main()
    assert Job.runs[-1].events == ["init"]


def test_main_needs_every_job_argument(monkeypatch):
    from awsglue.utils import GlueArgumentError

    monkeypatch.setattr(sys, "argv", ["job.py", "--JOB_NAME", "j", "--run_id", "r"])
    with pytest.raises(
        GlueArgumentError,
        match="--input_path, --processed_path, --warehouse_path, --mode, --snapshot_date, "
        "--pipeline_name, --quality_gates",
    ):
        job.main()


def test_local_cli_exits_1_with_the_input_error_before_starting_spark(tmp_path):
    source = batch(tmp_path / "in", {"artists.csv": ""})
    result = subprocess.run(
        [sys.executable, str(REPO / "glue" / "job.py"), "--local", "--input", str(source)]
        + ["--out", str(tmp_path / "out"), "--run-id", "r"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "InputError: Input file artists.csv is empty (0 bytes): re-export it with its header "
        "row (required columns: artist_id, artist_name) and its data rows.\n"
    )
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# SQL steps, contract files, summary accounting
# --------------------------------------------------------------------------------------------


def test_names_the_sql_file_spark_rejects(spark, tmp_path):
    glue = tmp_path / "glue"
    (glue / "sql").mkdir(parents=True)
    shutil.copyfile(REPO / "glue" / "contract.json", glue / "contract.json")
    (glue / "sql" / "01_broken.sql").write_text("-- no such column\nSELECT nope FROM raw_tracks")
    with pytest.raises(RuntimeError) as caught:
        job.run(spark, str(KAGGLE), str(tmp_path / "p"), str(tmp_path / "w"), "r", glue_dir=glue)
    message = str(caught.value)
    assert message.startswith("SQL step glue/sql/01_broken.sql failed on Spark: ")
    assert "`nope`" in message and "\n" not in message


def test_says_how_to_give_spark_more_memory_when_a_step_runs_out():
    class OutOfMemorySpark:
        def sql(self, text):
            raise RuntimeError(
                "An error occurred while calling o189.localCheckpoint.\n"
                ": org.apache.spark.SparkException: Job aborted: java.lang.OutOfMemoryError: "
                "Java heap space"
            )

    contract = {"sql": {"materialize": []}}
    steps = [job.SqlStep("10_duplicates_albums.sql", "duplicates_albums", "SELECT 1")]
    with pytest.raises(RuntimeError) as caught:
        job.run_steps(OutOfMemorySpark(), contract, steps)
    assert str(caught.value) == (
        "SQL step glue/sql/10_duplicates_albums.sql failed on Spark: An error occurred while "
        "calling o189.localCheckpoint. The JVM ran out of memory: locally, raise "
        "SPARK_DRIVER_MEMORY (e.g. SPARK_DRIVER_MEMORY=6g); on Glue, use a larger worker type "
        "or more workers."
    )


def test_finds_the_sql_beside_the_script_as_glue_extra_files_ships_it(tmp_path, monkeypatch):
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copyfile(REPO / "glue" / "contract.json", flat / "contract.json")
    for sql in (REPO / "glue" / "sql").glob("*.sql"):
        shutil.copyfile(sql, flat / sql.name)
    assert job.find_glue_files(flat) == (flat / "contract.json", flat)
    # Glue runs the script from elsewhere: the working directory is the fallback.
    monkeypatch.chdir(flat)
    assert job.find_glue_files(tmp_path / "elsewhere") == (flat / "contract.json", flat)
    # From the repository: glue/contract.json and glue/sql/.
    assert job.find_glue_files() == (REPO / "glue" / "contract.json", REPO / "glue" / "sql")
    steps = job.load_sql_steps(flat)
    assert [s.file for s in steps] == sorted(p.name for p in (REPO / "glue" / "sql").glob("*.sql"))


def test_says_where_it_looked_for_a_missing_contract(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as caught:
        job.find_glue_files(tmp_path / "a")
    assert str(caught.value) == (
        f"contract.json not found in {tmp_path / 'a'} or {tmp_path}: ship glue/contract.json "
        "beside the script (Glue: --extra-files)."
    )


@pytest.mark.parametrize(
    ("name", "sql", "message"),
    [
        (
            "1_x.sql",
            "SELECT 1",
            "is misnamed: name it NN_<table>.sql (two digits, then the lowercase snake_case "
            "table it creates).",
        ),
        (
            "01_x.sql",
            "SELECT 1;",
            'contains ";": a step is one SELECT without a trailing semicolon (the runner '
            "wraps it in CREATE ... AS).",
        ),
    ],
)
def test_rejects_a_misnamed_or_multi_statement_sql_file(tmp_path, name, sql, message):
    (tmp_path / name).write_text(sql)
    with pytest.raises(ValueError) as caught:
        job.load_sql_steps(tmp_path)
    assert str(caught.value) == f"SQL step {tmp_path / name} {message}"


def test_summary_refuses_broken_accounting():
    rows = [("input", "albums", None, 3), ("accepted", "albums", None, 1)]
    rows += [("rejected", "albums", "bad_date", 1)]
    with pytest.raises(RuntimeError) as caught:
        job.build_summary(rows, 1, "r", "spark")
    assert str(caught.value) == (
        "Row accounting broken for albums: 3 in, 1 accepted, 1 quarantined. The SQL in "
        "glue/sql loses or duplicates rows."
    )
    with pytest.raises(RuntimeError, match="unknown reason typo for albums"):
        job.build_summary([("rejected", "albums", "typo", 1)], 0, "r", "spark")


def test_summary_refuses_a_gold_count_other_than_the_accepted_albums():
    rows = [("input", "albums", None, 2), ("accepted", "albums", None, 1)]
    rows += [("rejected", "albums", "bad_date", 1)]
    assert job.build_summary(rows, 1, "r", "spark")["output"] == {"tracks": 1}
    with pytest.raises(RuntimeError) as caught:
        job.build_summary(rows, 2, "r", "spark")
    assert str(caught.value) == (
        "Gold has 2 rows but 1 albums rows were accepted: glue/sql drops or duplicates rows "
        "between accepted_albums and gold_tracks."
    )


def test_parses_csv_records_like_the_duckdb_runner():
    assert job.parse_csv_record('a,"b, c","say ""hi""",,"\ufeffx"') == [
        "a",
        "b, c",
        'say "hi"',
        "",
        "\ufeffx",
    ]
    assert job.normalize_header("\ufeff Track_ID ") == "track_id"
