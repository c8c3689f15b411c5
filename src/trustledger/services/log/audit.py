"""Reading and verifying the audit log. Events are written by the other services, each with
`uow.audit.append(...)` inside its own unit of work, so an event exists exactly when the change
or read it describes was committed.

Reading the log is itself a read of personal data (who checked whom): when the reader is named
(`actor`), the read is logged as an `audit.read` event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from trustledger.domain.identifiers import IdentifierError
from trustledger.services.context import Ledger
from trustledger.store.audit import AuditEvent, Verification

MAX_LIMIT = 1_000


def subject_key(ledger: Ledger, subject: str) -> str:
    """The subject as the log stores it (normalized `scheme:value`); other text as given."""
    try:
        return str(ledger.registry.parse(subject))
    except IdentifierError:
        return subject.strip()


def events(
    ledger: Ledger,
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    *,
    actor: str | None = None,
) -> list[AuditEvent]:
    """Events in log order (oldest first); `actor`, when given, is logged as having read them."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset: must be 0 or more, got {offset}")
    key = subject_key(ledger, subject) if subject is not None else None
    with ledger.uow() as uow:
        found = uow.audit.events(subject=key, since=since, limit=limit, offset=offset)
        if actor is not None:
            detail: dict[str, Any] = {"limit": limit, "offset": offset, "returned": len(found)}
            if since is not None:
                detail["since"] = since.isoformat()
            uow.audit.append(actor=actor, action="audit.read", subject=key, detail=detail)
            uow.commit()
    return found


def verify(
    ledger: Ledger,
    anchor: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Check the whole chain, the head, and (if given) an anchor published earlier."""
    with ledger.uow() as uow:
        return uow.audit.verify(anchor=anchor, progress=progress)


def count(ledger: Ledger) -> int:
    with ledger.uow() as uow:
        return uow.audit.count()
