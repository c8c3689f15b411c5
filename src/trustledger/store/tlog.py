"""The transparency log: a Merkle tree (RFC 6962 / RFC 9162) over the audit events.

Writers queue: `queue()` INSERTs into `log_queue` inside the writer's own transaction, so an
event is queued exactly when the change it records commits, with no lock on the log. The
sequencer (`integrate`) takes queued events in id order, gives them the next gapless indexes as
leaves of the tree (each with its leaf hash), stores the larger perfect subtrees they complete
(`log_nodes`, levels 1 and up, layout of `domain.merkle`), deletes them from the queue and
signs a checkpoint, all in one transaction under one lock (the `log_state` row; on SQLite the
database's write lock). This is Trillian's design: writers never wait for each other, only the
sequencer serializes.

A leaf is the canonical JSON (see `store.audit.canonical`) of
`{"id", "at", "actor", "action", "subject", "detail"}` where `id` is the event's id (its queue
id; for an event from before the switch, its id in `audit_events`) and `at` is ISO 8601 in UTC
with microseconds; its hash is SHA-256(0x00 || leaf).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _quoted
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)

from trustledger.domain import merkle
from trustledger.domain.checkpoint import Checkpoint, Signer, generate_signer, sign_checkpoint
from trustledger.store.base import Repository
from trustledger.store.tables import Id, metadata, records, single_row_id

DEFAULT_ORIGIN = "trustledger.example/log"

# The queue: `id` is the event's id (a sequence, so writers never wait for each other; ids of
# rolled-back writes are simply never used). Events from before the switch keep their
# `audit_events` id (migration 0007), and new ids continue after them.


def event_columns() -> list[Column[Any]]:
    """What an event is, in the queue, the leaves and the frozen chain: when, who, what, about
    whom, and the detail as canonical JSON."""
    return [
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(100), nullable=False),
        Column("subject", String(120), nullable=True),
        Column("detail", Text, nullable=False),
    ]


log_queue = Table(
    "log_queue",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *event_columns(),
    Index("ix_log_queue_subject", "subject"),
    sqlite_autoincrement=True,  # never reuse the id of an event integrated (deleted) since
)

log_leaves = Table(
    "log_leaves",
    metadata,
    Column("idx", Id, primary_key=True, autoincrement=False),
    Column("event_id", Id, nullable=False),
    *event_columns(),
    Column("leaf_hash", String(64), nullable=False),
    Index("ix_log_leaves_event_id", "event_id", unique=True),
    Index("ix_log_leaves_subject", "subject"),
)

log_nodes = Table(
    "log_nodes",
    metadata,
    Column("level", Integer, nullable=False),
    Column("idx", Id, nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("tree_size", Id, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),
)

# One row (id = 1): the tree size, and the signer key when the settings do not give one.
log_state = Table(
    "log_state",
    metadata,
    single_row_id(),
    Column("size", Id, nullable=False),
    Column("signer_key", Text, nullable=True),
)


class LogError(RuntimeError):
    """The log cannot answer (no checkpoint yet, an index outside the tree)."""


def _iso(at: datetime) -> str:
    at = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at.isoformat(timespec="microseconds")


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


_string = json.JSONEncoder(ensure_ascii=False).encode


def leaf_text(
    event_id: int, at: str, actor: str, action: str, subject: str | None, detail: str
) -> str:
    """The canonical JSON of an event, put together around its stored `detail`.

    Every writer stores `detail` as canonical JSON already (`store.audit.canonical`), so the
    object is its members in sorted key order (action, actor, at, detail, id, subject), each
    value in canonical form: byte for byte what `json.dumps(..., sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` of the parsed event gives, without parsing
    and re-encoding the detail of every event the sequencer integrates."""
    return (
        f'{{"action":{_string(action)},"actor":{_string(actor)},"at":"{at}",'
        f'"detail":{detail},"id":{int(event_id)},"subject":{_string(subject)}}}'
    )


def leaf_bytes(row: Any) -> bytes:
    """The leaf for a queued or integrated row: canonical JSON of the event."""
    return leaf_text(
        row.event_id, _iso(row.at), row.actor, row.action, row.subject, row.detail
    ).encode("utf-8")


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    root_hash: str
    timestamp: datetime
    note: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "timestamp": _iso(self.timestamp)}


def queue(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Queue events (keys at, actor, action, subject, detail) in the caller's transaction: no
    lock, nothing read; the database's sequence gives each its id. One statement in the
    driver's own terms (every check queues one event per subject, a batch check a thousand)."""
    sqlite = conn.dialect.name == "sqlite"
    stamps: dict[datetime, Any] = {}
    for row in rows:
        at = row["at"]
        if at not in stamps:  # SQLAlchemy's SQLite form of an instant: UTC, no offset
            stamps[at] = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at
    _insert_rows(
        conn,
        "log_queue",
        _QUEUE_COLUMNS,
        [(stamps[r["at"]], r["actor"], r["action"], r["subject"], r["detail"]) for r in rows],
    )


