"""The demo: a fresh ledger holding a synthetic city, built through the real services (a new
SQLite file, or an empty PostgreSQL database for benchmarks)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from trustledger.batch.synthetic import SOURCES, City, build_city
from trustledger.domain.identifiers import SubjectKind
from trustledger.progress import Progress, no_progress
from trustledger.services.admin import rulebooks
from trustledger.services.context import Context, Ledger
from trustledger.services.intake import ingest
from trustledger.services.intake.sources import add_source
from trustledger.services.integrity import commitments
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
    path = sqlite_path(url)  # SQLite: a fresh file; PostgreSQL: the caller's empty database
    if path is not None:
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
        with ledger.transaction(actor) as ctx:
            city.examples.update(integrity(ctx, city, seed))
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
        ("a public body in arrears to a company", "integrity.arrears"),
    )
    return [(label, city.examples[code]) for label, code in wanted if code in city.examples]


POSTS = ("director", "finance-chief")
BUREAUS = (
    "Transport Bureau",
    "Housing and Urban-Rural Development Bureau",
    "Water Resources Bureau",
    "Education Bureau",
    "Health Commission",
    "Culture and Tourism Bureau",
    "Natural Resources Bureau",
    "Ecology and Environment Bureau",
)


def integrity(ctx: Context, city: City, seed: int, per_body: int = 6) -> dict[str, str]:
    """The second system in the demo: the city's public bodies get names (every fifth a unit of
    the first), posts whose holders change, and payments to companies: most paid on time, some
    late, a few in arrears. Returns {"integrity.arrears": a body in arrears} when there is one."""
    if not city.public_bodies or not city.organizations or not city.persons:
        return {}
    rng = random.Random(seed + 11)
    today = ctx.today
    first = city.public_bodies[0]
    for i, body in enumerate(city.public_bodies):
        name = f"City {BUREAUS[i % len(BUREAUS)]}" + (
            f" No. {i // len(BUREAUS) + 1}" if i >= len(BUREAUS) else ""
        )
        parent = first if i and i % 5 == 0 else None
        commitments.add_body(ctx, body, name, parent)
        for post in POSTS:
            since = today - timedelta(days=3 * 365)
            commitments.add_post(ctx, body, post, rng.choice(city.persons), since)
            if rng.random() < 0.3:  # a new holder since
                change = today - timedelta(days=rng.randrange(30, 700))
                commitments.add_post(ctx, body, post, rng.choice(city.persons), change)
    in_arrears: str | None = None
    n = 0
    for body in city.public_bodies:
        for _ in range(per_body):
            n += 1
            accepted = today - timedelta(days=rng.randrange(20, 500))
            amount = Decimal(rng.randrange(5, 500) * 1000)
            added = commitments.add_commitment(
                ctx,
                "city-integrity",
                body=body,
                counterparty=rng.choice(city.organizations),
                kind="payment",
                amount=amount,
                accepted_on=accepted,
                sme=True,
                post=rng.choice(POSTS),
                reference=f"PAY-{accepted.year}-{n:06d}",
            )
            due = date.fromisoformat(added["due_on"])
            fate = rng.random()
            if fate < 0.80:  # on time
                paid = accepted + timedelta(days=rng.randrange(3, 31))
            elif fate < 0.93:  # late, paid since
                paid = due + timedelta(days=rng.randrange(1, 90))
            else:  # in arrears: nothing, or a part
                if due < today:
                    in_arrears = in_arrears or body
                if rng.random() < 0.5:
                    part = (amount * Decimal(rng.randrange(10, 60)) / 100).quantize(Decimal(1))
                    day = min(today, due + timedelta(days=rng.randrange(1, 60)))
                    commitments.pay(ctx, "city-integrity", added["reference"], day, part)
                continue
            if paid <= today:
                commitments.pay(ctx, "city-integrity", added["reference"], paid, amount)
    return {"integrity.arrears": in_arrears} if in_arrears else {}
