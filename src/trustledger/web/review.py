"""Reviewers: disputes, list proposals, repair requests and counterparties' complaints about
public bodies in one queue, overdue first, then by due date with the time left; each decided
with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from trustledger.domain.cases import Case
from trustledger.domain.intake import Rejected
from trustledger.domain.roles import Permission, allows
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Conflict, NotFound
from trustledger.services.due_process import disputes, repairs, review
from trustledger.services.integrity import complaints
from trustledger.web.base import (
    error,
    form_of,
    guard,
    ledger_of,
    page,
    page_get,
    refused,
    see_other,
)

router = APIRouter(include_in_schema=False)
DECIDERS = (
    Permission.DISPUTES_DECIDE,
    Permission.PROPOSALS_DECIDE,
    Permission.REPAIRS_DECIDE,
    Permission.COMPLAINTS_DECIDE,
)
KINDS = {
    "dispute": Permission.DISPUTES_DECIDE,
    "proposal": Permission.PROPOSALS_DECIDE,
    "repair": Permission.REPAIRS_DECIDE,
    "complaint": Permission.COMPLAINTS_DECIDE,
}
UPHOLD_OR_REJECT = ("dispute", "complaint")


def _item(kind: str, case: Case, filed: date, due: date | None, today: date) -> dict[str, Any]:
    left = (due - today).days if due else None
    return {
        "kind": kind,
        "id": case.id,
        "row": case,
        "filed": filed.isoformat(),
        "due": due.isoformat() if due else None,
        "days_left": left,
        "overdue": left is not None and left < 0,
    }


def queue(request: Request, who: Principal) -> tuple[list[dict[str, Any]], date]:
    """Open cases the caller may decide. Disputes and complaints have the rulebook's deadlines;
    proposals and repair requests have none, so they follow, oldest first."""
    items: list[dict[str, Any]] = []
    with ledger_of(request).transaction(who.actor) as ctx:
        today = ctx.today
        if allows(who.role, Permission.DISPUTES_DECIDE):
            for d in (q.case for q in disputes.queue(ctx, status="open")):
                items.append(_item("dispute", d, d.filed_on, d.due_on, today))
        if allows(who.role, Permission.PROPOSALS_DECIDE):
            for p in review.queue(ctx, status="pending"):
                items.append(_item("proposal", p, p.proposed_on, None, today))
        if allows(who.role, Permission.REPAIRS_DECIDE):
            for r in repairs.queue(ctx, status="open"):
                items.append(_item("repair", r, r.requested_on, None, today))
        if allows(who.role, Permission.COMPLAINTS_DECIDE):
            for c in (q.case for q in complaints.queue(ctx, status="open")):
                items.append(_item("complaint", c, c.filed_on, c.due_on, today))
    items.sort(key=lambda i: (i["due"] is None, i["due"] or "", i["filed"], i["kind"], i["id"]))
    return items, today


@page_get(router, "/review", *DECIDERS)
def review_queue(request: Request, who: Principal) -> Response:
    items, today = queue(request, who)
    return page(request, "web/review.html", who=who, items=items, today=today)


@router.post("/review/{kind}/{case_id}")
async def decide(request: Request, kind: str, case_id: int) -> Response:
    return await run_in_threadpool(_decide, request, kind, case_id, await form_of(request))


def _decide(request: Request, kind: str, case_id: int, form: Mapping[str, str]) -> Response:
    if kind not in KINDS:
        return error(request, 404, "not_found")
    who = guard(request, KINDS[kind])
    if isinstance(who, Response):
        return who
    if (no := refused(request, form)) is not None:
        return no
    outcome, reason = form.get("outcome", ""), form.get("reason", "").strip()
    try:
        if not reason:
            raise Rejected("reason", "give the reason for the decision")
        with ledger_of(request).transaction(who.actor) as ctx:
            if kind in UPHOLD_OR_REJECT:
                if outcome not in ("upheld", "rejected"):
                    raise Rejected("outcome", "choose upheld or rejected")
                decide_upheld = disputes.decide if kind == "dispute" else complaints.decide
                decide_upheld(ctx, case_id, outcome, reason)
            else:
                if outcome not in ("approve", "reject"):
                    raise Rejected("outcome", "choose approve or reject")
                decide_case = review.decide if kind == "proposal" else repairs.decide
                decide_case(ctx, case_id, outcome == "approve", reason)
    except (Rejected, NotFound, Conflict) as exc:
        items, today = queue(request, who)
        status = 422 if isinstance(exc, Rejected) else 404 if isinstance(exc, NotFound) else 409
        return page(
            request,
            "web/review.html",
            status=status,
            who=who,
            items=items,
            today=today,
            problem=str(exc),
            failed=f"{kind}-{case_id}",
        )
    return see_other(request, f"/review?decided={kind}-{case_id}")
