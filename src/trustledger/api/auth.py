"""Who is calling: an API key (`Authorization: Bearer ...`) and the permission table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trustledger.domain.roles import Permission, allows
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Ledger

bearer = HTTPBearer(auto_error=False, description="An API key from `trustledger keys create`.")


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def public_actor(request: Request) -> str:
    """How a caller without a key is named in the log: by its address."""
    client = request.client
    return f"public:{client.host if client else 'unknown'}"


def principal(
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
    found: Principal | None = request.app.state.keys.authenticate(ledger, credentials.credentials)
    if found is None:
        quotas.failed(request, ledger, credentials.credentials)
        quotas.address(request)  # guessing keys is limited like any caller without one
        raise HTTPException(
            401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    quotas.key(found.key_id)
    return found


def require(permission: Permission) -> Callable[[Principal], Principal]:
    def dependency(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not allows(caller.role, permission):
            role = caller.role.value
            article = "an" if role[0] in "aeiou" else "a"
            raise HTTPException(403, f"{article} {role} key may not do this ({permission})")
        return caller

    return dependency
