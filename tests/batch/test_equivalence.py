"""Held equal: DuckDB, Spark and the pure `evaluate` agree for every subject on every day.

Rulebooks and populations come from the shared strategies in `tests/unit/strategies.py`.
Days are drawn both at random and at the edges of records (the day a record ends and the
day before, with month-end clamping and credit repair), where an off-by-one would show.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.batch.snapshots import expected, outcomes, outcomes_of, write_snapshot
from tests.unit.strategies import FEW, SubjectCase, days, populations, rulebooks
from trustledger.batch.engines import DuckDBEngine
from trustledger.batch.plan import compile_plan
from trustledger.domain.rulebook import Rulebook


@st.composite
def probe_days(
    draw: st.DrawFn, book: Rulebook, population: list[SubjectCase], max_days: int
) -> list[date]:
    """A few days: random ones, and the edges of records' counting spans (the day a record
    ends and the day before) and list spans (the day a notice runs out and the day before)."""
    ends: set[date] = set()
    starts: set[date] = set()
    for case in population:
        for r in case.records:
            rt = book.record_type(r.type)
            if rt is None or r.voided or case.kind not in rt.subject_kinds:
                continue
            end = rt.end(r.decided_on, r.fulfilled_on)
            ends |= {end - timedelta(days=1), end}
            notified = max(r.decided_on, r.notified_on or r.decided_on)
            for spec in book.index.lists_by_type.get(rt.code, ()):
                start = notified + timedelta(days=spec.notice_days)
                if start < end:
                    starts |= {start - timedelta(days=1), start}
    share = max(1, max_days // 3)
    picked = draw(st.lists(days(), min_size=1, max_size=share, unique=True))
    for edges in (ends, starts):
        if edges:
            picked += draw(st.lists(st.sampled_from(sorted(edges)), max_size=share, unique=True))
    return sorted(set(picked))


@st.composite
def cases(
    draw: st.DrawFn, min_subjects: int, max_subjects: int, max_days: int
) -> tuple[Rulebook, list[SubjectCase], list[date]]:
    book = draw(rulebooks())
    population = draw(populations(book, min_subjects=min_subjects, max_subjects=max_subjects))
    return book, population, draw(probe_days(book, population, max_days))


def _duckdb(snapshot: Path, book: Rulebook, day: date, out: Path) -> dict[str, Any]:
    with DuckDBEngine(snapshot) as duck:
        duck.write(compile_plan(book, day), out)
    return outcomes(out)


@FEW
@given(case=cases(min_subjects=1, max_subjects=30, max_days=9))
def test_duckdb_agrees_with_evaluate(case: tuple[Rulebook, list[SubjectCase], list[date]]) -> None:
    book, population, test_dates = case
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = write_snapshot(Path(tmp) / "snapshot", population)
        with DuckDBEngine(snapshot) as duck:  # one engine, many days: edges are cheap to try
            for day in test_dates:
                rows = duck.connection.sql(compile_plan(book, day).sql()).to_arrow_table()
                assert outcomes_of(rows.to_pylist()) == expected(book, population, day), day
        # ... and once through the engine's Parquet output, as rescore reads it.
        assert _duckdb(snapshot, book, test_dates[0], Path(tmp) / "out") == expected(
            book, population, test_dates[0]
        )


@pytest.mark.spark
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases(min_subjects=20, max_subjects=80, max_days=3))
def test_spark_duckdb_and_evaluate_agree(
    spark: Any, case: tuple[Rulebook, list[SubjectCase], list[date]]
) -> None:
    from trustledger.batch.spark import SparkEngine

    book, population, test_dates = case
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = write_snapshot(Path(tmp) / "snapshot", population)
        engine = SparkEngine(spark, str(snapshot))
        try:
            for i, day in enumerate(test_dates):
                want = expected(book, population, day)
                assert _duckdb(snapshot, book, day, Path(tmp) / f"duck-{i}") == want, day
                rows = engine.dataframe(compile_plan(book, day)).collect()
                assert outcomes_of([r.asDict() for r in rows]) == want, day
        finally:
            engine.close()
