"""Importing records from Parquet, on SQLite and on PostgreSQL.

A warehouse export goes through the same intake as a JSON Lines file: valid rows are stored,
each bad row is reported with its row number (1-based) and the field at fault, and re-sending
the file is a no-op.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tests.integration.test_import import ORG, PEOPLE, cli_import, stored
from trustledger.services.context import Ledger
from trustledger.services.intake import ingest
from trustledger.store.tables import records

FUTURE = date.today() + timedelta(days=400)


def write_parquet(path: Path, table: pa.Table, **options: Any) -> Path:
    pq.write_table(table, path, **options)
    return path


def court_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows with typed columns, as a warehouse exports them: dates as date32, amounts exact."""
    schema = pa.schema(
        [
            ("subject", pa.string()),
            ("type", pa.string()),
            ("reference", pa.string()),
            ("decided_on", pa.date32()),
            ("amount", pa.decimal128(18, 2)),
            ("note", pa.string()),
            ("fulfilled_on", pa.date32()),
        ]
    )
    full = [{name: row.get(name) for name in schema.names} for row in rows]
    return pa.Table.from_pylist(full, schema=schema)


def debt(n: int, subject: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "subject": subject or PEOPLE[n % len(PEOPLE)],
        "type": "court.dishonest_debtor",
        "reference": f"(2026)执{n}号",
        "decided_on": date(2026, 3, 1),
        **more,
    }


def test_parquet_stores_valid_rows_and_reports_each_rejected_one(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = write_parquet(
        tmp_path / "court.parquet",
        court_table(
            [
                debt(1),  # 1
                debt(2, type="court.no_such_type"),  # 2
                debt(3, type="traffic.violation"),  # 3: a court does not report tickets
                debt(4, subject=ORG, type="court.defamation"),  # 4: defamation is a person's
                debt(5, subject="cn-rid:11010519491231002Y"),  # 5: wrong check character
                debt(6, decided_on=FUTURE),  # 6
                debt(7, reference=None),  # 7: a null is an absent value
                debt(8, fulfilled_on=date(2026, 2, 1)),  # 8: before the decision
                debt(9, amount=Decimal("1200.50"), note="  paid in part  "),  # 9
                debt(10, fulfilled_on=date(2026, 4, 1)),  # 10
            ]
        ),
    )
    report = cli_import(ledger, path)
    assert (report["inserted"], report["duplicates"]) == (3, 0)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert [r["line"] for r in report["rejected"]] == sorted(reasons)
    assert reasons == {
        2: "type: unknown record type 'court.no_such_type' in rulebook example-city 2026.1",
        3: "type: a court source may not report traffic.violation (reporters: traffic-police)",
        4: reasons[4],
        5: "subject: cn-rid: check character expected X, got Y",
        6: f"decided_on: {FUTURE.isoformat()} is in the future (today is {reasons[6][-11:-1]})",
        7: "reference: is missing",
        8: "fulfilled_on: is before decided_on",
    }
    assert reasons[4].startswith("subject: court.defamation applies to person, not to ")
    assert stored(ledger) == ["(2026)执1号", "(2026)执9号", "(2026)执10号"]
    with ledger.engine.connect() as conn:
        row = conn.execute(select(records).where(records.c.reference == "(2026)执9号")).one()
        fulfilled = conn.execute(
            select(records.c.fulfilled_on).where(records.c.reference == "(2026)执10号")
        ).scalar_one()
    assert (row.subject, row.decided_on, str(row.amount)) == (
        PEOPLE[9],
        date(2026, 3, 1),
        "1200.50",
    )
    assert row.note == "paid in part"
    assert fulfilled == date(2026, 4, 1)

    # Re-sending the same file stores nothing new and reports the same rejections.
    again = cli_import(ledger, path)
    assert (again["inserted"], again["duplicates"]) == (0, 3)
    assert again["rejected"] == report["rejected"]
    assert len(stored(ledger)) == 3


def test_parquet_dates_and_amounts_may_be_text_or_floats(ledger: Ledger, tmp_path: Path) -> None:
    table = pa.table(
        {
            "subject": [PEOPLE[1], PEOPLE[2], PEOPLE[3], PEOPLE[4]],
            "type": ["court.dishonest_debtor"] * 4,
            "reference": ["P-1", "P-2", "P-3", "P-4"],
            "decided_on": ["2026-03-01", "2026-03-02", "2026-02-30", "2026-03-04"],
            "amount": [1200.5, None, 10.0, 0.125],
        }
    )
    report = cli_import(ledger, write_parquet(tmp_path / "text.parquet", table))
    assert report["inserted"] == 2
    assert report["rejected"] == [
        {"line": 3, "reason": "decided_on: '2026-02-30' is not a date (YYYY-MM-DD)"},
        {"line": 4, "reason": "amount: '0.125' has more than two decimals (fen)"},
    ]
    with ledger.engine.connect() as conn:
        amounts = {
            r.reference: r.amount
            for r in conn.execute(select(records.c.reference, records.c.amount))
        }
    assert amounts == {"P-1": Decimal("1200.50"), "P-2": None}


def test_an_unknown_parquet_column_rejects_the_file_at_row_one(
    ledger: Ledger, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "subject": [PEOPLE[0]],
            "type": ["court.dishonest_debtor"],
            "reference": ["T-1"],
            "decided": ["2026-03-01"],
        }
    )
    report = cli_import(ledger, write_parquet(tmp_path / "typo.parquet", table))
    assert report["inserted"] == 0
    assert [r["line"] for r in report["rejected"]] == [1]
    assert report["rejected"][0]["reason"].startswith("decided: unknown column")
    assert stored(ledger) == []


def test_a_file_that_is_not_parquet_is_rejected(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "court.parquet"
    path.write_text('{"subject": "x"}\n')
    report = cli_import(ledger, path)
    assert report["inserted"] == 0
    assert [r["line"] for r in report["rejected"]] == [1]
    assert report["rejected"][0]["reason"].startswith("not a readable Parquet file")
    assert stored(ledger) == []


@pytest.mark.parametrize("dictionary", [False, True])
def test_row_numbers_run_on_across_row_groups_and_batches(
    monkeypatch: pytest.MonkeyPatch, dictionary: bool
) -> None:
    monkeypatch.setattr(ingest, "PARQUET_BATCH", 3)
    table = pa.table(
        {
            "reference": [f"R-{i}" for i in range(1, 11)],
            "type": ["court.dishonest_debtor"] * 10,
            "decided_on": pa.array([date(2026, 1, i) for i in range(1, 11)], pa.date32()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=4, use_dictionary=dictionary)
    buffer.seek(0)
    rows = list(ingest.read_parquet(buffer))
    assert [n for n, _ in rows] == list(range(1, 11))
    assert rows[9][1] == {
        "reference": "R-10",
        "type": "court.dishonest_debtor",
        "decided_on": "2026-01-10",
    }
