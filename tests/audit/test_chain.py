"""The chain on both stores: appends verify; every kind of tampering names its first broken link."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from tests.audit.conftest import DEBTOR, OTHER, append, head, rehash_from, tamper
from tests.conftest import act
from trustledger.services.context import Ledger
from trustledger.services.log import audit
from trustledger.store.audit import GENESIS, AuditError, audit_events


def logged(ledger: Ledger, **query: Any) -> list[Any]:
    """The stored events, read without logging the read (as the store sees them)."""
    with ledger.uow() as uow:
        return uow.audit.events(**query)


def spec_hash(event: dict[str, object]) -> str:
    """The hash as the design states it, written out independently of the implementation."""
    keys = ("id", "at", "actor", "action", "subject", "detail", "prev_hash")
    payload = json.dumps(
        {k: event[k] for k in keys}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def test_appended_events_verify_and_hash_as_specified(ledger: Ledger) -> None:
    start = append(ledger, 5)
    append(ledger, 1, subject=None, actor="admin:k1")
    result = act(ledger, audit.verify)
    assert result.ok, result
    assert result.checked == start + 5
    events = logged(ledger, limit=1000)
    assert [e.id for e in events] == list(range(1, start + 6))
    assert events[0].prev_hash == GENESIS
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.hash
    for event in events:
        assert spec_hash(event.as_json()) == event.hash
        assert event.at.tzinfo is not None
    last = events[-1]
    assert (result.head_id, result.head_hash) == (last.id, last.hash) == head(ledger)
    assert (last.actor, last.subject) == ("admin:k1", None)
    mine = logged(ledger, subject=DEBTOR)
    assert [e.detail for e in mine] == [
        {"action": "travel.flight", "n": i, "note": "机票 ✓"} for i in range(5)
    ]


def test_values_json_cannot_hold_are_stored_as_text_and_still_verify(ledger: Ledger) -> None:
    from datetime import date
    from decimal import Decimal

    with ledger.uow() as uow:
        uow.audit.append(
            actor="agency:k2",
            action="record.report",
            subject=DEBTOR,
            detail={"decided_on": date(2026, 3, 2), "amount": Decimal("125000.00"), "ok": True},
        )
        uow.commit()
    event = logged(ledger, subject=DEBTOR)[-1]
    assert event.detail == {"decided_on": "2026-03-02", "amount": "125000.00", "ok": True}
    assert act(ledger, audit.verify).ok


def test_an_empty_batch_writes_nothing(ledger: Ledger) -> None:
    before = head(ledger)
    with ledger.uow() as uow:
        uow.audit.append_many([])
        uow.commit()
    assert head(ledger) == before


def test_a_batch_of_1000_is_one_gapless_run(ledger: Ledger) -> None:
    start = append(ledger, 1000)
    result = act(ledger, audit.verify)
    assert result.ok and result.checked == start + 999
    assert head(ledger)[0] == start + 999


def test_a_rolled_back_append_leaves_no_gap(ledger: Ledger) -> None:
    append(ledger, 2)
    with ledger.uow() as uow:
        uow.audit.append(actor="test", action="check", subject=DEBTOR, detail={})
        # no commit: the event vanishes with the transaction, and so does its id
    start = append(ledger, 2)
    assert act(ledger, audit.verify).ok
    assert head(ledger)[0] == start + 1


def test_an_append_chains_from_writes_committed_after_its_transaction_began(
    ledger: Ledger,
) -> None:
    """A unit of work that has already read (and written) must not chain from a stale head."""
    append(ledger, 1)
    with ledger.uow() as first:
        first.audit.events(limit=10)  # a read before the other writer commits
        first.sources.get("city-court")
        append(ledger, 3)  # another connection commits meanwhile
        first.audit.append(actor="late", action="check", subject=DEBTOR, detail={})
        first.commit()
    result = act(ledger, audit.verify)
    assert result.ok, result
    assert logged(ledger, limit=1000)[-1].actor == "late"


def test_events_filter_page_and_normalize_the_subject(ledger: Ledger) -> None:
    start = append(ledger, 3, subject=DEBTOR)
    append(ledger, 2, subject=OTHER)
    assert [e.id for e in logged(ledger, subject=OTHER)] == [start + 3, start + 4]
    page = logged(ledger, subject=DEBTOR, limit=2, offset=1)
    assert [e.id for e in page] == [start + 1, start + 2]
    assert logged(ledger, since=datetime.now(UTC) + timedelta(days=1)) == []
    recent = logged(ledger, since=datetime.now(UTC) - timedelta(days=1), limit=1000)
    assert [e.id for e in recent][-5:] == list(range(start, start + 5))
    lower = DEBTOR.replace("X", "x")
    # The service normalizes the identifier it is given.
    assert [e.id for e in act(ledger, audit.events, subject=lower)] == [start, start + 1, start + 2]
    with pytest.raises(ValueError, match="limit"):
        act(ledger, audit.events, limit=0)  # the service refuses it, naming the field


def test_a_named_reader_is_logged(ledger: Ledger) -> None:
    append(ledger, 1)
    act(ledger, audit.events, subject=DEBTOR, actor="auditor:k9")
    last = logged(ledger, limit=1000)[-1]
    assert (last.actor, last.action, last.subject) == ("auditor:k9", "audit.read", DEBTOR)
    assert last.detail == {"limit": 100, "offset": 0, "returned": 1}
    assert act(ledger, audit.verify).ok


# -- the database refuses changes --------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET last_id = 0",
    ],
)
def test_the_database_refuses_updates_and_deletes(ledger: Ledger, statement: str) -> None:
    append(ledger, 2)
    with pytest.raises(DBAPIError, match=r"append-only|only moves forward"):  # noqa: SIM117
        with ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert act(ledger, audit.verify).ok


def test_postgres_refuses_truncate(ledger: Ledger) -> None:
    if ledger.engine.dialect.name != "postgresql":
        return  # SQLite has no TRUNCATE; DELETE is refused above
    append(ledger, 1)
    for table in ("audit_events", "audit_head"):
        with pytest.raises(DBAPIError, match=r"append-only|only moves forward"):  # noqa: SIM117
            with ledger.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table}"))


# -- tampering, each detected at the right event -----------------------------------------------


def test_an_altered_detail_is_detected(ledger: Ledger) -> None:
    start = append(ledger, 10)
    target = start + 4
    tamper(
        ledger,
        "UPDATE audit_events SET detail = :detail WHERE id = :id",
        detail='{"action":"travel.flight","n":99,"note":"机票 ✓"}',
        id=target,
    )
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "altered", target)
    assert result.checked == target - 1
    assert f"event {target}" in (result.message or "")


def test_an_altered_actor_is_detected(ledger: Ledger) -> None:
    start = append(ledger, 10)
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=start)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "altered", start)


def test_an_altered_timestamp_is_detected(ledger: Ledger) -> None:
    start = append(ledger, 3)
    event = logged(ledger, limit=1000)[start]
    tamper(
        ledger,
        update(audit_events)
        .where(audit_events.c.id == event.id)
        .values(at=event.at - timedelta(hours=1)),
    )
    result = act(ledger, audit.verify)
    assert (result.problem, result.broken_id) == ("altered", start + 1)


def test_a_row_deleted_in_the_middle_is_detected(ledger: Ledger) -> None:
    start = append(ledger, 10)
    target = start + 5
    tamper(ledger, "DELETE FROM audit_events WHERE id = :id", id=target)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "deleted", target)
    assert f"event {target + 1} follows event {target - 1}" in (result.message or "")


def test_deleted_rows_renumbered_to_close_the_gap_are_detected(ledger: Ledger) -> None:
    start = append(ledger, 6)
    target = start + 2
    tamper(
        ledger,
        "DELETE FROM audit_events WHERE id = :id",
        "UPDATE audit_events SET id = id - 1 WHERE id > :id",
        "UPDATE audit_head SET last_id = last_id - 1",
        id=target,
    )
    result = act(ledger, audit.verify)
    assert (result.problem, result.broken_id) == ("relinked", target)


def test_the_deleted_tail_is_detected_by_the_head(ledger: Ledger) -> None:
    """The chain alone cannot see this: what remains is a valid chain. The head can."""
    start = append(ledger, 10)
    last = start + 9
    tamper(ledger, "DELETE FROM audit_events WHERE id >= :id", id=last - 1)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "truncated", last - 1)
    assert result.checked == last - 2
    assert result.head_id == last
    # New events chain from the head, not from the truncated end, so the hole stays visible.
    append(ledger, 3)
    later = act(ledger, audit.verify)
    assert (later.problem, later.broken_id) == ("deleted", last - 1)


def test_the_whole_log_deleted_is_detected(ledger: Ledger) -> None:
    append(ledger, 3)
    tamper(ledger, "DELETE FROM audit_events")
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id, result.checked) == (
        False,
        "truncated",
        1,
        0,
    )


def test_swapped_rows_are_detected(ledger: Ledger) -> None:
    start = append(ledger, 10)
    a, b = start + 3, start + 4
    tamper(
        ledger,
        "UPDATE audit_events SET id = -1 WHERE id = :a",
        "UPDATE audit_events SET id = :a WHERE id = :b",
        "UPDATE audit_events SET id = :b WHERE id = -1",
        a=a,
        b=b,
    )
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "relinked", a)
    assert result.checked == a - 1


def test_a_rewritten_tail_with_recomputed_hashes_is_caught_by_the_head(ledger: Ledger) -> None:
    start = append(ledger, 6)
    target = start + 2
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=target)
    rehash_from(ledger, target)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "head", start + 5)


def test_a_rewrite_that_also_moves_the_head_is_caught_only_by_an_anchor(ledger: Ledger) -> None:
    start = append(ledger, 6)
    published = act(ledger, audit.verify)
    assert published.ok and published.head_id is not None and published.head_hash
    anchor = (published.head_id, published.head_hash)
    target = start + 2
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=target)
    last = rehash_from(ledger, target)
    tamper(ledger, "UPDATE audit_head SET hash = :hash", hash=last)
    assert act(ledger, audit.verify).ok  # consistent again: nothing inside the database can tell
    result = act(ledger, audit.verify, anchor=anchor)
    assert (result.ok, result.problem, result.broken_id) == (False, "anchor", anchor[0])
    # Events appended since the anchor do not disturb it.
    assert act(ledger, audit.verify, anchor=(start, logged(ledger, limit=1000)[start - 1].hash)).ok


def test_an_anchor_past_the_end_is_detected(ledger: Ledger) -> None:
    start = append(ledger, 4)
    with ledger.engine.connect() as conn:
        digest = conn.execute(
            text("SELECT hash FROM audit_events WHERE id = :id"), {"id": start + 3}
        ).scalar_one()
    tamper(
        ledger,
        "DELETE FROM audit_events WHERE id >= :id",
        "UPDATE audit_head SET last_id = :id - 1, hash = :prev",
        id=start + 2,
        prev=logged(ledger, limit=1000)[start].hash,
    )
    assert act(ledger, audit.verify).ok
    result = act(ledger, audit.verify, anchor=(start + 3, digest))
    assert (result.problem, result.broken_id) == ("anchor", start + 3)


def test_a_missing_head_is_detected_and_stops_appends(ledger: Ledger) -> None:
    append(ledger, 2)
    tamper(ledger, "DELETE FROM audit_head")
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem) == (False, "head")
    with ledger.uow() as uow, pytest.raises(AuditError, match="head row is missing"):
        uow.audit.append(actor="test", action="check", subject=DEBTOR, detail={})


def test_progress_is_reported_for_every_event(ledger: Ledger) -> None:
    start = append(ledger, 2500)
    seen: list[int] = []
    with ledger.uow() as uow:
        assert uow.audit.verify(progress=seen.append, batch=1000).ok
    assert sum(seen) == start + 2499
