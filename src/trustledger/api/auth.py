"""Who is calling: an API key (`Authorization: Bearer ...`) and the permission table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from trustledger.domain.roles import Permission, allows
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Ledger

bearer = HTTPBearer(auto_error=False, description="An API key from `trustledger keys create`.")


# The dependencies are `async def`: FastAPI runs a plain `def` dependency in the thread pool,
# and three thread hand-offs per request cost more than the check itself. Anything that may
# wait on the database (a key not in the cache, logging a failed attempt) still goes to the
# pool, so the event loop never waits on it.


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def public_actor(request: Request) -> str:
    """How a caller without a key is named in the log: by its address."""
    client = request.client
    return f"public:{client.host if client else 'unknown'}"


async def principal(
    request: Request,
    ledger: LedgerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    quotas = request.app.state.quotas
    if credentials is None:
        if "authorization" in request.headers:  # else AddressLimit counted it already
            quotas.address(request)
        raise HTTPException(
            401,
            "an API key is required (Authorization: Bearer tlk_...)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    keys = request.app.state.keys
    presented = credentials.credentials
    found: Principal | None = keys.cached(presented)
    if found is None:
        found = await run_in_threadpool(keys.authenticate, ledger, presented)
    if found is None:
        await run_in_threadpool(quotas.failed, request, ledger, presented)
        quotas.address(request)  # guessing keys is limited like any caller without one
        raise HTTPException(
            401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    quotas.key(found.key_id)
    return found


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not allows(caller.role, permission):
            role = caller.role.value
            article = "an" if role[0] in "aeiou" else "a"
            raise HTTPException(403, f"{article} {role} key may not do this ({permission})")
        return caller

    return dependency


# A caller holding one permission, for the endpoints that need it: one alias a permission.
RecordsWriter = Annotated[Principal, Depends(require(Permission.RECORDS_WRITE))]
SubjectsWriter = Annotated[Principal, Depends(require(Permission.SUBJECTS_WRITE))]
ScoresReader = Annotated[Principal, Depends(require(Permission.SCORES_READ))]
DisputesReader = Annotated[Principal, Depends(require(Permission.DISPUTES_READ))]
DisputesDecider = Annotated[Principal, Depends(require(Permission.DISPUTES_DECIDE))]
CommitmentsWriter = Annotated[Principal, Depends(require(Permission.COMMITMENTS_WRITE))]
CommitmentsReader = Annotated[Principal, Depends(require(Permission.COMMITMENTS_READ))]
OfficialsReader = Annotated[Principal, Depends(require(Permission.OFFICIALS_READ))]
ComplaintsReader = Annotated[Principal, Depends(require(Permission.COMPLAINTS_READ))]
ComplaintsDecider = Annotated[Principal, Depends(require(Permission.COMPLAINTS_DECIDE))]
SelfReader = Annotated[Principal, Depends(require(Permission.SELF_READ))]
SelfWriter = Annotated[Principal, Depends(require(Permission.SELF_WRITE))]
AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
LogProver = Annotated[Principal, Depends(require(Permission.LOG_PROOF))]
Checker = Annotated[Principal, Depends(require(Permission.CHECKS))]


def agency_source(caller: Principal) -> str:
    """The source an agency key is bound to."""
    assert caller.source is not None  # agency keys are always bound to a source
    return caller.source


def own_subject(caller: Principal) -> str:
    """The subject a subject key acts for."""
    assert caller.subject is not None  # subject keys are always bound to a subject
    return caller.subject
