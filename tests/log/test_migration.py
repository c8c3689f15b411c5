"""Migration 0007 keeps every audit event: the chain still verifies, and the events already
stored become the first leaves of the tree, in id order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select, update

from tests.log.conftest import logged
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
from trustledger.services.log import audit, tlog
from trustledger.store import migrate
from trustledger.store.audit import GENESIS, audit_events, audit_head, canonical, event_hash
from trustledger.store.tlog import leaf_bytes, log_leaves


def _upgrade(ledger: Ledger, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with ledger.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_existing_events_become_the_first_leaves(database_url: str) -> None:
    ledger = Ledger.open(database_url)
    _upgrade(ledger, "0006")
    prev, rows = GENESIS, []
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for i in range(1, 8):
        detail = json.loads(canonical({"n": i}))
        digest = event_hash(
            id=i, at=at, actor="old", action="check", subject=None, detail=detail, prev_hash=prev
        )
        rows.append(
            {
                "id": i,
                "at": at,
                "actor": "old",
                "action": "check",
                "subject": None,
                "detail": canonical(detail),
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    with ledger.engine.begin() as conn:
        conn.execute(insert(audit_events), rows)
        conn.execute(update(audit_head).values(last_id=7, hash=prev))

    rulebooks.init(ledger, actor="test")  # migrates to the head and makes the log's signer key
    assert logged(
        ledger, audit.verify
    ).ok  # the chain up to the switch (and past it) still verifies
    result = logged(ledger, tlog.verify)
    assert result.ok, result.problems
    with ledger.engine.connect() as conn:
        leaves = conn.execute(select(log_leaves).order_by(log_leaves.c.idx)).all()
    assert [(r.idx, r.event_id) for r in leaves[:7]] == [(i - 1, i) for i in range(1, 8)]
    assert json.loads(leaf_bytes(leaves[0])) == {
        "id": 1,
        "at": "2026-05-01T12:00:00.000000+00:00",
        "actor": "old",
        "action": "check",
        "subject": None,
        "detail": {"n": 1},
    }
    # Since the switch, events are only queued, with ids after the chain's; the chain is frozen.
    with ledger.uow() as uow:
        uow.audit.append(actor="new", action="check", subject=None, detail={})
        uow.commit()
    tlog.integrate(ledger)
    with ledger.uow() as uow:
        new = uow.audit.events(limit=1000)[-1]
        assert uow.audit.head() == (7, prev)
    assert new.actor == "new" and new.id > 7 and new.log_index == len(leaves)
    assert logged(ledger, tlog.verify).ok and logged(ledger, audit.verify).checked == 7
    ledger.close()
