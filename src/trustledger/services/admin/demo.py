"""The demo: a fresh SQLite ledger holding a synthetic city, built through the real services."""

from __future__ import annotations

from rich.progress import Progress

from trustledger.batch.synthetic import SOURCES, City, build_city
from trustledger.domain.identifiers import SubjectKind
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger, today
from trustledger.services.intake import ingest
from trustledger.services.intake.sources import add_source
from trustledger.store.database import sqlite_path


def build(
    url: str,
    *,
    persons: int,
    organizations: int,
    public_bodies: int,
    seed: int,
    actor: str,
    progress: Progress | None = None,
) -> City:
    path = sqlite_path(url)
    if path is None:
        raise ValueError("the demo builds a fresh SQLite file: give a sqlite:/// URL")
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    ledger = Ledger.open(url)
    try:
        rulebooks.init(ledger)
        for code, kind, name in SOURCES:
            add_source(ledger, code, kind, name)
        with ledger.uow() as uow:
            book = ledger.rulebook(uow)
        city = build_city(
            book,
            persons=persons,
            organizations=organizations,
            public_bodies=public_bodies,
            today=today(book),
            seed=seed,
        )
        with ledger.uow() as uow:
            uow.subjects.set_consent(((p, SubjectKind.PERSON.value) for p in city.consenting), True)
            uow.commit()
        task = progress.add_task("importing records", total=city.record_count) if progress else None
        for source, rows in city.records.items():
            report = ingest.import_rows(ledger, source, enumerate(rows, start=1), actor=actor)
            if report.rejected:
                raise RuntimeError(f"demo data rejected: {report.rejected[:3]}")
            if progress is not None and task is not None:
                progress.advance(task, len(rows))
    finally:
        ledger.close()
    return city


def showcase(city: City) -> list[tuple[str, str]]:
    """A few subjects worth reading: a listed debtor, a drunk driver, a volunteer, a body."""
    wanted = (
        ("a dishonest judgment debtor", "court.dishonest_debtor"),
        ("a drunk driver", "traffic.drunk_driving"),
        ("a volunteer", "civic.volunteer_hours"),
        ("an A-grade taxpayer", "tax.a_grade"),
        ("a public body with an overdue commitment", "gov.overdue_commitment"),
    )
    return [(label, city.examples[code]) for label, code in wanted if code in city.examples]
