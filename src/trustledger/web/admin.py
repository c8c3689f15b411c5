"""An administrator: keys (create, shown once; revoke), rulebook versions (install and make
active) and sources, the operator's commands on a page. Every act is audited by its use case.
An administrator and an auditor see the transparency log's latest checkpoint and whether the
log verifies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.domain.roles import Permission, Role, allows
from trustledger.domain.rulebook import RulebookInvalid
from trustledger.services.admin import keys, rulebooks
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Conflict, NotFound
from trustledger.services.intake.sources import add_source, all_sources
from trustledger.services.log import tlog
from trustledger.web.base import form_post, ledger_of, page, page_get, see_other

router = APIRouter(include_in_schema=False)
FAILURES = (Rejected, NotFound, Conflict, IdentifierError, RulebookInvalid)


def _admin_page(
    request: Request, who: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    ledger = ledger_of(request)
    tlog.integrate(ledger)  # the checkpoint shown covers every event logged so far
    with ledger.transaction(who.actor) as ctx:
        listing: dict[str, Any] = {"manage": allows(who.role, Permission.ADMIN_MANAGE)}
        try:
            listing["checkpoint"] = tlog.checkpoint(ctx)
        except NotFound:
            listing["checkpoint"] = None
        listing["verification"] = tlog.verify(ctx)
        if listing["manage"]:
            found = rulebooks.versions(ctx)
            listing |= {
                "keys": keys.list_keys(ctx),
                "sources": all_sources(ctx),
                "versions": found.versions,
                "active": found.book.version,
                "kinds": ctx.book.source_kinds,
                "roles": [r.value for r in Role],
            }
    return page(request, "web/admin.html", status=status, who=who, **listing, **context)


@page_get(router, "/admin", Permission.ADMIN_MANAGE, Permission.AUDIT_READ)
def admin(request: Request, who: Principal) -> Response:
    """Administrators manage keys, rulebook versions and sources; administrators and auditors
    see the transparency log's latest checkpoint and whether the log verifies."""
    return _admin_page(request, who, done=request.query_params.get("done"))


@form_post(router, "/admin/keys", Permission.ADMIN_MANAGE)
def _create_key(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    actions = [a.strip() for a in form.get("actions", "").split(",") if a.strip()]
    try:
        role = Role(form.get("role", ""))
        name = form.get("name", "").strip()
        if not name:
            raise Rejected("name", "name the key's holder")
        with ledger_of(request).transaction(who.actor) as ctx:
            secret, made = keys.create_key(
                ctx,
                role,
                name,
                source=form.get("source", "").strip() or None,
                actions=actions,
                subject=form.get("subject", "").strip() or None,
            )
    except (ValueError, NotFound) as exc:  # an unknown role, Rejected, Conflict, NotFound, ...
        status = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422
        return _admin_page(request, who, status, problem=str(exc), values=form)
    return _admin_page(request, who, created=made, secret=secret)


@form_post(router, "/admin/keys/{key_id}/revoke", Permission.ADMIN_MANAGE)
def _revoke(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    with ledger_of(request).transaction(who.actor) as ctx:
        keys.revoke_key(ctx, request.path_params["key_id"])
    return see_other(request, "/admin?done=revoked#keys")


@form_post(router, "/admin/rulebooks", Permission.ADMIN_MANAGE)
def _install(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    try:
        rulebooks.install(ledger_of(request), form.get("text", ""), actor=who.actor)
    except FAILURES as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _admin_page(request, who, status, problem=str(exc), rulebook_text=form.get("text"))
    return see_other(request, "/admin?done=rulebook#rulebooks")


@form_post(router, "/admin/sources", Permission.ADMIN_MANAGE)
def _add_source(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    code, kind, name = (form.get(k, "").strip() for k in ("code", "kind", "name"))
    try:
        if not code or not name:
            raise Rejected("code" if not code else "name", "it is empty")
        with ledger_of(request).transaction(who.actor) as ctx:
            add_source(ctx, code, kind, name)
    except FAILURES as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _admin_page(request, who, status, problem=str(exc), source_values=form)
    return see_other(request, "/admin?done=source#sources")
