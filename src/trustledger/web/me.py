"""A citizen or company, signed in with its subject key: everything held about it, explained,
who checked it, consent, disputes filed and followed, the commitments public bodies owe it and
its complaints about them (filed here), and the report to download."""

from __future__ import annotations

import json as stdjson
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.domain.roles import Permission
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Conflict, NotFound
from trustledger.services.due_process import access, consent, disputes
from trustledger.services.due_process.access import SubjectAccess
from trustledger.services.integrity import complaints
from trustledger.views import html, json
from trustledger.web import charts, i18n
from trustledger.web.base import (
    SECURITY_HEADERS,
    error,
    form_post,
    guard,
    ledger_of,
    locale_of,
    page,
    page_get,
    see_other,
)

router = APIRouter(include_in_schema=False)


def _me(who: Principal) -> str:
    assert who.subject is not None  # subject keys are always bound to a subject
    return who.subject


@page_get(router, "/me", Permission.SELF_READ)
def _me_page(
    request: Request,
    who: Principal,
    status: int = 200,
    complaint: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """The subject's page; after a complaint refused, with what was filled in (`complaint`)."""
    with ledger_of(request).transaction(who.actor) as ctx:
        found = access.subject_access(ctx, _me(who))
        bodies = ctx.uow.integrity.bodies()
    r = json.subject_access(found)
    return page(
        request,
        "web/me.html",
        status=status,
        who=who,
        r=r,
        bodies=bodies,
        grounds=complaints.GROUNDS,
        complaint=complaint or {},
        **_charts(request, found, r),
        **context,
    )


def _charts(request: Request, found: SubjectAccess, r: dict[str, Any]) -> dict[str, Any]:
    """The score as a waterfall of its contributions, and when each record stops counting as a
    timeline (None where there is nothing to draw), titled in the request's language."""
    points = {t.code: t.points for t in found.book.record_types}
    _ = i18n.language(locale_of(request)).gettext
    # The chart's font may lack CJK glyphs: a reference that is not ASCII is shown by its row.
    steps = [
        (c["reference"] if c["reference"].isascii() else f"#{i}", c["points"])
        for i, c in enumerate(r["contributions"], start=1)
    ]
    chart = (
        charts.waterfall(r["base"], steps, r["score"], _("How the score is made"))
        if r["score"] is not None
        else None
    )
    spans = [
        (
            rec["reference"] if rec["reference"].isascii() else f"#{rec['id']}",
            date.fromisoformat(rec["decided_on"]),
            date.fromisoformat(rec["counts_until"]),
            points.get(rec["type"], 0) < 0,
        )
        for rec in r["records"]
        if not rec["voided"] and rec["counts_until"]
    ]
    timeline = (
        charts.timeline(spans, date.fromisoformat(r["as_of"]), _("When each record ends"))
        if spans
        else None
    )
    return {"chart": chart, "timeline": timeline}


@form_post(router, "/me/complaints", Permission.SELF_WRITE)
def _complain(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    """A complaint about a payment owed by a public body: late, never registered, or the
    undisputed part of a disputed bill withheld. It goes to the body's supervisor."""
    values = {k: form.get(k, "").strip() for k in ("grounds", "commitment", "body", "reference")}
    values["statement"] = form.get("statement", "")
    try:
        grounds = values["grounds"]
        if grounds not in complaints.GROUNDS:
            raise Rejected("grounds", "choose late, unregistered or withheld")
        source = reference = body = None
        if grounds == "unregistered":
            body = values["body"] or None
            reference = values["reference"] or None
        else:
            source, _, reference = values["commitment"].partition("|")
            if not source or not reference:
                raise Rejected("commitment", "choose the commitment you complain about")
        with ledger_of(request).transaction(who.actor) as ctx:
            filed = complaints.file(
                ctx,
                _me(who),
                grounds=grounds,
                statement=values["statement"],
                source=source,
                reference=reference,
                body=body,
            )
    except (Rejected, IdentifierError) as exc:
        return _me_page(request, who, 422, complaint=values, complaint_problem=str(exc))
    except (NotFound, Conflict) as exc:
        status = 404 if isinstance(exc, NotFound) else 409
        return _me_page(request, who, status, complaint=values, complaint_problem=str(exc))
    return see_other(request, f"/me?complaint={filed.id}#complaints")


def _download(
    request: Request, render: Callable[[SubjectAccess], str | bytes], media_type: str, name: str
) -> Response:
    """Everything held about the signed-in subject, rendered by `render`, as an attachment."""
    who = guard(request, Permission.SELF_READ)
    if isinstance(who, Response):
        return who
    with ledger_of(request).transaction(who.actor) as ctx:
        found = access.subject_access(ctx, _me(who), export=True)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    return Response(render(found), media_type=media_type, headers=headers)


@router.get("/me/report")
def report(request: Request) -> Response:
    """The printable report (HTML), as `/v1/me/report` gives it."""
    return _download(request, html.subject_report, "text/html; charset=utf-8", "report.html")


def _as_json(found: SubjectAccess) -> str:
    return stdjson.dumps(json.subject_access(found), ensure_ascii=False, indent=2)


@router.get("/me/export.json")
def export(request: Request) -> Response:
    """Everything held, as JSON (portable)."""
    return _download(request, _as_json, "application/json", "trustledger-export.json")


@form_post(router, "/me/consent", Permission.SELF_WRITE)
def _consent(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    with ledger_of(request).transaction(who.actor) as ctx:
        consent.set_consent(ctx, _me(who), form.get("consent") == "yes")
    return see_other(request, "/me#consent")


def _dispute_form(
    request: Request, who: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    with ledger_of(request).transaction(who.actor) as ctx:
        open_to = disputes.disputable(ctx, _me(who))
    return page(request, "web/dispute_new.html", status=status, who=who, records=open_to, **context)


@router.get("/me/disputes/new", response_class=HTMLResponse)
def new_dispute(request: Request, record: int | None = None) -> Response:
    who = guard(request, Permission.SELF_WRITE)
    if isinstance(who, Response):
        return who
    return _dispute_form(request, who, chosen=record, grounds="")


@form_post(router, "/me/disputes", Permission.SELF_WRITE)
def _file(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    grounds = form.get("grounds", "")
    chosen = form.get("record", "")
    try:
        if not chosen.isdigit():
            raise Rejected("record", "choose the record you dispute")
        with ledger_of(request).transaction(who.actor) as ctx:
            filed = disputes.file(ctx, _me(who), int(chosen), grounds)
    except (Rejected, IdentifierError) as exc:
        return _dispute_form(request, who, 422, chosen=chosen, grounds=grounds, problem=str(exc))
    except (NotFound, Conflict) as exc:
        return _dispute_form(request, who, 409, chosen=chosen, grounds=grounds, problem=str(exc))
    return see_other(request, f"/me/disputes/{filed.id}")


@router.get("/me/disputes/{dispute_id}", response_class=HTMLResponse)
def follow_dispute(request: Request, dispute_id: int) -> Response:
    who = guard(request, Permission.SELF_READ)
    if isinstance(who, Response):
        return who
    with ledger_of(request).transaction(who.actor) as ctx:
        mine = disputes.queue(ctx, subject=_me(who))
    found = next((q for q in mine if q.case.id == dispute_id), None)
    if found is None:
        return error(request, 404, "not_found", who)
    return page(request, "web/dispute.html", who=who, d=found.case, overdue=found.overdue)
