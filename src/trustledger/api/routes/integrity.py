"""Government integrity over HTTP: agencies register commitments and payments; the public reads
bodies and the annual publication; reviewers read officials' reports and decide complaints."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from trustledger.api.auth import (
    CommitmentsReader,
    CommitmentsWriter,
    ComplaintsDecider,
    ComplaintsReader,
    LedgerDep,
    OfficialsReader,
    agency_source,
    public_actor,
)
from trustledger.api.schemas import Day, Id, Plain, Text, examples
from trustledger.domain.roles import Role
from trustledger.services.integrity import commitments, complaints, reports
from trustledger.views import json

router = APIRouter(prefix="/v1", tags=["integrity"])


class CommitmentIn(BaseModel):
    model_config = examples(
        {
            "body": "cn-uscc:111100000000000030",
            "counterparty": "cn-uscc:91350100M000100Y43",
            "kind": "payment",
            "amount": "10000.00",
            "accepted_on": "2026-02-01",
            "sme": True,
            "post": "director",
            "reference": "INV-2026-0042",
        },
        forbid=True,
    )
    body: Plain
    counterparty: Plain
    kind: Literal["payment", "contract", "judgment", "public_promise"]
    amount: Plain = Field(description="Decimal text, e.g. 10000.00")
    accepted_on: Day
    due_on: Day | None = Field(default=None, description="SME payments: default 30 days")
    sme: bool = False
    post: Plain | None = None
    reference: Plain = Field(min_length=1, max_length=200)


class PaymentIn(BaseModel):
    model_config = examples({"on": "2026-03-10", "amount": "4000"}, forbid=True)
    on: Day
    amount: Plain


class ComplaintDecision(BaseModel):
    model_config = examples({"outcome": "upheld", "reason": "The bill is overdue."}, forbid=True)
    outcome: Literal["upheld", "rejected"]
    reason: Text


@router.post("/commitments", summary="Register a commitment of a public body")
def add_commitment(
    body: CommitmentIn, ledger: LedgerDep, caller: CommitmentsWriter
) -> dict[str, Any]:
    """Re-sending is idempotent (`status: duplicate`); other content under the same reference is
    a 409 naming the fields. Overdue, it counts for the body from the day after `due_on`."""
    with ledger.transaction(caller.actor) as ctx:
        return commitments.add_commitment(ctx, agency_source(caller), **body.model_dump())


@router.post("/commitments/{reference}/payments", summary="Record a payment")
def pay(
    reference: str, body: PaymentIn, ledger: LedgerDep, caller: CommitmentsWriter
) -> dict[str, Any]:
    """Partial payments add up; payment in full keeps the commitment (its record ends)."""
    with ledger.transaction(caller.actor) as ctx:
        return commitments.pay(ctx, agency_source(caller), reference, body.on, body.amount)


@router.get("/commitments", summary="Commitments")
def list_commitments(
    ledger: LedgerDep,
    caller: CommitmentsReader,
    body: str | None = None,
    overdue: bool = False,
    as_of: Day | None = None,
) -> list[dict[str, Any]]:
    """All for reviewers and administrators; an agency's own source's for agencies."""
    with ledger.transaction(caller.actor) as ctx:
        found = commitments.listing(ctx, body=body, overdue=overdue, as_of=as_of)
    if caller.role == Role.AGENCY:
        found = [c for c in found if c["source"] == caller.source]
    return found


@router.get("/public-bodies", summary="Public bodies ranked, best first (public)")
def public_bodies(
    request: Request, ledger: LedgerDep, as_of: date | None = None
) -> list[dict[str, Any]]:
    with ledger.transaction(public_actor(request)) as ctx:
        return reports.ranking(ctx, as_of)


@router.get(
    "/public-bodies/{body}", summary="A public body and its commitments (public)",
)  # fmt: skip
def public_body(
    request: Request, body: str, ledger: LedgerDep, as_of: date | None = None
) -> dict[str, Any]:
    with ledger.transaction(public_actor(request)) as ctx:
        return reports.body(ctx, body, as_of)


@router.get(
    "/integrity/publication",
    summary="Arrears at the end of a year, per body (public)",
    response_model=None,
)
def publication(
    request: Request, ledger: LedgerDep, year: int, format: Literal["json", "csv"] = "json"
) -> list[dict[str, Any]] | PlainTextResponse:
    with ledger.transaction(public_actor(request)) as ctx:
        rows = reports.publication(ctx, year)
    if format == "csv":
        return PlainTextResponse(reports.publication_csv(rows), media_type="text/csv")
    return rows


@router.get(
    "/officials/{person}", summary="An official's accountability report",
)  # fmt: skip
def official(
    person: str,
    ledger: LedgerDep,
    caller: OfficialsReader,
    as_of: Day | None = None,
) -> dict[str, Any]:
    """The posts a person held and the commitments under them: about the office, no points."""
    with ledger.transaction(caller.actor) as ctx:
        return reports.official(ctx, person, as_of)


@router.get("/complaints", summary="Complaints about public bodies, overdue first")
def list_complaints(
    ledger: LedgerDep,
    caller: ComplaintsReader,
    status: Literal["open", "upheld", "rejected"] | None = None,
) -> list[dict[str, Any]]:
    """All for reviewers; for an agency, those its source's kind supervises (as the rulebook's
    `commitments.supervisor` names it)."""
    with ledger.transaction(caller.actor) as ctx:
        found = complaints.queue(
            ctx, status=status, source=caller.source if caller.role == Role.AGENCY else None
        )
    return [json.queued(c) for c in found]


@router.post("/complaints/{complaint_id}/decision", summary="Decide a complaint")
def decide_complaint(
    complaint_id: Id, body: ComplaintDecision, ledger: LedgerDep, caller: ComplaintsDecider
) -> dict[str, Any]:
    with ledger.transaction(caller.actor) as ctx:
        return json.queued(complaints.decide(ctx, complaint_id, body.outcome, body.reason))
