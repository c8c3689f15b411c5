"""The demo: a fresh SQLite ledger holding a synthetic city, built through the real services."""

from __future__ import annotations

from trustledger.batch.synthetic import SOURCES, City, build_city
from trustledger.domain.identifiers import SubjectKind
from trustledger.progress import Progress, no_progress
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
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
    progress: Progress = no_progress,
) -> City:
    path = sqlite_path(url)
    if path is None:
        raise ValueError("the demo builds a fresh SQLite file: give a sqlite:/// URL")
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    ledger = Ledger.open(url)
    try:
        rulebooks.init(ledger, actor=actor)
        with ledger.transaction(actor) as ctx:
            for code, kind, name in SOURCES:
                add_source(ctx, code, kind, name)
            city = build_city(
                ctx.book,
                persons=persons,
                organizations=organizations,
                public_bodies=public_bodies,
                today=ctx.today,
                seed=seed,
            )
            consenting = ((p, SubjectKind.PERSON.value) for p in city.consenting)
            ctx.uow.subjects.set_consent(consenting, True)
        done = 0
        progress("importing records", done, city.record_count)
        for source, rows in city.records.items():
            report = ingest.import_rows(ledger, source, enumerate(rows, start=1), actor=actor)
            if report.rejected:
                raise RuntimeError(f"demo data rejected: {report.rejected[:3]}")
            done += len(rows)
            progress("importing records", done, city.record_count)
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
