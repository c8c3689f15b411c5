"""A subject's standing: one read of its file, one call of the pure engine, explained.

Every answer about a subject (a score, a check, subject access, a public list, a review scan)
starts from its `SubjectFile` (records, consent, confirmations) read once from the store, and
reaches the engine through `standing_of`, the one place services evaluate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from trustledger.domain.explain import PathOut, paths_out
from trustledger.domain.identifiers import IdentifierError, SubjectId
from trustledger.domain.intake import Rejected
from trustledger.domain.rulebook import Rulebook
from trustledger.domain.scoring import Standing, SubjectFile, evaluate_file
from trustledger.services.context import Context


@dataclass(frozen=True)
class Assessment:
    """A subject's standing on a day, with the file it was computed from."""

    subject: SubjectId
    file: SubjectFile
    standing: Standing


@dataclass(frozen=True)
class Explanation:
    """A standing and, for each thing that weighs on the subject, how it ends."""

    assessment: Assessment
    paths: tuple[PathOut, ...]


def parse_subject(ctx: Context, text: str, field: str = "subject") -> SubjectId:
    """A subject identifier, or a refusal naming the field."""
    try:
        return ctx.registry.parse(text)
    except IdentifierError as exc:
        raise Rejected(field, str(exc)) from None


def files(
    ctx: Context,
    subjects: Sequence[SubjectId],
    types: Sequence[str] | None = None,
    *,
    with_records_only: bool = False,
) -> dict[str, SubjectFile]:
    """The files of these subjects (records only of `types` when given), by identifier; with
    `with_records_only`, only of the subjects that have such records."""
    return ctx.uow.subjects.files(
        {str(s): s.kind for s in subjects}, types, with_records_only=with_records_only
    )


def standing_of(book: Rulebook, file: SubjectFile, day: date) -> Standing:
    """The one call site of the engine in the services."""
    return evaluate_file(book, file, day)


def assess(
    ctx: Context, subject: str, as_of: date | None = None, version: str | None = None
) -> Assessment:
    """The standing of one subject on a day under the active (or a stored) rulebook version."""
    subject_id = ctx.registry.parse(subject)
    book = ctx.rulebook(version)
    file = files(ctx, [subject_id])[str(subject_id)]
    return Assessment(subject_id, file, standing_of(book, file, as_of or ctx.today))


def score(
    ctx: Context, subject: str, as_of: date | None = None, version: str | None = None
) -> Assessment:
    """A subject's standing, explained; the read is logged in the subject's access log."""
    assessment = assess(ctx, subject, as_of, version)
    ctx.audit(
        "score.read",
        subject=str(assessment.subject),
        detail={"as_of": assessment.standing.as_of.isoformat()},
    )
    return assessment


def explain(ctx: Context, subject: str, as_of: date | None = None) -> Explanation:
    """How everything that weighs on a subject ends: by itself, by fulfilment, by dispute."""
    assessment = assess(ctx, subject, as_of)
    ctx.audit(
        "score.read",
        subject=str(assessment.subject),
        detail={"as_of": assessment.standing.as_of.isoformat(), "explain": True},
    )
    return Explanation(assessment, explain_standing(ctx, assessment))


def explain_standing(ctx: Context, assessment: Assessment) -> tuple[PathOut, ...]:
    """Paths out of an assessment (fulfilment counted from today)."""
    return paths_out(ctx.book, assessment.standing, assessment.file.records, ctx.today)
