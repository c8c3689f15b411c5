"""The audit log: append-only, each event chained to the previous one by SHA-256.

(Interface fixed by the lead; the implementation is being written.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(
        self, *, actor: str, action: str, subject: str | None, detail: dict[str, Any]
    ) -> None:
        """Append one event inside the caller's transaction (it commits or vanishes with it)."""

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Append events given as dicts with keys actor, action, subject, detail, in order."""
        for e in events:
            self.append(**e)
