"""API keys in the ledger: only a hash of each secret is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from trustledger.store.base import Repository
from trustledger.store.tables import api_keys


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    secret_hash: str
    role: str
    source: str | None
    actions: tuple[str, ...]
    subject: str | None
    name: str
    revoked: bool


class KeyRepository(Repository):
    def add(self, key: StoredKey) -> None:
        self.conn.execute(
            insert(api_keys).values(
                key_id=key.key_id,
                secret_hash=key.secret_hash,
                role=key.role,
                source=key.source,
                actions=json.dumps(list(key.actions)) if key.actions else None,
                subject=key.subject,
                name=key.name,
            )
        )

    def get(self, key_id: str) -> StoredKey | None:
        row = self.conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            return None
        return StoredKey(
            row.key_id,
            row.secret_hash,
            row.role,
            row.source,
            tuple(json.loads(row.actions)) if row.actions else (),
            row.subject,
            row.name,
            row.revoked_at is not None,
        )

    def all(self) -> list[StoredKey]:
        ids = self.conn.execute(select(api_keys.c.key_id).order_by(api_keys.c.id)).scalars()
        return [k for k in (self.get(i) for i in list(ids)) if k]

    def revoke(self, key_id: str) -> bool:
        result = self.conn.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        return result.rowcount > 0
