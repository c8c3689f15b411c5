"""Joint checks for providers: one decision for one action, and nothing more about anyone."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from trustledger.api.auth import LedgerDep, require
from trustledger.api.schemas import BatchCheckIn, BatchCheckOut, CheckOut
from trustledger.domain.roles import Permission, Role
from trustledger.services import checks
from trustledger.services.keys import Principal

router = APIRouter(prefix="/v1/checks", tags=["checks"])
Checker = Annotated[Principal, Depends(require(Permission.CHECKS))]


def _allowed(caller: Principal, action: str) -> None:
    if caller.role == Role.PROVIDER and action not in caller.actions:
        raise HTTPException(
            403, f"action: this key may check {', '.join(caller.actions)}, not {action}"
        )


@router.get("", response_model=CheckOut, summary="Check one subject for one action")
def check_one(
    ledger: LedgerDep,
    caller: Checker,
    subject: Annotated[str, Query(examples=["cn-rid:11010519491231002X"])],
    action: Annotated[str, Query(examples=["travel.flight"])],
    as_of: date | None = None,
) -> dict[str, object]:
    """`deny` if any measure for the action denies, else `incentive`, else `allow`."""
    _allowed(caller, action)
    return checks.check_one(ledger, subject, action, as_of, actor=caller.actor)


@router.post("", response_model=BatchCheckOut, summary="Check up to 1,000 subjects for one action")
def check_many(body: BatchCheckIn, ledger: LedgerDep, caller: Checker) -> JSONResponse:
    _allowed(caller, body.action)
    results = checks.check_many(ledger, body.subjects, body.action, body.as_of, actor=caller.actor)
    # Built by the service in the documented shape: returned as is, not validated again.
    return JSONResponse(
        {
            "action": body.action,
            "results": [{"subject": str(s), **checks.check_json(r)} for s, r in results],
        }
    )
