"""A unit of work: one connection, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine

from trustledger.store.audit import AuditRepository
from trustledger.store.batch_repository import BatchRepository
from trustledger.store.due_process import DisputeRepository, ProposalRepository, RepairRepository
from trustledger.store.integrity import ComplaintRepository, IntegrityRepository
from trustledger.store.keys import KeyRepository
from trustledger.store.outbox import OutboxRepository
from trustledger.store.repository import (
    RecordRepository,
    RulebookRepository,
    SourceRepository,
    SubjectRepository,
)


class UnitOfWork:
    """Nothing is written unless `commit()` is called, so a failure leaves no half-done change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> UnitOfWork:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.rulebooks = RulebookRepository(self.connection)
        self.sources = SourceRepository(self.connection)
        self.subjects = SubjectRepository(self.connection)
        self.records = RecordRepository(self.connection)
        self.keys = KeyRepository(self.connection)
        self.audit = AuditRepository(self.connection)
        self.disputes = DisputeRepository(self.connection)
        self.proposals = ProposalRepository(self.connection)
        self.repairs = RepairRepository(self.connection)
        self.outbox = OutboxRepository(self.connection)
        self.batch = BatchRepository(self.connection)
        self.integrity = IntegrityRepository(self.connection)
        self.complaints = ComplaintRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.transaction.is_active:
            self.transaction.rollback()
        self.connection.close()

    def commit(self) -> None:
        self.transaction.commit()
