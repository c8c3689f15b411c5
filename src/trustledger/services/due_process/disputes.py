"""Disputes: a subject contests a record; a reviewer decides by the rulebook's deadline.

While open, the record is marked disputed (it still counts unless its type says
`suspend_when_disputed`). Upheld: the record is voided and its effects end at once.
Rejected: the reason is kept and shown to the subject.
"""

from __future__ import annotations

from typing import Any

from trustledger.domain.cases import DISPUTE, DisputeStatus
from trustledger.domain.intake import Rejected, free_text
from trustledger.services.context import Conflict, Context, Duplicate, NotFound, plain_row
from trustledger.services.due_process import cases

OUTCOMES = DISPUTE.outcomes


def own_record(ctx: Context, subject: str, record_id: int) -> dict[str, Any]:
    """A record about `subject`; any other id is answered as missing (never reveal others')."""
    record = ctx.uow.records.get(record_id)
    if record is None or record["subject"] != subject:
        raise NotFound(f"record: no record {record_id} about {subject}")
    return record


def file(ctx: Context, subject: str, record_id: int, grounds: str) -> dict[str, Any]:
    if not grounds.strip():
        raise Rejected("grounds", "say why the record is wrong")
    free_text("grounds", grounds)
    record = own_record(ctx, subject, record_id)
    if record["voided"]:
        raise Conflict(f"record: record {record_id} is already voided")
    if ctx.uow.disputes.find(record_id=record_id, status=DisputeStatus.OPEN):
        raise Conflict(f"record: record {record_id} already has an open dispute")
    day = ctx.today
    due = ctx.book.deadline(day, ctx.book.disputes.decide_within)
    try:  # the database holds one open dispute per record: of two filings at once, one wins
        dispute_id = ctx.uow.disputes.add(
            record_id=record_id,
            subject=subject,
            source=record["source"],
            grounds=grounds,
            filed_on=day,
            due_on=due,
            status=DisputeStatus.OPEN,
        )
    except Duplicate:
        raise Conflict(f"record: record {record_id} already has an open dispute") from None
    ctx.uow.records.mark(record_id, disputed=True)
    ctx.uow.records.add_event(record_id, "disputed", day, ctx.actor, grounds)
    record_ref = {"record": record_id}
    return cases.filed(
        ctx, DISPUTE, dispute_id, subject, due, about=record_ref, notice=record_ref, view=record_ref
    )


def queue(
    ctx: Context,
    *,
    status: str | None = None,
    source: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Disputes, overdue ones first (escalated), then by due date."""
    rows = ctx.uow.disputes.find(status=status, source=source, subject=subject)
    return cases.by_deadline(DISPUTE, rows, ctx.today, hide=("filed_at",))


def decide(ctx: Context, dispute_id: int, outcome: str, reason: str) -> dict[str, Any]:
    """Upheld voids the record at once; rejected clears the mark and keeps the reason."""

    def effect(dispute: dict[str, Any], status: str) -> None:
        record_id, day = dispute["record_id"], ctx.today
        if status == DisputeStatus.UPHELD:
            # Voided once: if its source voided it meanwhile, that void stands and is not
            # written again.
            if ctx.uow.records.void(record_id, disputed=False):
                note = f"dispute {dispute_id} upheld: {reason}"
                ctx.uow.records.add_event(record_id, "voided", day, ctx.actor, note)
            else:
                ctx.uow.records.mark(record_id, disputed=False)
        else:
            ctx.uow.records.mark(record_id, disputed=False)
            ctx.uow.records.add_event(record_id, "dispute_rejected", day, ctx.actor, reason)

    row = cases.decide(ctx, DISPUTE, ctx.uow.disputes, dispute_id, outcome, reason, effect=effect)
    row.pop("filed_at", None)
    row["overdue"] = False
    return row


def disputable(ctx: Context, subject: str) -> list[dict[str, Any]]:
    """The subject's records that a dispute may be filed on now (not voided, none open)."""
    rows = ctx.uow.records.all_of_subject(subject)
    return [plain_row(r) for r in rows if not r["voided"] and not r["disputed"]]
