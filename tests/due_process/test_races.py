"""Simultaneous writers on one case or one record, in separate processes, on both stores.

Eight processes start together (a barrier) and each runs one use case in its own context, as
eight API workers would: exactly one succeeds, the other seven get a conflict (409), and what
the winner wrote exists once. The database holds it: a partial unique index (one open dispute
or repair request per record) and conditional updates (a decision from the open state, a void
of a record not voided yet, a fulfilment of a record not fulfilled yet).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import act
from tests.due_process.conftest import PERSON, record
from trustledger.services.context import Conflict, Duplicate, Ledger, today
from trustledger.services.due_process import disputes
from trustledger.services.intake import records

RACERS = 8
FORK = multiprocessing.get_context("fork")


def _racer(url: str, barrier: Any, out: Any, use_case: Callable[..., Any], args: tuple) -> None:
    ledger = Ledger.open(url)
    try:
        barrier.wait(timeout=60)
        try:
            act(ledger, use_case, *args, actor="racer")
            out.put("ok")
        except Conflict:
            out.put("conflict")
        except Exception as exc:  # reported to the test, which fails on it
            out.put(repr(exc))
    finally:
        ledger.close()


def race(ledger: Ledger, use_case: Callable[..., Any], *args: Any) -> list[str]:
    """Run `use_case(ctx, *args)` in RACERS processes at once; their outcomes, sorted."""
    url = ledger.engine.url.render_as_string(hide_password=False)
    ledger.engine.dispose()  # no pooled connection crosses the fork
    barrier, out = FORK.Barrier(RACERS), FORK.Queue()
    procs = [
        FORK.Process(target=_racer, args=(url, barrier, out, use_case, args)) for _ in range(RACERS)
    ]
    for p in procs:
        p.start()
    outcomes = sorted(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return outcomes


def one_record(ledger: Ledger) -> int:
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    item = record("(2026)RACE-1", day - timedelta(days=30))
    [result] = act(ledger, records.submit, "city-court", [item])
    assert result.status == "inserted", result
    assert result.id is not None
    return result.id


def events(ledger: Ledger, record_id: int, kind: str) -> int:
    with ledger.uow() as uow:
        return sum(1 for e in uow.records.events(record_id) if e["event"] == kind)


def test_eight_filings_on_one_record_open_one_dispute(ledger: Ledger) -> None:
    record_id = one_record(ledger)
    outcomes = race(ledger, disputes.file, PERSON, record_id, "not mine")
    assert outcomes == ["conflict"] * (RACERS - 1) + ["ok"]
    with ledger.uow() as uow:
        assert len(uow.disputes.find(record_id=record_id, status="open")) == 1


def test_eight_decisions_on_one_dispute_decide_it_once(ledger: Ledger) -> None:
    record_id = one_record(ledger)
    dispute = act(ledger, disputes.file, PERSON, record_id, "not mine")
    outcomes = race(ledger, disputes.decide, dispute.id, "upheld", "the court erred")
    assert outcomes == ["conflict"] * (RACERS - 1) + ["ok"]
    assert events(ledger, record_id, "voided") == 1
    with ledger.uow() as uow:
        decisions = uow.audit.events(subject=PERSON, limit=1000)
    assert [e.action for e in decisions].count("dispute.decide") == 1


def test_eight_voids_write_one_void_event(ledger: Ledger) -> None:
    record_id = one_record(ledger)
    outcomes = race(ledger, records.void, record_id, "city-court", "reported in error")
    assert outcomes == ["conflict"] * (RACERS - 1) + ["ok"]
    assert events(ledger, record_id, "voided") == 1


def test_eight_fulfilments_write_one_event(ledger: Ledger) -> None:
    record_id = one_record(ledger)
    with ledger.uow() as uow:
        day: date = today(ledger.rulebook(uow))
    outcomes = race(ledger, records.fulfil, record_id, "city-court", day - timedelta(days=1))
    assert outcomes == ["ok"] * RACERS  # the same date again is answered as before
    assert events(ledger, record_id, "fulfilled") == 1


def test_the_database_holds_one_open_dispute_and_one_open_repair_per_record(
    ledger: Ledger,
) -> None:
    """Past the services' own check (as a filing that read before the other committed)."""
    record_id = one_record(ledger)
    day = date(2026, 1, 1)
    for cases, values in (
        ("disputes", {"source": "city-court", "grounds": "g", "filed_on": day, "due_on": day}),
        ("repairs", {"commitment": "c", "requested_on": day}),
    ):
        with ledger.uow() as uow:
            repo = getattr(uow, cases)
            repo.add(record_id=record_id, subject=PERSON, status="open", **values)
            repo.add(record_id=record_id, subject=PERSON, status="rejected", **values)
            with pytest.raises(Duplicate):
                repo.add(record_id=record_id, subject=PERSON, status="open", **values)
