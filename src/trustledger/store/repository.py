"""Repositories: the ledger's reads and writes, over one connection inside one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    update,
)

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.intake import ColumnRows
from trustledger.domain.scoring import Record, SubjectFile
from trustledger.store import bulk, tlog
from trustledger.store.base import Repository
from trustledger.store.due_process import confirmations
from trustledger.store.integrity import IntegrityRepository
from trustledger.store.tables import record_events, records, rulebooks, sources, subjects


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
    name: str | None = None  # registered name of an organization or public body


SubjectRow = tuple[str, str] | tuple[str, str, str | None]  # (id, kind) or (id, kind, name)


def _subject(row: Any) -> Subject:
    return Subject(row.id, SubjectKind(row.kind), bool(row.consent), row.name)


_RULEBOOK = select(
    rulebooks.c.id, rulebooks.c.name, rulebooks.c.version, rulebooks.c.digest, rulebooks.c.active
)
# Built once: every request asks for the active rulebook.
_ACTIVE = _RULEBOOK.where(rulebooks.c.active.is_(True))


class RulebookRepository(Repository):
    def _one(self, *where: Any) -> StoredRulebook | None:
        """A version's identity and digest, without its text (asked for on every request)."""
        return self._row(_RULEBOOK.where(*where))

    def _row(self, query: Any) -> StoredRulebook | None:
        row = self.conn.execute(query).first()
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
        return self._row(_ACTIVE)

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


class SourceRepository(Repository):
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


class SubjectRepository(Repository):
    def get(self, subject_id: str) -> Subject | None:
        row = self.conn.execute(select(subjects).where(subjects.c.id == subject_id)).first()
        return _subject(row) if row else None

    def get_many(self, subject_ids: Sequence[str]) -> dict[str, Subject]:
        found: dict[str, Subject] = {}
        for start in range(0, len(subject_ids), 500):
            rows = self.conn.execute(_SUBJECTS, {"ids": list(subject_ids[start : start + 500])})
            found.update({r.id: _subject(r) for r in rows})
        return found

    def ensure(self, rows: Iterable[SubjectRow]) -> None:
        """Register subjects not seen before, given as (id, kind) or (id, kind, name).

        Names (organizations and public bodies only: intake refuses one for a person) come
        from the reporting sources. A name is stored with a new subject and fills in a known
        subject that has none; a name already held is never replaced here, so the first name
        reported wins and only an administrator changes it (`set_name`). Kinds and consent of
        known subjects are left as they are.
        """
        rows = list(rows)
        ids = [row[0] for row in rows]
        kinds = [row[1] for row in rows]
        names = [row[2] if len(row) == 3 else None for row in rows]
        named = [
            {"subject_id": subject_id, "subject_name": name}
            for subject_id, name in zip(ids, names, strict=True)
            if name is not None
        ]
        params = ColumnRows({"id": ids, "kind": kinds, "name": names})
        bulk.insert_ignoring(self.conn, subjects, params, ["id"])
        if named:  # known subjects without a name take the reported one
            self.conn.execute(_FILL_NAME, named)

    def set_name(self, subject_id: str, kind: str, name: str | None) -> None:
        """An administrator's registered name for a subject (registered if not seen before);
        it replaces any name held, and later reports do not change it."""
        self.ensure([(subject_id, kind)])
        self.conn.execute(update(subjects).where(subjects.c.id == subject_id).values(name=name))

    def ids(self) -> list[str]:
        """Every subject the ledger holds, in id order."""
        return list(self.conn.execute(select(subjects.c.id).order_by(subjects.c.id)).scalars())

    def files(
        self,
        kinds: Mapping[str, SubjectKind],
        types: Sequence[str] | None = None,
        *,
        with_records_only: bool = False,
    ) -> dict[str, SubjectFile]:
        """The subject files of these subjects (id -> kind): consent, name, records (only of
        `types` when given) and confirmations; one read per 500 subjects and table.

        `with_records_only`: only the files of subjects with such records (a check, whose
        answer without them is allow): the records are read first, and the subjects and
        confirmations only of those that have some, so most checks cost one query."""
        keys = sorted(kinds)
        records = RecordRepository(self.conn).of_subjects(keys, types)
        if with_records_only:
            keys = [k for k in keys if k in records]
            if not keys:
                return {}
        stored = self.get_many(keys)
        confirmed = confirmations(self.conn, keys)
        files = {}
        for key in keys:
            subject = stored.get(key)
            files[key] = SubjectFile(
                key,
                kinds[key],
                consent=bool(subject and subject.consent),
                records=tuple(records.get(key, ())),
                confirmations=tuple(confirmed.get(key, ())),
                name=subject.name if subject else None,
                known=subject is not None,
            )
        return files

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
# One subject (a single check): no expanding IN, whose parameters SQLAlchemy processes anew on
# every execution (it cost more than the query); the types are picked from its few records.
_RECORDS_OF_ONE = select(*_ENGINE_COLUMNS).where(records.c.subject == bindparam("id"))
_IDS_BY_REFERENCE = select(records.c.reference, records.c.id).where(
    records.c.source == bindparam("source"),
    records.c.reference.in_(bindparam("refs", expanding=True)),
)
_KEY = ("source", "reference")
STORED_CHUNK = 5000  # references per query (SQLite takes up to 32,766 parameters)
_STORED = select(
    records.c.id,
    records.c.reference,
    records.c.subject,
    records.c.type,
    records.c.decided_on,
    records.c.amount,
    records.c.fulfilled_on,
    records.c.voided,
)
_STORED_OF = _STORED.where(
    records.c.source == bindparam("source"),
    records.c.reference.in_(bindparam("refs", expanding=True)),
)
_SUBJECTS = select(subjects).where(subjects.c.id.in_(bindparam("ids", expanding=True)))
_FILL_NAME = (
    update(subjects)
    .where(subjects.c.id == bindparam("subject_id"), subjects.c.name.is_(None))
    .values(name=bindparam("subject_name"))
)


