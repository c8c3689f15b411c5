"""The ledger as the entry points see it: a store, the identifier schemes, the rulebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from trustledger.config import Settings
from trustledger.domain.identifiers import SchemeRegistry
from trustledger.domain.rulebook import Rulebook, parse_rulebook
from trustledger.store.database import make_engine
from trustledger.store.unit_of_work import UnitOfWork


class NotFound(LookupError):
    """Something named in a request does not exist (a source, a rulebook version)."""


class Conflict(ValueError):
    """A request that contradicts what the ledger already holds."""


class Forbidden(PermissionError):
    """The caller may not do this (another source's record, a what-if check by a provider)."""


@dataclass
class Ledger:
    engine: Engine
    registry: SchemeRegistry
    settings: Settings
    _books: dict[str, Rulebook] = field(default_factory=dict)

    @classmethod
    def open(cls, url: str | None = None, settings: Settings | None = None) -> Ledger:
        settings = settings or Settings()
        if url:
            settings = settings.model_copy(update={"database_url": url})
        return cls(make_engine(settings.database_url), settings.registry(), settings)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

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

    def close(self) -> None:
        self.engine.dispose()


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
