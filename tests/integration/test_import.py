"""Importing records from JSON Lines and CSV, on SQLite and on PostgreSQL.

What a source's file may do to the ledger: valid lines are stored, each bad line is reported
with its line number and the field at fault, re-sending is a no-op, and a batch is stored whole
or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from tests.conftest import TODAY
from trustledger.batch.synthetic import organization_id, person_id
from trustledger.config import Settings
from trustledger.services.context import Ledger, NotFound
from trustledger.services.intake import ingest
from trustledger.store import bulk
from trustledger.store.repository import RecordRepository
from trustledger.store.tables import records, sources, subjects

from trustledger.cli import app  # isort: skip  (registers the commands)

runner = CliRunner()
rng = random.Random(2026)
PEOPLE = [person_id(rng) for _ in range(40)]
ORG = organization_id(rng, public_body=False)
FUTURE = (date.today() + timedelta(days=400)).isoformat()


def debt(n: int, subject: str | None = None, **more: Any) -> dict[str, Any]:
    """A valid line a court may send: the n-th dishonest-debtor decision."""
    return {
        "subject": subject or PEOPLE[n % len(PEOPLE)],
        "type": "court.dishonest_debtor",
        "reference": f"(2026)执{n}号",
        "decided_on": "2026-03-01",
        **more,
    }


def write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8")
    return path


def cli_import(
    ledger: Ledger, path: Path, source: str = "city-court", env: dict[str, str] | None = None
) -> Any:
    url = ledger.engine.url.render_as_string(hide_password=False)
    result: Result = runner.invoke(
        app, ["import", str(path), "--source", source, "--db", url, "--json"], env=env
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.stdout)
    # 0: every line stored or a duplicate; 2: some line rejected or conflicting.
    assert result.exit_code == (2 if report["rejected"] else 0), result.stderr
    assert list(report) == ["inserted", "duplicates", "fulfilled", "rejected"]
    for rejection in report["rejected"]:
        assert list(rejection) == ["line", "reason"]
    return report


def stored(ledger: Ledger) -> list[str]:
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(records.c.reference).order_by(records.c.id)).scalars())


def stored_subjects(ledger: Ledger) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(subjects.c.id)).scalars())


# --- JSON Lines ---------------------------------------------------------------------------


def test_jsonl_stores_valid_lines_and_reports_each_rejected_one(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "court.jsonl",
        [
            debt(1),  # 1
            {**debt(2), "type": "court.no_such_type"},  # 2
            {**debt(3), "type": "traffic.violation"},  # 3: a court does not report tickets
            debt(4, subject=ORG, type="court.defamation"),  # 4: defamation is a person's
            debt(5, subject="cn-rid:11010519491231002Y"),  # 5: wrong check character
            debt(6, decided_on=FUTURE),  # 6
            {k: v for k, v in debt(7).items() if k != "reference"},  # 7
            '{"subject": "cn-rid:11010519491231002X", "type": ',  # 8: cut off
            "",  # 9: blank lines are skipped, but still counted
            debt(10),  # 10
            '["not", "an", "object"]',  # 11
            debt(12, colour="red"),  # 12
            debt(13, amount="a lot"),  # 13
            debt(14, fulfilled_on="2026-02-01"),  # 14: before the decision
            debt(15, decided_on="2026-02-30"),  # 15
            debt(16, note={"nested": True}),  # 16
            debt(17, subject="passport:E1234"),  # 17
            debt(18, amount="-5"),  # 18
            debt(19, amount="1200.50", note="  paid in part  ", fulfilled_on="2026-04-01"),
        ],
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
        6: f"decided_on: {FUTURE} is in the future (today is {reasons[6][-11:-1]})",
        7: "reference: is missing",
        8: reasons[8],
        11: "a line must be a JSON object",
        12: reasons[12],
        13: "amount: 'a lot' is not a number",
        14: "fulfilled_on: is before decided_on",
        15: "decided_on: '2026-02-30' is not a date (YYYY-MM-DD)",
        16: "note: must be text, got dict",
        17: reasons[17],
        18: "amount: '-5' must be a non-negative number",
    }
    assert reasons[4].startswith("subject: court.defamation applies to person, not to ")
    assert reasons[4].endswith("organization")
    assert reasons[8].startswith("not valid JSON")
    assert reasons[12].startswith("colour: unknown field")
    assert reasons[17].startswith("subject: unknown identifier scheme 'passport'")
    assert stored(ledger) == ["(2026)执1号", "(2026)执10号", "(2026)执19号"]
    # What was stored is what was sent, normalized (text trimmed, amount exact).
    with ledger.engine.connect() as conn:
        row = conn.execute(select(records).where(records.c.reference == "(2026)执19号")).one()
    assert (row.subject, row.type, row.source) == (
        PEOPLE[19],
        "court.dishonest_debtor",
        "city-court",
    )
    assert (row.decided_on, row.fulfilled_on) == (date(2026, 3, 1), date(2026, 4, 1))
    # A listing record the source did not say it notified: trustledger notifies on receipt.
    assert row.notified_on == datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert str(row.amount) == "1200.50"
    assert row.note == "paid in part"
    assert (bool(row.voided), bool(row.disputed)) == (False, False)

    # Re-sending the same file stores nothing new and reports the same rejections.
    again = cli_import(ledger, path)
    assert (again["inserted"], again["duplicates"]) == (0, 3)
    assert again["rejected"] == report["rejected"]
    assert len(stored(ledger)) == 3


def test_a_reference_is_unique_per_source(ledger: Ledger, tmp_path: Path) -> None:
    # The same reference twice in one file: the first is stored; the second says something
    # else, so it is a conflict naming the stored record, never a silent duplicate.
    path = write_jsonl(tmp_path / "twice.jsonl", [debt(1), debt(1, decided_on="2026-03-02")])
    assert cli_import(ledger, path) == {
        "inserted": 1,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [
            {
                "line": 2,
                "reason": "reference: '(2026)执1号' is already stored as record 1 with other "
                "content (decided_on differ): a new decision needs a new reference",
            }
        ],
    }
    with ledger.engine.connect() as conn:
        assert conn.execute(select(records.c.decided_on)).scalar_one() == date(2026, 3, 1)
    # Another source may use the same reference for its own decision.
    traffic = write_jsonl(
        tmp_path / "traffic.jsonl",
        [{**debt(1), "type": "traffic.drunk_driving"}],
    )
    assert cli_import(ledger, traffic, source="city-traffic")["inserted"] == 1
    # ... while the court re-sending its reference with another type is a conflict.
    report = cli_import(ledger, traffic, source="city-court")
    assert (report["inserted"], report["duplicates"]) == (0, 0)
    assert "(type differ)" in report["rejected"][0]["reason"]
    assert len(stored(ledger)) == 2


def test_an_empty_file_imports_nothing(ledger: Ledger, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert cli_import(ledger, empty) == {
        "inserted": 0,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [],
    }


def test_an_unregistered_source_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [debt(1)])
    url = ledger.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["import", str(path), "--source", "nobody", "--db", url, "--json"])
    assert result.exit_code == 1
    assert "'nobody' is not registered" in result.stderr
    assert result.stdout == ""
    with pytest.raises(NotFound):
        ingest.import_rows(ledger, "nobody", enumerate([debt(1)], 1), as_of=TODAY, actor="test")
    assert stored(ledger) == []


# --- CSV ----------------------------------------------------------------------------------


def test_csv_counts_the_header_as_line_one(ledger: Ledger, tmp_path: Path) -> None:
    header = ["subject", "type", "reference", "decided_on", "amount", "note", "fulfilled_on"]
    path = write_csv(
        tmp_path / "court.csv",
        header,
        [
            [PEOPLE[0], "court.dishonest_debtor", "C-1", "2026-03-01", "", "", ""],  # 2
            [PEOPLE[1], "court.nope", "C-2", "2026-03-01", "", "", ""],  # 3
            [PEOPLE[2], "traffic.violation", "C-3", "2026-03-01", "", "", ""],  # 4
            [ORG, "court.defamation", "C-4", "2026-03-01", "", "", ""],  # 5
            [
                "cn-uscc:91110000MA01ABCDE0",
                "court.dishonest_debtor",
                "C-5",
                "2026-03-01",
                "",
                "",
                "",
            ],  # 6
            [PEOPLE[5], "court.dishonest_debtor", "C-6", FUTURE, "", "", ""],  # 7
            [PEOPLE[6], "court.dishonest_debtor", "", "2026-03-01", "", "", ""],  # 8
            [PEOPLE[7], "court.dishonest_debtor", "C-8", "2026-03-01", "12.5", "a\nb", ""],  # 9-10
            [PEOPLE[8], "court.dishonest_debtor", "C-9", "01/03/2026", "", "", ""],  # 11
            [PEOPLE[9], "court.dishonest_debtor", "C-10", "2026-03-01", "", "", "", "extra"],  # 12
            [PEOPLE[10], "court.dishonest_debtor"],  # 13
        ],
    )
    report = cli_import(ledger, path)
    assert (report["inserted"], report["duplicates"]) == (2, 0)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 11, 12, 13]
    assert reasons[3].startswith("type: unknown record type 'court.nope'")
    assert reasons[4].startswith("type: a court source may not report traffic.violation")
    assert reasons[5].startswith("subject: court.defamation applies to person")
    assert reasons[6].startswith("subject: cn-uscc: check character expected")
    assert reasons[7].startswith(f"decided_on: {FUTURE} is in the future")
    assert reasons[8] == "reference: is missing"
    assert reasons[11] == "decided_on: '01/03/2026' is not a date (YYYY-MM-DD)"
    assert reasons[12] == "more values than columns"
    assert reasons[13] == "reference: is missing"
    assert stored(ledger) == ["C-1", "C-8"]
    again = cli_import(ledger, path)
    assert (again["inserted"], again["duplicates"], again["rejected"]) == (
        0,
        2,
        report["rejected"],
    )


def test_a_line_spanning_rows_is_reported_where_it_starts(ledger: Ledger, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "multiline.csv",
        ["subject", "type", "reference", "decided_on", "note"],
        [
            [PEOPLE[0], "court.nope", "M-1", "2026-03-01", "one\ntwo\nthree"],  # 2-4
            [PEOPLE[1], "court.nope", "M-2", "2026-03-01", ""],  # 5
        ],
    )
    report = cli_import(ledger, path)
    assert [r["line"] for r in report["rejected"]] == [2, 5]


def test_csv_columns_may_come_in_any_order_and_be_left_out(ledger: Ledger, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "short.csv",
        ["reference", "decided_on", "type", "subject"],
        [["S-1", "2026-03-01", "court.dishonest_debtor", PEOPLE[0]]],
    )
    assert cli_import(ledger, path) == {
        "inserted": 1,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [],
    }


def test_an_unknown_csv_column_rejects_the_file_at_line_one(ledger: Ledger, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "typo.csv",
        ["subject", "type", "reference", "decided", "note"],
        [[PEOPLE[0], "court.dishonest_debtor", "T-1", "2026-03-01", ""]],
    )
    report = cli_import(ledger, path)
    assert report["inserted"] == 0 and report["duplicates"] == 0
    assert len(report["rejected"]) == 1
    assert report["rejected"][0]["line"] == 1
    assert report["rejected"][0]["reason"].startswith("decided: unknown column")
    assert stored(ledger) == []


def test_a_byte_order_mark_is_not_part_of_the_first_name(ledger: Ledger, tmp_path: Path) -> None:
    """Spreadsheets save "CSV UTF-8" with a BOM; the first column is still `subject`."""
    path = tmp_path / "excel.csv"
    path.write_text(
        "\ufeffsubject,type,reference,decided_on\n"
        f"{PEOPLE[0]},court.dishonest_debtor,B-1,2026-03-01\n",
        "utf-8",
    )
    assert cli_import(ledger, path) == {
        "inserted": 1,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [],
    }
    lines = tmp_path / "bom.jsonl"
    lines.write_text("\ufeff" + json.dumps(debt(2)) + "\n", "utf-8")
    assert cli_import(ledger, lines) == {
        "inserted": 1,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [],
    }


# --- batches ------------------------------------------------------------------------------


@pytest.fixture
def add_new_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch handed to the store."""
    calls: list[int] = []
    original = RecordRepository.add_new

    def counting(self: RecordRepository, rows: Any) -> dict[str, int]:
        calls.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(RecordRepository, "add_new", counting)
    return calls


