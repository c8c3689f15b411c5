"""A small synthetic city in a real ledger (SQLite or PostgreSQL), and a changed rulebook."""

from __future__ import annotations

from datetime import date

from trustledger.batch.synthetic import City, build_city
from trustledger.domain.identifiers import SubjectKind
from trustledger.services.admin.rulebooks import example_rulebook_text
from trustledger.services.context import Ledger
from trustledger.services.intake import ingest


def populate(ledger: Ledger, today: date, *, persons: int = 80, seed: int = 5) -> City:
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
    city = build_city(
        book, persons=persons, organizations=25, public_bodies=4, years=3, today=today, seed=seed
    )
    with ledger.uow() as uow:
        uow.subjects.set_consent(((p, SubjectKind.PERSON.value) for p in city.consenting), True)
        uow.commit()
    for source, rows in city.records.items():
        report = ingest.import_rows(
            ledger, source, enumerate(rows, start=1), as_of=today, actor="test"
        )
        assert not report.rejected, report.rejected[:3]
    return city


def stricter_rulebook() -> str:
    """Version 2026.2: traffic violations cost 60 points and enter a new black list."""
    text = example_rulebook_text().replace('version: "2026.1"', 'version: "2026.2"')
    text = text.replace("points: -5                    # Rongcheng", "points: -60")
    text = text.replace(
        "lists:\n",
        "lists:\n"
        "  - code: traffic-offenders\n"
        "    kind: black\n"
        "    public: true\n"
        "    entry: {record_types: [traffic.violation]}\n"
        "    review: none\n"
        "    notice_days: 0\n",
        1,
    )
    return text.replace(
        "measures:\n",
        "measures:\n"
        "  - {code: offenders-no-g-trains, list: traffic-offenders, action: travel.rail_g_train,\n"
        '     effect: deny, legal_basis: "A hypothetical ordinance, art. 1"}\n',
        1,
    )
