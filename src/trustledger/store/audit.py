"""The audit log: append-only, each event chained to the previous one by SHA-256.

Every write and every read of personal data is an event (docs/design.md, principle 7). An event's
`hash` is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8, not ASCII-escaped)
of `{id, at, actor, action, subject, detail, prev_hash}`, where `at` is ISO 8601 in UTC with
microseconds and `prev_hash` is the previous event's `hash` (64 zeros before the first event).
Ids are assigned here, gapless from 1, so a missing id is a deleted event.

The chain alone cannot show that its *last* events were deleted: what remains is still a valid
chain. So the single-row table `audit_head` holds the id and hash of the newest event; it is
updated in the same transaction as every append, and every append chains from it (never from
whatever happens to be the newest row). Truncating the tail therefore leaves the head pointing
past the end (`truncated`), and a tail rewritten with recomputed hashes no longer matches the
head's hash. Someone able to rewrite both rows and head can only be caught by an anchor kept
outside the database: publish `verify().head` now and then, and pass it back later as
`verify(anchor=...)`.

Concurrency: an append first locks the head, then reads it, and holds the lock until the
caller's transaction ends, so concurrent writers append one after the other and the chain stays
well ordered. On PostgreSQL the lock is `pg_advisory_xact_lock(AUDIT_LOCK)` (then the row lock of
the UPDATE on `audit_head`); on SQLite the first statement of an append is that UPDATE, which
takes the database's write lock before anything is read. Append as late as possible in a unit
of work: other appenders wait for its commit.

The database also refuses UPDATE and DELETE on `audit_events` (triggers from migration 0004);
the chain is what detects changes made by someone who can drop those triggers.

Every append also queues the events for the transparency log (`store.tlog`, in the same
transaction); `events()` gives each event its leaf index (`log_index`) once the sequencer has
integrated it. See docs/transparency-log.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from trustledger.store import tlog
from trustledger.store.tables import Id, metadata

GENESIS = "0" * 64
# Any constant shared by every writer of this database; "trustled" as an int64.
AUDIT_LOCK = 0x7472_7573_746C_6564

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),  # assigned by append, gapless
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject", String(120), nullable=True),
    Column("detail", Text, nullable=False),  # canonical JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_subject", "subject"),
)

# One row (id = 1): the newest event's id and hash, written with every append.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Id, nullable=False),
    Column("hash", String(64), nullable=False),
)


class AuditError(RuntimeError):
    """The audit log cannot be written (its head row is missing): nothing may proceed unlogged."""


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, Unicode kept. Dates etc. become strings."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )


def iso(at: datetime) -> str:
    """`at` in UTC, ISO 8601 with microseconds; a naive value (SQLite gives those) is UTC."""
    at = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at.isoformat(timespec="microseconds")


def event_hash(
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    detail: Any,
    prev_hash: str,
) -> str:
    payload = {
        "id": id,
        "at": iso(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str
    log_index: int | None = None  # the leaf index in the transparency log, once integrated

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


# What `Verification.problem` can be, first broken link first.
PROBLEMS = {
    "deleted": "an id is missing: the event was deleted",
    "relinked": "prev_hash does not match the previous event: events deleted or reordered",
    "altered": "the stored hash does not match the event's content: the event was altered",
    "truncated": "the head names events after the last one: the newest events were deleted",
    "head": "the head does not match the chain: events rewritten, or the head altered or lost",
    "anchor": "the chain does not hold the anchored event: the log was rewritten",
}


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # events that passed, in id order, before the first broken link
    broken_id: int | None = None  # the first event id where the chain is not intact
    problem: str | None = None  # a key of PROBLEMS
    message: str | None = None
    head_id: int | None = None  # the head as read before verifying: publish it as an anchor
    head_hash: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "broken_id": self.broken_id,
            "problem": self.problem,
            "message": self.message,
            "head": {"id": self.head_id, "hash": self.head_hash},
        }


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC),
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=json.loads(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# Built once: every check appends, so statement construction is on the hot path.
_RESERVE = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(last_id=audit_head.c.last_id + bindparam("n"))
    .returning(audit_head.c.last_id, audit_head.c.hash)
)
_INSERT = insert(audit_events)
_SET_HEAD = update(audit_head).where(audit_head.c.id == 1).values(hash=bindparam("head_hash"))


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, *, actor: str, action: str, subject: str | None, detail: dict[str, Any]
    ) -> None:
        """Append one event inside the caller's transaction (it commits or vanishes with it)."""
        self.append_many([{"actor": actor, "action": action, "subject": subject, "detail": detail}])

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Append events given as dicts with keys actor, action, subject, detail, in order.

        One lock, one read of the head, one executemany INSERT, one head update, however many.
        """
        if not events:
            return
        n = len(events)
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
        # Reserve the ids: this UPDATE locks the head (and, on SQLite, takes the write lock)
        # before the head is read, so no other writer can chain from the same event.
        reserved = self.conn.execute(_RESERVE, {"n": n}).first()
        if reserved is None:
            raise AuditError(
                "the audit log's head row is missing: run `trustledger init` (migration 0004); "
                "if the log was initialised, it has been tampered with"
            )
        next_id = reserved.last_id - n + 1
        prev = reserved.hash
        at = datetime.now(UTC)
        rows = []
        for offset, e in enumerate(events):
            id_, actor, action, subject = next_id + offset, e["actor"], e["action"], e["subject"]
            detail_text = canonical(dict(e["detail"] or {}))
            digest = event_hash(
                id=id_,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                detail=json.loads(detail_text),  # exactly what verify will read back
                prev_hash=prev,
            )
            rows.append(
                {
                    "id": id_,
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "subject": subject,
                    "detail": detail_text,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        self.conn.execute(_INSERT, rows)
        self.conn.execute(_SET_HEAD, {"head_hash": prev})
        tlog.queue(
            self.conn,
            [
                {
                    "event_id": r["id"],
                    "at": r["at"],
                    "actor": r["actor"],
                    "action": r["action"],
                    "subject": r["subject"],
                    "detail": r["detail"],
                }
                for r in rows
            ],
        )

    # -- reading ---------------------------------------------------------------------------

    def events(
        self,
        subject: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEvent]:
        """Events in log order (oldest first), optionally about one subject or from a time on."""
        query = select(audit_events).order_by(audit_events.c.id).limit(limit).offset(offset)
        if subject is not None:
            query = query.where(audit_events.c.subject == subject)
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            if self.conn.dialect.name == "sqlite":  # stored as naive UTC text
                since = since.astimezone(UTC).replace(tzinfo=None)
            query = query.where(audit_events.c.at >= since)
        found = [_event(r) for r in self.conn.execute(query)]
        indexes = tlog.log_indexes(self.conn, [e.id for e in found])
        return [replace(e, log_index=indexes.get(e.id)) for e in found]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(audit_events)).scalar_one())

    def head(self) -> tuple[int, str] | None:
        row = self.conn.execute(
            select(audit_head.c.last_id, audit_head.c.hash).where(audit_head.c.id == 1)
        ).first()
        return (int(row.last_id), row.hash) if row else None

    def verify(
        self,
        anchor: tuple[int, str] | None = None,
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> Verification:
        """Walk the whole chain in id order and name the first broken link.

        The head is read first; events appended after that are checked as part of the chain
        too, so a verify running next to writers sees no false break. `anchor` is an (id, hash)
        kept outside the database from an earlier `verify()`: that event must still be there.
        `progress(n)` is called after every `n` events checked.
        """
        head = self.head()
        head_id, head_hash = head if head else (None, None)
        rows: Iterable[Any] = self.conn.execute(
            select(audit_events).order_by(audit_events.c.id).execution_options(yield_per=batch)
        )
        checked, prev_id, prev_hash, pending = 0, 0, GENESIS, 0

        def broken(problem: str, at_id: int | None, message: str) -> Verification:
            if progress and pending:
                progress(pending)
            return Verification(
                False, checked, at_id, problem, message, head_id=head_id, head_hash=head_hash
            )

        for row in rows:
            expected = prev_id + 1
            if row.id != expected:
                if row.id > expected:
                    missing = (
                        f"{expected}" if row.id == expected + 1 else f"{expected}-{row.id - 1}"
                    )
                    return broken(
                        "deleted",
                        expected,
                        f"event {missing} missing (deleted): event {row.id} follows "
                        f"{f'event {prev_id}' if prev_id else 'the start'}",
                    )
                return broken("relinked", row.id, f"event {row.id} is out of sequence")
            if row.prev_hash != prev_hash:
                return broken(
                    "relinked",
                    row.id,
                    f"event {row.id}: prev_hash {row.prev_hash[:12]}… is not the hash of "
                    f"{f'event {prev_id}' if prev_id else 'the start'} ({prev_hash[:12]}…): "
                    "events before it were deleted or reordered",
                )
            if row.hash != _recompute(row):
                return broken(
                    "altered",
                    row.id,
                    f"event {row.id}: stored hash does not match its content (altered)",
                )
            if head_id is not None and row.id == head_id and row.hash != head_hash:
                return broken(
                    "head",
                    row.id,
                    f"event {row.id}: hash {row.hash[:12]}… is not the head's "
                    f"{(head_hash or '')[:12]}…: events up to it were rewritten, or the head "
                    "was altered",
                )
            if anchor is not None and row.id == anchor[0] and row.hash != anchor[1]:
                return broken(
                    "anchor",
                    row.id,
                    f"event {row.id}: hash {row.hash[:12]}… is not the anchored "
                    f"{anchor[1][:12]}…: the log was rewritten",
                )
            checked, prev_id, prev_hash = checked + 1, row.id, row.hash
            pending += 1
            if progress and pending >= batch:
                progress(pending)
                pending = 0
        if head_id is None:
            return broken(
                "head",
                None,
                "the audit head row is missing (deleted, or migration 0004 not applied)",
            )
        if prev_id < head_id:
            missing = f"{prev_id + 1}" if head_id == prev_id + 1 else f"{prev_id + 1}-{head_id}"
            return broken(
                "truncated",
                prev_id + 1,
                f"event {missing} missing (deleted): the head names event {head_id}, the log "
                f"ends at {f'event {prev_id}' if prev_id else 'the start'}",
            )
        if anchor is not None and anchor[0] > prev_id:
            return broken(
                "anchor",
                anchor[0],
                f"the anchored event {anchor[0]} is not in the log, which ends at event {prev_id}",
            )
        if progress and pending:
            progress(pending)
        return Verification(True, checked, head_id=head_id, head_hash=head_hash)


def _recompute(row: Any) -> str | None:
    try:
        detail = json.loads(row.detail)
    except (TypeError, ValueError):
        return None
    return event_hash(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=detail,
        prev_hash=row.prev_hash,
    )
