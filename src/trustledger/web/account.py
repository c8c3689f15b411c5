"""Signing in with a key and out again. The key form is one way in: an OIDC provider can
replace it by calling `session.start` with the principal it vouches for."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from trustledger.domain.roles import Role
from trustledger.services.admin.keys import KeyCache
from trustledger.web import session
from trustledger.web.base import current, form_of, ledger_of, page, refused, see_other

router = APIRouter(include_in_schema=False)
HOME = {
    Role.SUBJECT: "/me",
    Role.REVIEWER: "/review",
    Role.AGENCY: "/agency",
    Role.ADMIN: "/admin",
}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a full URL) is followed after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers drop tabs and newlines and read a backslash as a slash: `/\t/host` is `//host`.
    if "\\" in target or any(c.isspace() or not c.isprintable() for c in target):
        return None
    return target


def _keys(request: Request) -> KeyCache:
    keys = getattr(request.app.state, "keys", None)
    if keys is None:
        keys = request.app.state.keys = KeyCache()
    return keys


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "web/signin.html", who=current(request), next=_safe_next(next) or "")


@router.post("/signin")
async def signin(request: Request) -> Response:
    return await run_in_threadpool(_signin, request, await form_of(request))


def _signin(request: Request, form: Mapping[str, str]) -> Response:
    if (no := refused(request, form)) is not None:
        return no
    ledger = ledger_of(request)
    found = _keys(request).authenticate(ledger, form.get("key", "").strip())
    target = _safe_next(form.get("next"))
    if found is None:
        return page(request, "web/signin.html", status=401, next=target or "", failed=True)
    response = see_other(request, target or HOME.get(found.role, "/"))
    session.start(request, response, ledger, found)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    form = await form_of(request)
    if (no := await run_in_threadpool(refused, request, form)) is not None:
        return no
    response = see_other(request, "/")
    session.end(response)
    return response
