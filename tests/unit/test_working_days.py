"""Deadlines in working days: weekends, public holidays and make-up working days."""

from __future__ import annotations

from datetime import date

import pytest

from trustledger.domain.periods import Deadline, Period, WorkCalendar
from trustledger.domain.rulebook import RulebookInvalid, parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

# National Day week 2026 in the example calendar: Thu 1 Oct to Wed 7 Oct off (the weekend of
# 3-4 Oct in between), Sun 27 Sep and Sat 10 Oct worked instead.
CALENDAR = WorkCalendar(
    holidays=frozenset(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
    workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


@pytest.mark.parametrize(
    ("start", "deadline", "expected"),
    [
        (date(2026, 6, 1), "0w", date(2026, 6, 1)),
        (date(2026, 6, 5), "1w", date(2026, 6, 8)),  # Friday -> Monday
        (date(2026, 6, 1), "10w", date(2026, 6, 15)),  # two plain weeks
        (date(2026, 9, 25), "1w", date(2026, 9, 27)),  # Friday -> the make-up Sunday
        (date(2026, 9, 30), "1w", date(2026, 10, 8)),  # across the holiday week
        (date(2026, 9, 30), "3w", date(2026, 10, 10)),  # ... onto the make-up Saturday
        (date(2026, 9, 30), "4w", date(2026, 10, 12)),
        (date(2026, 9, 30), "10d", date(2026, 10, 10)),  # calendar days ignore the calendar
    ],
)
def test_working_day_deadlines(start: date, deadline: str, expected: date) -> None:
    assert Deadline.parse(deadline).after(start, CALENDAR) == expected


def test_the_example_rulebook_counts_complaints_in_its_calendar() -> None:
    book = parse_rulebook(example_rulebook_text())
    assert book.commitments is not None
    assert book.deadline(date(2026, 9, 30), book.commitments.decide_within) == date(2026, 10, 20)
    assert book.deadline(date(2026, 9, 30), Deadline.parse("3w")) == date(2026, 10, 10)


def test_how_long_a_record_counts_stays_in_calendar_units() -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse("10w")
    text = example_rulebook_text().replace(
        "counts_for: 2y                # SPC", "counts_for: 20w  #"
    )
    with pytest.raises(RulebookInvalid, match="counts_for"):
        parse_rulebook(text)
    with pytest.raises(ValueError, match="is not a deadline"):
        Deadline.parse("2x")
