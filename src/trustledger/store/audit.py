"""The audit log: every event queued for the transparency log; before that, a hash chain.

Every write and every read of personal data is an event (docs/design.md, principle 7).

Since migration 0007 (the switch), `append`/`append_many` only INSERT into the transparency
log's queue (`store.tlog.log_queue`), in the caller's transaction: an event exists exactly when
the change or read it records commits, and writers take no lock and read nothing, so checks on
every server process proceed side by side. The sequencer (`store.tlog.integrate`) later gives
queued events their gapless leaf indexes in the Merkle tree and signs checkpoints; `trustledger
log verify` checks them (docs/transparency-log.md). An event's `id` is its queue id (a database
sequence: unique, increasing, with gaps where a transaction rolled back); its place in the log
is `log_index`, gapless, assigned when it is integrated.

Before the switch, events were chained in `audit_events`: an event's `hash` is SHA-256 over the
canonical JSON (sorted keys, no whitespace, UTF-8, not ASCII-escaped) of
`{id, at, actor, action, subject, detail, prev_hash}`, where `at` is ISO 8601 in UTC with
microseconds and `prev_hash` is the previous event's `hash` (64 zeros before the first event),
ids gapless from 1, and the single-row `audit_head` holds the newest event's id and hash (so a
deleted tail shows). Appending to it took one global lock (an advisory lock on PostgreSQL, the
write lock on SQLite), which serialized every check; that chain is now frozen. `verify()` still
walks it up to the switch, with the head and an optional anchor kept outside the database, and
the migration queued those same events (with their ids) as the tree's first leaves.

The database refuses UPDATE and DELETE on `audit_events` (migration 0004) and on the log's
leaves, nodes and checkpoints (0007); the chain and the tree detect changes made by someone who
can drop those triggers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    String,
    Table,
    func,
    literal,
    select,
    union_all,
)

from trustledger.store import tlog
from trustledger.store.base import Repository
from trustledger.store.tables import Id, metadata, single_row_id

GENESIS = "0" * 64

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),  # assigned by append, gapless
    *tlog.event_columns(),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_subject", "subject"),
)

# One row (id = 1): the newest chained event's id and hash (frozen since the switch).
audit_head = Table(
    "audit_head",
    metadata,
    single_row_id(),
    Column("last_id", Id, nullable=False),
    Column("hash", String(64), nullable=False),
)


_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
).encode


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, Unicode kept. Dates etc. become strings.
    (One encoder for every call: every check's event is encoded here.)"""
    return _canonical(value)


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
    """One event as read back: `id` is its event id (for events from before the switch, its id
    in the chain); `log_index` its leaf index in the transparency log and `leaf_hash` that
    leaf's hash, both None while it is still queued. `prev_hash` and `hash` are the chain's,
    given only where the chain itself is read."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]
    log_index: int | None = None
    leaf_hash: str | None = None
    prev_hash: str | None = None
    hash: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
            "log_index": self.log_index,
            "leaf_hash": self.leaf_hash,
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
        """The fields, the head as one object."""
        fields = asdict(self)
        head = {"id": fields.pop("head_id"), "hash": fields.pop("head_hash")}
        return {**fields, "head": head}


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=int(row.id),
        at=row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC),
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=json.loads(row.detail),
        log_index=None if row.log_index is None else int(row.log_index),
        leaf_hash=row.leaf_hash,
    )


_FAR = 2**63 - 1


def queue_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log queue's rows for events given as dicts (actor, action, subject, detail), all
    stamped now: the time the events happened, whenever their transaction commits."""
    at = datetime.now(UTC)
    return [
        {
            "at": at,
            "actor": e["actor"],
            "action": e["action"],
            "subject": e["subject"],
            "detail": canonical(dict(e["detail"] or {})),
        }
        for e in events
    ]


class AuditRepository(Repository):
    # -- writing ---------------------------------------------------------------------------

    def append(
        self, *, actor: str, action: str, subject: str | None, detail: dict[str, Any]
    ) -> None:
        """Append one event inside the caller's transaction (it commits or vanishes with it)."""
        self.append_many([{"actor": actor, "action": action, "subject": subject, "detail": detail}])

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Queue events given as dicts with keys actor, action, subject, detail, in order.

        One executemany INSERT into the log's queue; no lock, nothing read. The sequencer gives
        them their log indexes later (in this order, unless another writer's events interleave).
        """
        if events:
            tlog.queue(self.conn, queue_rows(events))

    # -- reading ---------------------------------------------------------------------------

    def events(
        self,
        subject: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEvent]:
        """Events in log order (oldest first): the integrated ones by log index, then those still
        queued by id (their `log_index` None); optionally about one subject or from a time on.

        One statement, so it sees one state of the log even while the sequencer moves events
        from the queue into the tree."""
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            if self.conn.dialect.name == "sqlite":  # stored as naive UTC text
                since = since.astimezone(UTC).replace(tzinfo=None)
        enough = min(offset + limit, _FAR)
        leaves, queue = tlog.log_leaves, tlog.log_queue
        integrated = select(
            leaves.c.idx.label("log_index"),
            leaves.c.event_id.label("id"),
            leaves.c.at,
            leaves.c.actor,
            leaves.c.action,
            leaves.c.subject,
            leaves.c.detail,
            leaves.c.leaf_hash,
        )
        queued = select(
            literal(None, Id).label("log_index"),
            queue.c.id,
            queue.c.at,
            queue.c.actor,
            queue.c.action,
            queue.c.subject,
            queue.c.detail,
            literal(None, String(64)).label("leaf_hash"),
        )
        if subject is not None:
            integrated = integrated.where(leaves.c.subject == subject)
            queued = queued.where(queue.c.subject == subject)
        if since is not None:
            integrated = integrated.where(leaves.c.at >= since)
            queued = queued.where(queue.c.at >= since)
        both = union_all(
            select(integrated.order_by(leaves.c.idx).limit(enough).subquery()),
            select(queued.order_by(queue.c.id).limit(enough).subquery()),
        ).subquery()
        query = (
            select(both)
            .order_by(both.c.log_index.is_(None), both.c.log_index, both.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_event(r) for r in self.conn.execute(query)]

    def count(self) -> int:
        """The events in the chain (those from before the switch)."""
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
        """Walk the whole chain (the events from before the switch) in id order and name the
        first broken link; events since are verified by the transparency log (`log verify`).

        The head is read first; events appended after that are checked as part of the chain
        too. `anchor` is an (id, hash)
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
    """The hash of a chained row as stored: over every column but `hash` itself, the detail
    parsed (None when it is not JSON)."""
    event = row._asdict()
    del event["hash"]
    try:
        event["detail"] = json.loads(row.detail)
    except (TypeError, ValueError):
        return None
    return event_hash(**event)
