"""Disputes: a subject contests a record; a reviewer decides by the rulebook's deadline.

While open, the record is marked disputed (it still counts unless its type says
`suspend_when_disputed`). Upheld: the record is voided and its effects end at once.
Rejected: the reason is kept and shown to the subject.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from trustledger.services.context import Conflict, Ledger, NotFound, plain_row, today
from trustledger.services.due_process import notices
from trustledger.store.unit_of_work import UnitOfWork

OUTCOMES = ("upheld", "rejected")


def own_record(uow: UnitOfWork, subject: str, record_id: int) -> dict[str, Any]:
    record = uow.records.get(record_id)
    if record is None or record["subject"] != subject:  # never reveal others' records
        raise NotFound(f"record: no record {record_id} about {subject}")
    return record


def file(
    ledger: Ledger, subject: str, record_id: int, grounds: str, *, actor: str
) -> dict[str, Any]:
    if not grounds.strip():
        raise Conflict("grounds: say why the record is wrong")
    with ledger.uow() as uow:
        record = own_record(uow, subject, record_id)
        if record["voided"]:
            raise Conflict(f"record: record {record_id} is already voided")
        if uow.disputes.find(record_id=record_id, status="open"):
            raise Conflict(f"record: record {record_id} already has an open dispute")
        book = ledger.rulebook(uow)
        day = today(book)
        due = book.disputes.decide_within.after(day)
        dispute_id = uow.disputes.add(
            record_id=record_id,
            subject=subject,
            source=record["source"],
            grounds=grounds,
            filed_on=day,
            due_on=due,
            status="open",
        )
        uow.records.mark(record_id, disputed=True)
        uow.records.add_event(record_id, "disputed", day, actor, grounds)
        uow.audit.append(
            actor=actor,
            action="dispute.file",
            subject=subject,
            detail={"dispute": dispute_id, "record": record_id},
        )
        notices.enqueue(
            uow.connection,
            [
                (
                    subject,
                    "dispute",
                    {"dispute": dispute_id, "record": record_id, "status": "open", "due_on": due},
                )
            ],
        )
        uow.commit()
    return {
        "id": dispute_id,
        "record": record_id,
        "status": "open",
        "filed_on": day.isoformat(),
        "due_on": due.isoformat(),
    }


def _view(row: dict[str, Any], day: date) -> dict[str, Any]:
    out = plain_row(row)
    out.pop("filed_at", None)
    out["overdue"] = row["status"] == "open" and row["due_on"] < day
    return out


def queue(
    ledger: Ledger,
    *,
    status: str | None = None,
    source: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Disputes, overdue ones first (escalated), then by due date."""
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
        rows = uow.disputes.find(status=status, source=source, subject=subject)
    views = [_view(r, day) for r in rows]
    return sorted(views, key=lambda v: (not v["overdue"], v["status"] != "open", v["due_on"]))


def decide(
    ledger: Ledger, dispute_id: int, outcome: str, reason: str, *, actor: str
) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise Conflict(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if not reason.strip():
        raise Conflict("reason: a decision states its reason")
    with ledger.uow() as uow:
        dispute = uow.disputes.get(dispute_id)
        if dispute is None:
            raise NotFound(f"dispute {dispute_id} does not exist")
        if dispute["status"] != "open":
            raise Conflict(f"dispute {dispute_id} was already decided ({dispute['status']})")
        day = today(ledger.rulebook(uow))
        record_id = dispute["record_id"]
        uow.disputes.set(
            dispute_id, status=outcome, decided_on=day, decided_by=actor, reason=reason
        )
        if outcome == "upheld":
            uow.records.mark(record_id, disputed=False, voided=True)
            uow.records.add_event(
                record_id, "voided", day, actor, f"dispute {dispute_id} upheld: {reason}"
            )
        else:
            uow.records.mark(record_id, disputed=False)
            uow.records.add_event(record_id, "dispute_rejected", day, actor, reason)
        uow.audit.append(
            actor=actor,
            action="dispute.decide",
            subject=dispute["subject"],
            detail={"dispute": dispute_id, "outcome": outcome},
        )
        notices.enqueue(
            uow.connection,
            [
                (
                    dispute["subject"],
                    "dispute",
                    {
                        "dispute": dispute_id,
                        "record": record_id,
                        "status": outcome,
                        "reason": reason,
                    },
                )
            ],
        )
        uow.commit()
        decided = uow.disputes.get(dispute_id)
    assert decided is not None
    return _view(decided, day)
