"""Helpers for the transparency log tests: append events, and tamper with the leaves as someone
with DDL rights would (the append-only triggers removed first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import text

from trustledger.services.context import Ledger
from trustledger.services.log import tlog

T = TypeVar("T")

DEBTOR = "cn-rid:11010519491231002X"
OTHER = "cn-rid:110105194912310029"


def append(ledger: Ledger, n: int, *, subject: str | None = DEBTOR, actor: str = "test") -> None:
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


def tamper(ledger: Ledger, *statements: str, **params: Any) -> None:
    """Run SQL against the log's tables after dropping their append-only triggers (and the
    queue's and state's guards of migration 0010)."""
    with ledger.engine.begin() as conn:
        for table in ("log_leaves", "log_nodes", "log_checkpoints", "log_queue", "log_state"):
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                for event in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
        if conn.dialect.name == "sqlite":
            for trigger in ("log_queue_guard", "log_state_forward_only"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            conn.execute(text(statement), params)


def logged(ledger: Ledger, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Integrate the queue, then call a read of the log in a context (as the entry points do)."""
    tlog.integrate(ledger)
    with ledger.transaction("test") as ctx:
        return fn(ctx, *args, **kwargs)
