"""Public, without a key: the rulebook in force and the public lists (identifiers masked)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from trustledger.api.auth import LedgerDep
from trustledger.api.schemas import ListOut, RulebookOut
from trustledger.services import lists
from trustledger.services.ledger import NotFound

router = APIRouter(prefix="/v1", tags=["public"])


@router.get("/rulebook", response_model=RulebookOut, summary="The rulebook (active or a version)")
def rulebook(ledger: LedgerDep, version: str | None = None) -> dict[str, object]:
    with ledger.uow() as uow:
        book = ledger.rulebook(uow, version)
        active = uow.rulebooks.active()
        versions = [v.version for v in uow.rulebooks.versions() if active and v.name == active.name]
    if active is None:
        raise NotFound("no active rulebook")
    return {
        "rulebook": book.rulebook,
        "version": book.version,
        "active": book.version == active.version,
        "versions": versions,
        "content": book.model_dump(mode="json", exclude_none=True),
    }


@router.get("/lists/{code}", response_model=ListOut, summary="A public list, identifiers masked")
def public_list(
    code: str,
    ledger: LedgerDep,
    q: Annotated[
        str | None,
        Query(
            description="A full identifier: is this subject listed?",
            examples=["cn-rid:11010519491231002X"],
        ),
    ] = None,
    as_of: date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> dict[str, object]:
    return lists.public_list(ledger, code, q=q, as_of=as_of, limit=limit, offset=offset)
