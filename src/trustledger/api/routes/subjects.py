"""A subject's full standing: for the people who decide about it, never for providers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from trustledger.api.auth import LedgerDep, require
from trustledger.api.schemas import ScoreOut
from trustledger.domain.roles import Permission
from trustledger.services import standing
from trustledger.services.keys import Principal

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@router.get("/{subject}/score", response_model=ScoreOut, summary="Score, tier, lists, measures")
def score(
    subject: str,
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.SCORES_READ))],
    as_of: date | None = None,
    rulebook_version: str | None = None,
) -> dict[str, object]:
    """The CLI's `score --json`: every point with the record behind it and when it ends."""
    return standing.score(ledger, subject, as_of, rulebook_version, actor=caller.actor)
