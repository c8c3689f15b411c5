"""The notice outbox: notices are written in the transaction of the change they announce."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from trustledger.domain.intake import ColumnRows
from trustledger.store import bulk
from trustledger.store.base import Repository
from trustledger.store.tables import outbox

# (subject, kind, payload): a payload given as text is JSON its caller encoded as `enqueue`
# would (an import builds ten thousand listing notices from one template per batch).
Notice = tuple[str, str, dict[str, Any] | str]
# One encoder for every notice (json.dumps with options builds a new one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


class OutboxRepository(Repository):
    def enqueue(self, notices: Sequence[Notice]) -> None:
        """Queue (subject, kind, payload) notices in the caller's transaction (an import's
        thousands of listing notices go through the driver in one bulk write)."""
        if not notices:
            return
        encode = _ENCODE
        rows = ColumnRows(
            {
                "subject": [s for s, _, _ in notices],
                "kind": [k for _, k, _ in notices],
                "payload": [p if isinstance(p, str) else encode(p) for _, _, p in notices],
            }
        )
        bulk.insert_all(self.conn, outbox, rows)

    def of(self, subject: str | None = None) -> list[dict[str, Any]]:
        """Every notice (of one subject), oldest first, payloads parsed."""
        query = select(outbox).order_by(outbox.c.id)
        if subject is not None:
            query = query.where(outbox.c.subject == subject)
        return [
            {**dict(r._mapping), "payload": json.loads(r.payload)} for r in self.conn.execute(query)
        ]

    def unsent(self, limit: int) -> list[dict[str, Any]]:
        query = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
        return [
            {**dict(r._mapping), "payload": json.loads(r.payload)} for r in self.conn.execute(query)
        ]

    def mark_sent(self, notice_id: int) -> bool:
        """Mark one notice sent unless it already is; whether this call marked it."""
        result = self.conn.execute(
            update(outbox)
            .where(outbox.c.id == notice_id, outbox.c.sent_at.is_(None))
            .values(sent_at=datetime.now(UTC))
        )
        return bool(result.rowcount)

    def release(self, notice_id: int) -> None:
        """Put a claimed notice back (its sender failed): it is tried again next time."""
        self.conn.execute(update(outbox).where(outbox.c.id == notice_id).values(sent_at=None))
