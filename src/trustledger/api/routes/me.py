"""A subject acting for itself: see everything, consent, dispute, ask for repair, answer."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from trustledger.api.auth import LedgerDep, SelfReader, SelfWriter, own_subject
from trustledger.api.schemas import Day, Id, Plain, Text, examples
from trustledger.services.due_process import access, consent, disputes, repairs, review
from trustledger.services.integrity import complaints
from trustledger.views import html, json

router = APIRouter(prefix="/v1/me", tags=["subject access"])


class ConsentIn(BaseModel):
    model_config = examples({"consent": True}, forbid=True)
    consent: bool


class DisputeIn(BaseModel):
    model_config = examples(
        {
            "record": 17,
            "grounds": "The judgment was performed on 2026-02-01; receipt attached.",
        },
        forbid=True,
    )
    record: Id
    grounds: Text


class RepairIn(BaseModel):
    model_config = examples(
        {"record": 17, "commitment": "I will pay the remaining 20,000 yuan by 2026-12-31."},
        forbid=True,
    )
    record: Id
    commitment: Text


class ComplaintIn(BaseModel):
    model_config = examples(
        {
            "source": "city-integrity",
            "reference": "INV-2026-0042",
            "grounds": "late",
            "statement": "Accepted on 2026-02-01, due 2026-03-03, still unpaid.",
        },
        forbid=True,
    )
    grounds: Literal["late", "unregistered", "withheld"]
    statement: Text
    source: Plain | None = Field(default=None, description="The commitment's source")
    reference: Plain | None = Field(default=None, description="The commitment's reference")
    body: Plain | None = Field(default=None, description="For an unregistered bill: the body")


class StatementIn(BaseModel):
    model_config = examples(
        {"statement": "My business was closed by the flood; the arrears are being paid."},
        forbid=True,
    )
    statement: Text


@router.get("", summary="Everything held about me, and who looked")
def me(ledger: LedgerDep, caller: SelfReader, as_of: Day | None = None) -> dict[str, Any]:
    """Score and tier with every contribution, its legal basis and end; lists and measures with
    since/until; every record (voided too) with its history; proposals, disputes, repair
    requests, notices; and the access log: which provider checked me, when, for what."""
    with ledger.transaction(caller.actor) as ctx:
        return json.subject_access(access.subject_access(ctx, own_subject(caller), as_of=as_of))


@router.get(
    "/report", summary="My credit report: JSON (portable) or printable HTML", response_model=None
)
def report(
    ledger: LedgerDep, caller: SelfReader, format: Literal["json", "html"] = "html"
) -> dict[str, Any] | HTMLResponse:
    with ledger.transaction(caller.actor) as ctx:
        found = access.subject_access(ctx, own_subject(caller), export=True)
    return (
        HTMLResponse(html.subject_report(found)) if format == "html" else json.subject_access(found)
    )


@router.put("/consent", summary="Opt in to or out of scoring")
def set_consent(body: ConsentIn, ledger: LedgerDep, caller: SelfWriter) -> dict[str, Any]:
    with ledger.transaction(caller.actor) as ctx:
        return json.consent(consent.set_consent(ctx, own_subject(caller), body.consent))


@router.post("/disputes", summary="Dispute a record about me")
def file_dispute(body: DisputeIn, ledger: LedgerDep, caller: SelfWriter) -> dict[str, Any]:
    """The record's source and the reviewers see it; it is decided by the rulebook's deadline."""
    with ledger.transaction(caller.actor) as ctx:
        return json.filed(disputes.file(ctx, own_subject(caller), body.record, body.grounds))


@router.post("/repairs", summary="Ask for credit repair with a written commitment")
def request_repair(body: RepairIn, ledger: LedgerDep, caller: SelfWriter) -> dict[str, Any]:
    with ledger.transaction(caller.actor) as ctx:
        return json.case(repairs.request(ctx, own_subject(caller), body.record, body.commitment))


@router.post("/proposals/{proposal_id}/statement", summary="Answer a review proposal")
def statement(
    proposal_id: Id, body: StatementIn, ledger: LedgerDep, caller: SelfWriter
) -> dict[str, Any]:
    """Before a reviewer decides whether I enter a list, my statement is put before them."""
    with ledger.transaction(caller.actor) as ctx:
        return json.case(
            review.add_statement(ctx, own_subject(caller), proposal_id, body.statement)
        )


@router.post("/complaints", summary="Complain about a public body's payment to me")
def file_complaint(body: ComplaintIn, ledger: LedgerDep, caller: SelfWriter) -> dict[str, Any]:
    """Late, unregistered, or the undisputed part of a bill withheld: the complaint goes to the
    body's supervisor and is decided by the rulebook's deadline (`commitments.decide_within`)."""
    with ledger.transaction(caller.actor) as ctx:
        filed = complaints.file(
            ctx,
            own_subject(caller),
            grounds=body.grounds,
            statement=body.statement,
            source=body.source,
            reference=body.reference,
            body=body.body,
        )
    return json.filed(filed)
