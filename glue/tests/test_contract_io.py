"""The Glue job reads its input files and reasons from glue/contract.json, not from literals
(glue/job_io.py ``contract_entities`` and ``contract_reasons``). No Spark needed.

Run: .venv/bin/python -m pytest -q glue/tests/test_contract_io.py
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import job
import job_io

GLUE = Path(__file__).resolve().parents[1]
CONTRACT = job_io.load_contract(GLUE / "contract.json")


def test_entities_and_reasons_are_the_contracts_in_its_order():
    assert job_io.contract_entities(CONTRACT) == tuple(CONTRACT["inputs"])
    assert job_io.contract_entities(CONTRACT) == ("albums", "artists", "tracks")
    assert job_io.contract_reasons(CONTRACT) == tuple(r["name"] for r in CONTRACT["reasons"])


def test_the_summary_follows_the_contract_it_is_given():
    """A contract with another input file order and a fourth file: the summary lists the files
    in that order, the fourth included, with its own accounting checked."""
    contract = copy.deepcopy(CONTRACT)
    inputs = contract["inputs"]
    contract["inputs"] = {"tracks": inputs["tracks"], "albums": inputs["albums"],
                          "artists": inputs["artists"], "playlists": inputs["tracks"]}
    reason = CONTRACT["reasons"][0]["name"]
    rows = [("input", e, None, 2) for e in contract["inputs"]]
    rows += [("accepted", e, None, 1) for e in contract["inputs"]]
    rows += [("rejected", e, reason, 1) for e in contract["inputs"]]
    summary = job.build_summary(rows, 1, "r", "spark", contract)
    assert list(summary["input"]) == ["tracks", "albums", "artists", "playlists"]
    assert summary["rejected"]["playlists"] == {reason: 1}


def test_no_entity_or_reason_literal_is_left_in_the_job():
    for name in ("job.py", "job_io.py", "job_audit.py"):
        text = (GLUE / name).read_text(encoding="utf-8")
        assert not re.search(r"\(\s*\"albums\",\s*\"artists\",\s*\"tracks\"\s*\)", text), name
        assert "ENTITIES =" not in text, name
