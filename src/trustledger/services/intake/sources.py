"""Authorized sources: the only institutions whose reports become records."""

from __future__ import annotations

from trustledger.services.context import Conflict, Context
from trustledger.store.repository import Source


def add_source(ctx: Context, code: str, kind: str, name: str) -> Source:
    """Register a source of a kind the rulebook's record types name as reporter (audited);
    registering the same source again changes nothing."""
    book = ctx.book
    if kind not in book.source_kinds:
        raise Conflict(
            f"kind: {kind!r} reports nothing under rulebook {book.version} "
            f"(kinds: {', '.join(book.source_kinds)})"
        )
    existing = ctx.uow.sources.get(code)
    source = Source(code, kind, name)
    if existing is not None:
        if existing != source:
            raise Conflict(f"code: source {code!r} is already registered as {existing.kind}")
        return existing
    ctx.uow.sources.add(source)
    ctx.audit("source.add", subject=None, detail={"code": code, "kind": kind, "name": name})
    return source


def all_sources(ctx: Context) -> list[Source]:
    return ctx.uow.sources.all()
