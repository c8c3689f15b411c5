"""Pages for everyone, without signing in: what trustledger is, the rulebook and its changes,
the public lists (persons masked, legal persons named) and aggregate statistics."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from trustledger import __version__
from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.services.admin import rulebooks
from trustledger.services.answers import lists, statistics
from trustledger.services.context import Context, NotFound
from trustledger.services.integrity import reports
from trustledger.web import charts, i18n
from trustledger.web.base import current, error, ledger_of, locale_of, page, public_actor

router = APIRouter(include_in_schema=False)
STATISTICS_TTL = 300.0  # seconds


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """What trustledger is, its principles, what it will not do, and where to go."""
    try:
        with ledger_of(request).transaction(public_actor(request)) as ctx:
            book = ctx.book
    except NotFound:
        book = None
    return page(request, "web/home.html", who=current(request), book=book, version=__version__)


def _shown(
    request: Request,
    name: str,
    read: Callable[[Context], dict[str, Any]],
    missing: tuple[type[Exception], ...] = (NotFound,),
) -> HTMLResponse:
    """A public page showing what `read` finds in one transaction; a 404 page when it finds
    nothing (`missing`)."""
    try:
        with ledger_of(request).transaction(public_actor(request)) as ctx:
            found = read(ctx)
    except missing:
        return error(request, 404, "not_found", current(request))
    return page(request, name, who=current(request), **found)


@router.get("/rulebook", response_class=HTMLResponse)
def rulebook(request: Request, version: str | None = None) -> HTMLResponse:
    """Every record type, list and measure with its legal basis and period."""
    return _shown(
        request, "web/rulebook.html", lambda ctx: {"v": rulebooks.versions(ctx, version or None)}
    )


@router.get("/rulebook/diff", response_class=HTMLResponse)
def rulebook_diff(request: Request) -> HTMLResponse:
    """What changed between two stored versions (`?from=V1&to=V2`)."""
    old, new = request.query_params.get("from", ""), request.query_params.get("to", "")
    return _shown(
        request,
        "web/diff.html",
        lambda ctx: {
            "versions": rulebooks.versions(ctx).versions,
            "diff": rulebooks.diff(ctx, old, new) if old and new else None,
            "old": old,
            "new": new,
        },
    )


@router.get("/lists/{code}", response_class=HTMLResponse)
def public_list(
    request: Request, code: str, q: str | None = None, as_of: date | None = None
) -> HTMLResponse:
    """A public list, searchable by full identifier."""
    problem = None
    q = (q or "").strip() or None
    try:
        with ledger_of(request).transaction(public_actor(request)) as ctx:
            try:
                found = lists.public_list(ctx, code, q=q, as_of=as_of)
            except (IdentifierError, Rejected) as exc:
                problem = str(exc)
                found = lists.public_list(ctx, code, as_of=as_of)
    except NotFound:
        return error(request, 404, "not_found", current(request))
    return page(
        request,
        "web/list.html",
        status=422 if problem else 200,
        who=current(request),
        p=found,
        q=q or "",
        problem=problem,
    )


def _statistics(request: Request) -> statistics.Statistics:
    """The figures, computed at most once per STATISTICS_TTL per process: they read every
    subject, and the page is public."""
    cached = getattr(request.app.state, "web_statistics", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < STATISTICS_TTL:
        figures: statistics.Statistics = cached[1]
        return figures
    with ledger_of(request).transaction(public_actor(request)) as ctx:
        figures = statistics.statistics(ctx)
    request.app.state.web_statistics = (now, figures)
    return figures


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(request: Request) -> HTMLResponse:
    """Aggregate figures with charts: tiers, list sizes, checks per day, disputes on time."""
    try:
        s = _statistics(request)
    except NotFound:
        return error(request, 404, "not_found", current(request))
    days = list(s.checks_per_day)
    _ = i18n.language(locale_of(request)).gettext
    return page(
        request,
        "web/statistics.html",
        who=current(request),
        s=s,
        tiers_chart=charts.bars(list(s.tiers), list(s.tiers.values()), _("Subjects per tier")),
        lists_chart=charts.bars(
            list(s.lists), list(s.lists.values()), _("Members per public list")
        ),
        checks_chart=charts.bars(
            [d.strftime("%m-%d") for d in days],
            list(s.checks_per_day.values()),
            _("Checks per day"),
        ),
    )


def _days_chart(request: Request, bands: dict[str, int], name: str) -> Markup:
    _ = i18n.language(locale_of(request)).gettext
    return charts.bars(
        list(bands), list(bands.values()), _("Days to pay: %(name)s") % {"name": name}
    )


@router.get("/public-bodies", response_class=HTMLResponse)
def public_bodies(request: Request) -> HTMLResponse:
    """The government integrity ranking: every public body, best first, with its arrears,
    on-time rate, median days to pay and their distribution."""

    def read(ctx: Context) -> dict[str, Any]:
        rows = reports.ranking(ctx)
        charts = {r["subject"]: _days_chart(request, r["days_to_pay"], r["name"]) for r in rows}
        return {"rows": rows, "day": ctx.today, "charts": charts}

    return _shown(request, "web/bodies.html", read)


@router.get("/public-bodies/{body_id}", response_class=HTMLResponse)
def public_body(request: Request, body_id: str) -> HTMLResponse:
    """One public body: its standing, posts, units, commitments and overdue ones."""

    def read(ctx: Context) -> dict[str, Any]:
        found = reports.body(ctx, body_id)
        return {"b": found, "chart": _days_chart(request, found["days_to_pay"], found["name"])}

    return _shown(request, "web/body.html", read, (NotFound, IdentifierError, Rejected))