def test_batch_size_is_respected(ledger: Ledger, add_new_calls: list[int]) -> None:
    rows = [debt(n) for n in range(25)] + [{"subject": "nobody"}]
    report = ingest.import_rows(
        ledger, "city-court", enumerate(rows, 1), as_of=TODAY, batch_size=10, actor="test"
    )
    assert (report.inserted, len(report.rejected)) == (25, 1)
    assert add_new_calls == [10, 10, 5]


def test_batch_size_comes_from_the_settings(
    database_url: str, ledger: Ledger, add_new_calls: list[int], tmp_path: Path
) -> None:
    small = Ledger.open(database_url, Settings(import_batch_size=7))
    try:
        rows = [debt(n) for n in range(16)]
        report = ingest.import_rows(
            small, "city-court", enumerate(rows, 1), as_of=TODAY, actor="test"
        )
    finally:
        small.close()
    assert report.inserted == 16
    assert add_new_calls == [7, 7, 2]
    # The CLI reads it from TRUSTLEDGER_IMPORT_BATCH_SIZE.
    add_new_calls.clear()
    path = write_jsonl(tmp_path / "more.jsonl", [debt(n) for n in range(100, 111)])
    report = cli_import(ledger, path, env={"TRUSTLEDGER_IMPORT_BATCH_SIZE": "4"})
    assert report["inserted"] == 11
    assert add_new_calls == [4, 4, 3]


