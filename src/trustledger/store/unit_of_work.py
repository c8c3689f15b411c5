"""A unit of work: one connection, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from trustledger.store.audit import AuditRepository
from trustledger.store.batch_repository import BatchRepository
from trustledger.store.due_process import DisputeRepository, ProposalRepository, RepairRepository
from trustledger.store.keys import KeyRepository
from trustledger.store.outbox import OutboxRepository
from trustledger.store.repository import (
    RecordRepository,
    RulebookRepository,
    SourceRepository,
    SubjectRepository,
)


class UnitOfWork:
    """Nothing is written unless `commit()` is called, so a failure leaves no half-done change.

    With `snapshot=True` (answers that read many rows: batch checks) every read sees one state
    of the ledger: the reading repositories run on a second connection in a read-only
    REPEATABLE READ transaction on PostgreSQL, and in an explicit `BEGIN` on SQLite (in WAL
    mode a transaction's reads see the database as of its first read). The log and the outbox
    stay on the writing connection, at READ COMMITTED, so appending the log's read events never
    meets a serialization failure under concurrent writers.
    """

    def __init__(self, engine: Engine, *, snapshot: bool = False) -> None:
        self.engine = engine
        self.snapshot = snapshot
        self.reader: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        reads = self.connection
        if self.snapshot:
            reads = self.reader = _snapshot(self.engine)
        self.rulebooks = RulebookRepository(reads)
        self.sources = SourceRepository(reads)
        self.subjects = SubjectRepository(reads)
        self.records = RecordRepository(reads)
        self.keys = KeyRepository(reads)
        self.audit = AuditRepository(self.connection)
        self.disputes = DisputeRepository(reads)
        self.proposals = ProposalRepository(reads)
        self.repairs = RepairRepository(reads)
        self.outbox = OutboxRepository(self.connection)
        self.batch = BatchRepository(reads)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.reader is not None:
            self.reader.close()  # read only: its transaction ends with nothing to keep
            self.reader = None
        if self.transaction.is_active:
            self.transaction.rollback()
        self.connection.close()

    def commit(self) -> None:
        self.transaction.commit()


def _snapshot(engine: Engine) -> Connection:
    """A connection in a read-only transaction whose reads all see one state of the ledger."""
    connection = engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        connection.begin()
    else:
        # pysqlite opens a transaction only before a write: begin one now, so the first
        # SELECT fixes the snapshot (WAL) and the later chunks read the same state.
        connection.begin()
        connection.exec_driver_sql("BEGIN")
    return connection
