"""Concurrent writers on both stores: every event queued exactly once, each writer's events in
its order, and the sequencer gives them one gapless run of log indexes.

Appends take no lock of their own: on PostgreSQL concurrent writers never wait for each other
(tests/audit/test_chain.py); SQLite still has one writing transaction at a time.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.audit.conftest import DEBTOR, append, head
from tests.conftest import act
from trustledger.services.context import Ledger
from trustledger.services.log import audit, tlog

THREADS = 8
EACH = 50


def logged(ledger: Ledger, **query: Any) -> list[Any]:
    """The stored events, read without logging the read (as the store sees them)."""
    with ledger.uow() as uow:
        return uow.audit.events(**query)


def _run(threads: int, work: Any) -> None:
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def runner(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:  # reported below
            failures.append(exc)

    running = [threading.Thread(target=runner, args=(n,)) for n in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    assert failures == []


def test_concurrent_writers_each_event_once_in_a_gapless_log(ledger: Ledger) -> None:
    chain_head = head(ledger)

    def writer(n: int) -> None:
        for i in range(EACH):
            with ledger.uow() as uow:
                uow.audit.append(
                    actor=f"writer-{n}", action="check", subject=DEBTOR, detail={"i": i}
                )
                uow.commit()

    _run(THREADS, writer)
    assert head(ledger) == chain_head  # the chain is frozen: nothing took its lock
    events = logged(ledger, subject=DEBTOR, limit=1000)
    assert len(events) == THREADS * EACH == len({e.id for e in events})
    for n in range(THREADS):  # each writer's own events are in its order
        mine = [e.detail["i"] for e in events if e.actor == f"writer-{n}"]
        assert mine == list(range(EACH))
    tlog.integrate(ledger)
    everything = logged(ledger, limit=1000)
    assert [e.log_index for e in everything] == list(range(len(everything)))
    with ledger.transaction("test") as ctx:
        assert tlog.verify(ctx).ok
    assert act(ledger, audit.verify).ok


def test_concurrent_batches_and_a_sequencer(ledger: Ledger) -> None:
    stop = threading.Event()

    def sequencer() -> None:
        while not stop.wait(0.01):
            tlog.integrate(ledger)

    running = threading.Thread(target=sequencer)
    running.start()
    try:
        _run(4, lambda n: [append(ledger, 100, actor=f"batch-{n}") for _ in range(5)])
    finally:
        stop.set()
        running.join()
    tlog.integrate(ledger)
    events = logged(ledger, limit=1000) + logged(ledger, limit=1000, offset=1000)
    events += logged(ledger, limit=1000, offset=2000)
    assert [e.log_index for e in events] == list(range(len(events)))
    for n in range(4):
        mine = [e.detail["n"] for e in events if e.actor == f"batch-{n}"]
        assert mine == list(range(100)) * 5  # each batch whole and in order
    with ledger.transaction("test") as ctx:
        assert tlog.verify(ctx).ok
