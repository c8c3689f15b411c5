"""Appends only queue (no chain, no head, no lock); the chain of the events from before the
switch, on both stores, still verifies, and every kind of tampering with it names its first
broken link. Events since the switch are verified by the transparency log (tests/log)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.audit.conftest import (
    DEBTOR,
    OTHER,
    append,
    chain,
    chained,
    head,
    rehash_from,
    spec_hash,
    tamper,
)
from tests.conftest import act
from trustledger.domain import merkle
from trustledger.services.context import Ledger
from trustledger.services.log import audit, tlog
from trustledger.store.audit import GENESIS, audit_events, iso
from trustledger.store.tlog import leaf_bytes, log_leaves, log_queue


def logged(ledger: Ledger, **query: Any) -> list[Any]:
    """The stored events, read without logging the read (as the store sees them)."""
    with ledger.uow() as uow:
        return uow.audit.events(**query)


def queued(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(log_queue)).scalar_one())


# -- appending: the queue ----------------------------------------------------------------------


def test_appends_only_queue_and_leave_the_chain_alone(ledger: Ledger) -> None:
    before_head, before_chain = head(ledger), len(chained(ledger))
    start = append(ledger, 5)
    append(ledger, 1, subject=None, actor="admin:k1")
    assert head(ledger) == before_head and len(chained(ledger)) == before_chain
    events = logged(ledger, limit=1000)
    mine = [e for e in events if e.id >= start]
    assert [e.id for e in mine] == list(range(start, start + 6))
    assert all(e.log_index is None and e.leaf_hash is None for e in mine)  # still queued
    assert all(e.prev_hash is None and e.hash is None for e in mine)  # no chain
    assert (mine[-1].actor, mine[-1].subject) == ("admin:k1", None)
    assert [e.detail for e in logged(ledger, subject=DEBTOR)] == [
        {"action": "travel.flight", "n": i, "note": "机票 ✓"} for i in range(5)
    ]
    assert act(ledger, audit.verify).ok  # the (frozen) chain is untouched

    tlog.integrate(ledger)
    assert queued(ledger) == 0
    events = logged(ledger, limit=1000)
    assert [e.log_index for e in events] == list(range(len(events)))  # gapless, in log order
    for e in events:
        assert e.at.tzinfo is not None
        leaf = {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "detail": e.detail,
        }
        with ledger.engine.connect() as conn:
            row = conn.execute(select(log_leaves).where(log_leaves.c.idx == e.log_index)).one()
        assert json_of(leaf_bytes(row)) == leaf
        assert e.leaf_hash == merkle.leaf_hash(leaf_bytes(row)).hex()


def json_of(data: bytes) -> Any:
    import json

    return json.loads(data)


def test_values_json_cannot_hold_are_stored_as_text(ledger: Ledger) -> None:
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
    tlog.integrate(ledger)
    assert logged(ledger, subject=DEBTOR)[-1].detail == event.detail
    with ledger.transaction("test") as ctx:
        assert tlog.verify(ctx).ok


def test_an_empty_batch_writes_nothing(ledger: Ledger) -> None:
    before = queued(ledger)
    with ledger.uow() as uow:
        uow.audit.append_many([])
        uow.commit()
    assert queued(ledger) == before


def test_a_batch_of_1000_gets_consecutive_log_indexes(ledger: Ledger) -> None:
    start = append(ledger, 1000)
    tlog.integrate(ledger)
    mine = [e for e in logged(ledger, limit=1000, offset=0) if e.id >= start]
    mine += [e for e in logged(ledger, limit=1000, offset=1000) if e.id >= start]
    assert [e.id for e in mine] == list(range(start, start + 1000))
    first = mine[0].log_index
    assert first is not None
    assert [e.log_index for e in mine] == list(range(first, first + 1000))


def test_a_rolled_back_append_leaves_no_gap_in_the_log(ledger: Ledger) -> None:
    append(ledger, 2)
    with ledger.uow() as uow:
        uow.audit.append(actor="test", action="check", subject=DEBTOR, detail={})
        # no commit: the event vanishes with the transaction (its id may stay unused)
    append(ledger, 2)
    tlog.integrate(ledger)
    events = logged(ledger, limit=1000)
    assert len(events) == len({e.id for e in events})
    assert [e.log_index for e in events] == list(range(len(events)))
    with ledger.transaction("test") as ctx:
        assert tlog.verify(ctx).ok


def test_writers_do_not_wait_for_each_other(ledger: Ledger) -> None:
    """Two transactions that both appended commit in either order: no global lock. (On SQLite
    the database's own write lock still serializes writing transactions.)"""
    if ledger.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    failures: list[BaseException] = []
    with ledger.uow() as first:
        first.audit.append(actor="first", action="check", subject=DEBTOR, detail={})

        def second() -> None:
            try:
                append(ledger, 2, actor="second")  # would wait for `first` under a lock
            except BaseException as exc:
                failures.append(exc)

        other = threading.Thread(target=second)
        other.start()
        other.join(10)
        assert not other.is_alive(), "the second writer waited for the first"
        first.commit()
    assert failures == []
    tlog.integrate(ledger)
    actors = [e.actor for e in logged(ledger, limit=1000)]
    assert actors.count("first") == 1 and actors.count("second") == 2


def test_events_filter_page_and_normalize_the_subject(ledger: Ledger) -> None:
    start = append(ledger, 3, subject=DEBTOR)
    tlog.integrate(ledger)  # these three are leaves, the rest stays queued
    append(ledger, 2, subject=OTHER)
    more = append(ledger, 2, subject=DEBTOR)
    assert [e.id for e in logged(ledger, subject=OTHER)] == [start + 3, start + 4]
    page = logged(ledger, subject=DEBTOR, limit=2, offset=2)  # across the queue's start
    assert [e.id for e in page] == [start + 2, more]
    assert page[0].log_index is not None and page[1].log_index is None
    assert logged(ledger, since=datetime.now(UTC) + timedelta(days=1)) == []
    recent = logged(ledger, since=datetime.now(UTC) - timedelta(days=1), limit=1000)
    assert [e.id for e in recent][-7:] == list(range(start, start + 7))
    lower = DEBTOR.replace("X", "x")
    # The service normalizes the identifier it is given.
    found = act(ledger, audit.events, subject=lower)
    assert [e.id for e in found] == [start, start + 1, start + 2, more, more + 1]
    with pytest.raises(ValueError, match="limit"):
        act(ledger, audit.events, limit=0)  # the service refuses it, naming the field


def test_a_named_reader_is_logged(ledger: Ledger) -> None:
    append(ledger, 1)
    act(ledger, audit.events, subject=DEBTOR, actor="auditor:k9")
    last = logged(ledger, limit=1000)[-1]
    assert (last.actor, last.action, last.subject) == ("auditor:k9", "audit.read", DEBTOR)
    assert last.detail == {"limit": 100, "offset": 0, "returned": 1}


# -- the chain from before the switch ------------------------------------------------------------


def test_the_chain_before_the_switch_verifies_as_specified(ledger: Ledger) -> None:
    start = chain(ledger, 5)
    chain(ledger, 1, subject=None, actor="admin:k1")
    result = act(ledger, audit.verify)
    assert result.ok, result
    assert result.checked == start + 5
    rows = chained(ledger)
    assert [r.id for r in rows] == list(range(1, start + 6))
    assert rows[0].prev_hash == GENESIS
    assert (result.head_id, result.head_hash) == (rows[-1].id, rows[-1].hash) == head(ledger)
    # Appends since the switch do not touch it: the chain stays frozen and still verifies.
    append(ledger, 3)
    later = act(ledger, audit.verify)
    assert later.ok and later.checked == result.checked and later.head_id == result.head_id
    assert spec_hash  # the helper above hashes as the design states, independently


def test_a_missing_head_is_detected_and_appends_go_on(ledger: Ledger) -> None:
    chain(ledger, 2)
    tamper(ledger, "DELETE FROM audit_head")
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem) == (False, "head")
    start = append(ledger, 1)  # appends no longer read the head
    assert logged(ledger, limit=1000)[-1].id == start


