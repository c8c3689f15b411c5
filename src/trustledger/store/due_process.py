"""Disputes, review proposals and credit repair requests: what subjects and reviewers decide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from trustledger.domain.scoring import Confirmation
from trustledger.store.base import Repository
from trustledger.store.errors import Duplicate
from trustledger.store.tables import disputes, proposals, repairs


class _Cases(Repository):
    """Rows of one case table, read and written as plain dicts."""

    table: Table

    def add(self, **values: Any) -> int:
        """Insert a case; `Duplicate` if a unique index refuses it (one open case per record).

        The transaction is spoilt afterwards (PostgreSQL): the caller answers and rolls back."""
        try:
            result = self.conn.execute(
                insert(self.table).values(**values).returning(self.table.c.id)
            )
        except IntegrityError as exc:
            if "unique" not in str(exc.orig).lower():
                raise
            raise Duplicate(f"{self.table.name}: {exc.orig}") from None
        return int(result.scalar_one())

    def get(self, case_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(self.table).where(self.table.c.id == case_id)).first()
        return dict(row._mapping) if row else None

    def set(self, case_id: int, **values: Any) -> None:
        self.conn.execute(update(self.table).where(self.table.c.id == case_id).values(**values))

    def decide(self, case_id: int, open_status: str, **values: Any) -> bool:
        """Write a decision only if the case is still open; whether this call decided it.

        A conditional update, so of two deciders at the same moment exactly one wins."""
        c = self.table.c
        result = self.conn.execute(
            update(self.table).where(c.id == case_id, c.status == open_status).values(**values)
        )
        return bool(result.rowcount)

    def find(self, **equal: Any) -> list[dict[str, Any]]:
        query = select(self.table).order_by(self.table.c.id)
        for column, value in equal.items():
            if value is not None:
                query = query.where(self.table.c[column] == value)
        return [dict(r._mapping) for r in self.conn.execute(query)]


class DisputeRepository(_Cases):
    table = disputes


class RepairRepository(_Cases):
    table = repairs


_CONFIRMED = select(
    proposals.c.subject, proposals.c.list, proposals.c.decided_on, proposals.c.ended_on
).where(
    proposals.c.subject.in_(bindparam("ids", expanding=True)),
    proposals.c.status.in_(("confirmed", "ended")),
)


class ProposalRepository(_Cases):
    table = proposals

    def open_for(self, subject_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Pending and confirmed proposals of these subjects."""
        c = proposals.c
        rows = self.conn.execute(
            select(proposals).where(
                c.subject.in_(subject_ids), c.status.in_(("pending", "confirmed"))
            )
        )
        return [dict(r._mapping) for r in rows]

    def confirmations(self, subject_ids: Sequence[str]) -> dict[str, list[Confirmation]]:
        """Confirmed review proposals, as the engine's Confirmations, by subject."""
        return confirmations(self.conn, subject_ids)

    def standing_rejections(self, subject_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Rejected proposals of these subjects whose entry condition has not lapsed since."""
        c = proposals.c
        rows = self.conn.execute(
            select(proposals).where(
                c.subject.in_(list(subject_ids)), c.status == "rejected", c.ended_on.is_(None)
            )
        )
        return [dict(r._mapping) for r in rows]


def confirmations(conn: Connection, subject_ids: Sequence[str]) -> dict[str, list[Confirmation]]:
    """Confirmed review proposals, as the engine's Confirmations, by subject."""
    out: dict[str, list[Confirmation]] = {}
    for start in range(0, len(subject_ids), 500):
        rows = conn.execute(_CONFIRMED, {"ids": list(subject_ids[start : start + 500])})
        for r in rows:
            confirmed_on: date = r.decided_on
            out.setdefault(r.subject, []).append(Confirmation(r.list, confirmed_on, r.ended_on))
    return out
