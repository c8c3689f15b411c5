"""Scores and checks: read a subject's records and ask the pure engine what they mean today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from trustledger.domain.explain import PathOut, paths_out
from trustledger.domain.identifiers import SubjectId
from trustledger.domain.scoring import (
    MeasureInForce,
    Pending,
    Record,
    Standing,
    TierCap,
    evaluate,
)
from trustledger.services.context import Ledger, today
from trustledger.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Assessment:
    subject: SubjectId
    standing: Standing
    records: Sequence[Record] = ()


def assess(
    ledger: Ledger,
    uow: UnitOfWork,
    subject: str,
    as_of: date | None = None,
    version: str | None = None,
) -> Assessment:
    """The standing of one subject on a day under the active (or a stored) rulebook version."""
    subject_id = ledger.registry.parse(subject)
    book = ledger.rulebook(uow, version)
    key = str(subject_id)
    stored = uow.subjects.get(key)
    records = uow.records.of_subject(key) if stored else []
    standing = evaluate(
        book,
        subject_id.kind,
        records,
        as_of or today(book),
        consent=bool(stored and stored.consent),
        confirmations=uow.proposals.confirmations([key]).get(key, ()) if stored else (),
    )
    return Assessment(subject_id, standing, records)


def score(
    ledger: Ledger,
    subject: str,
    as_of: date | None = None,
    version: str | None = None,
    *,
    actor: str,
) -> dict[str, Any]:
    """A subject's standing, explained; the read is logged in the subject's access log."""
    with ledger.uow() as uow:
        assessment = assess(ledger, uow, subject, as_of, version)
        uow.audit.append(
            actor=actor,
            action="score.read",
            subject=str(assessment.subject),
            detail={"as_of": assessment.standing.as_of.isoformat()},
        )
        uow.commit()
    return score_json(assessment)


def explain(
    ledger: Ledger, subject: str, as_of: date | None = None, *, actor: str
) -> dict[str, Any]:
    """How everything that weighs on a subject ends: by itself, by fulfilment, by dispute."""
    with ledger.uow() as uow:
        assessment = assess(ledger, uow, subject, as_of)
        book = ledger.rulebook(uow)
        now = today(book)
        uow.audit.append(
            actor=actor,
            action="score.read",
            subject=str(assessment.subject),
            detail={"as_of": assessment.standing.as_of.isoformat(), "explain": True},
        )
        uow.commit()
    paths = paths_out(book, assessment.standing, assessment.records, now)
    return {
        **score_json(assessment),
        "as_of": assessment.standing.as_of.isoformat(),
        "paths_out": [path_json(p) for p in paths],
    }


def measure_json(m: MeasureInForce) -> dict[str, Any]:
    """A measure as every answer shows it: what, why, on what legal basis, until when."""
    return {
        "code": m.code,
        "action": m.action,
        "effect": m.effect.value,
        "reason": m.because,
        "legal_basis": m.legal_basis,
        "until": m.until.isoformat() if m.until else None,
    }


def pending_json(p: Pending) -> dict[str, Any]:
    """`from` is the day the listing takes effect; null while it awaits a reviewer."""
    return {
        "list": p.list,
        "from": p.starts_on.isoformat() if p.starts_on else None,
        "because": p.because,
    }


def tier_cap_json(cap: TierCap | None) -> dict[str, Any] | None:
    if cap is None:
        return None
    return {
        "tier": cap.tier,
        "uncapped_tier": cap.uncapped_tier,
        "type": cap.type,
        "reference": cap.reference,
        "until": cap.until.isoformat(),
    }


def path_json(p: PathOut) -> dict[str, Any]:
    def day(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "what": p.what,
        "list": p.list,
        "type": p.type,
        "reference": p.reference,
        "source": p.source,
        "starts_on": day(p.starts_on),
        "ends_on": day(p.ends_on),
        "if_fulfilled": day(p.if_fulfilled),
        "dispute_until": day(p.dispute_until),
        "disputed": p.disputed,
        "explanation": p.explanation,
    }


def score_json(a: Assessment) -> dict[str, Any]:
    s = a.standing
    return {
        "subject": str(a.subject),
        "score": s.score,
        "tier": s.tier,
        "contributions": [
            {
                "reference": c.reference,
                "type": c.type,
                "points": c.points,
                "counts_until": c.counts_until.isoformat(),
            }
            for c in s.contributions
        ],
        "lists": [m.list for m in s.lists],
        "measures": [measure_json(m) for m in s.measures],
        "pending": [pending_json(p) for p in s.pending],
        "tier_cap": tier_cap_json(s.tier_cap),
    }
