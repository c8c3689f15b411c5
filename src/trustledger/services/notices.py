"""Notices to subjects: listing, dispute and repair decisions, review proposals, expiries.

Services put notices in the outbox inside their own transaction, so a notice exists exactly
when the change it announces does; `deliver` hands unsent ones to a sender (default: the log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select, update

from trustledger.services.ledger import Ledger
from trustledger.store import bulk
from trustledger.store.tables import outbox, records

log = logging.getLogger("trustledger.notices")


class Sender(Protocol):
    def send(self, subject: str, kind: str, payload: dict[str, Any]) -> None: ...


class LogSender:
    """The default sender: one log line per notice (a deployment plugs in mail or SMS)."""

    def send(self, subject: str, kind: str, payload: dict[str, Any]) -> None:
        log.info("notice to %s: %s %s", subject, kind, json.dumps(payload, ensure_ascii=False))


def enqueue(conn: Connection, notices: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """Queue (subject, kind, payload) notices in the caller's transaction."""
    if notices:
        conn.execute(
            insert(outbox),
            [
                {"subject": s, "kind": k, "payload": json.dumps(p, ensure_ascii=False, default=str)}
                for s, k, p in notices
            ],
        )


def enqueue_bulk(conn: Connection, notices: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """`enqueue` for many notices at once, written through the driver (an import's listings).

    The caller's transaction must already have written: the rows go through its DBAPI
    connection, so they commit or roll back with it.
    """
    bulk.insert_all(
        conn,
        outbox,
        [
            {"subject": s, "kind": k, "payload": json.dumps(p, ensure_ascii=False, default=str)}
            for s, k, p in notices
        ],
    )


def pending(conn: Connection, subject: str | None = None) -> list[dict[str, Any]]:
    query = select(outbox).order_by(outbox.c.id)
    if subject is not None:
        query = query.where(outbox.c.subject == subject)
    return [{**dict(r._mapping), "payload": json.loads(r.payload)} for r in conn.execute(query)]


def deliver(ledger: Ledger, sender: Sender | None = None, limit: int = 10_000) -> int:
    """Send unsent notices, oldest first; return how many were sent.

    Each notice is marked sent in its own transaction as soon as the sender took it, so a
    sender failing on one notice leaves only that one unsent (to be tried again next time):
    the notices sent before it are not sent a second time, and those after it still go out.
    """
    sender = sender or LogSender()
    with ledger.uow() as uow:
        rows = uow.connection.execute(
            select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
        ).all()
    sent = 0
    for row in rows:
        try:
            sender.send(row.subject, row.kind, json.loads(row.payload))
        except Exception:
            log.exception(
                "notice %s to %s was not sent; it stays in the outbox", row.id, row.subject
            )
            continue
        with ledger.uow() as uow:
            uow.connection.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.sent_at.is_(None))
                .values(sent_at=datetime.now(UTC))
            )
            uow.commit()
        sent += 1
    return sent


def expiries(ledger: Ledger, day: date, *, actor: str = "cli") -> int:
    """Tell subjects whose record-based listing ends on `day` (run daily; safe to re-run)."""
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        entering = book.index.lists_by_type
        if not entering:
            return 0
        c = records.c
        rows = uow.connection.execute(
            select(c.subject, c.source, c.reference, c.type, c.decided_on, c.fulfilled_on).where(
                c.type.in_(list(entering)), c.voided.is_(False), c.decided_on <= day
            )
        ).all()
        ending = []
        for r in rows:
            record_type = book.index.types[r.type]
            if record_type.end(r.decided_on, r.fulfilled_on) == day:
                ending.append(r)
        already = {
            (n["payload"].get("source"), n["payload"].get("reference"))
            for n in pending(uow.connection)
            if n["kind"] == "expiry" and n["payload"].get("ended_on") == day.isoformat()
        }
        new = [
            (
                r.subject,
                "expiry",
                {
                    "source": r.source,
                    "reference": r.reference,
                    "lists": [spec.code for spec in entering[r.type]],
                    "ended_on": day.isoformat(),
                },
            )
            for r in ending
            if (r.source, r.reference) not in already
        ]
        enqueue(uow.connection, new)
        uow.audit.append(
            actor=actor,
            action="notices.expiries",
            subject=None,
            detail={"day": day.isoformat(), "notices": len(new)},
        )
        uow.commit()
    return len(new)
