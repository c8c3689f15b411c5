"""Repositories: the ledger's reads and writes, over one connection inside one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.scoring import Record
from trustledger.store import bulk
from trustledger.store.tables import record_events, records, rulebooks, sources, subjects


def _insert_ignoring_conflicts(conn: Connection, table: Any, keys: Sequence[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, which both stores speak, for idempotent writes."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))


@dataclass(frozen=True)
class StoredRulebook:
    id: int
    name: str
    version: str
    digest: str
    active: bool


@dataclass(frozen=True)
class Source:
    code: str
    kind: str
    name: str


@dataclass(frozen=True)
class Subject:
    id: str
    kind: SubjectKind
    consent: bool


class RulebookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, *where: Any) -> StoredRulebook | None:
        """A version's identity and digest, without its text (asked for on every request)."""
        c = rulebooks.c
        row = self.conn.execute(
            select(c.id, c.name, c.version, c.digest, c.active).where(*where)
        ).first()
        return (
            StoredRulebook(row.id, row.name, row.version, row.digest, row.active) if row else None
        )

    def text(self, rulebook_id: int) -> str:
        return str(
            self.conn.execute(
                select(rulebooks.c.text).where(rulebooks.c.id == rulebook_id)
            ).scalar_one()
        )

    def get(self, name: str, version: str) -> StoredRulebook | None:
        return self._one(rulebooks.c.name == name, rulebooks.c.version == version)

    def get_version(self, version: str) -> StoredRulebook | None:
        """The version of the active rulebook's name (a deployment runs one rulebook)."""
        active = self.active()
        name = active.name if active else None
        return self._one(rulebooks.c.name == name, rulebooks.c.version == version)

    def active(self) -> StoredRulebook | None:
        return self._one(rulebooks.c.active.is_(True))

    def add(self, name: str, version: str, text: str, digest: str) -> None:
        self.conn.execute(
            insert(rulebooks).values(
                name=name, version=version, text=text, digest=digest, active=False
            )
        )

    def activate(self, name: str, version: str) -> None:
        self.conn.execute(
            update(rulebooks).values(active=False).where(rulebooks.c.active.is_(True))
        )
        self.conn.execute(
            update(rulebooks)
            .values(active=True)
            .where(rulebooks.c.name == name, rulebooks.c.version == version)
        )

    def versions(self) -> list[StoredRulebook]:
        rows = self.conn.execute(select(rulebooks.c.id).order_by(rulebooks.c.id)).scalars()
        return [r for r in (self._one(rulebooks.c.id == i) for i in rows) if r]


class SourceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Source | None:
        row = self.conn.execute(select(sources).where(sources.c.code == code)).first()
        return Source(row.code, row.kind, row.name) if row else None

    def add(self, source: Source) -> None:
        self.conn.execute(
            insert(sources).values(code=source.code, kind=source.kind, name=source.name)
        )

    def all(self) -> list[Source]:
        rows = self.conn.execute(select(sources).order_by(sources.c.code))
        return [Source(r.code, r.kind, r.name) for r in rows]


class SubjectRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, subject_id: str) -> Subject | None:
        row = self.conn.execute(select(subjects).where(subjects.c.id == subject_id)).first()
        return Subject(row.id, SubjectKind(row.kind), bool(row.consent)) if row else None

    def get_many(self, subject_ids: Sequence[str]) -> dict[str, Subject]:
        found: dict[str, Subject] = {}
        for start in range(0, len(subject_ids), 500):
            rows = self.conn.execute(_SUBJECTS, {"ids": list(subject_ids[start : start + 500])})
            found.update({r.id: Subject(r.id, SubjectKind(r.kind), bool(r.consent)) for r in rows})
        return found

    def ensure(self, rows: Iterable[tuple[str, str]]) -> None:
        """Register (id, kind) pairs not seen before; known subjects are left as they are."""
        params = [{"id": i, "kind": k} for i, k in rows]
        bulk.insert_ignoring(self.conn, subjects, params, ["id"])

    def set_consent(self, rows: Iterable[tuple[str, str]], consent: bool) -> None:
        """Record the consent of (id, kind) subjects, registering those not seen before."""
        rows = list(rows)
        self.ensure(rows)
        statement = (
            update(subjects).where(subjects.c.id == bindparam("subject_id")).values(consent=consent)
        )
        self.conn.execute(statement, [{"subject_id": i} for i, _ in rows])


