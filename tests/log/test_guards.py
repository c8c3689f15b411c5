"""Migration 0010, on both stores: an event leaves the queue only as a leaf of the tree, a
queued event is never changed, and the log's state only moves forward; so the sequencer's
rights (DELETE on the queue, UPDATE on the state) cannot remove or rewrite an event."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from trustledger.services.context import Ledger
from trustledger.services.log import tlog


def run(ledger: Ledger, statement: str) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text(statement))


def test_the_queue_and_the_state_refuse_what_the_sequencer_never_does(ledger: Ledger) -> None:
    tlog.integrate(ledger)
    run(
        ledger,
        "INSERT INTO log_queue (at, actor, action, detail) "
        "VALUES (CURRENT_TIMESTAMP, 'x', 'x', '{}')",
    )
    with pytest.raises(DBAPIError, match="only as a leaf"):
        run(ledger, "DELETE FROM log_queue")
    with pytest.raises(DBAPIError, match="never changed"):
        run(ledger, "UPDATE log_queue SET actor = 'y'")
    with pytest.raises(DBAPIError, match="only moves forward"):
        run(ledger, "UPDATE log_state SET size = size - 1")
    with pytest.raises(DBAPIError, match="only moves forward"):
        run(ledger, "UPDATE log_state SET signer_key = 'other'")
    with pytest.raises(DBAPIError, match="only moves forward"):
        run(ledger, "DELETE FROM log_state")
    assert tlog.integrate(ledger) == 1  # the sequencer itself deletes what it integrated
    with ledger.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM log_queue")).scalar() == 0