def test_progress_is_reported_for_every_event(ledger: Ledger) -> None:
    start = chain(ledger, 2500)
    seen: list[int] = []
    with ledger.uow() as uow:
        assert uow.audit.verify(progress=seen.append, batch=1000).ok
    assert sum(seen) == start + 2499


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
    chain(ledger, 2)
    with pytest.raises(DBAPIError, match=r"append-only|only moves forward"):  # noqa: SIM117
        with ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert act(ledger, audit.verify).ok


def test_postgres_refuses_truncate(ledger: Ledger) -> None:
    if ledger.engine.dialect.name != "postgresql":
        return  # SQLite has no TRUNCATE; DELETE is refused above
    chain(ledger, 1)
    for table in ("audit_events", "audit_head"):
        with pytest.raises(DBAPIError, match=r"append-only|only moves forward"):  # noqa: SIM117
            with ledger.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table}"))


# -- tampering, each detected at the right event -----------------------------------------------


def test_an_altered_detail_is_detected(ledger: Ledger) -> None:
    start = chain(ledger, 10)
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
    start = chain(ledger, 10)
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=start)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "altered", start)


def test_an_altered_timestamp_is_detected(ledger: Ledger) -> None:
    start = chain(ledger, 3)
    event = chained(ledger)[start]
    tamper(
        ledger,
        update(audit_events)
        .where(audit_events.c.id == event.id)
        .values(at=event.at - timedelta(hours=1)),
    )
    result = act(ledger, audit.verify)
    assert (result.problem, result.broken_id) == ("altered", start + 1)


