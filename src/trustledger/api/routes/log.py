"""The transparency log: signed checkpoints and the key (public), inclusion proofs (subjects for
their own events, auditors for any), consistency proofs (public). See docs/transparency-log.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from trustledger.api.auth import LedgerDep, LogProver, public_actor
from trustledger.domain.roles import Role
from trustledger.services.log import tlog

router = APIRouter(prefix="/v1/log", tags=["transparency log"])


class CheckpointOut(BaseModel):
    tree_size: int
    root_hash: str = Field(description="the RFC 6962 root, hex")
    timestamp: str = Field(description="when it was signed (UTC, informational, not signed)")
    note: str = Field(description="the C2SP tlog-checkpoint as a C2SP signed note (Ed25519)")


class KeyOut(BaseModel):
    vkey: str = Field(description="the note verifier key: <name>+<hex key id>+<base64 key>")


class ProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf: str = Field(description="the event's canonical JSON: the leaf's bytes, UTF-8")
    leaf_hash: str = Field(description="SHA-256(0x00 || leaf), hex")
    audit_path: list[str] = Field(description="RFC 9162 inclusion proof, hex hashes")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, hex hashes")


@router.get("/checkpoint", response_model=CheckpointOut, summary="The latest signed checkpoint")
def checkpoint(ledger: LedgerDep, request: Request) -> dict[str, Any]:
    tlog.integrate(ledger)
    with ledger.transaction(public_actor(request)) as ctx:
        return tlog.checkpoint(ctx).as_json()


@router.get("/key", response_model=KeyOut, summary="The log's verifier key")
def key(ledger: LedgerDep, request: Request) -> dict[str, Any]:
    with ledger.transaction(public_actor(request)) as ctx:
        return {"vkey": tlog.vkey(ctx)}


@router.get(
    "/proof",
    response_model=ProofOut,
    summary="Inclusion proof of one event",
)
def proof(
    ledger: LedgerDep,
    caller: LogProver,
    index: Annotated[int, Query(ge=0)],
    tree_size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """A subject may prove events about itself; an auditor any event."""
    subject = None if caller.role == Role.AUDITOR else caller.subject or ""
    tlog.integrate(ledger)
    with ledger.transaction(caller.actor) as ctx:
        return tlog.proof(ctx, index, tree_size, subject=subject)


@router.get(
    "/consistency",
    response_model=ConsistencyOut,
    summary="Consistency proof between two tree sizes",
)
def consistency(
    ledger: LedgerDep,
    request: Request,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int, Query(ge=0)],
) -> dict[str, Any]:
    tlog.integrate(ledger)
    with ledger.transaction(public_actor(request)) as ctx:
        return tlog.consistency(ctx, first, second)
