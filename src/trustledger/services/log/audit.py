"""Reading and verifying the audit log. Events are written by the other services, each with
`ctx.audit(...)` inside its own unit of work, so an event exists exactly when the change
or read it describes was committed.

Reading the log is itself a read of personal data (who checked whom): when the reader is named
(`actor`), the read is logged as an `audit.read` event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.services.context import Context
from trustledger.store.audit import AuditEvent, Verification

MAX_LIMIT = 1_000


def subject_key(ctx: Context, subject: str) -> str:
    """The subject as the log stores it (normalized `scheme:value`); other text as given."""
    try:
        return str(ctx.registry.parse(subject))
    except IdentifierError:
        return subject.strip()


def events(
    ctx: Context,
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Events in log order (oldest first); the reader is logged as having read them."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Rejected("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise Rejected("offset", f"must be 0 or more, got {offset}")
    key = subject_key(ctx, subject) if subject is not None else None
    found = ctx.uow.audit.events(subject=key, since=since, limit=limit, offset=offset)
    detail: dict[str, Any] = {"limit": limit, "offset": offset, "returned": len(found)}
    if since is not None:
        detail["since"] = since.isoformat()
    ctx.audit("audit.read", subject=key, detail=detail)
    return found


def verify(
    ctx: Context,
    anchor: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Check the whole chain, the head, and (if given) an anchor published earlier."""
    return ctx.uow.audit.verify(anchor=anchor, progress=progress)


def count(ctx: Context) -> int:
    return ctx.uow.audit.count()