# --- the ledger's rows in the log ------------------------------------------------------------
#
# Every write of a `records` row through the store (a void, a fulfilment, a dispute's mark, a
# record received alone or in a batch) queues, in the same transaction, an event holding the
# SHA-256 of the row as written: `ledger.row` for one row, `ledger.rows` with `[id, sha256]`
# pairs for up to ROWS_PER_EVENT rows of a batch. `verify` compares each record's row with the
# last hash the log holds for it: a row changed or removed without going through the ledger is
# reported.

ROW_EVENT = "ledger.row"
ROWS_EVENT = "ledger.rows"
ROW_ACTOR = "ledger"
ROWS_PER_EVENT = 1_000


def _plain(value: Any) -> Any:
    """A stored value JSON has no type for, as text (json's `default`: called for no other)."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"a {type(value).__name__} in a ledger row")


_row_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain
).encode


def row_sha256(row: Mapping[Any, Any]) -> str:
    """SHA-256 of a `records` row: canonical JSON of every column, as the database holds it
    (dates and instants as ISO text, amounts as decimal text). This is the definition;
    `rows_sha256` computes the same for many rows at once."""
    return hashlib.sha256(_row_json(dict(row)).encode("utf-8")).hexdigest()


def _value_json(value: Any) -> str:
    """One value as `_row_json` writes it inside a row."""
    kind = type(value)
    if kind is str:
        return _quoted(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is date or kind is datetime or kind is Decimal:
        return _quoted(_plain(value))
    return _row_json(value)  # anything else exactly as json writes it


def _column_json(values: Sequence[Any]) -> list[str]:
    """Each value of one column as JSON text. A column holds one type (and None), so the
    conversion runs as one C-level map where it can; dates and instants repeat within a batch
    (one `received_at` for all), so each distinct one is converted once."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is str or kind is int:
        convert = _quoted if kind is str else int.__repr__
        if None not in values:
            return list(map(convert, values))
        return ["null" if v is None else convert(v) for v in values]
    if kind is bool:
        return ["null" if v is None else "true" if v else "false" for v in values]
    seen: dict[tuple[type, Any], str] = {}
    texts = []
    for v in values:
        key = (type(v), v)
        text = seen.get(key)
        if text is None:
            text = seen[key] = _value_json(v)
        texts.append(text)
    return texts


