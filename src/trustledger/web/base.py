"""What every page shares: its language, who is signed in, its CSRF token, the form it posted,
and the guard that lets only the roles of the permission table in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from trustledger.domain.roles import Permission, allows
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Ledger
from trustledger.templates import render
from trustledger.web import i18n, session

PageHandler = Callable[[Request, Principal], Response]
# A page handler keeps its own signature for its other callers (a form re-showing the page).
PageHandlerT = TypeVar("PageHandlerT", bound=PageHandler)
FormHandler = Callable[[Request, Principal, Mapping[str, str]], Response]
YEAR = 365 * 24 * 3600
# No script runs on these pages; styles are the page's own. Nothing is loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def ledger_of(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


def public_actor(request: Request) -> str:
    """How a visitor without a session is named in the log: by its address."""
    client = request.client
    return f"public:{client.host if client else 'unknown'}"


def locale_of(request: Request) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def page(
    request: Request,
    name: str,
    *,
    status: int = 200,
    who: Principal | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template in the request's language, with the CSRF token for its forms."""
    ledger = ledger_of(request)
    language = i18n.language(locale_of(request))
    seed, new_seed = session.csrf_seed(request)
    html = render(
        name,
        gettext=language.gettext,
        ngettext=language.ngettext,
        lang=language,
        locales=i18n.NAMES,
        root=root(request),
        path=request.url.path,
        csrf=session.csrf_token(ledger, seed),
        who=who,
        **context,
    )
    headers = dict(SECURITY_HEADERS)
    if who is not None:  # a signed-in page may show personal data or a new key: never cached
        headers["Cache-Control"] = "no-store"
    response = HTMLResponse(html, status_code=status, headers=headers)
    if new_seed:
        session.set_csrf_seed(request, response, seed)
    switch = i18n.normalize(request.query_params.get("lang"))
    if switch:
        response.set_cookie(
            i18n.COOKIE, switch, max_age=YEAR, httponly=True, samesite="lax", path="/"
        )
    return response


def error(request: Request, status: int, kind: str, who: Principal | None = None) -> HTMLResponse:
    """An error page; `kind` picks its (translated) explanation in `error.html`."""
    return page(request, "web/error.html", status=status, who=who, error=kind)


def current(request: Request) -> Principal | None:
    return session.principal_of(request, ledger_of(request))


def guard(request: Request, *any_of: Permission) -> Principal | Response:
    """The signed-in caller if its role holds one of the permissions; otherwise the answer:
    to the sign-in page without a session, a 403 page for a role without the permission."""
    who = current(request)
    if who is None:
        if request.method != "GET":
            return error(request, 401, "signed_out")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{root(request)}/signin?next={quote(target, safe='')}", 303)
    if any_of and not any(allows(who.role, p) for p in any_of):
        return error(request, 403, "forbidden", who)
    return who


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a posted form (urlencoded), read before the page's work runs in a thread."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def refused(request: Request, form: Mapping[str, str]) -> Response | None:
    """A 403 page when the form's CSRF token is missing or wrong; None when it is good."""
    if session.csrf_ok(request, ledger_of(request), form.get("csrf")):
        return None
    return error(request, 403, "csrf", current(request))


def see_other(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(root(request) + path, 303)


def page_get(
    router: APIRouter, path: str, *any_of: Permission
) -> Callable[[PageHandlerT], PageHandlerT]:
    """Register `handler(request, who)` for the signed-in page at `path`: the caller must hold
    one of the permissions (`guard`) before the handler runs. Query parameters are in
    `request.query_params`."""

    def register(handler: PageHandlerT) -> PageHandlerT:
        def endpoint(request: Request) -> Response:
            who = guard(request, *any_of)
            if isinstance(who, Response):
                return who
            return handler(request, who)

        name = getattr(handler, "__name__", path).lstrip("_")
        router.add_api_route(
            path, endpoint, methods=["GET"], response_class=HTMLResponse, name=name
        )
        return handler

    return register


def form_post(
    router: APIRouter, path: str, *any_of: Permission
) -> Callable[[FormHandler], FormHandler]:
    """Register `handler(request, who, form)` for a form posted to `path`. The form is read,
    then in a thread the caller must hold one of the permissions (`guard`) and the form's CSRF
    token must be good (`refused`) before the handler runs. Path parameters are in
    `request.path_params`."""

    def register(handler: FormHandler) -> FormHandler:
        def guarded(request: Request, form: Mapping[str, str]) -> Response:
            who = guard(request, *any_of)
            if isinstance(who, Response):
                return who
            if (no := refused(request, form)) is not None:
                return no
            return handler(request, who, form)

        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(guarded, request, await form_of(request))

        name = getattr(handler, "__name__", path).lstrip("_")
        router.add_api_route(path, endpoint, methods=["POST"], name=name)
        return handler

    return register