# Built once, bound per call: a check runs these on every request.
_ENGINE_COLUMNS = (
    records.c.subject,
    records.c.reference,
    records.c.type,
    records.c.decided_on,
    records.c.source,
    records.c.fulfilled_on,
    records.c.voided,
    records.c.disputed,
    records.c.amount,
    records.c.notified_on,
)
_RECORDS_OF = select(*_ENGINE_COLUMNS).where(
    records.c.subject.in_(bindparam("ids", expanding=True))
)
_RECORDS_OF_TYPES = _RECORDS_OF.where(records.c.type.in_(bindparam("types", expanding=True)))
_IDS_BY_REFERENCE = select(records.c.reference, records.c.id).where(
    records.c.source == bindparam("source"),
    records.c.reference.in_(bindparam("refs", expanding=True)),
)
_SUBJECTS = select(subjects).where(subjects.c.id.in_(bindparam("ids", expanding=True)))


class RecordRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert records, skipping each (source, reference) already stored; count the new.

        The rows are dicts with the same keys (columns of `records`). This is ingest's hot
        path, so it goes through the driver in the caller's transaction (see store/bulk.py).
        """
        return bulk.insert_ignoring(self.conn, records, rows, ["source", "reference"])

    def of_subject(self, subject_id: str) -> list[Record]:
        return self.of_subjects([subject_id]).get(subject_id, [])

    def count(self) -> int:
        return self.conn.execute(select(func.count()).select_from(records)).scalar_one()

    def add_event(
        self, record_id: int, event: str, on_date: date, actor: str, note: str | None
    ) -> None:
        self.conn.execute(
            insert(record_events).values(
                record_id=record_id, event=event, on_date=on_date, actor=actor, note=note
            )
        )

    def get(self, record_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(records).where(records.c.id == record_id)).first()
        return dict(row._mapping) if row else None

    def ids_by_reference(self, source: str, references: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(references), 500):
            chunk = list(references[start : start + 500])
            rows = self.conn.execute(_IDS_BY_REFERENCE, {"source": source, "refs": chunk})
            found.update({r.reference: r.id for r in rows})
        return found

    def mark(self, record_id: int, **values: Any) -> None:
        """Set the event columns (fulfilled_on, voided, disputed) of one record."""
        self.conn.execute(update(records).where(records.c.id == record_id).values(**values))

    def of_subjects(
        self, subject_ids: Sequence[str], types: Sequence[str] | None = None
    ) -> dict[str, list[Record]]:
        """Records of many subjects at once (optionally only some types), by subject."""
        out: dict[str, list[Record]] = {}
        statement = _RECORDS_OF if types is None else _RECORDS_OF_TYPES
        for start in range(0, len(subject_ids), 500):
            params = {"ids": list(subject_ids[start : start + 500]), "types": list(types or ())}
            for r in self.conn.execute(statement, params):
                out.setdefault(r.subject, []).append(
                    Record(
                        r.reference,
                        r.type,
                        r.decided_on,
                        r.source,
                        r.fulfilled_on,
                        bool(r.voided),
                        bool(r.disputed),
                        r.amount,
                        r.notified_on,
                    )
                )
        return out

    def events(self, record_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(record_events)
            .where(record_events.c.record_id == record_id)
            .order_by(record_events.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def all_of_subject(self, subject_id: str) -> list[dict[str, Any]]:
        """Every stored record of a subject, voided ones too, as stored (for subject access)."""
        rows = self.conn.execute(
            select(records).where(records.c.subject == subject_id).order_by(records.c.id)
        )
        return [dict(r._mapping) for r in rows]