def rows_sha256(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """`row_sha256` of each row (values in the order of `columns`), byte for byte the same
    (a hypothesis test holds them equal), computed column by column: every row a batch writes
    is hashed, and json's encoder with a `default` costs several times more per row."""
    order = sorted(range(len(columns)), key=columns.__getitem__)
    names = [_quoted(columns[i]).replace("%", "%%") for i in order]
    template = "{" + ",".join(name + ":%s" for name in names) + "}"
    by_column = list(zip(*rows, strict=True))
    if not by_column:
        return []
    texts = [_column_json(by_column[i]) for i in order]
    fill, sha256 = template.__mod__, hashlib.sha256
    return [sha256(fill(values).encode("utf-8")).hexdigest() for values in zip(*texts, strict=True)]


def _record_rows(conn: Connection, record_ids: Sequence[int]) -> tuple[list[str], list[Any]]:
    """The `records` rows of these ids as the database holds them (column names, rows in id
    order). A batch's new ids are (nearly) consecutive: they are read by their range and
    filtered, not by an IN list of a thousand values; scattered ids by the list."""
    wanted = sorted(set(record_ids))
    if wanted[-1] - wanted[0] < 2 * len(wanted):
        ranges = [records.c.id.between(wanted[0], wanted[-1])]
    else:
        ranges = [records.c.id.in_(wanted[i : i + 1000]) for i in range(0, len(wanted), 1000)]
    columns: list[str] = []
    rows: list[Any] = []
    keep = set(wanted)
    for which in ranges:
        result = conn.execute(select(records).where(which).order_by(records.c.id))
        columns = list(result.keys())
        rows.extend(row for row in result if row[0] in keep)
    return columns, rows


def queue_row_hashes(conn: Connection, record_ids: list[int]) -> None:
    """Queue the hashes of these records' rows as they stand now (call it right after writing
    them, in the same transaction). The rows are read back, so the hash is of what the
    database holds (its defaults and types included), after the write that decided which rows
    are new."""
    if record_ids:
        queue_rows_written(conn, *_record_rows(conn, record_ids))


def queue_rows_written(conn: Connection, columns: list[str], rows: Sequence[Sequence[Any]]) -> None:
    """Queue the hashes of `records` rows as the write that stored them returned them, whole
    (`columns` name their values, `id` among them): a `ledger.row` event for one row,
    `ledger.rows` events of up to `ROWS_PER_EVENT` `[id, sha256]` pairs for more."""
    if not rows:
        return
    at = datetime.now(UTC)
    at_id = columns.index("id")
    pairs = [[row[at_id], h] for row, h in zip(rows, rows_sha256(columns, rows), strict=True)]
    if len(pairs) == 1:
        action, details = ROW_EVENT, [{"record": pairs[0][0], "row_sha256": pairs[0][1]}]
    else:
        pairs.sort()
        action = ROWS_EVENT
        details = [
            {"rows": pairs[start : start + ROWS_PER_EVENT]}
            for start in range(0, len(pairs), ROWS_PER_EVENT)
        ]
    queue(
        conn,
        [
            {"at": at, "actor": ROW_ACTOR, "action": action, "subject": None, "detail": d}
            for d in map(_canonical, details)
        ],
    )


def row_hashes(action: str, detail: str) -> list[tuple[int, str]]:
    """The (record id, row hash) pairs a log event holds; none for other events."""
    if action == ROW_EVENT:
        d = json.loads(detail)
        return [(int(d["record"]), d["row_sha256"])]
    if action == ROWS_EVENT:
        return [(int(i), h) for i, h in json.loads(detail)["rows"]]
    return []


def _check_rows(conn: Connection, hashed: dict[int, str], problems: list[str]) -> int:
    """Compare each record the log holds a hash for with its row; returns the rows compared."""
    ids = sorted(hashed)
    differ: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        columns, rows = _record_rows(conn, chunk)
        found = {int(row[0]): h for row, h in zip(rows, rows_sha256(columns, rows), strict=True)}
        for record_id in chunk:
            if found.get(record_id) != hashed[record_id]:
                differ[record_id] = found.get(record_id, "")
    if differ:  # a write committed since the queue was integrated has its event queued
        for row in conn.execute(
            select(log_queue.c.action, log_queue.c.detail)
            .where(log_queue.c.action.in_([ROW_EVENT, ROWS_EVENT]))
            .order_by(log_queue.c.id)
        ):
            for record_id, digest in row_hashes(row.action, row.detail):
                if differ.get(record_id) == digest:
                    del differ[record_id]
    for record_id, now in sorted(differ.items()):
        if now:
            problems.append(
                f"record {record_id}: its row is not the one the log last holds "
                "(changed without an event)"
            )
        else:
            problems.append(
                f"record {record_id}: in the log, missing from the ledger "
                "(removed without an event)"
            )
    return len(ids)


def _lock_state(conn: Connection) -> Any:
    """Take the sequencer's lock and read the state row."""
    if conn.dialect.name == "postgresql":
        return conn.execute(select(log_state).where(log_state.c.id == 1).with_for_update()).one()
    # SQLite: a write first takes the database's write lock before anything is read.
    conn.execute(update(log_state).where(log_state.c.id == 1).values(size=log_state.c.size))
    return conn.execute(select(log_state).where(log_state.c.id == 1)).one()


def signer_key(conn: Connection, configured: str | None, origin: str = DEFAULT_ORIGIN) -> str:
    """The signer key: from the settings, else the one stored in `log_state` (made if absent).

    Call it inside a transaction; the caller commits."""
    if configured:
        return configured
    stored = conn.execute(select(log_state.c.signer_key).where(log_state.c.id == 1)).scalar()
    if stored:
        return str(stored)
    key = generate_signer(origin)
    conn.execute(update(log_state).where(log_state.c.id == 1).values(signer_key=key))
    return key


def ensure_signer(engine: Engine, configured: str | None, origin: str = DEFAULT_ORIGIN) -> str:
    """What `init` runs: a signer key exists afterwards. Returns the verifier key."""
    with engine.begin() as conn:
        return Signer.parse(signer_key(conn, configured, origin)).verifier_key


def verifier_key(conn: Connection, configured: str | None) -> str:
    """The published key (`<name>+<id>+<key>`) of the log's signer."""
    return Signer.parse(signer_key(conn, configured)).verifier_key


class NodeReader:
    """`node(level, index)` over the stored tree, with a prefetch for a whole proof at once: a
    leaf's hash (level 0) from `log_leaves`, every larger perfect subtree from `log_nodes`
    (which holds level-0 rows only from logs written before leaves were read from there)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, ids: Iterable[tuple[int, int]]) -> None:
        """Read these nodes in one query per 200 of a table: leaves by index; larger nodes by
        point lookups on the primary key, OR-ed (a row-value `IN` is not planned as lookups by
        SQLite: it scanned the whole table)."""
        wanted = list(dict.fromkeys(i for i in ids if i not in self.cache))
        p = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        leaves = [index for level, index in wanted if level == 0]
        for start in range(0, len(leaves), 200):
            indexes = leaves[start : start + 200]
            marks = ", ".join([p] * len(indexes))
            rows = self.conn.exec_driver_sql(
                f"SELECT idx, leaf_hash FROM log_leaves WHERE idx IN ({marks})", tuple(indexes)
            )
            for index, digest in rows:
                self.cache[(0, index)] = bytes.fromhex(digest)
        wanted = [(level, index) for level, index in wanted if level]
        for start in range(0, len(wanted), 200):
            chunk = wanted[start : start + 200]
            where = " OR ".join([f"(level = {p} AND idx = {p})"] * len(chunk))
            rows = self.conn.exec_driver_sql(
                f"SELECT level, idx, hash FROM log_nodes WHERE {where}",
                tuple(v for pair in chunk for v in pair),
            )
            for level, index, digest in rows:
                self.cache[(level, index)] = bytes.fromhex(digest)

    def __call__(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self.cache:
            self.prefetch([key])
        if key not in self.cache:
            raise LogError(f"the log has no node ({level}, {index}): the store is incomplete")
        return self.cache[key]


def _stored_iso(at: Any) -> str:
    """`_iso` of a stored instant as the driver returns it: a datetime (PostgreSQL) or
    SQLAlchemy's SQLite text form, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC."""
    if isinstance(at, datetime):
        return _iso(at)
    if len(at) == 26 and at[10] == " ":
        return f"{at[:10]}T{at[11:]}+00:00"
    return _iso(datetime.fromisoformat(at))


def _insert_rows(
    conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT many rows in the driver's own terms, inside the caller's transaction: an
    executemany on SQLite, a COPY on PostgreSQL (an executemany is a round trip per row, and
    psycopg formats COPY rows in C)."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


_QUEUE_COLUMNS = ("at", "actor", "action", "subject", "detail")
_LEAF_COLUMNS = ("idx", "event_id", "at", "actor", "action", "subject", "detail", "leaf_hash")
_NODE_COLUMNS = ("level", "idx", "hash")


def _dequeue(conn: Connection, ids: list[int]) -> None:
    """Delete exactly the integrated ids: a lower id may still be in flight (its writer has not
    committed), so never a range."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DELETE FROM log_queue WHERE id = ANY(%s)", (ids,))
    else:
        conn.exec_driver_sql("DELETE FROM log_queue WHERE id = ?", [(i,) for i in ids])


@dataclass(frozen=True)
class Integrated:
    """What one integration did: the events it made leaves, and the checkpoint it signed (None
    when the latest checkpoint already covered the tree)."""

    count: int
    signed: StoredCheckpoint | None


def integrate(
    conn: Connection,
    *,
    configured_key: str | None = None,
    max_batch: int = 10_000,
    sign: bool = True,
) -> Integrated:
    """Move up to `max_batch` queued events into the tree and sign a checkpoint. Runs in the
    caller's transaction; the caller commits."""
    state = _lock_state(conn)
    size = int(state.size)
    # The driver's own rows and parameters: the sequencer moves every event of the log once,
    # and per-row type processing would cost more than hashing it.
    queued = conn.exec_driver_sql(
        "SELECT id, at, actor, action, subject, detail FROM log_queue ORDER BY id LIMIT "
        + str(int(max_batch))
    ).all()
    reader = NodeReader(conn)
    if queued:
        reader.prefetch(merkle.frontier_nodes(size))
        tree = merkle.CompactRange.from_store(reader, size)
        leaves: list[tuple[Any, ...]] = []
        nodes: list[tuple[int, int, str]] = []
        for offset, (event_id, at, actor, action, subject, detail) in enumerate(queued):
            text = leaf_text(event_id, _stored_iso(at), actor, action, subject, detail)
            h = merkle.leaf_hash(text.encode("utf-8"))
            # the first node is the leaf itself: its hash is stored with the leaf
            nodes.extend((n.level, n.index, n.hash.hex()) for n in tree.append(h)[1:])
            leaves.append((size + offset, event_id, at, actor, action, subject, detail, h.hex()))
        _insert_rows(conn, "log_leaves", _LEAF_COLUMNS, leaves)
        _insert_rows(conn, "log_nodes", _NODE_COLUMNS, nodes)
        _dequeue(conn, [row[0] for row in queued])
        size += len(queued)
        conn.execute(update(log_state).where(log_state.c.id == 1).values(size=size))
        root = tree.root()
    else:
        root = merkle.root_at(reader, size)
    signed = None
    if sign:
        latest = conn.execute(select(func.max(log_checkpoints.c.tree_size))).scalar()
        if latest is None or int(latest) < size:
            key = signer_key(conn, configured_key)
            signer = Signer.parse(key)
            note = sign_checkpoint(Checkpoint(signer.name, size, root), signer)
            signed = StoredCheckpoint(size, root.hex(), datetime.now(UTC), note)
            conn.execute(
                insert(log_checkpoints).values(
                    tree_size=size,
                    root_hash=signed.root_hash,
                    timestamp=signed.timestamp,
                    note=note,
                )
            )
    return Integrated(len(queued), signed)


def _checkpoint(row: Any) -> StoredCheckpoint:
    at = row.timestamp if row.timestamp.tzinfo is not None else row.timestamp.replace(tzinfo=UTC)
    return StoredCheckpoint(int(row.tree_size), row.root_hash, at, row.note)


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(
        select(log_checkpoints).order_by(log_checkpoints.c.tree_size.desc()).limit(1)
    ).first()
    return _checkpoint(row) if row else None


def checkpoints(conn: Connection) -> list[StoredCheckpoint]:
    rows = conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.tree_size))
    return [_checkpoint(r) for r in rows]


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(log_state.c.size).where(log_state.c.id == 1)).scalar_one())


