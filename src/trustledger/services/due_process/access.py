"""Subject access: everything trustledger holds about a subject, and who looked.

The answer to a GDPR access request and the FCRA file disclosure in one: the score with its key
factors, every record (voided ones too) with its history and legal basis, lists and measures with
their dates, pending proposals, disputes and repair requests, notices, and the access log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from trustledger.domain.explain import paths_out
from trustledger.domain.scoring import evaluate
from trustledger.services.answers.standing import (
    measure_json,
    path_json,
    pending_json,
    tier_cap_json,
)
from trustledger.services.context import Ledger, plain, today
from trustledger.services.due_process import notices
from trustledger.store.unit_of_work import UnitOfWork

LOG_PAGE = 10_000


def _access_log(uow: UnitOfWork, subject: str) -> list[dict[str, Any]]:
    """Who read this subject's data: checks by providers, score reads, exports. All of it, oldest
    first, however long the log (read page by page)."""
    reads = ("check", "score.read", "access.read", "access.export")
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
            }
            for e in events
            if e.action in reads
        )
        if len(events) < LOG_PAGE:
            return log
        offset += LOG_PAGE


def subject_access(
    ledger: Ledger,
    subject: str,
    *,
    actor: str,
    as_of: date | None = None,
    export: bool = False,
) -> dict[str, Any]:
    subject_id = ledger.registry.parse(subject)
    key = str(subject_id)
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        now = today(book)
        day = as_of or now
        stored = uow.subjects.get(key)
        consent = bool(stored and stored.consent)
        raw = uow.records.all_of_subject(key)
        records = uow.records.of_subject(key)
        standing = evaluate(
            book,
            subject_id.kind,
            records,
            day,
            consent=consent,
            confirmations=uow.proposals.confirmations([key]).get(key, ()),
        )
        history = {r["id"]: uow.records.events(r["id"]) for r in raw}
        proposals = uow.proposals.find(subject=key)
        disputes = uow.disputes.find(subject=key)
        repairs = uow.repairs.find(subject=key)
        sent = notices.pending(uow.connection, key)
        log = _access_log(uow, key)
        uow.audit.append(
            actor=actor,
            action="access.export" if export else "access.read",
            subject=key,
            detail={"as_of": day.isoformat()},
        )
        uow.commit()

    counting = {(c.source, c.reference): c for c in standing.contributions}
    records_out = []
    for r in raw:
        rt = book.record_type(r["type"])
        contribution = counting.get((r["source"], r["reference"]))
        records_out.append(
            {
                "id": r["id"],
                "type": r["type"],
                "label": rt.label if rt else None,
                "category": rt.category.value if rt else None,
                "legal_basis": rt.legal_basis if rt else None,
                "source": r["source"],
                "reference": r["reference"],
                "decided_on": r["decided_on"],
                "notified_on": r["notified_on"],
                "amount": r["amount"],
                "note": r["note"],
                "fulfilled_on": r["fulfilled_on"],
                "voided": bool(r["voided"]),
                "disputed": bool(r["disputed"]),
                "counts_until": rt.end(r["decided_on"], r["fulfilled_on"]) if rt else None,
                "points_now": contribution.points if contribution else 0,
                "history": [
                    {"event": e["event"], "on": e["on_date"], "by": e["actor"], "note": e["note"]}
                    for e in history[r["id"]]
                ],
            }
        )
    label = {t.code: t for t in book.record_types}
    report: dict[str, Any] = plain(
        {
            "subject": key,
            "kind": subject_id.kind.value,
            "as_of": day,
            "rulebook": {"name": book.rulebook, "version": book.version},
            "consent": {
                "given": consent,
                "required": subject_id.kind in book.score.requires_consent,
            },
            "score": standing.score,
            "tier": standing.tier,
            "base": book.score.base,
            "contributions": [
                {
                    "reference": c.reference,
                    "source": c.source,
                    "type": c.type,
                    "label": label[c.type].label,
                    "points": c.points,
                    "counts_until": c.counts_until,
                    "legal_basis": label[c.type].legal_basis,
                }
                for c in sorted(standing.contributions, key=lambda c: c.points)
            ],
            "lists": [
                {
                    "list": m.list,
                    "kind": m.kind,
                    "since": m.since,
                    "until": m.until,
                    "because": m.because,
                }
                for m in standing.lists
            ],
            "measures": [measure_json(m) for m in standing.measures],
            "awaiting_review": [
                {"list": m.list, "because": m.because} for m in standing.awaiting_review
            ],
            "pending": [pending_json(p) for p in standing.pending],
            "tier_cap": tier_cap_json(standing.tier_cap),
            "paths_out": [path_json(p) for p in paths_out(book, standing, records, now)],
            "records": records_out,
            "proposals": proposals,
            "disputes": disputes,
            "repairs": repairs,
            "notices": [
                {
                    "kind": n["kind"],
                    "created_at": n["created_at"],
                    "sent_at": n["sent_at"],
                    **n["payload"],
                }
                for n in sent
            ],
            "access_log": log,
        }
    )
    return report
