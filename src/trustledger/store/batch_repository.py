"""Bulk reads and writes for population-scale jobs: the snapshot's rows, standings, rescores.

Reads stream in partitions (server-side cursors on PostgreSQL), so exporting a large ledger
holds one partition in memory at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from trustledger.store.base import Repository
from trustledger.store.batch_tables import rescores, standings
from trustledger.store.integrity import IntegrityRepository
from trustledger.store.tables import proposals, records, subjects


@dataclass(frozen=True)
class Rescore:
    id: int
    rulebook_version: str
    as_of: date
    engine: str
    subjects: int
    previous_version: str | None
    previous_as_of: date | None
    diff: dict[str, Any] | None
    computed_at: datetime


class BatchRepository(Repository):
    # -- the snapshot ------------------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(records, subjects): stored records (overdue commitments come on top)."""
        n_records = self.conn.execute(select(func.count()).select_from(records)).scalar_one()
        n_subjects = self.conn.execute(select(func.count()).select_from(subjects)).scalar_one()
        return int(n_records), int(n_subjects)

    def _stream(self, statement: Any, size: int) -> Iterator[Sequence[Any]]:
        # Statement options, not the connection's: those would stick to later statements.
        result = self.conn.execute(statement.execution_options(stream_results=True, yield_per=size))
        yield from result.partitions(size)

    def record_rows(self, size: int = 100_000) -> Iterator[Sequence[Any]]:
        """Every record with its subject's kind, in the snapshot's column order, in partitions;
        then the records that overdue commitments count as (computed, never stored)."""
        r, s = records.c, subjects.c
        statement = (
            select(
                r.subject,
                s.kind,
                r.type,
                r.decided_on,
                r.fulfilled_on,
                r.notified_on,
                r.voided,
                r.disputed,
                r.source,
                r.reference,
                r.amount,
                r.note,
            )
            .join(subjects, s.id == r.subject)
            .order_by(r.id)
        )
        yield from self._stream(statement, size)
        overdue = list(IntegrityRepository(self.conn).record_rows())
        for start in range(0, len(overdue), size):
            yield overdue[start : start + size]

    def subject_rows(self, size: int = 100_000) -> Iterator[Sequence[Any]]:
        """(subject, kind, consent) for every subject."""
        s = subjects.c
        return self._stream(select(s.id, s.kind, s.consent).order_by(s.id), size)

    def confirmation_rows(self, size: int = 100_000) -> Iterator[Sequence[Any]]:
        """(subject, list, confirmed_on, ended_on): reviewers' confirmations of list entries.

        The same reading as `ProposalRepository.confirmations` (store/due_process.py): a
        proposal confirmed (and possibly ended since) is a confirmation from its decision day.
        """
        p = proposals.c
        statement = (
            select(p.subject, p.list, p.decided_on, p.ended_on)
            .where(p.status.in_(("confirmed", "ended")), p.decided_on.is_not(None))
            .order_by(p.id)
        )
        return self._stream(statement, size)

    # -- standings and rescores ---------------------------------------------------------------

    def replace_standings(
        self,
        version: str,
        as_of: date,
        rows: Iterable[Sequence[dict[str, Any]]],
    ) -> int:
        """Replace the standings of (version, as_of) with `rows` (batches of dicts)."""
        c = standings.c
        self.conn.execute(delete(standings).where(c.rulebook_version == version, c.as_of == as_of))
        written = 0
        for batch in rows:
            if batch:
                self.conn.execute(insert(standings), list(batch))
                written += len(batch)
        return written

    def standings_of(
        self, version: str, as_of: date, size: int = 100_000
    ) -> Iterator[Sequence[Any]]:
        """(subject, score, tier, lists) of one rescore, in partitions."""
        c = standings.c
        statement = (
            select(c.subject, c.score, c.tier, c.lists)
            .where(c.rulebook_version == version, c.as_of == as_of)
            .order_by(c.subject)
        )
        return self._stream(statement, size)

    def standing(self, subject: str, version: str, as_of: date) -> dict[str, Any] | None:
        c = standings.c
        row = self.conn.execute(
            select(c.subject, c.score, c.tier, c.lists, c.computed_at).where(
                c.subject == subject, c.rulebook_version == version, c.as_of == as_of
            )
        ).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["lists"] = json.loads(out["lists"])
        return out

    def last_rescore(self) -> Rescore | None:
        row = self.conn.execute(select(rescores).order_by(rescores.c.id.desc()).limit(1)).first()
        return _rescore(row) if row else None

    def add_rescore(
        self,
        *,
        version: str,
        as_of: date,
        engine: str,
        subjects: int,
        previous: Rescore | None,
        diff: dict[str, Any] | None,
        computed_at: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(rescores)
            .values(
                rulebook_version=version,
                as_of=as_of,
                engine=engine,
                subjects=subjects,
                previous_version=previous.rulebook_version if previous else None,
                previous_as_of=previous.as_of if previous else None,
                diff=json.dumps(diff, ensure_ascii=False) if diff is not None else None,
                computed_at=computed_at,
            )
            .returning(rescores.c.id)
        )
        return int(result.scalar_one())


def _rescore(row: Any) -> Rescore:
    m = row._mapping
    return Rescore(
        id=m["id"],
        rulebook_version=m["rulebook_version"],
        as_of=m["as_of"],
        engine=m["engine"],
        subjects=m["subjects"],
        previous_version=m["previous_version"],
        previous_as_of=m["previous_as_of"],
        diff=json.loads(m["diff"]) if m["diff"] else None,
        computed_at=m["computed_at"],
    )
