"""Disputes: a subject contests a record; a reviewer decides by the rulebook's deadline.

While open, the record is marked disputed (it still counts unless its type says
`suspend_when_disputed`). Upheld: the record is voided and its effects end at once.
Rejected: the reason is kept and shown to the subject.
"""

from __future__ import annotations

from typing import Any

from trustledger.domain.cases import DISPUTE, Dispute, DisputeStatus, Queued, by_deadline
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


def file(ctx: Context, subject: str, record_id: int, grounds: str) -> Dispute:
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
        ctx, DISPUTE, ctx.uow.disputes, dispute_id, about=record_ref, notice=record_ref
    )


def queue(
    ctx: Context,
    *,
    status: str | None = None,
    source: str | None = None,
    subject: str | None = None,
) -> list[Queued[Dispute]]:
    """Disputes, overdue ones first (escalated), then by due date."""
    return by_deadline(
        ctx.uow.disputes.find(status=status, source=source, subject=subject), ctx.today
    )


def decide(ctx: Context, dispute_id: int, outcome: str, reason: str) -> Queued[Dispute]:
    """Upheld voids the record at once; rejected clears the mark and keeps the reason. The
    dispute is answered as the queue now shows it (decided: not overdue)."""

    def effect(dispute: Dispute, status: str) -> None:
        record_id, day = dispute.record_id, ctx.today
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

    decided = cases.decide(
        ctx, DISPUTE, ctx.uow.disputes, dispute_id, outcome, reason, effect=effect
    )
    return Queued(decided, overdue=False)


def disputable(ctx: Context, subject: str) -> list[dict[str, Any]]:
    """The subject's records that a dispute may be filed on now (not voided, none open)."""
    rows = ctx.uow.records.all_of_subject(subject)
    return [plain_row(r) for r in rows if not r["voided"] and not r["disputed"]]
