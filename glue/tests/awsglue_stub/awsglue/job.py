"""Stand-in for ``awsglue.job``: records ``init`` and ``commit`` so tests can assert them."""

from __future__ import annotations

from typing import Any


class Job:
    """A Glue job run. ``Job.runs`` lists every instance created, in order."""

    runs: list["Job"] = []

    def __init__(self, glue_context: Any) -> None:
        self.glue_context = glue_context
        self.name: str | None = None
        self.args: dict[str, str] | None = None
        self.events: list[str] = []
        Job.runs.append(self)

    def init(self, name: str, args: dict[str, str]) -> None:
        """Starts the run (Glue: sets up bookmarks and metrics)."""
        self.name = name
        self.args = dict(args)
        self.events.append("init")

    def commit(self) -> None:
        """Marks the run successful (Glue: commits bookmark state)."""
        if "init" not in self.events:
            raise RuntimeError("Job.commit() called before Job.init()")
        self.events.append("commit")
