"""Several processes write events while a sequencer integrates them: one gapless tree, every
event exactly once, every checkpoint verifying, on both stores."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize

from sqlalchemy import select

from tests.log.conftest import DEBTOR, logged
from trustledger.services.context import Ledger
from trustledger.services.log import tlog
from trustledger.store.tlog import log_leaves, log_queue

WRITERS = 4
EACH = 200


def _write(url: str, n: int, start: multiprocessing.synchronize.Event) -> None:
    ledger = Ledger.open(url)
    start.wait()
    for i in range(EACH):
        with ledger.uow() as uow:
            uow.audit.append(actor=f"writer-{n}", action="check", subject=DEBTOR, detail={"i": i})
            uow.commit()
    ledger.close()


def _sequence(
    url: str, ready: multiprocessing.synchronize.Event, stop: multiprocessing.synchronize.Event
) -> None:
    ledger = Ledger.open(url)
    tlog.integrate(ledger)
    ready.set()  # running before the writers start, so it integrates while they write
    while not stop.wait(0.05):
        tlog.integrate(ledger)
    ledger.close()


def test_concurrent_writers_make_one_gapless_tree(ledger: Ledger, database_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, ready, stop = ctx.Event(), ctx.Event(), ctx.Event()
    writers = [ctx.Process(target=_write, args=(database_url, n, start)) for n in range(WRITERS)]
    sequencer = ctx.Process(target=_sequence, args=(database_url, ready, stop))
    for p in [*writers, sequencer]:
        p.start()
    assert ready.wait(120)
    start.set()
    for p in writers:
        p.join(300)
        assert p.exitcode == 0
    stop.set()
    sequencer.join(60)
    assert sequencer.exitcode == 0

    result = logged(ledger, tlog.verify)  # integrates what is left, then checks every checkpoint
    assert result.ok, result.problems
    with ledger.engine.connect() as conn:
        assert conn.execute(select(log_queue)).all() == []
        leaves = conn.execute(
            select(log_leaves.c.idx, log_leaves.c.event_id, log_leaves.c.actor).order_by(
                log_leaves.c.idx
            )
        ).all()
    assert [r.idx for r in leaves] == list(range(len(leaves)))
    assert len({r.event_id for r in leaves}) == len(leaves)  # each event exactly once
    for n in range(WRITERS):
        assert sum(r.actor == f"writer-{n}" for r in leaves) == EACH
    assert result.checkpoints > 1
