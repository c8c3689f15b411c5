"""One snapshot per request: a batch check's reads all see one state of the ledger.

The context's first read (the active rulebook) fixes the snapshot; a record committed by
another transaction after it is not seen by the reads that follow (on PostgreSQL: read-only
REPEATABLE READ; on SQLite: an explicit BEGIN in WAL mode), while a context without
`snapshot=True` sees it at once: the torn read this prevents, between two chunks of 500.
"""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import act
from tests.due_process.conftest import PERSON, record
from trustledger.services.answers import checks
from trustledger.services.context import Ledger, today
from trustledger.services.intake import records


def report_debt(ledger: Ledger) -> None:
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    [result] = act(
        ledger, records.submit, "city-court", [record("(2026)S-1", day - timedelta(400))]
    )
    assert result.status == "inserted", result


def decision_after_a_write(ledger: Ledger, *, snapshot: bool) -> str:
    """A check in a context opened (its rulebook read) before a record is committed elsewhere."""
    with ledger.transaction("test", snapshot=snapshot) as ctx:
        report_debt(ledger)
        [item] = checks.check_many(ctx, [PERSON], "travel.flight")
    assert item.result is not None
    return item.result.decision


def test_a_snapshot_context_does_not_see_a_write_committed_after_its_first_read(
    ledger: Ledger,
) -> None:
    assert decision_after_a_write(ledger, snapshot=True) == "allow"
    with ledger.transaction("test") as ctx:  # the next request sees the record
        [now] = checks.check_many(ctx, [PERSON], "travel.flight")
    assert now.result is not None and now.result.decision == "deny"


def test_without_a_snapshot_the_same_reads_are_torn(ledger: Ledger) -> None:
    """What a batch check would do between two chunks of 500 subjects, without a snapshot."""
    assert decision_after_a_write(ledger, snapshot=False) == "deny"
