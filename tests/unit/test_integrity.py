"""Commitments of public bodies as records: pure, so every date is an argument."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.intake import Rejected
from trustledger.domain.integrity import (
    Commitment,
    Payment,
    commitment_record,
    distribution,
    due_date,
    performance,
)
from trustledger.domain.rulebook import parse_rulebook
from trustledger.domain.scoring import check, evaluate
from trustledger.services.admin.rulebooks import example_rulebook_text

BOOK = parse_rulebook(example_rulebook_text())
RULES = BOOK.commitments
assert RULES is not None
DUE = date(2026, 3, 3)
C = Commitment(
    source="city-integrity",
    reference="INV-1",
    body="cn-uscc:111100000000000030",
    counterparty="cn-uscc:91350100M000100Y43",
    kind="payment",
    amount=Decimal("10000"),
    accepted_on=date(2026, 2, 1),
    due_on=DUE,
    record_type="gov.overdue_commitment",
    sme=True,
)


def _decision(payments: list[Payment], day: date) -> str:
    record = commitment_record(C, payments)
    records = [record] if record else []
    standing = evaluate(BOOK, SubjectKind.PUBLIC_BODY, records, day)
    return check(standing, "gov.new_project_approval").decision


def test_overdue_from_the_day_after_due_until_paid_in_full() -> None:
    assert _decision([], DUE) == "allow"  # the due day itself
    assert _decision([], DUE + timedelta(days=1)) == "deny"  # the first overdue day
    partial = [Payment(date(2026, 3, 10), Decimal("4000"))]
    assert _decision(partial, date(2026, 3, 11)) == "deny"
    record = commitment_record(C, partial, date(2026, 3, 11))
    assert record is not None and record.amount == Decimal("6000")
    assert record.decided_on == DUE + timedelta(days=1) and record.fulfilled_on is None
    full = [*partial, Payment(date(2026, 4, 1), Decimal("6000"))]
    record = commitment_record(C, full)
    assert record is not None and record.fulfilled_on == date(2026, 4, 1)
    assert _decision(full, date(2026, 3, 31)) == "deny"  # before the last payment
    assert _decision(full, date(2026, 4, 1)) == "allow"  # repair: after 0d ends it on payment


def test_paid_by_the_due_day_is_no_record_at_all() -> None:
    paid = [Payment(date(2026, 2, 20), Decimal("5000")), Payment(DUE, Decimal("5000"))]
    assert commitment_record(C, paid) is None
    assert _decision(paid, DUE + timedelta(days=30)) == "allow"


def test_sme_payment_terms() -> None:
    accepted = date(2026, 2, 1)
    assert due_date(RULES, accepted, None, sme=True, kind="payment") == date(2026, 3, 3)
    assert due_date(RULES, accepted, date(2026, 4, 2), sme=True, kind="payment") == date(2026, 4, 2)
    with pytest.raises(Rejected) as refused:
        due_date(RULES, accepted, date(2026, 4, 3), sme=True, kind="payment")
    assert refused.value.field == "due_on"
    assert "Regulations on Ensuring Payments" in str(refused.value)
    with pytest.raises(Rejected, match="due_on"):
        due_date(RULES, accepted, None, sme=False, kind="payment")
    with pytest.raises(Rejected, match="due_on"):
        due_date(RULES, accepted, date(2026, 1, 1), sme=False, kind="contract")
    # No SME limit for other counterparties.
    assert due_date(RULES, accepted, date(2026, 9, 1), sme=False, kind="payment") == date(
        2026, 9, 1
    )


def test_performance_counts_on_time_overdue_and_days_to_pay() -> None:
    late = C
    on_time = replace(
        C,
        reference="INV-2",
        amount=Decimal("100"),
        accepted_on=date(2026, 1, 1),
        due_on=date(2026, 1, 31),
    )
    items = [
        (late, [Payment(date(2026, 3, 10), Decimal("4000"))]),
        (on_time, [Payment(date(2026, 1, 11), Decimal("100"))]),
    ]
    p = performance(items, date(2026, 3, 20))
    assert (p.overdue_count, p.overdue_amount) == (1, Decimal("6000"))
    assert p.on_time_rate == 0.5 and p.days_to_pay == (10,) and p.median_days_to_pay == 10.0
    assert distribution(p.days_to_pay) == {"0-30": 1, "31-60": 0, "61-90": 0, "91+": 0}
