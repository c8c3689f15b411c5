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
from trustledger.domain.scoring import CheckResult, check, deciding_types
from trustledger.services.answers.standing import files, standing_of
from trustledger.services.context import Conflict, Context, Forbidden

MAX_SUBJECTS = 1_000
ALLOW = CheckResult("allow", ())


@dataclass(frozen=True)
class Checked:
    """One subject's answer in a batch: a decision, or why its identifier was refused."""

    subject: str
    result: CheckResult | None
    error: str | None = None


def require_action(book: Rulebook, action: str) -> None:
    """An action that no measure names is an error (one rule for checks and provider keys)."""
    problem = book.action_error(action)
    if problem is not None:
        raise Rejected("action", problem)


def check_many(
    ctx: Context,
    subjects: Sequence[str],
    action: str,
    as_of: date | None = None,
    *,
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
            parsed.append(ctx.registry.parse(text))
        except IdentifierError as exc:
            parsed.append(f"subjects[{i}]: {exc}")
    ids = [s for s in parsed if isinstance(s, SubjectId)]
    book = ctx.book
    require_action(book, action)
    if allowed is not None and action not in allowed:
        raise Forbidden(f"action: this key may check {', '.join(allowed)}, not {action}")
    day = as_of or ctx.today
    if not what_if and day != ctx.today:
        raise Forbidden(
            f"as_of: a provider checks today ({ctx.today.isoformat()}); "
            "what-if checks are for admins and reviewers"
        )
    types = deciding_types(book, action)
    if types is not None and not types:
        decided = dict.fromkeys(map(str, ids), ALLOW)
    else:
        decided = _decide(ctx, ids, action, day, types)
    # Every check is a read of personal data: it goes into the subject's access log, once per
    # subject however often a batch names it.
    detail: dict[str, Any] = {"action": action, "as_of": day.isoformat()}
    if day != ctx.today:
        detail["what_if"] = True
    ctx.uow.audit.append_many(
        [
            {
                "actor": ctx.actor,
                "action": "check",
                "subject": key,
                "detail": {**detail, "decision": result.decision},
            }
            for key, result in decided.items()
        ]
    )
    return [
        Checked(str(s), decided[str(s)])
        if isinstance(s, SubjectId)
        else Checked(subjects[i], None, s)
        for i, s in enumerate(parsed)
    ]


def _decide(
    ctx: Context,
    ids: list[SubjectId],
    action: str,
    day: date,
    types: frozenset[str] | None,
) -> dict[str, CheckResult]:
    """One decision per distinct subject (a batch naming a subject twice reads it once)."""
    if types is None:  # the tier can decide: every subject's whole file
        found = files(ctx, ids)
        return {key: check(standing_of(ctx.book, f, day), action) for key, f in found.items()}
    # Only the records that can decide are read; a subject without any is allowed, and its
    # consent and confirmations need not be read at all.
    found = files(ctx, ids, sorted(types), with_records_only=True)
    return {
        str(s): check(standing_of(ctx.book, found[str(s)], day), action)
        if str(s) in found
        else ALLOW
        for s in ids
    }


def check_one(
    ctx: Context,
    subject: str,
    action: str,
    as_of: date | None = None,
    *,
    what_if: bool = True,
    allowed: Sequence[str] | None = None,
) -> CheckResult:
    try:
        ctx.registry.parse(subject)
    except IdentifierError as exc:
        raise IdentifierError(f"subject: {exc}") from None
    [item] = check_many(ctx, [subject], action, as_of, what_if=what_if, allowed=allowed)
    assert item.result is not None
    return item.result