def test_a_row_deleted_in_the_middle_is_detected(ledger: Ledger) -> None:
    start = chain(ledger, 10)
    target = start + 5
    tamper(ledger, "DELETE FROM audit_events WHERE id = :id", id=target)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "deleted", target)
    assert f"event {target + 1} follows event {target - 1}" in (result.message or "")


def test_deleted_rows_renumbered_to_close_the_gap_are_detected(ledger: Ledger) -> None:
    start = chain(ledger, 6)
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
    start = chain(ledger, 10)
    last = start + 9
    tamper(ledger, "DELETE FROM audit_events WHERE id >= :id", id=last - 1)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "truncated", last - 1)
    assert result.checked == last - 2
    assert result.head_id == last
    # Events appended since go to the log's queue: the hole stays visible.
    append(ledger, 3)
    later = act(ledger, audit.verify)
    assert (later.problem, later.broken_id) == ("truncated", last - 1)


def test_the_whole_log_deleted_is_detected(ledger: Ledger) -> None:
    chain(ledger, 3)
    tamper(ledger, "DELETE FROM audit_events")
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id, result.checked) == (
        False,
        "truncated",
        1,
        0,
    )


def test_swapped_rows_are_detected(ledger: Ledger) -> None:
    start = chain(ledger, 10)
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
    start = chain(ledger, 6)
    target = start + 2
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=target)
    rehash_from(ledger, target)
    result = act(ledger, audit.verify)
    assert (result.ok, result.problem, result.broken_id) == (False, "head", start + 5)


def test_a_rewrite_that_also_moves_the_head_is_caught_only_by_an_anchor(ledger: Ledger) -> None:
    start = chain(ledger, 6)
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
    assert act(ledger, audit.verify, anchor=(start, chained(ledger)[start - 1].hash)).ok


def test_an_anchor_past_the_end_is_detected(ledger: Ledger) -> None:
    start = chain(ledger, 4)
    with ledger.engine.connect() as conn:
        digest = conn.execute(
            text("SELECT hash FROM audit_events WHERE id = :id"), {"id": start + 3}
        ).scalar_one()
    tamper(
        ledger,
        "DELETE FROM audit_events WHERE id >= :id",
        "UPDATE audit_head SET last_id = :id - 1, hash = :prev",
        id=start + 2,
        prev=chained(ledger)[start].hash,
    )
    assert act(ledger, audit.verify).ok
    result = act(ledger, audit.verify, anchor=(start + 3, digest))
    assert (result.problem, result.broken_id) == ("anchor", start + 3)
