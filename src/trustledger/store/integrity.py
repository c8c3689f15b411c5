"""Government integrity: public bodies, posts, commitments and their payments, complaints.

An overdue commitment is never written to `records`: `commitment_records` computes it from the
commitment and its payments wherever records are read, so it counts from its first overdue day
with no job to run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from trustledger.domain.cases import Complaint, ComplaintStatus
from trustledger.domain.integrity import Commitment, Payment, commitment_record
from trustledger.domain.scoring import Record
from trustledger.store.base import Repository
from trustledger.store.due_process import _Cases
from trustledger.store.tables import commitments, complaints, payments, posts, public_bodies


def _commitment(row: Any) -> Commitment:
    return Commitment(
        source=row.source,
        reference=row.reference,
        body=row.body,
        counterparty=row.counterparty,
        kind=row.kind,
        amount=row.amount,
        accepted_on=row.accepted_on,
        due_on=row.due_on,
        record_type=row.record_type,
        sme=bool(row.sme),
        post=row.post,
        id=int(row.id),
    )


_OF_BODIES = select(commitments).where(commitments.c.body.in_(bindparam("ids", expanding=True)))
_OF_BODIES_TYPES = _OF_BODIES.where(
    commitments.c.record_type.in_(bindparam("types", expanding=True))
)
_PAYMENTS_OF = select(payments.c.commitment_id, payments.c.on_date, payments.c.amount).where(
    payments.c.commitment_id.in_(bindparam("ids", expanding=True))
)


class IntegrityRepository(Repository):
    # -- public bodies and posts -------------------------------------------------------------

    def body(self, body_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(public_bodies).where(public_bodies.c.id == body_id)).first()
        return dict(row._mapping) if row else None

    def bodies(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(public_bodies).order_by(public_bodies.c.id))
        return [dict(r._mapping) for r in rows]

    def put_body(self, body_id: str, name: str, parent: str | None) -> None:
        if self.body(body_id) is None:
            self.conn.execute(insert(public_bodies).values(id=body_id, name=name, parent=parent))
        else:
            self.conn.execute(
                update(public_bodies)
                .where(public_bodies.c.id == body_id)
                .values(name=name, parent=parent)
            )

    def add_post(self, body: str, post: str, holder: str, from_on: date, to_on: date | None) -> int:
        result = self.conn.execute(
            insert(posts)
            .values(body=body, post=post, holder=holder, from_on=from_on, to_on=to_on)
            .returning(posts.c.id)
        )
        return int(result.scalar_one())

    def close_post(self, post_id: int, to_on: date) -> None:
        self.conn.execute(update(posts).where(posts.c.id == post_id).values(to_on=to_on))

    def posts_of_body(self, body: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(posts).where(posts.c.body == body).order_by(posts.c.from_on, posts.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def posts_of_holder(self, holder: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(posts).where(posts.c.holder == holder).order_by(posts.c.from_on, posts.c.id)
        )
        return [dict(r._mapping) for r in rows]

    # -- commitments and payments ------------------------------------------------------------

    def commitment(self, source: str, reference: str) -> Commitment | None:
        row = self.conn.execute(
            select(commitments).where(
                commitments.c.source == source, commitments.c.reference == reference
            )
        ).first()
        return _commitment(row) if row else None

    def add_commitment(self, c: Commitment) -> int:
        result = self.conn.execute(
            insert(commitments)
            .values(
                source=c.source,
                reference=c.reference,
                body=c.body,
                counterparty=c.counterparty,
                kind=c.kind,
                record_type=c.record_type,
                amount=c.amount,
                accepted_on=c.accepted_on,
                due_on=c.due_on,
                sme=c.sme,
                post=c.post,
            )
            .returning(commitments.c.id)
        )
        return int(result.scalar_one())

    def add_payment(self, commitment_id: int, on: date, amount: Any) -> None:
        self.conn.execute(
            insert(payments).values(commitment_id=commitment_id, on_date=on, amount=amount)
        )

    def payments(self, ids: Sequence[int]) -> dict[int, list[Payment]]:
        out: dict[int, list[Payment]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            for r in self.conn.execute(_PAYMENTS_OF, {"ids": chunk}):
                out.setdefault(int(r.commitment_id), []).append(Payment(r.on_date, r.amount))
        for ps in out.values():
            ps.sort(key=lambda p: p.on)
        return out

    def _with_payments(self, rows: Sequence[Commitment]) -> list[tuple[Commitment, list[Payment]]]:
        paid = self.payments([c.id for c in rows if c.id is not None])
        return [(c, paid.get(c.id or 0, [])) for c in rows]

    def of_bodies(
        self, body_ids: Sequence[str], types: Sequence[str] | None = None
    ) -> list[tuple[Commitment, list[Payment]]]:
        found: list[Commitment] = []
        statement = _OF_BODIES if types is None else _OF_BODIES_TYPES
        for start in range(0, len(body_ids), 500):
            params = {"ids": list(body_ids[start : start + 500]), "types": list(types or ())}
            found.extend(_commitment(r) for r in self.conn.execute(statement, params))
        found.sort(key=lambda c: (c.body, c.due_on, c.reference, c.source))
        return self._with_payments(found)

    def where(
        self, *, body: str | None = None, counterparty: str | None = None
    ) -> list[tuple[Commitment, list[Payment]]]:
        query = select(commitments).order_by(commitments.c.due_on, commitments.c.id)
        if body is not None:
            query = query.where(commitments.c.body == body)
        if counterparty is not None:
            query = query.where(commitments.c.counterparty == counterparty)
        return self._with_payments([_commitment(r) for r in self.conn.execute(query)])

    def records_of(
        self, subject_ids: Sequence[str], types: Sequence[str] | None = None
    ) -> dict[str, list[Record]]:
        """The records the overdue commitments of these subjects count as, by subject."""
        bodies = [s for s in subject_ids if s.startswith("cn-uscc:11")]
        out: dict[str, list[Record]] = {}
        if not bodies:
            return out
        for c, ps in self.of_bodies(bodies, types):
            record = commitment_record(c, ps)
            if record is not None:
                out.setdefault(c.body, []).append(record)
        return out

    def bodies_with(self, types: Sequence[str], day: date) -> list[str]:
        """Bodies with a commitment of these types overdue by `day` (first overdue day <= day)."""
        c = commitments.c
        query = select(c.body).distinct().where(c.record_type.in_(list(types)), c.due_on < day)
        return list(self.conn.execute(query).scalars())

    def record_rows(self) -> Iterator[tuple[Any, ...]]:
        """The snapshot's record rows of overdue commitments (batch_repository's column order:
        subject, kind, type, decided_on, fulfilled_on, notified_on, voided, disputed, source,
        reference, amount, note)."""
        everything = self.where()
        for c, ps in everything:
            r = commitment_record(c, ps)
            if r is not None:
                yield (
                    c.body,
                    "public_body",
                    r.type,
                    r.decided_on,
                    r.fulfilled_on,
                    None,
                    False,
                    False,
                    r.source,
                    r.reference,
                    r.amount,
                    None,
                )


class ComplaintRepository(_Cases[Complaint]):
    """Complaints of counterparties about a body's payments (decided like disputes)."""

    table = complaints
    case = Complaint
    status = ComplaintStatus