def leaf(conn: Connection, index: int) -> Any:
    return conn.execute(select(log_leaves).where(log_leaves.c.idx == index)).first()


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    reader = NodeReader(conn)
    reader.prefetch(merkle.proof_nodes(merkle.inclusion_ranges(index, size)))
    return merkle.inclusion_proof_at(reader, index, size)


def consistency_proof(conn: Connection, first: int, second: int) -> list[bytes]:
    reader = NodeReader(conn)
    reader.prefetch(merkle.proof_nodes(merkle.consistency_ranges(first, second)))
    return merkle.consistency_proof_at(reader, first, second)


def root_at(conn: Connection, size: int) -> bytes:
    reader = NodeReader(conn)
    reader.prefetch(merkle.root_nodes(size))
    return merkle.root_at(reader, size)


def log_indexes(conn: Connection, event_ids: list[int]) -> dict[int, int]:
    """The leaf index of each audit event already integrated."""
    found: dict[int, int] = {}
    for start in range(0, len(event_ids), 1000):
        chunk = event_ids[start : start + 1000]
        rows = conn.execute(
            select(log_leaves.c.event_id, log_leaves.c.idx).where(log_leaves.c.event_id.in_(chunk))
        )
        found.update({int(r.event_id): int(r.idx) for r in rows})
    return found


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogVerification:
    """What `verify` found, its fields in the order `as_json` gives them (the problems last)."""

    ok: bool
    leaves: int
    checkpoints: int
    witnessed: int | None  # checkpoints held by the witness (None: no witness set)
    records_checked: int  # ledger rows compared with the last hash the log holds for them
    problems: list[str]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _signed(cp: StoredCheckpoint, vkey: str, where: str, problems: list[str]) -> None:
    """Report a checkpoint whose note does not carry the log's signature over its size and
    root."""
    from trustledger.domain.checkpoint import NoteError, open_checkpoint

    try:
        opened = open_checkpoint(cp.note, [vkey])
    except NoteError as e:
        problems.append(f"{where} {cp.tree_size}: the signed note does not verify ({e})")
        return
    if opened.size != cp.tree_size or opened.root.hex() != cp.root_hash:
        problems.append(f"{where} {cp.tree_size}: the stored size or root is not the note's")


