"""Periods like `2y`, `3m`, `15d`: how long a record counts, added in calendar arithmetic."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

_PERIOD = re.compile(r"^(\d+)([dmy])$")


@dataclass(frozen=True, slots=True)
class Period:
    amount: int
    unit: str  # "d" | "m" | "y"

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a period: write N followed by d, m or y (e.g. 2y)")
        return cls(int(match.group(1)), match.group(2))

    def after(self, start: date) -> date:
        """`start` plus this period; a day that the target month lacks becomes its last day."""
        return _add(self.amount, self.unit, start)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@lru_cache(maxsize=65536)
def _add(amount: int, unit: str, start: date) -> date:
    """Cached: a ledger holds millions of records but only a few thousand distinct days."""
    if unit == "d":
        return start + timedelta(days=amount)
    months = amount * (12 if unit == "y" else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


_DEADLINE = re.compile(r"^(\d+)([dmyw])$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days are working days: not a weekend day and not a public holiday, unless it is a
    make-up working day (a weekend day worked in exchange for a holiday bridge)."""

    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, start: date, working_days: int) -> date:
        """The `working_days`-th working day after `start` (`start` itself for 0)."""
        day, left = start, working_days
        while left > 0:
            day += timedelta(days=1)
            if self.working(day):
                left -= 1
        return day


@dataclass(frozen=True, slots=True)
class Deadline:
    """A time to act: a calendar period (`30d`, `1m`) or working days (`10w`). Only deadlines
    count working days; how long a record counts is always a calendar `Period`."""

    amount: int
    unit: str  # "d" | "m" | "y" | "w"

    @classmethod
    def parse(cls, text: str) -> Deadline:
        match = _DEADLINE.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"{text!r} is not a deadline: write N followed by d, m or y, or w for working "
                "days (e.g. 15w)"
            )
        return cls(int(match.group(1)), match.group(2))

    def after(self, start: date, calendar: WorkCalendar | None = None) -> date:
        if self.unit == "w":
            return (calendar or WorkCalendar()).add(start, self.amount)
        return _add(self.amount, self.unit, start)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"
