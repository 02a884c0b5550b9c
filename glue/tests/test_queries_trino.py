"""Checks every Athena query in queries/ as Trino SQL (Athena engine v3), independently of DuckDB.

DuckDB runs the same files in test/queries.test.ts, so a Trino-only construct fails there; this file
catches the other direction: DuckDB-only SQL that would only fail once deployed to Athena.

Four checks per query file:
1. it parses with sqlglot's Trino dialect (error level RAISE) into exactly one statement;
2. it round-trips: the Trino SQL sqlglot generates from it parses again to the same tree;
3. it stays inside the shared subset documented in queries/README.md;
4. it reads exactly one table of the contract, the one its header names (`-- reads: <table>`,
   default the gold table `tracks`; e.g. `tracks_history` for the snapshot history).

Check 3 exists because sqlglot's Trino reader is lenient: it accepts `SELECT * EXCLUDE (x)`,
`list_value(...)`, `x::DOUBLE`, `GROUP BY ALL` and `FROM t SELECT ...` without complaint, and
sqlglot even writes `median(x)` out as `PERCENTILE_CONT(x, 0.5)`, which Trino does not have.
So the syntax tree is checked against an allowlist of node types and functions that were verified
on both engines, plus a few rules (division, LIMIT, casts) where the engines disagree.

QUERIES_DIR (environment) points the per-file checks at another folder; the mocha test uses it to
prove the check rejects a DuckDB-only query. Run: .venv/bin/python -m pytest glue/tests/test_queries_trino.py -q
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.tokens import TokenType

REPO = Path(__file__).resolve().parents[2]
QUERIES_DIR = Path(os.environ.get("QUERIES_DIR") or REPO / "queries")
QUERY_FILES = sorted(QUERIES_DIR.glob("*.sql"))

TRINO = Dialect.get_or_raise("trino")

# The tables a query may read, from the dataset contract (lib/queries.ts QUERY_TABLES): the gold
# table and the snapshot history.
_CONTRACT = json.loads((REPO / "glue" / "contract.json").read_text(encoding="utf-8"))
GOLD_TABLE = _CONTRACT["layout"]["gold_table"]
QUERY_TABLES = (GOLD_TABLE, _CONTRACT["publish"]["history"]["table"])
READS_LINE = re.compile(r"^-- reads:(.*)$")

# Syntax-tree node types (sqlglot class names) allowed in query files. The probe
# test/fixtures/gold/shared_subset_probe.sql uses every one of them: it is checked here as Trino
# SQL and run on DuckDB with exact expected rows in test/queries.test.ts. queries/README.md lists
# them. To add one: use it in the probe, update the probe's expected rows, then add it here.
ALLOWED_NODES = frozenset(
    {
        # statement structure
        "Select", "With", "CTE", "TableAlias", "From", "Table", "Join", "Where", "Group",
        "Having", "Order", "Ordered", "Limit", "Union", "Subquery", "Paren", "Alias",
        "Identifier", "Column", "Star", "Literal", "Null", "Boolean", "DataType", "Distinct",
        "Window",
        # operators
        "Add", "Sub", "Mul", "Div", "Neg", "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "And", "Or",
        "Not", "Is", "Between", "In", "Like", "Case", "If",
        # functions
        "Count", "CountIf", "Sum", "Avg", "Min", "Max", "Round", "Cast", "Trim", "Coalesce",
        "Lower", "Upper", "RowNumber",
    }
)

# Types allowed in CAST: the Athena/Trino names of the gold table's types.
ALLOWED_CAST_TYPES = frozenset({"DOUBLE", "VARCHAR", "BIGINT", "INT", "BOOLEAN", "DATE"})

# Why a node type is not in the subset, for the error message (others get a generic hint).
REJECTION_HINTS = {
    "Anonymous": "a function sqlglot does not know as Trino",
    "Median": "median() exists in DuckDB only; compute the median with ROW_NUMBER() (see duration_trends_by_year.sql)",
    "ApproxQuantile": "approx_percentile() exists in Trino only and is approximate",
    "Qualify": "QUALIFY is DuckDB only; filter a window result in an outer query",
    "Struct": "struct literals {...} are DuckDB only",
    "Array": "list/array literals differ ([...] in DuckDB, ARRAY[...] in Trino)",
    "ILike": "ILIKE is DuckDB only; use LOWER(x) LIKE '...'",
    "TableSample": "sampling syntax differs (USING SAMPLE vs TABLESAMPLE)",
    "Columns": "COLUMNS(...) is DuckDB only",
}


def parse_trino(sql: str) -> exp.Expression:
    """Parses one statement as Trino SQL; raises ParseError otherwise."""
    statements = [s for s in sqlglot.parse(sql, read="trino", error_level=ErrorLevel.RAISE) if s]
    if len(statements) != 1:
        raise ParseError(f"expected exactly one SQL statement, found {len(statements)}")
    return statements[0]


def round_trip_problems(sql: str) -> list[str]:
    """The Trino SQL sqlglot writes for the query must parse again, to the same tree."""
    tree = parse_trino(sql)
    written = sqlglot.transpile(
        sql,
        read="trino",
        write="trino",
        error_level=ErrorLevel.RAISE,
        unsupported_level=ErrorLevel.RAISE,
    )
    if len(written) != 1:
        return [f"round trip produced {len(written)} statements, expected 1"]
    again = parse_trino(written[0])
    if again != tree:
        return [f"round trip changed the query: {written[0]}"]
    return []


def _contains_double_cast(node: exp.Expression) -> bool:
    return any(
        cast.to.this == exp.DataType.Type.DOUBLE for cast in node.find_all(exp.Cast)
    )


def subset_problems(sql: str) -> list[str]:
    """Everything in the query outside the shared Trino/DuckDB subset (empty list: none)."""
    problems: list[str] = []
    tokens = TRINO.tokenize(sql)
    if not tokens or tokens[0].token_type not in (TokenType.SELECT, TokenType.WITH):
        first = tokens[0].text if tokens else "<nothing>"
        problems.append(
            f"the statement must start with SELECT or WITH; found {first!r}"
            " (FROM-first queries are DuckDB only)"
        )
    for token in tokens:
        if token.token_type == TokenType.DCOLON:
            problems.append(
                f"'::' cast at line {token.line} is not Trino SQL; write CAST(x AS type)"
            )

    tree = parse_trino(sql)
    if not isinstance(tree, exp.Query):
        problems.append(f"the statement must be a query, found {type(tree).__name__}")
    elif not tree.args.get("order"):
        problems.append(
            "the outermost query must have an ORDER BY so rows come back in a fixed order"
        )

    for node in tree.walk():
        kind = type(node).__name__
        if kind not in ALLOWED_NODES:
            what = f"function {node.name.upper()}()" if isinstance(node, exp.Anonymous) else kind
            hint = REJECTION_HINTS.get(kind, "not in the shared Trino/DuckDB subset")
            problems.append(
                f"{what} ({node.sql('trino')[:60]!r}): {hint}; see queries/README.md"
            )
            continue
        if isinstance(node, exp.Star) and any(
            node.args.get(arg) for arg in ("except_", "except", "replace", "rename")
        ):
            problems.append(
                "SELECT * EXCLUDE/REPLACE/RENAME is DuckDB only; list the columns"
            )
        if isinstance(node, exp.Group) and node.args.get("all"):
            problems.append("GROUP BY ALL is DuckDB only; list the grouping columns")
        if isinstance(node, exp.Ordered):
            key = node.this
            bare = isinstance(key, exp.Column) and not key.table and not key.this.quoted
            if bare and key.this.name.upper() == "ALL":
                problems.append("ORDER BY ALL is DuckDB only; list the sort columns")
        if isinstance(node, exp.Limit) and node.args.get("limit_options"):
            problems.append("LIMIT with PERCENT/WITH TIES is not in the shared subset")
        if isinstance(node, exp.Join):
            if node.args.get("method") or (node.kind or "").upper() in ("SEMI", "ANTI", "ASOF"):
                problems.append(
                    f"{node.args.get('method') or node.kind} JOIN is DuckDB only; use [LEFT] JOIN ... ON"
                )
        if isinstance(node, exp.Cast):
            target = node.to.this
            type_name = target.name if isinstance(target, exp.DataType.Type) else str(target)
            if type_name not in ALLOWED_CAST_TYPES:
                problems.append(
                    f"CAST to {node.to.sql('trino')} is not in the shared subset;"
                    f" use one of {sorted(ALLOWED_CAST_TYPES)}"
                )
        if isinstance(node, exp.Div) and not (
            _contains_double_cast(node.this) or _contains_double_cast(node.expression)
        ):
            problems.append(
                f"division {node.sql('trino')!r} needs an operand CAST(... AS DOUBLE):"
                " integer division truncates in Trino (7 / 2 = 3; DuckDB 3.5) and decimal"
                " division keeps the operands' scale in Trino (DuckDB returns DOUBLE)"
            )
        if isinstance(node, exp.Query) and node.args.get("limit") and not node.args.get("order"):
            problems.append(
                f"LIMIT without ORDER BY returns arbitrary rows: {node.sql('trino')[:80]!r}"
            )
    return problems


def declared_table(sql: str) -> str:
    """The table named by the optional third header line `-- reads: <table>`, else the gold table."""
    lines = sql.splitlines()
    match = READS_LINE.match(lines[2]) if len(lines) > 2 else None
    return match.group(1).strip() if match else GOLD_TABLE


def table_problems(sql: str) -> list[str]:
    """The query must read exactly the table its header declares, one of the contract's tables."""
    declared = declared_table(sql)
    if declared not in QUERY_TABLES:
        return [f"'-- reads:' must name one of {list(QUERY_TABLES)}; found {declared!r}"]
    tree = parse_trino(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    read = sorted({t.name for t in tree.find_all(exp.Table) if t.name not in ctes or t.db})
    if read != [declared]:
        return [
            f"the query must read only {declared!r} (its '-- reads:' header, default"
            f" {GOLD_TABLE!r}); it reads {read}"
        ]
    qualified = sorted({t.sql("trino") for t in tree.find_all(exp.Table) if t.db or t.catalog})
    if qualified:
        return [f"tables must be unqualified (the named query's database resolves them); found {qualified}"]
    return []


def trino_problems(sql: str) -> list[str]:
    """All four checks on one query text; a parse error is reported as a problem."""
    try:
        return round_trip_problems(sql) + subset_problems(sql) + table_problems(sql)
    except ParseError as error:
        return [f"does not parse as Trino SQL: {str(error).splitlines()[0]}"]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_query_folder_has_queries():
    assert QUERY_FILES, f"no .sql files in {QUERIES_DIR}"


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_parses_as_trino(path: Path):
    try:
        parse_trino(_read(path))
    except ParseError as error:
        pytest.fail(f"{path.name} does not parse as Trino SQL: {error}")


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_round_trips_as_trino(path: Path):
    assert round_trip_problems(_read(path)) == [], path.name


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_stays_in_shared_subset(path: Path):
    problems = subset_problems(_read(path))
    assert problems == [], f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_reads_its_declared_table(path: Path):
    problems = table_problems(_read(path))
    assert problems == [], f"{path.name}: " + "; ".join(problems)


HEADER = "-- title: t\n-- answers: a\n"
WRONG_TABLES = [
    ("undeclared_history", HEADER + "SELECT snapshot_date FROM tracks_history ORDER BY 1", "must read only 'tracks'"),
    ("declared_history_reads_gold", HEADER + "-- reads: tracks_history\nSELECT track_id FROM tracks ORDER BY 1", "must read only 'tracks_history'"),
    ("both_tables", HEADER + "-- reads: tracks_history\nSELECT h.track_id FROM tracks_history AS h JOIN tracks AS t ON t.track_id = h.track_id ORDER BY 1", "it reads ['tracks', 'tracks_history']"),
    ("unknown_table", HEADER + "-- reads: albums\nSELECT album_id FROM albums ORDER BY 1", "must name one of ['tracks', 'tracks_history']; found 'albums'"),
    ("qualified", HEADER + "SELECT track_id FROM other_db.tracks ORDER BY 1", "unqualified"),
]


@pytest.mark.parametrize(
    "sql,reason", [(s, r) for _, s, r in WRONG_TABLES], ids=[i for i, _, _ in WRONG_TABLES]
)
def test_rejects_a_query_reading_another_table(sql: str, reason: str):
    problems = table_problems(sql)
    assert any(reason in p for p in problems), problems


def test_a_cte_named_like_a_table_is_not_a_read():
    sql = HEADER + "-- reads: tracks_history\nWITH t AS (SELECT track_id FROM tracks_history) SELECT track_id FROM t ORDER BY 1"
    assert table_problems(sql) == []


# Each of these runs on DuckDB (or is DuckDB-only syntax); the check must reject it, and say why.
DUCKDB_ONLY = [
    ("star_exclude", "SELECT * EXCLUDE (track_id) FROM tracks ORDER BY 1", "EXCLUDE"),
    ("star_replace", "SELECT * REPLACE (1 AS track_number) FROM tracks ORDER BY 1", "EXCLUDE/REPLACE"),
    ("list_value", "SELECT list_value(1, 2) AS l FROM tracks ORDER BY 1", "function LIST_VALUE()"),
    ("median", "SELECT median(duration_ms) AS m FROM tracks ORDER BY 1", "median() exists in DuckDB only"),
    ("quantile_cont", "SELECT quantile_cont(duration_ms, 0.5) AS q FROM tracks ORDER BY 1", "function QUANTILE_CONT()"),
    ("qualify", "SELECT track_id FROM tracks QUALIFY ROW_NUMBER() OVER (ORDER BY track_id) = 1 ORDER BY 1", "does not parse"),
    ("double_colon_cast", "SELECT duration_ms::DOUBLE AS d FROM tracks ORDER BY 1", "'::' cast"),
    ("integer_division", "SELECT duration_ms / 60000 AS m FROM tracks ORDER BY 1", "integer division truncates"),
    ("decimal_division", "SELECT duration_ms / 60000.0 AS m FROM tracks ORDER BY 1", "needs an operand CAST"),
    ("floor_division", "SELECT duration_ms // 60000 AS m FROM tracks ORDER BY 1", "does not parse"),
    ("group_by_all", "SELECT artist_name, COUNT(*) AS n FROM tracks GROUP BY ALL ORDER BY 1", "GROUP BY ALL"),
    ("order_by_all", "SELECT artist_name FROM tracks ORDER BY ALL", "ORDER BY ALL"),
    ("from_first", "FROM tracks SELECT artist_name ORDER BY 1", "must start with SELECT or WITH"),
    ("struct_literal", "SELECT {'a': 1} AS s FROM tracks ORDER BY 1", "struct literals"),
    ("list_literal", "SELECT [1, 2] AS l FROM tracks ORDER BY 1", "list/array literals"),
    ("ilike", "SELECT artist_name FROM tracks WHERE artist_name ILIKE 'e%' ORDER BY 1", "ILIKE"),
    ("using_sample", "SELECT artist_name FROM tracks USING SAMPLE 10 ORDER BY 1", "sampling"),
    ("backtick_identifier", "SELECT `artist_name` FROM tracks ORDER BY 1", "does not parse"),
    ("hugeint_cast", "SELECT CAST(followers AS HUGEINT) AS f FROM tracks ORDER BY 1", "CAST to"),
    ("asof_join", "SELECT a.track_id FROM tracks AS a ASOF JOIN tracks AS b ON a.duration_ms >= b.duration_ms ORDER BY 1", "ASOF JOIN"),
    ("limit_without_order", "SELECT track_id FROM tracks LIMIT 5", "ORDER BY"),
    ("two_statements", "SELECT 1 AS a ORDER BY 1; SELECT 2 AS b ORDER BY 1", "exactly one SQL statement"),
]


@pytest.mark.parametrize(
    "sql,reason", [(s, r) for _, s, r in DUCKDB_ONLY], ids=[i for i, _, _ in DUCKDB_ONLY]
)
def test_rejects_duckdb_only_construct(sql: str, reason: str):
    problems = trino_problems(sql)
    assert problems, f"accepted DuckDB-only SQL: {sql}"
    assert any(reason in p for p in problems), problems


PROBE = REPO / "test" / "fixtures" / "gold" / "shared_subset_probe.sql"


def test_probe_is_trino_sql_in_the_subset():
    """Positive control: the probe (run on DuckDB by test/queries.test.ts) passes every check."""
    assert trino_problems(_read(PROBE)) == []


def test_probe_covers_the_allowlist_exactly():
    """Every allowed node type is exercised by the probe, so each is proven on DuckDB too."""
    used = {type(node).__name__ for node in parse_trino(_read(PROBE)).walk()}
    assert sorted(ALLOWED_NODES - used) == [], "allowed but not exercised by the probe"
    assert sorted(used - ALLOWED_NODES) == [], "used by the probe but not allowed"
