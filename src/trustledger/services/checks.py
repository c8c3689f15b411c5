"""Joint checks: may this subject fly, bid, rent without deposit? Computed from the records now.

Nothing derived is stored, so a record accepted a moment ago and a notice period ending today
both show in the very next check, with no job to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from trustledger.domain.identifiers import IdentifierError, SubjectId
from trustledger.domain.rulebook import Rulebook
from trustledger.domain.scoring import CheckResult, MeasureInForce, check, deciding_types, evaluate
from trustledger.services.ledger import Conflict, Ledger, today
from trustledger.services.unit_of_work import UnitOfWork

MAX_SUBJECTS = 1_000
ALLOW = CheckResult("allow", ())


def measure_json(m: MeasureInForce) -> dict[str, Any]:
    """What a provider learns: the measure, its effect, why, on what legal basis, until when."""
    return {
        "code": m.code,
        "action": m.action,
        "effect": m.effect.value,
        "reason": m.because,
        "legal_basis": m.legal_basis,
        "until": m.until.isoformat() if m.until else None,
    }


def check_json(result: CheckResult) -> dict[str, Any]:
    return {"decision": result.decision, "measures": [measure_json(m) for m in result.measures]}


def parse_subjects(ledger: Ledger, subjects: Sequence[str]) -> list[SubjectId]:
    parsed = []
    for i, text in enumerate(subjects):
        try:
            parsed.append(ledger.registry.parse(text))
        except IdentifierError as exc:
            field = "subject" if len(subjects) == 1 else f"subjects[{i}]"
            raise IdentifierError(f"{field}: {exc}") from None
    return parsed


def check_many(
    ledger: Ledger,
    subjects: Sequence[str],
    action: str,
    as_of: date | None = None,
    *,
    actor: str = "cli",
) -> list[tuple[SubjectId, CheckResult]]:
    """Check many subjects for one action, reading only the records that can decide it."""
    if len(subjects) > MAX_SUBJECTS:
        raise Conflict(f"subjects: at most {MAX_SUBJECTS} per request, got {len(subjects)}")
    ids = parse_subjects(ledger, subjects)
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        day = as_of or today(book)
        types = deciding_types(book, action)
        if types is not None and not types:
            results = [(s, ALLOW) for s in ids]
        else:
            results = _decide(uow, book, ids, action, day, types)
        # Every check is a read of personal data: it goes into the subject's access log.
        uow.audit.append_many(
            [
                {
                    "actor": actor,
                    "action": "check",
                    "subject": str(s),
                    "detail": {"action": action, "decision": r.decision, "as_of": day.isoformat()},
                }
                for s, r in results
            ]
        )
        uow.commit()
    return results


def _decide(
    uow: UnitOfWork,
    book: Rulebook,
    ids: list[SubjectId],
    action: str,
    day: date,
    types: frozenset[str] | None,
) -> list[tuple[SubjectId, CheckResult]]:
    keys = sorted({str(s) for s in ids})
    records = uow.records.of_subjects(keys, sorted(types) if types is not None else None)
    # Consent and confirmed proposals matter only when the tier can decide (`types` is None).
    tiered = types is None
    consent = {k: v.consent for k, v in uow.subjects.get_many(keys).items()} if tiered else {}
    reviewed = uow.proposals.confirmations(keys)
    results = []
    for s in ids:
        key = str(s)
        own = records.get(key)
        if not tiered and not own:
            results.append((s, ALLOW))
            continue
        standing = evaluate(
            book,
            s.kind,
            own or [],
            day,
            consent=consent.get(key, False),
            confirmations=reviewed.get(key, ()),
        )
        results.append((s, check(standing, action)))
    return results


def check_one(
    ledger: Ledger, subject: str, action: str, as_of: date | None = None, *, actor: str = "cli"
) -> dict[str, Any]:
    [(_, result)] = check_many(ledger, [subject], action, as_of, actor=actor)
    return check_json(result)