def _against_witness(
    stored: list[StoredCheckpoint], witnessed: list[StoredCheckpoint], problems: list[str]
) -> None:
    """Every checkpoint the witness holds is in the database, unchanged."""
    held = {cp.tree_size: cp for cp in stored}
    for cp in witnessed:
        mine = held.get(cp.tree_size)
        if mine is None:
            problems.append(
                f"checkpoint {cp.tree_size}: held by the witness, missing from the database "
                "(removed)"
            )
        elif mine.root_hash != cp.root_hash or mine.note != cp.note:
            problems.append(
                f"checkpoint {cp.tree_size}: the database's differs from the witness's (rewritten)"
            )


def verify(
    conn: Connection,
    vkey: str,
    batch: int = 1000,
    witnessed: list[StoredCheckpoint] | None = None,
) -> LogVerification:
    """Rebuild the tree from the stored leaves' content and check every signed checkpoint, the
    database's and (if given) the witness's.

    Altered, deleted, reordered or missing leaves change a root that a signed checkpoint
    commits to; a checkpoint past the end of the leaves means the tail was truncated. A
    checkpoint the witness holds must also be in the database, unchanged: the witness keeps
    what someone with the database's owner rights could otherwise delete or re-sign."""
    problems: list[str] = []
    stored = checkpoints(conn)
    by_size: dict[int, list[StoredCheckpoint]] = {}
    for cp in stored:
        by_size.setdefault(cp.tree_size, []).append(cp)
        _signed(cp, vkey, "checkpoint", problems)
    if witnessed is not None:
        _against_witness(stored, witnessed, problems)
        for cp in witnessed:
            by_size.setdefault(cp.tree_size, []).append(cp)
            _signed(cp, vkey, "witness checkpoint", problems)
    memory = merkle.MemoryNodeStore()
    rows = conn.execute(
        select(log_leaves).order_by(log_leaves.c.idx).execution_options(yield_per=batch)
    )
    expected = 0

    def check_at(size: int) -> None:
        for cp in by_size.get(size, []):
            if memory.root(size).hex() != cp.root_hash:
                problems.append(
                    f"checkpoint {size}: the leaves stored do not hash to its root "
                    "(events altered, deleted or reordered)"
                )

    check_at(0)
    hashed: dict[int, str] = {}  # record id -> the last row hash the log holds for it
    for row in rows:
        hashed.update(row_hashes(row.action, row.detail))
        if row.idx != expected:
            problems.append(f"leaf {expected} is missing (deleted): leaf {row.idx} follows")
            expected = row.idx
        h = merkle.leaf_hash(leaf_bytes(row))
        if h.hex() != row.leaf_hash:
            problems.append(f"leaf {row.idx}: its content does not match its leaf hash (altered)")
        while memory.size < row.idx:  # keep sizes aligned even past a gap
            memory.append(bytes(32))
        memory.append(h)
        expected += 1
        check_at(memory.size)
    size = memory.size
    for cp in [*stored, *(witnessed or [])]:
        if cp.tree_size > size:
            problems.append(
                f"checkpoint {cp.tree_size} is past the last leaf ({size}): leaves truncated"
            )
    rows_checked = _check_rows(conn, hashed, problems)
    # A problem found twice (a checkpoint both stored and witnessed) is said once.
    problems = list(dict.fromkeys(problems))
    count = None if witnessed is None else len(witnessed)
    return LogVerification(not problems, size, len(stored), count, rows_checked, problems)


