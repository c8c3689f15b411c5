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
