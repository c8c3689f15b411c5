"""The log covers the ledger's rows: every write of a record's row through the ledger (a single
record received, a fulfilment, a dispute, a void) queues the SHA-256 of the row as written,
and `log verify` reports a row changed or removed behind the ledger's back."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import act
from tests.log.conftest import DEBTOR, logged
from trustledger.services.context import Ledger
from trustledger.services.intake import records
from trustledger.services.log import tlog
from trustledger.store import tlog as store_tlog

SOURCE = "city-court"


def receive(ledger: Ledger, reference: str) -> int:
    """One record received alone (as POST /v1/records with one record); its id."""
    item = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": reference,
        "decided_on": "2026-03-02",
        "amount": "125000.00",
    }
    result = act(ledger, records.submit, SOURCE, [item])[0]
    assert result.status == "inserted", result
    return int(result.id)


def run(ledger: Ledger, *statements: str, **params: object) -> None:
    """SQL straight at the ledger's tables, as someone with the database's rights could."""
    with ledger.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def test_rows_written_through_the_ledger_verify(ledger: Ledger) -> None:
    first, second = receive(ledger, "(2026)row-1"), receive(ledger, "(2026)row-2")
    act(ledger, records.fulfil, first, SOURCE, date(2026, 4, 1))
    act(ledger, records.void, second, SOURCE, "entered in error")
    result = logged(ledger, tlog.verify)
    assert result.ok, result.problems
    assert result.records_checked == 2


def test_a_row_changed_without_an_event_is_reported(ledger: Ledger) -> None:
    changed, kept = receive(ledger, "(2026)row-1"), receive(ledger, "(2026)row-2")
    act(ledger, records.void, kept, SOURCE, "entered in error")
    run(ledger, "UPDATE records SET amount = 1 WHERE id = :i", i=changed)
    run(ledger, "UPDATE records SET voided = :f WHERE id = :i", i=kept, f=False)  # un-voided
    problems = logged(ledger, tlog.verify).problems
    for record_id in (changed, kept):
        assert (
            f"record {record_id}: its row is not the one the log last holds "
            "(changed without an event)"
        ) in problems


def test_a_row_removed_without_an_event_is_reported(ledger: Ledger) -> None:
    removed = receive(ledger, "(2026)row-1")
    run(
        ledger,
        "DELETE FROM record_events WHERE record_id = :i",
        "DELETE FROM records WHERE id = :i",
        i=removed,
    )
    problems = logged(ledger, tlog.verify).problems
    assert (
        f"record {removed}: in the log, missing from the ledger (removed without an event)"
    ) in problems


@pytest.mark.parametrize("size", [5, 150])  # a request's few records; a staged batch
def test_rows_received_in_a_batch_are_in_the_log_too(ledger: Ledger, size: int) -> None:
    items = [
        {
            "subject": DEBTOR,
            "type": "court.dishonest_debtor",
            "reference": f"(2026)batch-{i}",
            "decided_on": "2026-03-02",
            "amount": f"{1000 + i}.00",
        }
        for i in range(size)
    ]
    answers = act(ledger, records.submit, SOURCE, items)
    ids = [int(a.id) for a in answers]
    assert len(ids) == size and all(a.status == "inserted" for a in answers)
    result = logged(ledger, tlog.verify)
    assert result.ok, result.problems
    assert result.records_checked == size
    changed, removed = ids[1], ids[-1]
    run(ledger, "UPDATE records SET amount = 1 WHERE id = :i", i=changed)
    run(ledger, "DELETE FROM records WHERE id = :i", i=removed)
    problems = logged(ledger, tlog.verify).problems
    assert (
        f"record {changed}: its row is not the one the log last holds (changed without an event)"
    ) in problems
    assert (
        f"record {removed}: in the log, missing from the ledger (removed without an event)"
    ) in problems
    assert len(problems) == 2


_values = st.one_of(
    st.none(),
    st.text(),
    st.booleans(),
    st.integers(),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)


@given(
    st.lists(st.text(min_size=1), min_size=1, max_size=6, unique=True).flatmap(
        lambda columns: st.tuples(
            st.just(columns),
            st.lists(st.tuples(*[_values] * len(columns)), max_size=8),
        )
    )
)
def test_rows_hashed_column_by_column_as_one_by_one(case: tuple[list[str], list[tuple]]) -> None:
    """The batch path (`rows_sha256`, column by column) hashes every row byte for byte as the
    definition (`row_sha256`, json's encoder) does, whatever the values and their mix of types
    in a column (a bool among ints, an aware and a naive instant, text with escapes)."""
    columns, rows = case
    expected = [store_tlog.row_sha256(dict(zip(columns, row, strict=True))) for row in rows]
    assert store_tlog.rows_sha256(columns, rows) == expected
