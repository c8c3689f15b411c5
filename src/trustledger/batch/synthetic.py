"""A reproducible synthetic city: valid identifiers, plausible record rates, real sources.

Rates are events per subject per year; the number of records of a type is drawn once and
spread uniformly over subjects and days, which is a Poisson process per subject.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from trustledger.domain.identifiers import (
    USCC_ALPHABET,
    SubjectKind,
    rid_check_character,
    uscc_check_character,
)
from trustledger.domain.rulebook import Rulebook

# One source per reporting kind: (code, kind, name).
SOURCES = (
    ("city-court", "court", "City Intermediate People's Court"),
    ("city-tax", "tax-bureau", "City Tax Bureau"),
    ("city-traffic", "traffic-police", "City Traffic Police Detachment"),
    ("city-bank", "lender", "City Commercial Bank"),
    ("city-market", "market-regulator", "City Administration for Market Regulation"),
    ("city-environment", "environmental-regulator", "City Ecology and Environment Bureau"),
    ("city-civil-affairs", "civil-affairs", "City Civil Affairs Bureau"),
    ("city-blood-center", "blood-center", "City Blood Center"),
    ("city-procurement", "procurement-office", "City Government Procurement Center"),
    ("city-labour", "labour-inspection", "City Labour Inspection Brigade"),
    ("city-integrity", "integrity-office", "City Government Integrity Office"),
)

# Events per subject per year, by kind. Written into the demo's output and the simulator report.
RATES: dict[SubjectKind, dict[str, float]] = {
    SubjectKind.PERSON: {
        "traffic.violation": 0.40,
        "civic.volunteer_hours": 0.50,
        "civic.blood_donation": 0.05,
        "civic.charity_donation": 0.05,
        "admin.penalty_minor": 0.02,
        "admin.penalty_general": 0.01,
        "finance.loan_default": 0.01,
        "court.dishonest_debtor": 0.004,
        "traffic.drunk_driving": 0.003,
        "admin.penalty_serious": 0.001,
        "court.dishonest_debtor_extended": 0.0005,
        "market.counterfeit_goods": 0.0005,
        "civic.heroic_act": 0.0005,
        "court.defamation": 0.0003,
        "tax.major_violation": 0.0002,
        "procurement.fraud": 0.00005,
    },
    SubjectKind.ORGANIZATION: {
        "tax.a_grade": 0.30,
        "admin.penalty_minor": 0.10,
        "admin.penalty_general": 0.05,
        "civic.charity_donation": 0.05,
        "finance.loan_default": 0.02,
        "env.pollution": 0.02,
        "admin.penalty_serious": 0.01,
        "court.dishonest_debtor": 0.01,
        "tax.major_violation": 0.005,
        "market.counterfeit_goods": 0.005,
        "labour.wage_arrears": 0.005,
        "procurement.fraud": 0.002,
    },
    SubjectKind.PUBLIC_BODY: {
        "gov.overdue_commitment": 0.30,
        "gov.judgment_unperformed": 0.05,
    },
}
# Share of records later fulfilled (debts paid, commitments kept), by type.
FULFILMENT = {
    "court.dishonest_debtor": 0.5,
    "court.dishonest_debtor_extended": 0.3,
    "finance.loan_default": 0.6,
    "gov.overdue_commitment": 0.7,
    "gov.judgment_unperformed": 0.5,
    "labour.wage_arrears": 0.6,
}
CONSENT_SHARE = 0.6
AREAS = ("110105", "310104", "440305", "371002", "330106", "510107")


@dataclass
class City:
    persons: list[str]
    organizations: list[str]
    public_bodies: list[str]
    consenting: set[str]
    records: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # by source code
    examples: dict[str, str] = field(default_factory=dict)  # record type -> a subject

    @property
    def record_count(self) -> int:
        return sum(len(rows) for rows in self.records.values())


def person_id(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"{rng.choice(AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return f"cn-rid:{body}{rid_check_character(body)}"


def organization_id(rng: random.Random, public_body: bool) -> str:
    head = "11" if public_body else rng.choice(("91", "92", "93", "52"))
    tail = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    body = f"{head}{rng.choice(AREAS)}{tail}"
    return f"cn-uscc:{body}{uscc_check_character(body)}"


def _unique(make: Iterator[str], n: int) -> list[str]:
    seen: dict[str, None] = {}
    for value in make:
        if len(seen) == n:
            break
        seen.setdefault(value)
    return list(seen)


def build_city(
    book: Rulebook,
    *,
    persons: int,
    organizations: int,
    public_bodies: int,
    years: int = 3,
    today: date,
    seed: int = 2026,
) -> City:
    rng = random.Random(seed)
    city = City(
        persons=_unique((person_id(rng) for _ in iter(int, 1)), persons),
        organizations=_unique((organization_id(rng, False) for _ in iter(int, 1)), organizations),
        public_bodies=_unique((organization_id(rng, True) for _ in iter(int, 1)), public_bodies),
        consenting=set(),
    )
    city.consenting = {p for p in city.persons if rng.random() < CONSENT_SHARE}
    source_of: dict[str, str] = {}
    for code, kind, _name in SOURCES:
        for rt in book.record_types:
            if kind in rt.reporters:
                source_of.setdefault(rt.code, code)
    start = today - timedelta(days=365 * years)
    span = (today - start).days
    population = {
        SubjectKind.PERSON: city.persons,
        SubjectKind.ORGANIZATION: city.organizations,
        SubjectKind.PUBLIC_BODY: city.public_bodies,
    }
    sequence = 0
    listed = set(book.index.lists_by_type)
    latest: dict[str, date] = {}
    for kind, rates in RATES.items():
        subjects = population[kind]
        if not subjects:
            continue
        for type_code, rate in rates.items():
            if book.record_type(type_code) is None:
                continue
            source = source_of[type_code]
            expected = rate * years * len(subjects)
            count = int(expected) + (rng.random() < expected - int(expected))
            for _ in range(count):
                sequence += 1
                subject = rng.choice(subjects)
                decided = start + timedelta(days=rng.randrange(span + 1))
                row = {
                    "subject": subject,
                    "type": type_code,
                    "reference": f"{source}-{decided.year}-{sequence:08d}",
                    "decided_on": decided.isoformat(),
                }
                if type_code in listed:  # historical decisions were served when made
                    row["notified_on"] = row["decided_on"]
                if rng.random() < FULFILMENT.get(type_code, 0.0):
                    done = decided + timedelta(days=rng.randrange(1, 400))
                    if done <= today:
                        row["fulfilled_on"] = done.isoformat()
                city.records.setdefault(source, []).append(row)
                # The showcase wants a recent, still counting record of a scored subject.
                settled = decided <= today - timedelta(days=30)  # past any notice period
                if (
                    settled
                    and "fulfilled_on" not in row
                    and (kind != SubjectKind.PERSON or subject in city.consenting)
                ):
                    newest = latest.get(type_code)
                    if newest is None or decided > newest:
                        latest[type_code] = decided
                        city.examples[type_code] = subject
    return city
