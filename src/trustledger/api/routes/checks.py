"""Joint checks for providers: one decision for one action, and nothing more about anyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from trustledger.api.auth import Checker, LedgerDep
from trustledger.api.schemas import BatchCheckIn, BatchCheckOut, CheckOut, Day
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import Principal
from trustledger.services.answers import checks
from trustledger.views import json

router = APIRouter(prefix="/v1/checks", tags=["checks"])


def _allowed(caller: Principal) -> tuple[str, ...] | None:
    """A provider checks only its own actions, and only today; admins may ask what-if."""
    return caller.actions if caller.role == Role.PROVIDER else None


@router.get("", response_model=CheckOut, summary="Check one subject for one action")
def check_one(
    ledger: LedgerDep,
    caller: Checker,
    subject: Annotated[str, Query(examples=["cn-rid:11010519491231002X"])],
    action: Annotated[str, Query(examples=["travel.flight"])],
    as_of: Annotated[
        Day | None, Query(description="Admins only: a what-if check on another day")
    ] = None,
) -> JSONResponse:
    """`deny` if any measure for the action denies, else `incentive`, else `allow`. An action
    that no measure of the rulebook names is a 422 naming `action`, never an `allow`."""
    allowed = _allowed(caller)
    with ledger.transaction(caller.actor, snapshot=True) as ctx:
        result = checks.check_one(
            ctx, subject, action, as_of, allowed=allowed, what_if=allowed is None
        )
    # The hottest path of all: rendered in the documented shape, not validated again.
    return JSONResponse(json.check(result))


@router.post("", response_model=BatchCheckOut, summary="Check up to 1,000 subjects for one action")
def check_many(body: BatchCheckIn, ledger: LedgerDep, caller: Checker) -> JSONResponse:
    """A malformed identifier is answered as `{"subject", "error"}` for its own item; the other
    subjects are decided."""
    allowed = _allowed(caller)
    with ledger.transaction(caller.actor, snapshot=True) as ctx:
        results = checks.check_many(
            ctx, body.subjects, body.action, body.as_of, allowed=allowed, what_if=allowed is None
        )
    # Rendered in the documented shape: returned as is, not validated again.
    return JSONResponse({"action": body.action, "results": [json.checked(r) for r in results]})
