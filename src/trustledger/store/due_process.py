"""Disputes, review proposals and credit repair requests: what subjects and reviewers decide."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from trustledger.domain.cases import (
    Complaint,
    Dispute,
    DisputeStatus,
    Proposal,
    ProposalStatus,
    Repair,
    RepairStatus,
)
from trustledger.domain.scoring import Confirmation
from trustledger.store.base import Repository
from trustledger.store.errors import Duplicate
from trustledger.store.tables import disputes, proposals, repairs

C = TypeVar("C", Dispute, Proposal, Repair, Complaint)


class _Cases(Repository, Generic[C]):
    """Rows of one case table: written from columns, read as the domain's case (`case`, its
    status as the kind's `status`)."""

    table: Table
    case: Callable[..., C]
    status: Callable[[str], Any]

    def _case(self, row: Any) -> C:
        return self.case(**{**row._mapping, "status": self.status(row.status)})

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

    def get(self, case_id: int) -> C | None:
        row = self.conn.execute(select(self.table).where(self.table.c.id == case_id)).first()
        return self._case(row) if row else None

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

    def find(self, **equal: Any) -> list[C]:
        query = select(self.table).order_by(self.table.c.id)
        for column, value in equal.items():
            if value is not None:
                query = query.where(self.table.c[column] == value)
        return [self._case(r) for r in self.conn.execute(query)]


class DisputeRepository(_Cases[Dispute]):
    table = disputes
    case = Dispute
    status = DisputeStatus


class RepairRepository(_Cases[Repair]):
    table = repairs
    case = Repair
    status = RepairStatus


_CONFIRMED = select(
    proposals.c.subject, proposals.c.list, proposals.c.decided_on, proposals.c.ended_on
).where(
    proposals.c.subject.in_(bindparam("ids", expanding=True)),
    proposals.c.status.in_(("confirmed", "ended")),
)


class ProposalRepository(_Cases[Proposal]):
    table = proposals
    case = Proposal
    status = ProposalStatus

    def open_for(self, subject_ids: Sequence[str]) -> list[Proposal]:
        """Pending and confirmed proposals of these subjects."""
        c = proposals.c
        rows = self.conn.execute(
            select(proposals).where(
                c.subject.in_(subject_ids), c.status.in_(("pending", "confirmed"))
            )
        )
        return [self._case(r) for r in rows]

    def confirmations(self, subject_ids: Sequence[str]) -> dict[str, list[Confirmation]]:
        """Confirmed review proposals, as the engine's Confirmations, by subject."""
        return confirmations(self.conn, subject_ids)

    def standing_rejections(self, subject_ids: Sequence[str]) -> list[Proposal]:
        """Rejected proposals of these subjects whose entry condition has not lapsed since."""
        c = proposals.c
        rows = self.conn.execute(
            select(proposals).where(
                c.subject.in_(list(subject_ids)), c.status == "rejected", c.ended_on.is_(None)
            )
        )
        return [self._case(r) for r in rows]


def confirmations(conn: Connection, subject_ids: Sequence[str]) -> dict[str, list[Confirmation]]:
    """Confirmed review proposals, as the engine's Confirmations, by subject."""
    out: dict[str, list[Confirmation]] = {}
    for start in range(0, len(subject_ids), 500):
        rows = conn.execute(_CONFIRMED, {"ids": list(subject_ids[start : start + 500])})
        for r in rows:
            confirmed_on: date = r.decided_on
            out.setdefault(r.subject, []).append(Confirmation(r.list, confirmed_on, r.ended_on))
    return out