@dataclass(frozen=True)
class Leaf:
    """One integrated event: its index, its leaf bytes (as text), their hash, its subject."""

    index: int
    event_id: int
    subject: str | None
    leaf: str
    leaf_hash: str


class LogRepository(Repository):
    """The transparency log inside a unit of work (`uow.log`)."""

    def integrate(self, configured_key: str | None = None, max_batch: int = 10_000) -> Integrated:
        return integrate(self.conn, configured_key=configured_key, max_batch=max_batch)

    def pending(self) -> bool:
        """Is there anything to integrate or sign (read only, no lock)?"""
        if self.conn.execute(select(log_queue.c.id).limit(1)).first() is not None:
            return True
        latest = self.conn.execute(select(func.max(log_checkpoints.c.tree_size))).scalar()
        return latest is None or int(latest) < tree_size(self.conn)

    def ensure_signer(self, configured: str | None, origin: str = DEFAULT_ORIGIN) -> str:
        """A signer key exists afterwards (once committed). Returns the verifier key."""
        return Signer.parse(signer_key(self.conn, configured, origin)).verifier_key

    def verifier_key(self, configured: str | None) -> str:
        return verifier_key(self.conn, configured)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return latest_checkpoint(self.conn)

    def size(self) -> int:
        return tree_size(self.conn)

    def leaf(self, index: int) -> Leaf | None:
        row = leaf(self.conn, index)
        if row is None:
            return None
        return Leaf(
            int(row.idx),
            int(row.event_id),
            row.subject,
            leaf_bytes(row).decode("utf-8"),
            row.leaf_hash,
        )

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.conn, index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return consistency_proof(self.conn, first, second)

    def verify(self, vkey: str, witnessed: list[StoredCheckpoint] | None = None) -> LogVerification:
        return verify(self.conn, vkey, witnessed=witnessed)
