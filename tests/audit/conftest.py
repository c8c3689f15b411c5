"""Helpers for the audit log tests: append (queue) events, build the hash chain of events from
before the switch to the transparency log, and tamper as someone with DDL rights would.

Since the switch, appends only queue events for the log; the chain (`audit_events`,
`audit_head`) is frozen. A test ledger is made after the switch, so its chain is empty: the
chain tests write pre-switch events directly, as the old appender did (`chain`). Other services
may already have queued events when a test starts (the `ledger` fixture installs a rulebook and
sources), so tests work relative to what they find.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, func, insert, select, text, update

from trustledger.services.context import Ledger
from trustledger.store.audit import GENESIS, audit_events, audit_head, canonical, event_hash
from trustledger.store.tlog import log_leaves, log_queue

DEBTOR = "cn-rid:11010519491231002X"
OTHER = "cn-rid:110105194912310029"


def head(ledger: Ledger) -> tuple[int, str]:
    with ledger.uow() as uow:
        found = uow.audit.head()
    assert found is not None
    return found


def last_id(ledger: Ledger) -> int:
    """The newest event id, queued or integrated (0 before any)."""
    with ledger.engine.connect() as conn:
        queued = conn.execute(select(func.max(log_queue.c.id))).scalar() or 0
        integrated = conn.execute(select(func.max(log_leaves.c.event_id))).scalar() or 0
    return max(int(queued), int(integrated))


def append(ledger: Ledger, n: int, *, subject: str | None = DEBTOR, actor: str = "test") -> int:
    """Append (queue) `n` events in one transaction; return the id of the first."""
    with ledger.uow() as uow:
        uow.audit.append_many(
            [
                {
                    "actor": actor,
                    "action": "check",
                    "subject": subject,
                    "detail": {"action": "travel.flight", "n": i, "note": "机票 ✓"},
                }
                for i in range(n)
            ]
        )
        uow.commit()
    return last_id(ledger) - n + 1


def spec_hash(event: dict[str, object]) -> str:
    """The chain's hash as the design states it, written out independently of the code."""
    keys = ("id", "at", "actor", "action", "subject", "detail", "prev_hash")
    payload = json.dumps(
        {k: event[k] for k in keys}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chain(ledger: Ledger, n: int, *, subject: str | None = DEBTOR, actor: str = "test") -> int:
    """Write `n` chained events as the appender before the switch did (ids gapless after the
    head, each hash over the previous one, the head moved to the last); return the first id."""
    last, prev = head(ledger)
    at = datetime.now(UTC)
    rows = []
    for i in range(n):
        id_ = last + 1 + i
        detail = json.loads(canonical({"action": "travel.flight", "n": i, "note": "机票 ✓"}))
        event = {
            "id": id_,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": "check",
            "subject": subject,
            "detail": detail,
            "prev_hash": prev,
        }
        digest = spec_hash(event)
        rows.append({**event, "at": at, "detail": canonical(detail), "hash": digest})
        prev = digest
    with ledger.engine.begin() as conn:
        if rows:
            conn.execute(insert(audit_events), rows)
            conn.execute(update(audit_head).values(last_id=last + n, hash=prev))
    return last + 1


def chained(ledger: Ledger) -> list[Any]:
    """The chain's rows, in id order."""
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(audit_events).order_by(audit_events.c.id)))


def tamper(ledger: Ledger, *statements: str | Executable, **params: Any) -> None:
    """Run SQL against the log after removing its append-only triggers, as an attacker could."""
    with ledger.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            for trigger in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_head_no_delete",
                "audit_head_no_rewind",
            ):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement, params)


def rehash_from(ledger: Ledger, first: int) -> str:
    """Recompute hashes from event `first` on, so the chain is consistent again; return the last."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events).where(audit_events.c.id >= first).order_by(audit_events.c.id)
        ).all()
        prev = conn.execute(
            select(audit_events.c.hash).where(audit_events.c.id == first - 1)
        ).scalar_one_or_none()
    prev = prev or GENESIS
    updates = []
    for row in rows:
        digest = event_hash(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            detail=json.loads(row.detail),
            prev_hash=prev,
        )
        updates.append({"id": row.id, "prev": prev, "hash": digest})
        prev = digest
    for u in updates:
        tamper(
            ledger,
            "UPDATE audit_events SET prev_hash = :prev, hash = :hash WHERE id = :id",
            **u,
        )
    return prev
