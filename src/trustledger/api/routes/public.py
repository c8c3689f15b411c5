"""Public, without a key: the front door, the rulebook in force and the public lists (persons
masked, legal persons named)."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from trustledger import __version__
from trustledger.api.auth import LedgerDep, public_actor
from trustledger.api.problems import responses
from trustledger.api.schemas import Day, ListOut, RulebookOut
from trustledger.services.admin import rulebooks
from trustledger.services.answers import lists
from trustledger.services.context import NotFound
from trustledger.views import json

router = APIRouter(prefix="/v1", tags=["public"])
front = APIRouter()


@router.get(
    "/rulebook",
    response_model=RulebookOut,
    summary="The rulebook (active or a version)",
    responses=responses(404),
)
def rulebook(request: Request, ledger: LedgerDep, version: str | None = None) -> dict[str, object]:
    with ledger.transaction(public_actor(request)) as ctx:
        return json.rulebook(rulebooks.versions(ctx, version))


@router.get(
    "/lists/{code}",
    response_model=ListOut,
    summary="A public list: persons masked, organizations and public bodies named",
    responses=responses(404),
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
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> dict[str, object]:
    """A person's identifier is masked and nothing else is said about them. An organization or
    public body is a legal person whose listing is public by law: its full identifier, its
    registered name, and the record (reference, legal basis) that lists it are shown."""
    with ledger.transaction(public_actor(request)) as ctx:
        page = lists.public_list(ctx, code, q=q, as_of=as_of, limit=limit, offset=offset)
        return json.list_page(page)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trustledger</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }}
code {{ background: #f3f3f3; padding: 0 .2em; }}
</style>
</head>
<body>
<h1>trustledger</h1>
<p>A social credit system built on the rule of law. Authorized institutions report legally
established facts (court judgments, tax and regulatory decisions, loan defaults, certified
volunteering); a public, versioned rulebook turns them into points, tiers, blacklists and
redlists; services ask one API whether a joint restriction or incentive applies. Every point is
explained, nothing is permanent, everything is contestable.</p>
<h2>For everyone, without a key</h2>
<ul>
<li><a href="{root}/v1/rulebook">The rulebook in force</a> ({rulebook})</li>
{lists}
</ul>
<h2>For institutions, services and subjects, with a key</h2>
<ul>
<li><a href="{root}/docs">The API and its documentation</a>
(<a href="{root}/openapi.json">OpenAPI</a>); authenticate with
<code>Authorization: Bearer &lt;key&gt;</code>.</li>
<li>A subject sees everything held about them, and who looked, at <code>/v1/me</code>.</li>
</ul>
<p><small>trustledger {version}</small></p>
</body>
</html>
"""


@front.get("/", include_in_schema=False, response_class=HTMLResponse)
def front_door(request: Request, ledger: LedgerDep) -> HTMLResponse:
    """What trustledger is, and where to go: the docs, the rulebook, the public lists."""
    root = escape(request.scope.get("root_path", ""))
    try:
        with ledger.transaction(public_actor(request)) as ctx:
            book = ctx.book
    except NotFound:
        return HTMLResponse(
            PAGE.format(
                root=root,
                rulebook="none is active yet: run <code>trustledger init</code>",
                lists="",
                version=__version__,
            )
        )
    items = [
        f'<li>Public list: <a href="{root}/v1/lists/{escape(quote(spec.code, safe=""))}">'
        f"{escape(spec.name or spec.code)}</a> ({spec.kind.value} list)</li>"
        for spec in book.lists
        if spec.public
    ]
    return HTMLResponse(
        PAGE.format(
            root=root,
            rulebook=escape(f"{book.rulebook} {book.version}"),
            lists="\n".join(items),
            version=__version__,
        )
    )
