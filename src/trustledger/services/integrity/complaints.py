"""Complaints of counterparties about a public body's payments, decided like disputes.

A company (or any counterparty) complains that a payment is late, that a bill was never
registered, or that the undisputed part of a partly disputed bill was withheld. The complaint
goes to the body's supervisor (the rulebook's `commitments.supervisor`, a source kind) and must
be decided within `commitments.decide_within`; overdue complaints come first in the queue.
"""

from __future__ import annotations

from trustledger.domain.cases import COMPLAINT, Complaint, ComplaintStatus, Queued, by_deadline
from trustledger.domain.intake import Rejected
from trustledger.services.context import Context, NotFound
from trustledger.services.due_process import cases
from trustledger.services.integrity.commitments import body_id, rules

GROUNDS = ("late", "unregistered", "withheld")


def file(
    ctx: Context,
    subject: str,
    *,
    grounds: str,
    statement: str,
    source: str | None = None,
    reference: str | None = None,
    body: str | None = None,
) -> Complaint:
    """File a complaint about a commitment owed to `subject` (by source and reference), or,
    for an unregistered bill, about a body (its reference is the complainant's own)."""
    book_rules = rules(ctx)
    if grounds not in GROUNDS:
        raise Rejected("grounds", f"{grounds!r} is not one of {', '.join(GROUNDS)}")
    if not statement.strip():
        raise Rejected("statement", "say what happened (the bill, the dates, the amounts)")
    commitment_id = None
    if grounds == "unregistered":
        if body is None:
            raise Rejected("body", "name the public body that owes the unregistered bill")
        key = str(body_id(ctx, body))
        if ctx.uow.integrity.body(key) is None:
            raise NotFound(f"body: public body {key} is not registered")
    else:
        if source is None or reference is None:
            raise Rejected("reference", "name the commitment (source and reference)")
        found = ctx.uow.integrity.commitment(source, reference)
        if found is None or found.counterparty != subject:
            # Another counterparty's commitment is answered as missing: no probing.
            raise NotFound(f"reference: no commitment {reference!r} of {source} owed to you")
        key, commitment_id = found.body, found.id
    day = ctx.today
    due = ctx.book.deadline(day, book_rules.decide_within)
    complaint_id = ctx.uow.complaints.add(
        commitment_id=commitment_id,
        subject=subject,
        body=key,
        commitment_source=source,
        reference=reference,
        supervisor=book_rules.supervisor,
        grounds=grounds,
        statement=statement.strip(),
        filed_on=day,
        due_on=due,
        status=ComplaintStatus.OPEN,
    )
    return cases.filed(
        ctx,
        COMPLAINT,
        ctx.uow.complaints,
        complaint_id,
        about={"body": key, "grounds": grounds},
        notice={},
    )


def queue(
    ctx: Context,
    *,
    status: str | None = None,
    source: str | None = None,
) -> list[Queued[Complaint]]:
    """Complaints, overdue ones first (escalated), then by due date; for a `source`, only those
    its kind supervises."""
    supervisor = None
    if source is not None:
        found = ctx.uow.sources.get(source)
        supervisor = found.kind if found else "(none)"
    rows = ctx.uow.complaints.find(status=status, supervisor=supervisor)
    return by_deadline(rows, ctx.today)


def decide(ctx: Context, complaint_id: int, outcome: str, reason: str) -> Queued[Complaint]:
    """Upheld or rejected, with the reason, audited and sent to the complainant; answered as
    the queue now shows it (decided: not overdue)."""
    decided = cases.decide(ctx, COMPLAINT, ctx.uow.complaints, complaint_id, outcome, reason)
    return Queued(decided, overdue=False)
