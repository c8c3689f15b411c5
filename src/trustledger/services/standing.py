"""Scores and checks: read a subject's records and ask the pure engine what they mean today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from trustledger.domain.identifiers import SubjectId
from trustledger.domain.scoring import MeasureInForce, Standing, evaluate
from trustledger.services.ledger import Ledger, today
from trustledger.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Assessment:
    subject: SubjectId
    standing: Standing


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
    return Assessment(subject_id, standing)


def score(
    ledger: Ledger,
    subject: str,
    as_of: date | None = None,
    version: str | None = None,
    *,
    actor: str = "cli",
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


def _measure_json(m: MeasureInForce) -> dict[str, Any]:
    return {"code": m.code, "action": m.action, "effect": m.effect.value}


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
        "measures": [_measure_json(m) for m in s.measures],
    }
