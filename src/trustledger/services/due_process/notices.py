"""Notices to subjects: listing, dispute and repair decisions, review proposals, expiries.

Services put notices in the outbox (`ctx.uow.outbox`) inside their own transaction, so a notice
exists exactly when the change it announces does; `deliver` hands unsent ones to a sender
(default: the log).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, Protocol

from trustledger.services.context import Context, Ledger

log = logging.getLogger("trustledger.notices")


class Sender(Protocol):
    def send(self, subject: str, kind: str, payload: dict[str, Any]) -> None: ...


class LogSender:
    """The default sender: one log line per notice (a deployment plugs in mail or SMS)."""

    def send(self, subject: str, kind: str, payload: dict[str, Any]) -> None:
        log.info("notice to %s: %s %s", subject, kind, json.dumps(payload, ensure_ascii=False))


def pending(ctx: Context, subject: str | None = None) -> list[dict[str, Any]]:
    """Every notice (of one subject), oldest first: what the subject was told, and when."""
    return ctx.uow.outbox.of(subject)


def deliver(ledger: Ledger, sender: Sender | None = None, limit: int = 10_000) -> int:
    """Send unsent notices, oldest first; return how many were sent.

    Each notice is first claimed (marked sent by a conditional update, committed), then sent:
    two deliveries running at once never send one notice twice. A sender failing on one notice
    releases only that one, to be tried again next time; the others still go out.
    """
    sender = sender or LogSender()
    store = ledger.store
    with store.uow() as uow:
        rows = uow.outbox.unsent(limit)
    sent = 0
    for row in rows:
        with store.uow() as uow:
            claimed = uow.outbox.mark_sent(row["id"])
            uow.commit()
        if not claimed:  # another delivery took it
            continue
        try:
            sender.send(row["subject"], row["kind"], row["payload"])
        except Exception:
            log.exception(
                "notice %s to %s was not sent; it stays in the outbox", row["id"], row["subject"]
            )
            with store.uow() as uow:
                uow.outbox.release(row["id"])
                uow.commit()
            continue
        sent += 1
    return sent


def expiries(ctx: Context, day: date) -> int:
    """Tell subjects whose record-based listing ends on `day` (run daily; safe to re-run)."""
    entering = ctx.book.index.lists_by_type
    if not entering:
        return 0
    ending = [
        r
        for r in ctx.uow.records.of_types(list(entering), day)
        if ctx.book.index.types[r.type].end(r.decided_on, r.fulfilled_on) == day
    ]
    already = {
        (n["payload"].get("source"), n["payload"].get("reference"))
        for n in ctx.uow.outbox.of()
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
    ctx.uow.outbox.enqueue(new)
    ctx.audit(
        "notices.expiries", subject=None, detail={"day": day.isoformat(), "notices": len(new)}
    )
    return len(new)
