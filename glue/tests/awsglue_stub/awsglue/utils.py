"""Stand-in for ``awsglue.utils``: ``getResolvedOptions`` as Glue implements it.

Glue resolves ``--name value`` pairs from ``sys.argv``: every listed name is required, arguments
that are not listed (Glue adds its own, such as ``--job-bookmark-option``) are ignored.
"""

from __future__ import annotations

import argparse


class GlueArgumentError(Exception):
    """Raised, as by Glue, when a listed argument is missing."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit the process
        raise GlueArgumentError(message)


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:  # noqa: N802
    """Returns ``{name: value}`` for each of ``options`` found as ``--name value`` in ``args``."""
    parser = _Parser(add_help=False)
    for option in options:
        parser.add_argument(f"--{option}", required=True)
    parsed, _extra = parser.parse_known_args(args[1:])
    return vars(parsed)
