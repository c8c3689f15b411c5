"""What a rulebook change did: subjects changing tier, entering and leaving each list.

Both sides are tables of `(subject, tier, lists)` with `lists` a JSON array of codes (what the
plan writes and the `standings` table holds); DuckDB joins them, however large.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from trustledger.batch.plan import sql_literal

EXAMPLES = 5


def _quoted(code: str) -> str:
    return sql_literal(f'"{code}"')


def standings_diff(
    before: pa.Table,
    after: pa.Table | str,
    list_codes: list[str],
    *,
    examples: int = EXAMPLES,
) -> dict[str, Any]:
    """Counts and examples (the first subjects in identifier order) of every change.

    `after` is an Arrow table or a Parquet glob. A subject missing on one side counts as
    having no tier and no lists there (new subjects appear as entering).
    """
    con = duckdb.connect()
    try:
        con.register("before_t", before)
        if isinstance(after, str):
            after_sql = "SELECT subject, tier, lists FROM read_parquet(" + sql_literal(after) + ")"
        else:
            con.register("after_t", after)
            after_sql = "SELECT subject, tier, lists FROM after_t"
        con.execute(
            f"""CREATE TEMP TABLE joined AS
            SELECT COALESCE(a.subject, b.subject) AS subject,
                   b.tier AS tier_before, a.tier AS tier_after,
                   COALESCE(b.lists, '[]') AS lists_before, COALESCE(a.lists, '[]') AS lists_after
            FROM (SELECT subject, tier, lists FROM before_t) AS b
            FULL OUTER JOIN ({after_sql}) AS a ON a.subject = b.subject"""
        )
        row = con.execute("SELECT count(*) FROM joined").fetchone()
        compared = int(row[0]) if row else 0
        transitions = con.execute(
            f"""SELECT tier_before, tier_after, count(*) AS n,
                   list(subject ORDER BY subject) FILTER (WHERE rn <= {examples}) AS examples
            FROM (SELECT *, row_number() OVER (
                    PARTITION BY tier_before, tier_after ORDER BY subject) AS rn
                  FROM joined WHERE tier_before IS DISTINCT FROM tier_after)
            GROUP BY tier_before, tier_after
            ORDER BY n DESC, tier_before NULLS FIRST, tier_after NULLS FIRST"""
        ).fetchall()
        lists = []
        for code in sorted(set(list_codes)):
            q = _quoted(code)
            moves = {}
            for name, condition in (
                ("entered", f"NOT contains(lists_before, {q}) AND contains(lists_after, {q})"),
                ("left", f"contains(lists_before, {q}) AND NOT contains(lists_after, {q})"),
            ):
                found = con.execute(
                    f"""SELECT count(*),
                        list(subject ORDER BY subject) FILTER (WHERE rn <= {examples})
                    FROM (SELECT subject, row_number() OVER (ORDER BY subject) AS rn
                          FROM joined WHERE {condition})"""
                ).fetchone()
                moves[name] = (int(found[0]), list(found[1] or [])) if found else (0, [])
            lists.append(
                {
                    "list": code,
                    "entered": moves["entered"][0],
                    "left": moves["left"][0],
                    "entered_examples": [str(s) for s in moves["entered"][1]],
                    "left_examples": [str(s) for s in moves["left"][1]],
                }
            )
    finally:
        con.close()
    return {
        "subjects": compared,
        "tier_changes": sum(int(t[2]) for t in transitions),
        "transitions": [
            {"from": t[0], "to": t[1], "count": int(t[2]), "examples": [str(s) for s in t[3]]}
            for t in transitions
        ],
        "lists": lists,
    }
