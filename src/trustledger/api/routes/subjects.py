"""A subject's full standing, for the people who decide about it, never for providers; and a
legal person's registered name, set by an administrator."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from trustledger.api.auth import LedgerDep, ScoresReader, SubjectsWriter
from trustledger.api.schemas import Day, Plain, ScoreOut, examples
from trustledger.services.answers import standing
from trustledger.services.intake import subjects
from trustledger.views import json

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@router.get(
    "/{subject}/score",
    response_model=ScoreOut,
    summary="Score, tier, lists, measures",
)
def score(
    subject: str,
    ledger: LedgerDep,
    caller: ScoresReader,
    as_of: Day | None = None,
    rulebook_version: str | None = None,
) -> dict[str, object]:
    """The CLI's `score --json`: every point with the record behind it and when it ends."""
    with ledger.transaction(caller.actor) as ctx:
        return json.score(standing.score(ctx, subject, as_of, rulebook_version))


class NameIn(BaseModel):
    model_config = examples({"name": "Example Construction Co., Ltd."}, forbid=True)
    name: Plain = Field(description="The registered name, at most 200 characters.")


class NameOut(BaseModel):
    subject: str
    kind: str
    name: str


@router.put(
    "/{subject}/name",
    response_model=NameOut,
    summary="Set an organization's or public body's registered name",
)
def set_name(
    subject: str,
    body: NameIn,
    ledger: LedgerDep,
    caller: SubjectsWriter,
) -> dict[str, object]:
    """The name shown for the subject on public lists. It replaces any name held (one reported
    with a record, or set before); later reports do not change it. Persons are never named:
    for a `cn-rid:` subject the answer is 422. The change is written to the audit log."""
    with ledger.transaction(caller.actor) as ctx:
        return subjects.set_name(ctx, subject, body.name)
