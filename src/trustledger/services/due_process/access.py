"""Subject access: everything trustledger holds about a subject, and who looked.

The answer to a GDPR access request and the FCRA file disclosure in one: the score with its key
factors, every record (voided ones too) with its history and legal basis, lists and measures with
their dates, pending proposals, disputes and repair requests, notices, and the access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trustledger.domain.cases import Complaint, Dispute, Proposal, Repair
from trustledger.domain.explain import PathOut
from trustledger.domain.rulebook import Rulebook
from trustledger.services.answers.standing import Assessment, assess, explain_standing
from trustledger.services.context import Context
from trustledger.services.integrity import commitments as integrity
from trustledger.store.tlog import StoredCheckpoint
from trustledger.store.unit_of_work import UnitOfWork

LOG_PAGE = 10_000
READS = ("check", "score.read", "access.read", "access.export")


@dataclass(frozen=True)
class SubjectAccess:
    """Everything held about a subject on a day: rendered as JSON, a terminal table or HTML."""

    book: Rulebook
    assessment: Assessment
    paths: tuple[PathOut, ...]
    records: list[dict[str, Any]]  # every stored record, voided ones too, as stored
    history: dict[int, list[dict[str, Any]]]  # record id -> its events
    proposals: list[Proposal]
    disputes: list[Dispute]
    repairs: list[Repair]
    notices: list[dict[str, Any]]
    access_log: list[dict[str, Any]]
    # The latest signed checkpoint of the transparency log the access log's entries can be
    # proven against (those with a log_index below its tree_size), None before the first.
    log_checkpoint: StoredCheckpoint | None = None
    # Commitments owed to the subject, and for a public body those it owes (overdue ones are
    # among its contributions); the subject's complaints about them.
    commitments: dict[str, Any] = field(default_factory=dict)
    complaints: list[Complaint] = field(default_factory=list)


def _access_log(uow: UnitOfWork, subject: str) -> list[dict[str, Any]]:
    """Who read this subject's data: checks by providers, score reads, exports. All of it, oldest
    first, however long the log (read page by page)."""
    log: list[dict[str, Any]] = []
    offset = 0
    while True:
        events = uow.audit.events(subject=subject, limit=LOG_PAGE, offset=offset)
        log.extend(
            {
                "at": e.at,
                "by": e.actor,
                "what": e.action,
                **{k: v for k, v in e.detail.items() if k in ("action", "decision", "as_of")},
                # A check of another day is hypothetical: it never refused anyone anything.
                "what_if": bool(e.detail.get("what_if")),
                # Its leaf in the transparency log (None while still queued for the sequencer).
                "log_index": e.log_index,
            }
            for e in events
            if e.action in READS
        )
        if len(events) < LOG_PAGE:
            return log
        offset += LOG_PAGE


def subject_access(
    ctx: Context, subject: str, *, as_of: date | None = None, export: bool = False
) -> SubjectAccess:
    """The subject's file, explained, with the cases, notices and access log; the read itself
    is logged (`access.read`, or `access.export` for a downloaded report)."""
    assessment = assess(ctx, subject, as_of)
    key = str(assessment.subject)
    uow = ctx.uow
    raw = uow.records.all_of_subject(key)
    result = SubjectAccess(
        book=ctx.book,
        assessment=assessment,
        paths=explain_standing(ctx, assessment),
        records=raw,
        history={r["id"]: uow.records.events(r["id"]) for r in raw},
        proposals=uow.proposals.find(subject=key),
        disputes=uow.disputes.find(subject=key),
        repairs=uow.repairs.find(subject=key),
        notices=uow.outbox.of(key),
        access_log=_access_log(uow, key),
        log_checkpoint=uow.log.latest_checkpoint(),
        commitments=integrity.of_subject(ctx, key, as_of),
        complaints=uow.complaints.find(subject=key),
    )
    ctx.audit(
        "access.export" if export else "access.read",
        subject=key,
        detail={"as_of": assessment.standing.as_of.isoformat()},
    )
    return result
