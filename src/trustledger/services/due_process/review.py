"""Human review: an automated entry into a `review: required` list is only a proposal.

`scan` proposes entries whose condition holds (e.g. tier D for the watch list) and ends
confirmed ones whose condition has lapsed; the subject may add a statement; a reviewer confirms
or rejects with a reason. Only a confirmation puts the subject on the list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.scoring import evaluate
from trustledger.services.context import Conflict, Ledger, NotFound, plain_row, today
from trustledger.services.due_process import notices
from trustledger.store.tables import proposals, subjects
from trustledger.store.unit_of_work import UnitOfWork


def scan(
    ledger: Ledger,
    as_of: date | None = None,
    *,
    actor: str,
    chunk: int = 1_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Propose every review-required entry whose condition holds; end lapsed confirmations."""
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        ids = list(uow.connection.execute(select(subjects.c.id).order_by(subjects.c.id)).scalars())
    if not any(spec.review == "required" for spec in book.lists):
        return {"subjects": len(ids), "proposed": 0, "ended": 0}
    day = as_of or today(book)
    proposed = ended = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with ledger.uow() as uow:
            known = uow.subjects.get_many(part)
            records = uow.records.of_subjects(part)
            confirmations = uow.proposals.confirmations(part)
            # Pending or confirmed, and rejected ones whose condition has held ever since: a
            # reviewer's rejection stands until the condition lapses, so the next scan does not
            # simply propose the same entry again.
            cases: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for p in [*uow.proposals.open_for(part), *_standing_rejections(uow, part)]:
                cases.setdefault(p["subject"], {}).setdefault(p["list"], []).append(p)
            new_notices = []
            for subject_id, stored in known.items():
                standing = evaluate(
                    book,
                    SubjectKind(stored.kind),
                    records.get(subject_id, []),
                    day,
                    consent=stored.consent,
                    confirmations=confirmations.get(subject_id, ()),
                )
                holding = {m.list for m in standing.lists} | {
                    m.list for m in standing.awaiting_review
                }
                own = cases.get(subject_id, {})
                for m in standing.awaiting_review:
                    if m.list not in own:
                        pid = uow.proposals.add(
                            subject=subject_id,
                            list=m.list,
                            because=m.because,
                            proposed_on=day,
                            status="pending",
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
                        if case["status"] == "confirmed":
                            uow.proposals.set(case["id"], status="ended", ended_on=day)
                            new_notices.append(
                                (subject_id, "expiry", {"list": code, "ended_on": day})
                            )
                            ended += 1
                        elif case["status"] == "rejected":  # the condition lapsed: closed
                            uow.proposals.set(case["id"], ended_on=day)
            notices.enqueue(uow.connection, new_notices)
            uow.audit.append(
                actor=actor,
                action="review.scan",
                subject=None,
                detail={"subjects": len(part), "as_of": day.isoformat()},
            )
            uow.commit()
        if progress is not None:
            progress(min(start + chunk, len(ids)), len(ids))
    return {"subjects": len(ids), "proposed": proposed, "ended": ended}


def _standing_rejections(uow: UnitOfWork, subject_ids: list[str]) -> list[dict[str, Any]]:
    """Rejected proposals of these subjects whose entry condition has not lapsed since."""
    c = proposals.c
    rows = uow.connection.execute(
        select(proposals).where(
            c.subject.in_(subject_ids), c.status == "rejected", c.ended_on.is_(None)
        )
    )
    return [dict(r._mapping) for r in rows]


def queue(
    ledger: Ledger, *, status: str | None = None, subject: str | None = None
) -> list[dict[str, Any]]:
    with ledger.uow() as uow:
        return [plain_row(r) for r in uow.proposals.find(status=status, subject=subject)]


def add_statement(
    ledger: Ledger, subject: str, proposal_id: int, statement: str, *, actor: str
) -> dict[str, Any]:
    if not statement.strip():
        raise Conflict("statement: it is empty")
    with ledger.uow() as uow:
        proposal = uow.proposals.get(proposal_id)
        if proposal is None or proposal["subject"] != subject:
            raise NotFound(f"proposal: no proposal {proposal_id} about {subject}")
        if proposal["status"] != "pending":
            raise Conflict(f"proposal {proposal_id} was already decided")
        uow.proposals.set(proposal_id, statement=statement)
        uow.audit.append(
            actor=actor,
            action="proposal.statement",
            subject=subject,
            detail={"proposal": proposal_id},
        )
        uow.commit()
        row = uow.proposals.get(proposal_id)
    assert row is not None
    return plain_row(row)


def decide(
    ledger: Ledger, proposal_id: int, confirm: bool, reason: str, *, actor: str
) -> dict[str, Any]:
    if not reason.strip():
        raise Conflict("reason: a decision states its reason")
    with ledger.uow() as uow:
        proposal = uow.proposals.get(proposal_id)
        if proposal is None:
            raise NotFound(f"proposal {proposal_id} does not exist")
        if proposal["status"] != "pending":
            raise Conflict(f"proposal {proposal_id} was already decided")
        day = today(ledger.rulebook(uow))
        status = "confirmed" if confirm else "rejected"
        uow.proposals.set(
            proposal_id, status=status, decided_on=day, decided_by=actor, reason=reason
        )
        uow.audit.append(
            actor=actor,
            action="proposal.decide",
            subject=proposal["subject"],
            detail={"proposal": proposal_id, "status": status},
        )
        notices.enqueue(
            uow.connection,
            [
                (
                    proposal["subject"],
                    "proposal",
                    {
                        "proposal": proposal_id,
                        "list": proposal["list"],
                        "status": status,
                        "reason": reason,
                    },
                )
            ],
        )
        uow.commit()
        row = uow.proposals.get(proposal_id)
    assert row is not None
    return plain_row(row)
