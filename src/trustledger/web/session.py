"""Signing in with a key: a signed session cookie that holds the key's id, never its secret.

The cookie is `key_id.expires.signature`, signed (HMAC-SHA256) with the server secret
(`TRUSTLEDGER_SESSION_SECRET`, or one generated per process: sessions then end on restart). Each
request looks the key up again, so a revoked key signs its sessions out at once. The cookie is
HttpOnly, SameSite=Strict, and Secure over https.

Every form carries a CSRF token: an HMAC of a random per-browser value held in its own cookie
(double submit, signed), checked on every POST.

An OIDC provider can replace the key form later: whatever authenticates the person ends in
`start(response, principal)`; the rest of the pages only call `principal_of(request)`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fastapi import Request, Response

from trustledger.services.admin.keys import Principal, principal_by_id
from trustledger.services.context import Ledger

SESSION = "tl_session"
CSRF = "tl_csrf"
LIFETIME = 8 * 3600  # seconds
_PROCESS_SECRET = secrets.token_bytes(32)


def _secret(ledger: Ledger) -> bytes:
    configured = ledger.settings.session_secret
    return configured.encode() if configured else _PROCESS_SECRET


def _sign(ledger: Ledger, text: str) -> str:
    return hmac.new(_secret(ledger), text.encode(), hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start(request: Request, response: Response, ledger: Ledger, principal: Principal) -> None:
    body = f"{principal.key_id}.{int(time.time()) + LIFETIME}"
    response.set_cookie(
        SESSION,
        f"{body}.{_sign(ledger, 'session|' + body)}",
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def end(response: Response) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict")


def principal_of(request: Request, ledger: Ledger) -> Principal | None:
    """Who is signed in (a key not revoked, a cookie signed and not expired), or None."""
    cookie = request.cookies.get(SESSION)
    if not cookie:
        return None
    body, _, signature = cookie.rpartition(".")
    key_id, _, expires = body.partition(".")
    if not hmac.compare_digest(signature, _sign(ledger, "session|" + body)):
        return None
    if not expires.isdigit() or int(expires) < time.time():
        return None
    return principal_by_id(ledger, key_id)


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF seed, and whether it is new (then the response must set it)."""
    seed = request.cookies.get(CSRF)
    if seed and len(seed) == 32 and seed.isalnum():
        return seed, False
    return secrets.token_hex(16), True


def csrf_token(ledger: Ledger, seed: str) -> str:
    return _sign(ledger, "csrf|" + seed)


def set_csrf_seed(request: Request, response: Response, seed: str) -> None:
    response.set_cookie(
        CSRF, seed, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def csrf_ok(request: Request, ledger: Ledger, token: str | None) -> bool:
    seed = request.cookies.get(CSRF)
    if not seed or not token:
        return False
    return hmac.compare_digest(token, csrf_token(ledger, seed))
