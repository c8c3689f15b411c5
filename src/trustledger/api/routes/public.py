"""Public, without a key: the rulebook in force and the public lists (persons masked, legal
persons named). The front door and the other pages are in `web/`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from trustledger.api.auth import LedgerDep, public_actor
from trustledger.api.params import Offset
from trustledger.api.schemas import Day, ListOut, RulebookOut
from trustledger.services.admin import rulebooks
from trustledger.services.answers import lists
from trustledger.views import json

router = APIRouter(prefix="/v1", tags=["public"])


@router.get(
    "/rulebook",
    response_model=RulebookOut,
    summary="The rulebook (active or a version)",
)
def rulebook(request: Request, ledger: LedgerDep, version: str | None = None) -> dict[str, object]:
    with ledger.transaction(public_actor(request)) as ctx:
        return json.rulebook(rulebooks.versions(ctx, version))


@router.get(
    "/lists/{code}",
    response_model=ListOut,
    summary="A public list: persons masked, organizations and public bodies named",
)
def public_list(
    request: Request,
    code: str,
    ledger: LedgerDep,
    q: Annotated[
        str | None,
        Query(
            description="A full identifier: is this subject listed?",
            examples=["cn-rid:11010519491231002X"],
        ),
    ] = None,
    as_of: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    """A person's identifier is masked and nothing else is said about them. An organization or
    public body is a legal person whose listing is public by law: its full identifier, its
    registered name, and the record (reference, legal basis) that lists it are shown."""
    with ledger.transaction(public_actor(request)) as ctx:
        page = lists.public_list(ctx, code, q=q, as_of=as_of, limit=limit, offset=offset)
        return json.list_page(page)
