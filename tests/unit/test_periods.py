"""Periods: `Nd`, `Nm`, `Ny` added in calendar arithmetic, clamped to the end of the month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.strategies import PROPERTY
from trustledger.domain.periods import Period


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [("2y", 2, "y"), ("3m", 3, "m"), ("15d", 15, "d"), ("0d", 0, "d"), (" 10d ", 10, "d")],
)
def test_parse(text: str, amount: int, unit: str) -> None:
    period = Period.parse(text)
    assert period == Period(amount, unit)
    assert str(period) == f"{amount}{unit}"


@pytest.mark.parametrize("text", ["", "2", "y", "2w", "-1d", "1.5y", "2 y", "2Y", "2yy", "d2"])
def test_parse_rejects_what_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(text)


def test_parse_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        # days are plain days
        (date(2026, 1, 31), "1d", date(2026, 2, 1)),
        (date(2024, 2, 28), "1d", date(2024, 2, 29)),
        (date(2026, 12, 31), "1d", date(2027, 1, 1)),
        (date(2026, 5, 1), "10d", date(2026, 5, 11)),
        (date(2026, 5, 1), "0d", date(2026, 5, 1)),
        (date(2026, 1, 1), "365d", date(2027, 1, 1)),
        (date(2024, 1, 1), "365d", date(2024, 12, 31)),  # leap year
        # months keep the day of month, clamped to the month's last day
        (date(2026, 1, 31), "1m", date(2026, 2, 28)),
        (date(2024, 1, 31), "1m", date(2024, 2, 29)),
        (date(2026, 3, 31), "1m", date(2026, 4, 30)),
        (date(2026, 1, 15), "1m", date(2026, 2, 15)),
        (date(2026, 11, 30), "3m", date(2027, 2, 28)),
        (date(2026, 12, 15), "1m", date(2027, 1, 15)),
        (date(2026, 1, 31), "12m", date(2027, 1, 31)),
        (date(2026, 1, 31), "25m", date(2028, 2, 29)),
        # years are twelve months: Feb 29 becomes Feb 28
        (date(2024, 2, 29), "1y", date(2025, 2, 28)),
        (date(2024, 2, 29), "4y", date(2028, 2, 29)),
        (date(2026, 5, 1), "2y", date(2028, 5, 1)),
        (date(2026, 12, 31), "3y", date(2029, 12, 31)),
    ],
)
def test_after(start: date, period: str, expected: date) -> None:
    assert Period.parse(period).after(start) == expected


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 1000))
@settings(PROPERTY, max_examples=150)
def test_days_are_timedelta(start: date, n: int) -> None:
    assert Period(n, "d").after(start) == start + timedelta(days=n)


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 100))
@settings(PROPERTY, max_examples=150)
def test_months(start: date, n: int) -> None:
    end = Period(n, "m").after(start)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == n
    assert end.day == start.day or (end.day < start.day and (end + timedelta(days=1)).day == 1)
    assert Period(n, "y").after(start) == Period(12 * n, "m").after(start)
    assert end >= start
