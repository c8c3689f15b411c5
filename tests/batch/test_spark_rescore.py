"""`rescore --engine spark` on a real ledger writes the same standings as DuckDB."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.batch.ledgers import populate
from tests.conftest import TODAY, act
from trustledger.batch.engines import read_standings, run_plan
from trustledger.batch.plan import compile_plan
from trustledger.batch.synthetic import SOURCES
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
from trustledger.services.intake.sources import add_source
from trustledger.services.rescore import export_parquet, rescore
from trustledger.store.batch_tables import standings

AS_OF = TODAY + timedelta(days=20)


@pytest.mark.spark
def test_spark_rescore_equals_duckdb(spark: Any, tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        rulebooks.init(ledger, actor="test")
        for code, kind, name in SOURCES:
            act(ledger, add_source, code, kind, name)
        populate(ledger, TODAY, persons=150)
        snapshot = export_parquet(ledger, tmp_path / "snap", actor="test").directory

        def stored() -> set[tuple[Any, ...]]:
            with ledger.uow() as uow:
                rows = uow.connection.execute(
                    select(
                        standings.c.subject, standings.c.score, standings.c.tier, standings.c.lists
                    )
                ).all()
            return {tuple(r) for r in rows}

        by_duckdb = rescore(ledger, as_of=AS_OF, snapshot=snapshot, workdir=tmp_path, actor="test")
        duck = stored()
        by_spark = rescore(
            ledger, as_of=AS_OF, engine="spark", snapshot=snapshot, spark=spark, actor="test"
        )
        assert by_spark.engine == "spark" and by_spark.subjects == by_duckdb.subjects
        assert by_spark.tiers == by_duckdb.tiers and by_spark.lists == by_duckdb.lists
        assert stored() == duck and len(duck) == by_duckdb.subjects

        # On a cluster the rows stream back to the driver instead: the same standings.
        with ledger.uow() as uow:
            book = ledger.rulebook(uow)
        plan = compile_plan(book, AS_OF)
        n = run_plan(plan, snapshot, tmp_path / "collected", "spark", spark=spark, collect=True)
        run_plan(plan, snapshot, tmp_path / "duck", "duckdb")
        columns = ["subject", "score", "tier", "lists", "awaiting", *plan.list_columns.values()]

        def rows(out: Path) -> list[dict[str, Any]]:
            table = read_standings(out).to_table(columns=columns)
            return sorted(table.to_pylist(), key=lambda r: r["subject"])

        assert n == by_duckdb.subjects
        assert rows(tmp_path / "collected") == rows(tmp_path / "duck")
    finally:
        ledger.close()
