"""Authorized sources: the only institutions whose reports become records."""

from __future__ import annotations

from trustledger.services.context import Conflict, Ledger
from trustledger.store.repository import Source


def add_source(ledger: Ledger, code: str, kind: str, name: str) -> Source:
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        if kind not in book.source_kinds:
            raise Conflict(
                f"kind: {kind!r} reports nothing under rulebook {book.version} "
                f"(kinds: {', '.join(book.source_kinds)})"
            )
        existing = uow.sources.get(code)
        source = Source(code, kind, name)
        if existing is not None:
            if existing != source:
                raise Conflict(f"code: source {code!r} is already registered as {existing.kind}")
            return existing
        uow.sources.add(source)
        uow.commit()
    return source
