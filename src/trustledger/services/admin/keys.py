"""API keys: created with a role and a scope, shown once, stored hashed, checked per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from trustledger.domain.intake import Rejected
from trustledger.domain.roles import Role
from trustledger.services.answers.checks import require_action
from trustledger.services.context import Conflict, Context, Ledger, NotFound, StoreUnavailable
from trustledger.store.keys import StoredKey

PREFIX = "tlk"


@dataclass(frozen=True)
class Principal:
    """The caller behind a key: its role and what it is bound to."""

    key_id: str
    role: Role
    name: str
    source: str | None = None
    actions: tuple[str, ...] = ()
    subject: str | None = None

    @property
    def actor(self) -> str:
        """How this caller appears in the audit log and in a subject's access log."""
        return f"{self.role.value}:{self.key_id} {self.name}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    ctx: Context,
    role: Role,
    name: str,
    *,
    source: str | None = None,
    actions: Sequence[str] = (),
    subject: str | None = None,
) -> tuple[str, Principal]:
    """Return the full key (shown once, never stored) and what it may do (audited)."""
    uow = ctx.uow
    if role == Role.AGENCY:
        if source is None or uow.sources.get(source) is None:
            raise NotFound(f"source: an agency key needs a registered source, got {source!r}")
    elif source is not None:
        raise Conflict("source: only agency keys are bound to a source")
    if role == Role.PROVIDER:
        if not actions:
            raise Rejected("actions", "a provider key names the actions it may check")
        for action in actions:
            require_action(ctx.book, action)  # the same rule as a check's
    elif actions:
        raise Conflict("actions: only provider keys are bound to actions")
    if role == Role.SUBJECT:
        if subject is None:
            raise Conflict("subject: a subject key names the subject it acts for")
        subject = str(ctx.registry.parse(subject))
    elif subject is not None:
        raise Conflict("subject: only subject keys are bound to a subject")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    uow.keys.add(
        StoredKey(key_id, _hash(secret), role.value, source, tuple(actions), subject, name, False)
    )
    ctx.audit(
        "key.create",
        subject=None,  # an administrative act; the subject a key acts for is in the detail
        detail={
            "key": key_id,
            "role": role.value,
            "name": name,
            "source": source,
            "subject": subject,
            "actions": list(actions),
        },
    )
    principal = Principal(key_id, role, name, source, tuple(actions), subject)
    return f"{PREFIX}_{key_id}_{secret}", principal


def list_keys(ctx: Context) -> list[StoredKey]:
    """Every key: ids, roles, scopes and whether revoked; never a secret."""
    return ctx.uow.keys.all()


def revoke_key(ctx: Context, key_id: str) -> bool:
    """Revoke a key (audited); whether this call revoked it."""
    revoked = ctx.uow.keys.revoke(key_id)
    if revoked:
        ctx.audit("key.revoke", subject=None, detail={"key": key_id})
    return revoked


def principal_by_id(ledger: Ledger, key_id: str) -> Principal | None:
    """The caller behind a key id, unless revoked: for a session that was signed in with the
    full key and keeps only its id (the web pages' cookie)."""
    if not key_id:
        return None
    with ledger.uow() as uow:
        stored = uow.keys.get(key_id)
    if stored is None or stored.revoked:
        return None
    return _principal(stored)


def _principal(stored: StoredKey) -> Principal:
    return Principal(
        stored.key_id,
        Role(stored.role),
        stored.name,
        stored.source,
        stored.actions,
        stored.subject,
    )


class KeyCache:
    """Verified keys for a second, so a check costs no extra query; a revoked key stops working
    within that second on every server process (each holds its own cache)."""

    def __init__(self, ttl_seconds: float = 1.0) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    def cached(self, presented: str) -> Principal | None:
        """The key's principal if verified less than `ttl` ago, else None (ask `authenticate`).
        Reads no database: the API answers it on the event loop."""
        hit = self._cache.get(presented)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def authenticate(self, ledger: Ledger, presented: str) -> Principal | None:
        found = self.cached(presented)
        if found is not None:
            return found
        now = time.monotonic()
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != PREFIX or not key_id or not secret:
            return None
        with ledger.uow() as uow:
            stored = uow.keys.get(key_id)
        if (
            stored is None
            or stored.revoked
            or not hmac.compare_digest(stored.secret_hash, _hash(secret))
        ):
            self._cache.pop(presented, None)
            return None
        principal = _principal(stored)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[presented] = (now, principal)
        return principal


def log_failed_authentication(ledger: Ledger, actor: str, key_id: str | None, times: int) -> None:
    """`auth.failed` in the audit log: who (by address), which key id was presented (if it
    looked like one), and how many failures this event stands for (the API logs at most one
    per address per interval). A database that is away loses this event, not the answer."""
    detail: dict[str, object] = {"times": times}
    if key_id and len(key_id) <= 40 and key_id.isalnum():
        detail["key"] = key_id
    try:
        with ledger.uow() as uow:
            uow.audit.append(actor=actor, action="auth.failed", subject=None, detail=detail)
            uow.commit()
    except StoreUnavailable:
        return
