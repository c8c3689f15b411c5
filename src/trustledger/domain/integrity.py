"""Government integrity: commitments of public bodies, and when one counts as a record.

A commitment (a payment to a company, a contract, a judgment, a public promise) is due on a
day. From the day after until it is kept in full it counts for its body as a record of the type
the rulebook maps its kind to, with every effect a record has. Nothing runs to make that happen:
`commitment_record` gives one `Record` valid on any day (decided on the first overdue day,
fulfilled on the day it was kept), and the engine's dates do the rest.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from trustledger.domain.intake import Rejected
from trustledger.domain.rulebook import COMMITMENT_KINDS, CommitmentRules
from trustledger.domain.scoring import Record

__all__ = ["COMMITMENT_KINDS"]


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a public body owes a counterparty, by when, and which post answers for it."""

    source: str
    reference: str
    body: str
    counterparty: str
    kind: str
    amount: Decimal
    accepted_on: date
    due_on: date
    record_type: str
    sme: bool = False
    post: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    on: date
    amount: Decimal


def paid(payments: Iterable[Payment], by: date | None = None) -> Decimal:
    """What was paid (by a day, when given)."""
    return sum((p.amount for p in payments if by is None or p.on <= by), Decimal(0))


def kept_on(commitment: Commitment, payments: Sequence[Payment]) -> date | None:
    """The day the commitment was kept in full (its payments add up to the amount), or None."""
    total = Decimal(0)
    for p in sorted(payments, key=lambda p: p.on):
        total += p.amount
        if total >= commitment.amount:
            return p.on
    return None


def owed(commitment: Commitment, payments: Sequence[Payment], as_of: date | None = None) -> Decimal:
    return max(Decimal(0), commitment.amount - paid(payments, as_of))


def commitment_record(
    commitment: Commitment, payments: Sequence[Payment], as_of: date | None = None
) -> Record | None:
    """The record an overdue commitment counts as, or None if it was kept by its due day.

    decided_on is the first overdue day; fulfilled_on the day it was kept in full (the type's
    `repair` rule then ends it); amount what is still owed on `as_of` (or after every payment
    recorded), or, once kept, what was owed on the first overdue day.
    """
    kept = kept_on(commitment, payments)
    if kept is not None and kept <= commitment.due_on:
        return None
    first_overdue = commitment.due_on + timedelta(days=1)
    amount = owed(commitment, payments, as_of)
    if amount == 0:
        amount = owed(commitment, payments, commitment.due_on)
    return Record(
        reference=commitment.reference,
        type=commitment.record_type,
        decided_on=first_overdue,
        source=commitment.source,
        fulfilled_on=kept,
        amount=amount,
    )


def overdue_on(commitment: Commitment, payments: Sequence[Payment], day: date) -> bool:
    """Whether the commitment is overdue and not kept in full on `day`."""
    return commitment.due_on < day and owed(commitment, payments, day) > 0


def due_date(
    rules: CommitmentRules, accepted_on: date, due_on: date | None, *, sme: bool, kind: str
) -> date:
    """The due day of a commitment: given, or (a payment to an SME) the default term after
    acceptance; a payment to an SME may not be due later than the longest term allows."""
    if due_on is not None and due_on < accepted_on:
        raise Rejected("due_on", f"{due_on} is before accepted_on ({accepted_on})")
    if not (sme and kind == "payment"):
        if due_on is None:
            raise Rejected("due_on", "is required (a default applies only to payments to SMEs)")
        return due_on
    terms = rules.sme_payment
    if due_on is None:
        return terms.default.after(accepted_on)
    latest = terms.longest.after(accepted_on)
    if due_on > latest:
        raise Rejected(
            "due_on",
            f"{due_on} is more than {terms.longest} after acceptance ({accepted_on}); a payment "
            f"to an SME is due by {latest} at the latest ({terms.legal_basis})",
        )
    return due_on


@dataclass(frozen=True, slots=True)
class Performance:
    """How a body (or an office) keeps its commitments, on a day."""

    commitments: int
    overdue_count: int
    overdue_amount: Decimal
    on_time_rate: float | None  # of commitments due by the day: kept by their due day
    median_days_to_pay: float | None  # accepted_on to kept, over commitments kept by the day
    days_to_pay: tuple[int, ...]  # each kept commitment's days from acceptance to payment


def performance(items: Sequence[tuple[Commitment, Sequence[Payment]]], day: date) -> Performance:
    overdue_count, overdue_amount = 0, Decimal(0)
    due, on_time = 0, 0
    days: list[int] = []
    for c, ps in items:
        if c.accepted_on > day:
            continue
        seen = [p for p in ps if p.on <= day]
        kept = kept_on(c, seen)
        if kept is not None:
            days.append((kept - c.accepted_on).days)
        if c.due_on < day:
            due += 1
            if kept is not None and kept <= c.due_on:
                on_time += 1
        if overdue_on(c, seen, day):
            overdue_count += 1
            overdue_amount += owed(c, seen, day)
    return Performance(
        commitments=len(items),
        overdue_count=overdue_count,
        overdue_amount=overdue_amount,
        on_time_rate=round(on_time / due, 4) if due else None,
        median_days_to_pay=float(statistics.median(days)) if days else None,
        days_to_pay=tuple(sorted(days)),
    )


def distribution(days: Sequence[int]) -> dict[str, int]:
    """Days to pay in bands: within 30, 31-60, 61-90, over 90."""
    bands = {"0-30": 0, "31-60": 0, "61-90": 0, "91+": 0}
    for d in days:
        key = "0-30" if d <= 30 else "31-60" if d <= 60 else "61-90" if d <= 90 else "91+"
        bands[key] += 1
    return bands
