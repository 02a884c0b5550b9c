"""Shared pytest setup for glue/tests.

- ``glue/`` goes on ``sys.path`` so tests ``import job`` (glue/job.py).
- ``glue/tests/awsglue_stub`` goes on ``sys.path`` so ``main()`` can import its thin ``awsglue``
  wrappers (the real library exists only inside Glue). Only the tests see the stub.
- ``spark``: ONE local SparkSession for the whole test session (local[2], 2 shuffle partitions,
  UTC, no UI), built with the settings of ``job.local_session``; created only when a test needs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

GLUE = Path(__file__).resolve().parents[1]
REPO = GLUE.parent
for folder in (GLUE, GLUE / "tests" / "awsglue_stub"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# A fixed local address avoids Spark's hostname lookup warning (and its delay).
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    """The test session's SparkSession (stopped at the end)."""
    import job

    session = job.local_session(master="local[2]", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
