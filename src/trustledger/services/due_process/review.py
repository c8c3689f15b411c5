"""Human review: an automated entry into a `review: required` list is only a proposal.

`scan` proposes entries whose condition holds (e.g. tier D for the watch list) and ends
confirmed ones whose condition has lapsed; the subject may add a statement; a reviewer confirms
or rejects with a reason. Only a confirmation puts the subject on the list.
"""

from __future__ import annotations

from datetime import date

from trustledger.domain.cases import PROPOSAL, Proposal, ProposalStatus
from trustledger.domain.identifiers import SubjectId
from trustledger.domain.intake import Rejected, free_text
from trustledger.progress import Progress, no_progress
from trustledger.services.answers.standing import files, standing_of
from trustledger.services.context import (
    Conflict,
    Context,
    Ledger,
    NotFound,
)
from trustledger.services.due_process import cases


def scan(
    ledger: Ledger,
    as_of: date | None = None,
    *,
    actor: str,
    chunk: int = 1_000,
    progress: Progress = no_progress,
) -> dict[str, int]:
    """Propose every review-required entry whose condition holds; end lapsed confirmations.

    A job over every subject: each chunk is its own transaction, so a long scan never holds
    one lock for its whole length, and a scan stopped half way can simply run again.
    """
    with ledger.transaction(actor) as ctx:
        ids = ctx.uow.subjects.ids()
        book = ctx.book
        day = as_of or ctx.today
    if not any(spec.review == "required" for spec in book.lists):
        return {"subjects": len(ids), "proposed": 0, "ended": 0}
    proposed = ended = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with ledger.transaction(actor) as ctx:
            p, e = _scan_part(ctx, part, day)
        proposed, ended = proposed + p, ended + e
        progress("scanning subjects", min(start + chunk, len(ids)), len(ids))
    return {"subjects": len(ids), "proposed": proposed, "ended": ended}


def _scan_part(ctx: Context, part: list[str], day: date) -> tuple[int, int]:
    uow = ctx.uow
    # Pending or confirmed, and rejected ones whose condition has held ever since: a reviewer's
    # rejection stands until the condition lapses, so the next scan does not simply propose
    # the same entry again.
    open_cases: dict[str, dict[str, list[Proposal]]] = {}
    for p in [*uow.proposals.open_for(part), *uow.proposals.standing_rejections(part)]:
        open_cases.setdefault(p.subject, {}).setdefault(p.list, []).append(p)
    new_notices = []
    proposed = ended = 0
    ids: list[SubjectId] = [ctx.registry.parse(i) for i in part]
    for subject_id, file in files(ctx, ids).items():
        if not file.known:
            continue
        standing = standing_of(ctx.book, file, day)
        holding = {m.list for m in standing.lists} | {m.list for m in standing.awaiting_review}
        own = open_cases.get(subject_id, {})
        for m in standing.awaiting_review:
            if m.list not in own:
                pid = uow.proposals.add(
                    subject=subject_id,
                    list=m.list,
                    because=m.because,
                    proposed_on=day,
                    status=ProposalStatus.PENDING,
                )
                new_notices.append(
                    (
                        subject_id,
                        "proposal",
                        {"proposal": pid, "list": m.list, "because": m.because},
                    )
                )
                proposed += 1
        for code in sorted(own.keys() - holding):
            for case in own[code]:
                if case.status == ProposalStatus.CONFIRMED:
                    uow.proposals.set(case.id, status=ProposalStatus.ENDED, ended_on=day)
                    new_notices.append((subject_id, "expiry", {"list": code, "ended_on": day}))
                    ended += 1
                elif case.status == ProposalStatus.REJECTED:  # the condition lapsed: closed
                    uow.proposals.set(case.id, ended_on=day)
    uow.outbox.enqueue(new_notices)
    ctx.audit("review.scan", subject=None, detail={"subjects": len(part), "as_of": day.isoformat()})
    return proposed, ended


def queue(ctx: Context, *, status: str | None = None, subject: str | None = None) -> list[Proposal]:
    return ctx.uow.proposals.find(status=status, subject=subject)


def add_statement(ctx: Context, subject: str, proposal_id: int, statement: str) -> Proposal:
    if not statement.strip():
        raise Rejected("statement", "it is empty")
    free_text("statement", statement)
    proposal = ctx.uow.proposals.get(proposal_id)
    if proposal is None or proposal.subject != subject:
        raise NotFound(f"proposal: no proposal {proposal_id} about {subject}")
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(f"proposal {proposal_id} was already decided")
    ctx.uow.proposals.set(proposal_id, statement=statement)
    ctx.audit("proposal.statement", subject=subject, detail={"proposal": proposal_id})
    answered = ctx.uow.proposals.get(proposal_id)
    assert answered is not None
    return answered


def decide(ctx: Context, proposal_id: int, confirm: bool, reason: str) -> Proposal:
    """Confirmed: the subject is on the list from today. Rejected: it stands until the entry
    condition lapses."""
    outcome = ProposalStatus.CONFIRMED if confirm else ProposalStatus.REJECTED

    return cases.decide(ctx, PROPOSAL, ctx.uow.proposals, proposal_id, outcome, reason)
