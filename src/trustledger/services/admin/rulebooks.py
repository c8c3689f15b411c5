"""Rulebook versions: install one, make it active, keep the old ones for recomputation."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from trustledger.domain.rulebook import Rulebook, digest, parse_rulebook
from trustledger.services.context import Conflict, Context, Ledger


def example_rulebook_text() -> str:
    return resources.files("trustledger").joinpath("rulebooks/example-city.yaml").read_text()


@dataclass(frozen=True)
class Installed:
    rulebook: str
    version: str
    added: bool  # False when this exact version was already stored


def init(ledger: Ledger, text: str | None = None, *, actor: str) -> Installed:
    """Migrate the schema, then store and activate a rulebook (the example one by default).

    Without a rulebook text, a ledger that already has an active rulebook keeps it. This runs
    before any rulebook is active, so it works on the ledger, not in a context.
    """
    ledger.store.migrate()
    with ledger.uow() as uow:  # the transparency log's signer (docs/transparency-log.md)
        uow.log.ensure_signer(ledger.settings.log_signer_key, ledger.settings.log_origin)
        uow.commit()
    if text is None:
        with ledger.uow() as uow:
            active = uow.rulebooks.active()
        if active is not None:
            return Installed(active.name, active.version, added=False)
        text = example_rulebook_text()
    return install(ledger, text, actor=actor)


def install(ledger: Ledger, text: str, *, actor: str) -> Installed:
    """Store a rulebook version (unless stored) and make it the active one (audited)."""
    book: Rulebook = parse_rulebook(text)
    with ledger.uow() as uow:
        stored = uow.rulebooks.get(book.rulebook, book.version)
        if stored is not None and stored.digest != digest(text):
            raise Conflict(
                f"rulebook {book.rulebook} version {book.version} is already stored with "
                "different content: give the changed rulebook a new version"
            )
        if stored is None:
            uow.rulebooks.add(book.rulebook, book.version, text, digest(text))
        uow.rulebooks.activate(book.rulebook, book.version)
        uow.audit.append(
            actor=actor,
            action="rulebook.activate",
            subject=None,
            detail={"rulebook": book.rulebook, "version": book.version, "sha256": digest(text)},
        )
        uow.commit()
    return Installed(book.rulebook, book.version, added=stored is None)


@dataclass(frozen=True)
class Versions:
    """The rulebook asked for, whether it is the active one, and every stored version."""

    book: Rulebook
    active: bool
    versions: list[str]


def versions(ctx: Context, version: str | None = None) -> Versions:
    book = ctx.rulebook(version)
    active = ctx.uow.rulebooks.active()
    names = [v.version for v in ctx.uow.rulebooks.versions() if active and v.name == active.name]
    return Versions(book, book.version == ctx.book.version, names)


@dataclass(frozen=True)
class Change:
    """One item (a record type, a list, a measure, a tier, a setting) between two versions."""

    section: str  # record_types | lists | measures | tiers | settings
    code: str
    change: str  # added | removed | changed
    fields: dict[str, tuple[object, object]]  # field -> (from, to), for `changed`


@dataclass(frozen=True)
class Diff:
    old: Rulebook
    new: Rulebook
    changes: list[Change]


def diff(ctx: Context, old: str, new: str) -> Diff:
    """What changed between two stored versions, item by item, field by field."""
    a, b = ctx.rulebook(old), ctx.rulebook(new)
    changes: list[Change] = []
    for section in ("record_types", "lists", "measures", "tiers"):
        before = {i["code"]: i for i in a.model_dump(mode="json")[section]}
        after = {i["code"]: i for i in b.model_dump(mode="json")[section]}
        for code in sorted(before.keys() | after.keys()):
            if code not in after:
                changes.append(Change(section, code, "removed", {}))
            elif code not in before:
                changes.append(Change(section, code, "added", {}))
            else:
                fields = _fields(before[code], after[code])
                if fields:
                    changes.append(Change(section, code, "changed", fields))
    settings = _fields(
        a.model_dump(mode="json", include={"zone", "score", "disputes"}),
        b.model_dump(mode="json", include={"zone", "score", "disputes"}),
    )
    if settings:
        changes.append(Change("settings", "", "changed", settings))
    return Diff(a, b, changes)


def _fields(x: dict[str, object], y: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {k: (x.get(k), y.get(k)) for k in sorted(x.keys() | y.keys()) if x.get(k) != y.get(k)}
