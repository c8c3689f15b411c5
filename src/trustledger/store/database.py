"""Engines for the two supported stores, with the settings each one needs to be durable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from trustledger.store import migrate
from trustledger.store.batch_repository import BatchRepository
from trustledger.store.unit_of_work import UnitOfWork


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here; everything else passes through."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database or "")
    return None


class Store:
    """The database behind a ledger: units of work over one engine, migrations, a ping."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(make_engine(url))

    def uow(self, *, snapshot: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, snapshot=snapshot)

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def snapshot(self) -> Iterator[BatchRepository]:
        """Bulk reads that all see one state of the ledger (one repeatable-read transaction)."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield BatchRepository(connection)

    def close(self) -> None:
        self.engine.dispose()
