"""A unit of work: one connection, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine

from trustledger.store.audit import AuditRepository, queue_rows
from trustledger.store.batch_repository import BatchRepository
from trustledger.store.due_process import DisputeRepository, ProposalRepository, RepairRepository
from trustledger.store.errors import StoreUnavailable, unavailable
from trustledger.store.group_commit import GroupCommit
from trustledger.store.integrity import ComplaintRepository, IntegrityRepository
from trustledger.store.keys import KeyRepository
from trustledger.store.outbox import OutboxRepository
from trustledger.store.repository import (
    RecordRepository,
    RulebookRepository,
    SourceRepository,
    SubjectRepository,
)
from trustledger.store.tlog import LogRepository


class UnitOfWork:
    """Nothing is written unless `commit()` is called, so a failure leaves no half-done change.

    With `snapshot=True` (answers that read many rows: batch checks) every read sees one state
    of the ledger: the transaction is read-only REPEATABLE READ on PostgreSQL, and an explicit
    `BEGIN` on SQLite (in WAL mode a transaction's reads see the database as of its first read;
    pysqlite would otherwise begin only at the first write). Such a unit of work writes
    nothing but the log's events of its reads: they are kept, and on commit, once the snapshot
    has ended and its connection is back in the pool, handed to the process's group commit
    (`store.group_commit`), which queues them with other requests' events in one transaction;
    `commit()` returns when they are durable.
    """

    def __init__(self, engine: Engine, group: GroupCommit, *, snapshot: bool = False) -> None:
        self.engine = engine
        self.snapshot = snapshot
        self.group = group

    def __enter__(self) -> UnitOfWork:
        try:
            self.connection = self.engine.connect()
            if self.snapshot and self.connection.dialect.name == "postgresql":
                self.connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            self.transaction = self.connection.begin()
            if self.snapshot and self.connection.dialect.name == "sqlite":
                self.connection.exec_driver_sql("BEGIN")
        except Exception as exc:
            if unavailable(exc):
                raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
            raise
        conn = self.connection
        self.rulebooks = RulebookRepository(conn)
        self.sources = SourceRepository(conn)
        self.subjects = SubjectRepository(conn)
        self.records = RecordRepository(conn)
        self.keys = KeyRepository(conn)
        self.audit: AuditRepository = _LogOnCommit(conn) if self.snapshot else AuditRepository(conn)
        self.disputes = DisputeRepository(conn)
        self.proposals = ProposalRepository(conn)
        self.repairs = RepairRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.batch = BatchRepository(conn)
        self.log = LogRepository(conn)
        self.integrity = IntegrityRepository(conn)
        self.complaints = ComplaintRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.transaction.is_active:
                self.transaction.rollback()
            self.connection.close()
        except Exception:
            if exc is None or not unavailable(exc):
                raise  # a rollback that fails after an error the database was away for: moot
        if exc is not None and unavailable(exc):
            # Away or stuck (refused, lost, timed out, locked): one exception for the layers
            # above, which answer 503 with Retry-After.
            raise StoreUnavailable(f"the database is unavailable: {exc}") from exc

    def lift_timeouts(self) -> None:
        """Unbounded statements and lock waits for this transaction (a job, not a request)."""
        lift_timeouts(self.connection)

    def commit(self) -> None:
        self.transaction.commit()
        if isinstance(self.audit, _LogOnCommit) and self.audit.pending:
            # The snapshot has ended; its connection goes back to the pool before waiting.
            self.connection.close()
            rows, self.audit.pending = queue_rows(self.audit.pending), []
            try:
                self.group.commit(rows)
            except Exception as exc:
                if unavailable(exc):
                    raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
                raise


class _LogOnCommit(AuditRepository):
    """The log of a snapshot unit of work: appends wait for `commit()` (reads go through)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.pending: list[dict[str, Any]] = []

    def append_many(self, events: list[dict[str, Any]]) -> None:
        self.pending.extend(events)


def lift_timeouts(connection: Connection) -> None:
    """`SET LOCAL` no statement or lock timeout (PostgreSQL; SQLite has neither)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