# A staged row is the same as the stored record of its reference when these agree (the
# comparison the intake makes, done in the database so that a re-sent file's rows need no
# reading back). Amounts from 10^13 up are compared in Python: SQLite holds them as REAL,
# whose equality is not the Decimal equality intake compares by.
_SAME_AMOUNT_BELOW: Any = literal_column("10000000000000")


def _same(staged: Any) -> Any:
    s, r = staged.c, records.c
    return and_(
        r.subject == s.subject,
        r.type == s.type,
        r.decided_on == s.decided_on,
        r.amount.is_not_distinct_from(s.amount),
        or_(s.amount.is_(None), s.amount < _SAME_AMOUNT_BELOW),
        or_(s.fulfilled_on.is_(None), r.fulfilled_on.is_not_distinct_from(s.fulfilled_on)),
    )


StoredRow = Mapping[str, Any]


class Added(dict[str, int]):
    """The records an insert stored: reference -> id, as the insert itself reports them.

    `others` answers for every row not inserted (its reference was stored before, or earlier
    in the same rows): (position in the rows, stored id, None when its content is the same as
    the stored record's, else the stored record's columns to compare with)."""

    others: list[tuple[int, int, StoredRow | None]]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.others = []


class RecordRepository(Repository):
    def add_new(self, rows: Sequence[Mapping[str, Any]]) -> Added:
        """Insert records, skipping each (source, reference) already stored; the new ones'
        reference -> id, as the insert itself reports them (rows come from one source), and
        how each row not inserted compares with what is stored (`Added.others`).

        No read before the write: the rows are staged (COPY on PostgreSQL, one executemany
        into an in-memory table on SQLite), inserted from the staging table in their order
        with ON CONFLICT DO NOTHING RETURNING, and the rows not inserted are then compared
        with the stored records in the database, inside the same transaction; only those
        that differ come back with their stored columns.
        """
        if len(rows) < bulk.COPY_THRESHOLD:  # a request's few records: no staging table
            added = Added(self._insert_new(rows))
            tlog.queue_row_hashes(self.conn, list(added.values()))  # the log holds each row
            old = [row["reference"] for row in rows if row["reference"] not in added]
            stored = self.stored(rows[0]["source"], old) if old else {}
            added.others = [
                (i, int(stored[row["reference"]]["id"]), stored[row["reference"]])
                for i, row in enumerate(rows)
                if row["reference"] not in added
            ]
            return added
        columns = list(rows[0])
        staged = bulk.stage(self.conn, records, rows, columns)
        try:
            names, inserted = bulk.insert_staged_rows(self.conn, records, staged, columns, _KEY)
            id_at, reference_at = names.index("id"), names.index("reference")
            added = Added({row[reference_at]: int(row[id_at]) for row in inserted})
            tlog.queue_rows_written(self.conn, names, inserted)  # the log holds each row
            if len(added) < len(rows):
                added.others = self._compare_staged(staged, set(added.values()))
        finally:
            bulk.unstage(self.conn, staged)
        return added

    def _insert_new(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        return {ref: int(id_) for id_, _, ref in bulk.insert_new(self.conn, records, rows, _KEY)}

    def _compare_staged(
        self, staged: Any, new_ids: set[int]
    ) -> list[tuple[int, int, StoredRow | None]]:
        s, r = staged.c, records.c
        # (position, id, whether it differs) of every staged row: a re-sent file's rows come
        # back as three numbers each; the stored columns are read only for those that differ.
        query = select(s[bulk.STAGE_ORDER], r.id, not_(_same(staged))).join_from(
            staged, records, and_(r.source == s.source, r.reference == s.reference)
        )
        rows = bulk.fetch(self.conn, query)
        others = [(int(o), int(i), bool(d)) for o, i, d in rows if i not in new_ids]
        differing = [record_id for _, record_id, differs in others if differs]
        stored = self._by_id(differing) if differing else {}
        return [(o, i, stored[i] if d else None) for o, i, d in others]

    def _by_id(self, ids: Sequence[int]) -> dict[int, StoredRow]:
        found: dict[int, StoredRow] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self.conn.execute(_STORED.where(records.c.id.in_(chunk))).all()
            found.update({row.id: row._mapping for row in rows})
        return found

    def stored(self, source: str, references: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The stored rows of these references of a source, by reference (for comparison).

        A re-import reads every reference it sends: one query per 5,000, each row a read-only
        mapping over its fetched tuple (no copy)."""
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(references), STORED_CHUNK):
            chunk = list(references[start : start + STORED_CHUNK])
            rows = self.conn.execute(_STORED_OF, {"source": source, "refs": chunk}).all()
            found.update({row[1]: row._mapping for row in rows})
        return found

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
        tlog.queue_row_hashes(self.conn, [record_id])

    def void(self, record_id: int, **also: Any) -> bool:
        """Void a record that is not voided yet; whether this call voided it.

        A conditional update (`... WHERE voided = false`), so of simultaneous voids exactly
        one writes (and only that one goes on to write the event)."""
        c = records.c
        result = self.conn.execute(
            update(records)
            .where(c.id == record_id, c.voided.is_(False))
            .values(voided=True, **also)
        )
        if result.rowcount:
            tlog.queue_row_hashes(self.conn, [record_id])
        return bool(result.rowcount)

    def fulfil(self, record_id: int, fulfilled_on: date) -> bool:
        """Set `fulfilled_on` if it is not set yet (`... WHERE fulfilled_on IS NULL`); whether
        this call set it."""
        c = records.c
        result = self.conn.execute(
            update(records)
            .where(c.id == record_id, c.fulfilled_on.is_(None))
            .values(fulfilled_on=fulfilled_on)
        )
        if result.rowcount:
            tlog.queue_row_hashes(self.conn, [record_id])
        return bool(result.rowcount)

    def _reads(self, subject_ids: Sequence[str], types: Sequence[str] | None) -> Iterator[Any]:
        """The engine's columns of these subjects' records (of `types`, or more for a single
        subject: the caller picks), one result per 500 subjects."""
        if len(subject_ids) == 1:
            yield self.conn.execute(_RECORDS_OF_ONE, {"id": subject_ids[0]})
            return
        statement = _RECORDS_OF if types is None else _RECORDS_OF_TYPES
        for start in range(0, len(subject_ids), 500):
            ids = list(subject_ids[start : start + 500])
            yield self.conn.execute(statement, {"ids": ids, "types": list(types or ())})

    def of_subjects(
        self, subject_ids: Sequence[str], types: Sequence[str] | None = None
    ) -> dict[str, list[Record]]:
        """Records of many subjects at once (optionally only some types), by subject: the
        stored ones, then those that public bodies' overdue commitments count as."""
        out: dict[str, list[Record]] = {}
        wanted = None if types is None else frozenset(types)  # a subject has few records
        for rows in self._reads(subject_ids, types):
            for r in rows:
                if wanted is not None and r.type not in wanted:
                    continue
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
        overdue = IntegrityRepository(self.conn).records_of(subject_ids, types)
        for subject, computed in overdue.items():
            out.setdefault(subject, []).extend(computed)
        return out

    def events(self, record_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(record_events)
            .where(record_events.c.record_id == record_id)
            .order_by(record_events.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def subjects_with(self, types: Sequence[str], day: date) -> list[str]:
        """Subjects with a record of these types decided by `day` and not voided."""
        c = records.c
        query = (
            select(c.subject)
            .distinct()
            .where(c.type.in_(list(types)), c.voided.is_(False), c.decided_on <= day)
            .order_by(c.subject)
        )
        found = set(self.conn.execute(query).scalars())
        found.update(IntegrityRepository(self.conn).bodies_with(types, day))
        return sorted(found)

    def of_types(self, types: Sequence[str], day: date) -> list[Any]:
        """(subject, source, reference, type, decided_on, fulfilled_on) of the records of these
        types decided by `day` and not voided (for expiry notices)."""
        c = records.c
        query = select(c.subject, c.source, c.reference, c.type, c.decided_on, c.fulfilled_on)
        query = query.where(c.type.in_(list(types)), c.voided.is_(False), c.decided_on <= day)
        return list(self.conn.execute(query).all())

    def all_of_subject(self, subject_id: str) -> list[dict[str, Any]]:
        """Every stored record of a subject, voided ones too, as stored (for subject access)."""
        rows = self.conn.execute(
            select(records).where(records.c.subject == subject_id).order_by(records.c.id)
        )
        return [dict(r._mapping) for r in rows]
