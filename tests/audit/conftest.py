"""Helpers for the audit log tests: append events, and tamper as someone with DDL rights would.

Other services may already have logged events when a test starts (the `ledger` fixture installs
a rulebook and sources), so tests work relative to the head they find.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Executable, select, text

from trustledger.services.context import Ledger
from trustledger.store.audit import audit_events, event_hash

DEBTOR = "cn-rid:11010519491231002X"
OTHER = "cn-rid:110105194912310029"


def head(ledger: Ledger) -> tuple[int, str]:
    with ledger.uow() as uow:
        found = uow.audit.head()
    assert found is not None
    return found


def append(ledger: Ledger, n: int, *, subject: str | None = DEBTOR, actor: str = "test") -> int:
    """Append `n` events in one transaction; return the id of the first."""
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
    return head(ledger)[0] - n + 1


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
    prev = prev or "0" * 64
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
