"""Concurrent writers: the chain stays gapless and well ordered on both stores.

PostgreSQL serializes appends with a transaction-scoped advisory lock plus the head's row lock;
SQLite with its database write lock, taken by the first statement of an append.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.audit.conftest import DEBTOR, append, head
from tests.conftest import act
from trustledger.services.context import Ledger
from trustledger.services.log import audit

THREADS = 8
EACH = 50


def logged(ledger: Ledger, **query: Any) -> list[Any]:
    """The stored events, read without logging the read (as the store sees them)."""
    with ledger.uow() as uow:
        return uow.audit.events(**query)


def test_concurrent_writers_keep_the_chain(ledger: Ledger) -> None:
    before = head(ledger)[0]
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with ledger.uow() as uow:
                    uow.audit.append(
                        actor=f"writer-{n}", action="check", subject=DEBTOR, detail={"i": i}
                    )
                    uow.commit()
        except BaseException as exc:  # reported below, with the thread's name
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    result = act(ledger, audit.verify)
    assert result.ok, result
    assert result.checked == before + THREADS * EACH
    events = logged(ledger, subject=DEBTOR, limit=1000)
    assert len(events) == THREADS * EACH
    for n in range(THREADS):  # each writer's own events are in its order
        mine = [e.detail["i"] for e in events if e.actor == f"writer-{n}"]
        assert mine == list(range(EACH))


def test_a_writer_waits_for_an_open_append_and_chains_after_it(ledger: Ledger) -> None:
    """An append holding the lock makes another wait, whichever way the threads are scheduled."""
    append(ledger, 1)
    failures: list[BaseException] = []
    with ledger.uow() as first:
        first.audit.append(actor="first", action="check", subject=DEBTOR, detail={})

        def second() -> None:
            try:
                append(ledger, 2, actor="second")
            except BaseException as exc:
                failures.append(exc)

        other = threading.Thread(target=second)
        other.start()
        first.commit()
    other.join()
    assert failures == []
    result = act(ledger, audit.verify)
    assert result.ok, result
    actors = [e.actor for e in logged(ledger, limit=1000)][-3:]
    assert actors == ["first", "second", "second"]


def test_concurrent_batches_keep_the_chain(ledger: Ledger) -> None:
    before = head(ledger)[0]
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for _ in range(5):
                append(ledger, 100, actor=f"batch-{n}")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    result = act(ledger, audit.verify)
    assert result.ok and result.checked == before + 2000
    # A batch is one contiguous run of ids.
    events = logged(ledger, limit=1000, offset=before) + logged(
        ledger, limit=1000, offset=before + 1000
    )
    runs = [events[i].actor for i in range(0, 2000, 100)]
    for i, actor in enumerate(runs):
        assert {e.actor for e in events[i * 100 : (i + 1) * 100]} == {actor}
