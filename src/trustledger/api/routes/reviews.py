"""Reviewers decide disputes, list proposals and repair requests; agencies see their disputes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from trustledger.api.auth import LedgerDep, require
from trustledger.api.schemas import Id, Text, examples
from trustledger.domain.roles import Permission, Role
from trustledger.services.admin.keys import Principal
from trustledger.services.due_process import disputes, repairs, review

router = APIRouter(prefix="/v1", tags=["review"])


class DisputeDecision(BaseModel):
    model_config = examples(
        {"outcome": "upheld", "reason": "The court confirmed performance on 2026-02-01."},
        forbid=True,
    )
    outcome: Literal["upheld", "rejected"]
    reason: Text


class Decision(BaseModel):
    model_config = examples(
        {"approve": True, "reason": "Commitment is credible; first instalment paid."}, forbid=True
    )
    approve: bool
    reason: Text


@router.get("/disputes", summary="Disputes: all for reviewers, own records' for agencies")
def list_disputes(
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.DISPUTES_READ))],
    status: Literal["open", "upheld", "rejected"] | None = None,
) -> list[dict[str, Any]]:
    """Overdue disputes come first: they are escalated."""
    source = caller.source if caller.role == Role.AGENCY else None
    with ledger.transaction(caller.actor) as ctx:
        return disputes.queue(ctx, status=status, source=source)


@router.post("/disputes/{dispute_id}/decision", summary="Decide a dispute")
def decide_dispute(
    dispute_id: Id,
    body: DisputeDecision,
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.DISPUTES_DECIDE))],
) -> dict[str, Any]:
    """Upheld: the record is voided and its effects end at once. Rejected: the reason is kept."""
    with ledger.transaction(caller.actor) as ctx:
        return disputes.decide(ctx, dispute_id, body.outcome, body.reason)


@router.get("/proposals", summary="Review proposals for lists with review: required")
def list_proposals(
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.PROPOSALS_DECIDE))],
    status: Literal["pending", "confirmed", "rejected", "ended"] | None = None,
) -> list[dict[str, Any]]:
    with ledger.transaction(caller.actor) as ctx:
        return review.queue(ctx, status=status)


@router.post("/proposals/{proposal_id}/decision", summary="Confirm or reject a proposal")
def decide_proposal(
    proposal_id: Id,
    body: Decision,
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.PROPOSALS_DECIDE))],
) -> dict[str, Any]:
    with ledger.transaction(caller.actor) as ctx:
        return review.decide(ctx, proposal_id, body.approve, body.reason)


@router.get("/repairs", summary="Credit repair requests")
def list_repairs(
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.REPAIRS_DECIDE))],
    status: Literal["open", "approved", "rejected"] | None = None,
) -> list[dict[str, Any]]:
    with ledger.transaction(caller.actor) as ctx:
        return repairs.queue(ctx, status=status)


@router.post("/repairs/{repair_id}/decision", summary="Approve or reject a repair request")
def decide_repair(
    repair_id: Id,
    body: Decision,
    ledger: LedgerDep,
    caller: Annotated[Principal, Depends(require(Permission.REPAIRS_DECIDE))],
) -> dict[str, Any]:
    with ledger.transaction(caller.actor) as ctx:
        return repairs.decide(ctx, repair_id, body.approve, body.reason)
