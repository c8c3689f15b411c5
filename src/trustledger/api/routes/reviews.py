"""Reviewers decide disputes, list proposals and repair requests; agencies see their disputes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from trustledger.api.auth import DisputesDecider, DisputesReader, LedgerDep, require
from trustledger.api.schemas import Id, Text, examples
from trustledger.domain.cases import Proposal, Repair
from trustledger.domain.roles import Permission, Role
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Context
from trustledger.services.due_process import disputes, repairs, review
from trustledger.views import json

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
    caller: DisputesReader,
    status: Literal["open", "upheld", "rejected"] | None = None,
) -> list[dict[str, Any]]:
    """Overdue disputes come first: they are escalated."""
    source = caller.source if caller.role == Role.AGENCY else None
    with ledger.transaction(caller.actor) as ctx:
        return [json.queued(d) for d in disputes.queue(ctx, status=status, source=source)]


@router.post("/disputes/{dispute_id}/decision", summary="Decide a dispute")
def decide_dispute(
    dispute_id: Id,
    body: DisputeDecision,
    ledger: LedgerDep,
    caller: DisputesDecider,
) -> dict[str, Any]:
    """Upheld: the record is voided and its effects end at once. Rejected: the reason is kept."""
    with ledger.transaction(caller.actor) as ctx:
        return json.queued(disputes.decide(ctx, dispute_id, body.outcome, body.reason))


def _decided_yes_or_no(
    kind: str,
    permission: Permission,
    statuses: Any,
    queue: Callable[..., list[Proposal] | list[Repair]],
    decide: Callable[[Context, int, bool, str], Proposal | Repair],
    summaries: tuple[str, str],
) -> None:
    """`GET /{kind}s` (filtered by a status of `statuses`, a Literal) and `POST
    /{kind}s/{{kind}_id}/decision` for a kind of case decided yes or no. The annotations that
    depend on the kind are set on the endpoints below: annotations written in the source are
    read as strings in the module's namespace, where these arguments are not."""
    caller = Annotated[Principal, Depends(require(permission))]

    def list_cases(
        ledger: LedgerDep, caller: Principal, status: str | None = None
    ) -> list[dict[str, Any]]:
        with ledger.transaction(caller.actor) as ctx:
            return [json.case(c) for c in queue(ctx, status=status)]

    def decide_case(
        case_id: int, body: Decision, ledger: LedgerDep, caller: Principal
    ) -> dict[str, Any]:
        with ledger.transaction(caller.actor) as ctx:
            return json.case(decide(ctx, case_id, body.approve, body.reason))

    list_cases.__annotations__.update(caller=caller, status=statuses | None)
    decide_case.__annotations__.update(
        caller=caller, case_id=Annotated[Id, Path(alias=f"{kind}_id")]
    )
    list_summary, decide_summary = summaries
    router.add_api_route(
        f"/{kind}s", list_cases, methods=["GET"], summary=list_summary, name=f"list_{kind}s"
    )
    router.add_api_route(
        f"/{kind}s/{{{kind}_id}}/decision",
        decide_case,
        methods=["POST"],
        summary=decide_summary,
        name=f"decide_{kind}",
    )


_decided_yes_or_no(
    "proposal",
    Permission.PROPOSALS_DECIDE,
    Literal["pending", "confirmed", "rejected", "ended"],
    review.queue,
    review.decide,
    ("Review proposals for lists with review: required", "Confirm or reject a proposal"),
)
_decided_yes_or_no(
    "repair",
    Permission.REPAIRS_DECIDE,
    Literal["open", "approved", "rejected"],
    repairs.queue,
    repairs.decide,
    ("Credit repair requests", "Approve or reject a repair request"),
)
