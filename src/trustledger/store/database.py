"""Engines for the two supported stores, with the settings each one needs to be durable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from trustledger.store import backup as backups
from trustledger.store import migrate, privileges
from trustledger.store.batch_repository import BatchRepository
from trustledger.store.errors import StoreUnavailable, unavailable
from trustledger.store.group_commit import GroupCommit
from trustledger.store.unit_of_work import UnitOfWork, lift_timeouts


@dataclass(frozen=True)
class Limits:
    """How long the database may take: per statement and per lock wait on PostgreSQL (ms, 0:
    unbounded), to connect (s), and to wait for SQLite's write lock (s)."""

    statement_timeout_ms: int = 0
    lock_timeout_ms: int = 0
    connect_timeout_s: int = 10
    sqlite_timeout_s: float = 30.0
    sqlite_synchronous: str = "FULL"


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here; everything else passes through."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, limits: Limits | None = None) -> Engine:
    url = normalize_url(url)
    limits = limits or Limits()
    if url.startswith("sqlite"):
        synchronous = limits.sqlite_synchronous.upper()
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"sqlite_synchronous: {synchronous!r} is not NORMAL, FULL or EXTRA")
        engine = create_engine(url, connect_args={"timeout": limits.sqlite_timeout_s})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL (default): a commit is on disk when it returns (the WAL is fsynced at every
            # commit). NORMAL keeps the database intact but may lose the last commits on power
            # loss or an OS crash (not on a process crash): records acknowledged to their
            # source, and audit events of reads already answered. docs/reliability.md.
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Temporary tables (an import's staged rows) in memory: scratch, never durable.
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    options = (
        f"-c statement_timeout={limits.statement_timeout_ms} "
        f"-c lock_timeout={limits.lock_timeout_ms}"
    )
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=limits.connect_timeout_s,
        connect_args={"connect_timeout": limits.connect_timeout_s, "options": options},
    )


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database or "")
    return None


class Store:
    """The database behind a ledger: units of work over one engine, migrations, a ping."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.group = GroupCommit(engine)

    @classmethod
    def open(cls, url: str, limits: Limits | None = None) -> Store:
        return cls(make_engine(url, limits))

    def uow(self, *, snapshot: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.group, snapshot=snapshot)

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def ping(self) -> None:
        """Raise StoreUnavailable if the database cannot answer a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            if unavailable(exc):
                raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
            raise

    @contextmanager
    def snapshot(self) -> Iterator[BatchRepository]:
        """Bulk reads that all see one state of the ledger (one repeatable-read transaction)."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                lift_timeouts(connection)  # a job's export, not a request
                yield BatchRepository(connection)

    def backup(self, target: Path) -> None:
        """A consistent copy of the whole database into `target`, while it keeps serving."""
        backups.backup(self.engine, target)

    def restore(self, backup_file: Path) -> None:
        """Replace the database's content with a backup's (SQLite: in place; PostgreSQL:
        pg_restore --clean in one transaction)."""
        backups.restore(self.engine, backup_file)

    def grant_statements(self, role: str) -> list[str]:
        """The SQL giving `role` the server's least privileges (PostgreSQL)."""
        return privileges.grant_statements(self.engine, role)

    def grant(self, role: str) -> list[str]:
        """Give `role` the server's least privileges (run as the tables' owner)."""
        return privileges.grant(self.engine, role)

    def analyze(self) -> None:
        """Refresh the planner's statistics after a large import (PostgreSQL; SQLite's
        planner needs none for these queries)."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            lift_timeouts(conn)
            conn.exec_driver_sql("ANALYZE records, subjects, record_events")

    def close(self) -> None:
        self.group.close()
        self.engine.dispose()
