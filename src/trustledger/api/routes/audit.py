"""The audit log, for auditors only: list events, verify the hash chain of the events from
before the transparency log (events since are proven by /v1/log)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from trustledger.api.auth import AuditReader, LedgerDep
from trustledger.api.params import Offset
from trustledger.api.schemas import Instant, examples
from trustledger.services.log import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"])

HASH_1 = "5b1c0c4e3f0f8e0c2d7c5b8f2a7d6e4b3c1a09f8e7d6c5b4a392817161f4e3d2"
HASH_2 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"


class AuditEventOut(BaseModel):
    id: int
    at: str = Field(description="UTC, ISO 8601 with microseconds (as hashed)")
    actor: str = Field(description="who: role and key id, or the CLI's user")
    action: str
    subject: str | None
    detail: dict[str, Any]
    log_index: int | None = Field(
        description="its leaf in the transparency log (GET /v1/log/proof); null while queued"
    )
    leaf_hash: str | None = Field(
        description="SHA-256(0x00 || the leaf's canonical JSON), hex; null while queued"
    )


class AuditPageOut(BaseModel):
    model_config = examples(
        {
            "limit": 100,
            "offset": 0,
            "events": [
                {
                    "id": 1,
                    "at": "2026-06-01T08:30:12.345678+00:00",
                    "actor": "provider:k3f9a1c0",
                    "action": "check",
                    "subject": "cn-rid:11010519491231002X",
                    "detail": {"action": "travel.flight", "decision": "deny"},
                    "log_index": 0,
                    "leaf_hash": HASH_1,
                }
            ],
        }
    )
    limit: int
    offset: int
    events: list[AuditEventOut]


class HeadOut(BaseModel):
    id: int | None
    hash: str | None


class VerificationOut(BaseModel):
    model_config = examples(
        {
            "ok": True,
            "checked": 2,
            "broken_id": None,
            "problem": None,
            "message": None,
            "head": {"id": 2, "hash": HASH_2},
        },
        {
            "ok": False,
            "checked": 1,
            "broken_id": 2,
            "problem": "altered",
            "message": "event 2: stored hash does not match its content (altered)",
            "head": {"id": 2, "hash": HASH_2},
        },
    )
    ok: bool
    checked: int = Field(description="events found intact before the first broken link")
    broken_id: int | None = Field(description="the first event id where the chain breaks")
    problem: str | None = Field(
        description="deleted | relinked | altered | truncated | head | anchor"
    )
    message: str | None
    head: HeadOut = Field(description="publish it; pass it back as anchor_id and anchor_hash")


@router.get("", response_model=AuditPageOut, summary="Audit events, oldest first")
def list_events(
    ledger: LedgerDep,
    caller: AuditReader,
    subject: Annotated[
        str | None,
        Query(description="Only events about this subject", examples=["cn-rid:11010519491231002X"]),
    ] = None,
    since: Annotated[Instant | None, Query(description="Only events from then on")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    """Who wrote or read what about whom. This read is itself logged (`audit.read`)."""
    with ledger.transaction(caller.actor) as ctx:
        found = audit.events(ctx, subject, since, limit, offset)
    return {"limit": limit, "offset": offset, "events": [e.as_json() for e in found]}


@router.get(
    "/verify",
    response_model=VerificationOut,
    summary="Verify the hash chain (events before the transparency log)",
)
def verify(
    ledger: LedgerDep,
    caller: AuditReader,
    anchor_id: Annotated[
        int | None, Query(ge=0, description="An event id from an earlier verify's head")
    ] = None,
    anchor_hash: Annotated[
        str | None,
        Query(pattern="^[0-9a-f]{64}$", description="That event's hash, kept outside"),
    ] = None,
) -> dict[str, object]:
    """Walk the whole chain of the events from before the switch to the transparency log (it
    is frozen since); `ok: false` names the first broken link and what is wrong. Events since
    are verified with the log's signed checkpoints and proofs (`trustledger log verify`)."""
    if (anchor_id is None) != (anchor_hash is None):
        raise HTTPException(422, "anchor_id and anchor_hash: give both or neither")
    anchor = (anchor_id, anchor_hash) if anchor_id is not None and anchor_hash else None
    with ledger.transaction(caller.actor) as ctx:
        return audit.verify(ctx, anchor=anchor).as_json()
