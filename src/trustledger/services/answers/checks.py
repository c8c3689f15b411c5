"""Joint checks: may this subject fly, bid, rent without deposit? Computed from the records now.

Nothing derived is stored, so a record accepted a moment ago and a notice period ending today
both show in the very next check, with no job to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from trustledger.domain.identifiers import IdentifierError, SubjectId
from trustledger.domain.intake import Rejected
from trustledger.domain.rulebook import Rulebook
from trustledger.domain.scoring import CheckResult, check, deciding_types, evaluate
from trustledger.services.answers.standing import measure_json
from trustledger.services.context import Conflict, Forbidden, Ledger, today
from trustledger.store.unit_of_work import UnitOfWork

MAX_SUBJECTS = 1_000
ALLOW = CheckResult("allow", ())


@dataclass(frozen=True)
class Checked:
    """One subject's answer in a batch: a decision, or why its identifier was refused."""

    subject: str
    result: CheckResult | None
    error: str | None = None


def check_json(result: CheckResult) -> dict[str, Any]:
    """What a provider learns: the decision and, per measure, why and until when."""
    return {"decision": result.decision, "measures": [measure_json(m) for m in result.measures]}


def checked_json(item: Checked) -> dict[str, Any]:
    if item.result is None:
        return {"subject": item.subject, "error": item.error}
    return {"subject": item.subject, **check_json(item.result)}


def require_action(book: Rulebook, action: str) -> None:
    """An action that no measure names is an error (one rule for checks and provider keys)."""
    problem = book.action_error(action)
    if problem is not None:
        raise Rejected("action", problem)


def check_many(
    ledger: Ledger,
    subjects: Sequence[str],
    action: str,
    as_of: date | None = None,
    *,
    actor: str,
    what_if: bool = True,
    allowed: Sequence[str] | None = None,
) -> list[Checked]:
    """Check many subjects for one action, reading only the records that can decide it.

    A malformed identifier is answered for its own item; the others are decided. With
    `what_if=False` (providers) only today may be asked: a hypothetical check is for the
    people who decide about subjects, and must never read like a refused flight. `allowed`
    limits the actions (a provider key's); an unknown action is refused before that.
    """
    if len(subjects) > MAX_SUBJECTS:
        raise Conflict(f"subjects: at most {MAX_SUBJECTS} per request, got {len(subjects)}")
    parsed: list[SubjectId | str] = []
    for i, text in enumerate(subjects):
        try:
            parsed.append(ledger.registry.parse(text))
        except IdentifierError as exc:
            parsed.append(f"subjects[{i}]: {exc}")
    ids = [s for s in parsed if isinstance(s, SubjectId)]
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        require_action(book, action)
        if allowed is not None and action not in allowed:
            raise Forbidden(f"action: this key may check {', '.join(allowed)}, not {action}")
        now = today(book)
        day = as_of or now
        if not what_if and day != now:
            raise Forbidden(
                f"as_of: a provider checks today ({now.isoformat()}); "
                "what-if checks are for admins and reviewers"
            )
        types = deciding_types(book, action)
        if types is not None and not types:
            decided = dict.fromkeys(map(str, ids), ALLOW)
        else:
            decided = _decide(uow, book, ids, action, day, types)
        # Every check is a read of personal data: it goes into the subject's access log.
        detail: dict[str, Any] = {"action": action, "as_of": day.isoformat()}
        if day != now:
            detail["what_if"] = True
        uow.audit.append_many(
            [
                {
                    "actor": actor,
                    "action": "check",
                    "subject": key,
                    "detail": {**detail, "decision": result.decision},
                }
                for key, result in decided.items()
            ]
        )
        uow.commit()
    return [
        Checked(str(s), decided[str(s)])
        if isinstance(s, SubjectId)
        else Checked(subjects[i], None, s)
        for i, s in enumerate(parsed)
    ]


def _decide(
    uow: UnitOfWork,
    book: Rulebook,
    ids: list[SubjectId],
    action: str,
    day: date,
    types: frozenset[str] | None,
) -> dict[str, CheckResult]:
    """One decision per distinct subject (a batch naming a subject twice reads it once)."""
    kinds = {str(s): s.kind for s in ids}
    keys = sorted(kinds)
    records = uow.records.of_subjects(keys, sorted(types) if types is not None else None)
    # Consent and confirmed proposals matter only when the tier can decide (`types` is None).
    tiered = types is None
    consent = {k: v.consent for k, v in uow.subjects.get_many(keys).items()} if tiered else {}
    reviewed = uow.proposals.confirmations(keys)
    results: dict[str, CheckResult] = {}
    for key in keys:
        own = records.get(key)
        if not tiered and not own:
            results[key] = ALLOW
            continue
        standing = evaluate(
            book,
            kinds[key],
            own or [],
            day,
            consent=consent.get(key, False),
            confirmations=reviewed.get(key, ()),
        )
        results[key] = check(standing, action)
    return results


def check_one(
    ledger: Ledger,
    subject: str,
    action: str,
    as_of: date | None = None,
    *,
    actor: str,
    what_if: bool = True,
    allowed: Sequence[str] | None = None,
) -> dict[str, Any]:
    try:
        ledger.registry.parse(subject)
    except IdentifierError as exc:
        raise IdentifierError(f"subject: {exc}") from None
    [item] = check_many(
        ledger, [subject], action, as_of, actor=actor, what_if=what_if, allowed=allowed
    )
    assert item.result is not None
    return check_json(item.result)
