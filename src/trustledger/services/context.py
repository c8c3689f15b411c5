"""The ledger an entry point opens, and the context it hands to every use case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from trustledger.config import Settings
from trustledger.domain.identifiers import SchemeRegistry
from trustledger.domain.rulebook import Rulebook, parse_rulebook
from trustledger.store.database import Limits, Store
from trustledger.store.errors import Duplicate as Duplicate  # re-exported for services
from trustledger.store.errors import StoreUnavailable as StoreUnavailable
from trustledger.store.unit_of_work import UnitOfWork


class NotFound(LookupError):
    """Something named in a request does not exist (a source, a rulebook version)."""


class Conflict(ValueError):
    """A request that contradicts what the ledger already holds."""


class Forbidden(PermissionError):
    """The caller may not do this (another source's record, a what-if check by a provider)."""


@dataclass
class Ledger:
    """The ledger as entry points hold it for a process: the store, the identifier schemes, the
    settings, and the rulebook versions parsed so far (each once per process)."""

    store: Store
    registry: SchemeRegistry
    settings: Settings
    _books: dict[str, Rulebook] = field(default_factory=dict)

    @classmethod
    def open(cls, url: str | None = None, settings: Settings | None = None) -> Ledger:
        settings = settings or Settings()
        if url:
            settings = settings.model_copy(update={"database_url": url})
        limits = Limits(
            settings.statement_timeout_ms,
            settings.lock_timeout_ms,
            settings.connect_timeout_s,
            settings.sqlite_timeout_s,
            settings.sqlite_synchronous,
        )
        return cls(Store.open(settings.database_url, limits), settings.registry(), settings)

    @property
    def engine(self) -> Any:
        """The database engine, for operations and tests (services use units of work)."""
        return self.store.engine

    def uow(self, *, snapshot: bool = False) -> UnitOfWork:
        return self.store.uow(snapshot=snapshot)

    def rulebook(self, uow: UnitOfWork, version: str | None = None) -> Rulebook:
        """The active rulebook, or a stored version of it; parsed once per process."""
        stored = uow.rulebooks.get_version(version) if version else uow.rulebooks.active()
        if stored is None:
            if version:
                raise NotFound(f"rulebook version {version!r} is not stored")
            raise NotFound("no active rulebook: run `trustledger init` first")
        book = self._books.get(stored.digest)
        if book is None:
            book = self._books[stored.digest] = parse_rulebook(uow.rulebooks.text(stored.id))
        return book

    @contextmanager
    def transaction(self, actor: str, *, snapshot: bool = False) -> Iterator[Context]:
        """One context for one request or command: committed when the block ends without an
        error, rolled back otherwise, so the use cases inside it compose into one change.

        `snapshot=True`: every read of the context sees one state of the ledger (a batch check
        reading its subjects in chunks is never torn by a write between two chunks); only the
        log and the outbox may be written."""
        with self.uow(snapshot=snapshot) as uow:
            book = self.rulebook(uow)
            yield Context(self, uow, book, today(book), actor)
            uow.commit()

    def close(self) -> None:
        self.store.close()


@dataclass
class Context:
    """What a use case works in: one unit of work (one transaction), the active rulebook, today
    in the rulebook's zone, the identifier schemes, and who acts (named in the log).

    Entry points open it (`Ledger.transaction`) and pass it on; use cases never open their own
    transaction, so two of them called with one context commit or fail together.
    """

    ledger: Ledger
    uow: UnitOfWork
    book: Rulebook
    today: date
    actor: str

    @property
    def registry(self) -> SchemeRegistry:
        return self.ledger.registry

    @property
    def settings(self) -> Settings:
        return self.ledger.settings

    def rulebook(self, version: str | None = None) -> Rulebook:
        """The active rulebook, or a stored version (for what-if and rescoring)."""
        return self.book if version is None else self.ledger.rulebook(self.uow, version)

    def audit(self, action: str, *, subject: str | None, detail: dict[str, Any]) -> None:
        """Log an event of this use case in its transaction, as done by who acts in the context:
        an event is never written in another actor's name."""
        self.uow.audit.append(actor=self.actor, action=action, subject=subject, detail=detail)


def today(book: Rulebook) -> date:
    """Today in the rulebook's zone: every date the rulebook speaks of is a calendar date there."""
    return datetime.now(ZoneInfo(book.zone)).date()


def plain(value: Any) -> Any:
    """Stored values as JSON would carry them: dates as ISO text, decimals as text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items()}