def test_a_failed_batch_leaves_nothing_and_earlier_batches_stay(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second batch fails in the database after part of it was written: all of it goes."""
    original = RecordRepository.add_new
    calls: list[int] = []

    def failing(self: RecordRepository, rows: Any) -> dict[str, int]:
        calls.append(len(rows))
        if len(calls) == 2:
            original(self, rows[:5])  # half the batch reaches the database ...
            # ... then a row breaks a constraint (its source does not exist): a real DB error.
            return original(self, [{**rows[5], "source": "no-such-source"}])
        return original(self, rows)

    monkeypatch.setattr(RecordRepository, "add_new", failing)
    # Each line names a new subject, so the subjects a batch registers are visible too.
    fresh = [person_id(random.Random(1000 + n)) for n in range(25)]
    rows = [debt(n, subject=fresh[n]) for n in range(25)]
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        ingest.import_rows(
            ledger, "city-court", enumerate(rows, 1), as_of=TODAY, batch_size=10, actor="test"
        )
    assert calls == [10, 10]
    assert stored(ledger) == [r["reference"] for r in rows[:10]]
    assert stored_subjects(ledger) == set(fresh[:10])

    # The source re-sends the whole file once the fault is gone: nothing twice, nothing lost.
    monkeypatch.setattr(RecordRepository, "add_new", original)
    report = ingest.import_rows(
        ledger, "city-court", enumerate(rows, 1), as_of=TODAY, batch_size=10, actor="test"
    )
    assert (report.inserted, report.duplicates) == (15, 10)
    assert sorted(stored(ledger)) == sorted(r["reference"] for r in rows)


def test_a_failed_cli_import_keeps_only_whole_batches(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = RecordRepository.add_new
    calls: list[int] = []

    def failing(self: RecordRepository, rows: Any) -> dict[str, int]:
        calls.append(len(rows))
        inserted = original(self, rows)
        if len(calls) == 3:
            raise OSError("connection lost")  # after the rows went in, before the commit
        return inserted

    monkeypatch.setattr(RecordRepository, "add_new", failing)
    path = write_jsonl(tmp_path / "big.jsonl", [debt(n) for n in range(12)])
    url = ledger.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(
        app,
        ["import", str(path), "--source", "city-court", "--db", url, "--json"],
        env={"TRUSTLEDGER_IMPORT_BATCH_SIZE": "5"},
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, OSError)
    assert len(stored(ledger)) == 10


def _lines(n: int) -> Iterator[tuple[int, dict[str, Any]]]:
    for i in range(n):
        yield i + 1, debt(i)


def test_a_large_import_in_many_batches(ledger: Ledger) -> None:
    report = ingest.import_rows(
        ledger, "city-court", _lines(2_345), as_of=TODAY, batch_size=500, actor="test"
    )
    assert (report.inserted, report.duplicates, report.rejected) == (2_345, 0, [])
    again = ingest.import_rows(
        ledger, "city-court", _lines(2_345), as_of=TODAY, batch_size=1000, actor="test"
    )
    assert (again.inserted, again.duplicates) == (0, 2_345)
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar_one() == 2_345
        assert conn.execute(select(func.count()).select_from(subjects)).scalar_one() == len(PEOPLE)


# --- the bulk write path ------------------------------------------------------------------


def test_bulk_writes_store_what_a_core_insert_stores(ledger: Ledger) -> None:
    """add_new goes through the driver; the stored values must not differ from Core's."""
    values = [
        {"decided_on": date(2026, 3, 1), "amount": None, "note": None, "fulfilled_on": None},
        {
            "decided_on": date(999, 1, 2),
            "amount": Decimal("1200.50"),
            "note": "执行 ünïcode",
            "fulfilled_on": date(2026, 4, 1),
        },
        {"decided_on": date(2026, 2, 28), "amount": Decimal("0"), "note": "", "fulfilled_on": None},
    ]
    # Enough rows for PostgreSQL's COPY path, plus a small batch for its plain insert.
    many = [
        {
            "subject": PEOPLE[0],
            "type": "court.dishonest_debtor",
            "source": "city-court",
            "reference": f"BULK-{i}",
            "notified_on": None,
            **values[i % len(values)],
        }
        for i in range(90)
    ]
    with ledger.uow() as uow:
        uow.subjects.ensure([(PEOPLE[0], "person")])
        assert sorted(uow.records.add_new(many)) == sorted(r["reference"] for r in many)
        assert uow.records.add_new(many[:3]) == {}
        core = [{**r, "reference": r["reference"].replace("BULK", "CORE")} for r in many[:3]]
        uow.connection.execute(insert(records), core)
        uow.commit()
    with ledger.engine.connect() as conn:
        rows = {
            r.reference: r
            for r in conn.execute(select(records).where(records.c.reference.like("%-_")))
        }
    for i in range(3):
        bulk_row, core_row = rows[f"BULK-{i}"], rows[f"CORE-{i}"]
        columns = ("subject", "type", "source", "decided_on", "amount", "note", "fulfilled_on")
        assert [getattr(bulk_row, c) for c in columns] == [getattr(core_row, c) for c in columns]
        assert (bulk_row.voided, bulk_row.disputed) == (core_row.voided, core_row.disputed)
        assert bulk_row.received_at is not None
    if ledger.engine.dialect.name == "sqlite":  # the same storage classes, too
        with ledger.engine.connect() as conn:
            kinds = conn.exec_driver_sql(
                "SELECT reference, typeof(decided_on), typeof(amount), typeof(fulfilled_on) "
                "FROM records WHERE reference IN ('BULK-1', 'CORE-1')"
            ).all()
        assert kinds[0][1:] == kinds[1][1:] == ("text", "real", "text")


def test_the_first_of_two_rows_with_one_reference_wins(ledger: Ledger) -> None:
    """Within one batch, as across batches: the first line with a reference is the record, and
    a later line with that reference and other content is a conflict naming it."""
    rows = [debt(n) for n in range(100)]
    rows.insert(70, debt(10, decided_on="2026-01-15", subject=PEOPLE[39]))
    report = ingest.import_rows(ledger, "city-court", enumerate(rows, 1), as_of=TODAY, actor="test")
    assert (report.inserted, report.duplicates) == (100, 0)
    [conflict] = report.rejected
    assert conflict["line"] == 71
    assert (
        "stored as record 11 with other content (subject, decided_on differ)"
        in (conflict["reason"])
    )
    with ledger.engine.connect() as conn:
        ids = conn.execute(select(records.c.reference).order_by(records.c.id)).scalars().all()
        row = conn.execute(select(records).where(records.c.reference == "(2026)执10号")).one()
    assert (row.subject, row.decided_on) == (PEOPLE[10], date(2026, 3, 1))
    assert ids == [f"(2026)执{n}号" for n in range(100)]  # stored in the file's order


@pytest.mark.parametrize("n", [3, bulk.COPY_THRESHOLD + 6])
def test_bulk_insert_all_writes_every_row_in_the_transaction(ledger: Ledger, n: int) -> None:
    rows = [{"code": f"agency-{i}", "kind": "court", "name": f"Agency {i}"} for i in range(n)]
    with ledger.uow() as uow:
        bulk.insert_all(uow.connection, sources, rows)
        # Not committed: a failure here would leave nothing behind.
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sources)).scalar_one() == 11
    with ledger.uow() as uow:
        bulk.insert_all(uow.connection, sources, rows)
        bulk.insert_all(uow.connection, sources, [])
        uow.commit()
    with ledger.engine.connect() as conn:
        stored = conn.execute(select(sources.c.name).where(sources.c.code == f"agency-{n - 1}"))
        assert stored.scalar_one() == f"Agency {n - 1}"
        assert conn.execute(select(func.count()).select_from(sources)).scalar_one() == 11 + n
