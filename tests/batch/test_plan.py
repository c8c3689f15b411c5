"""The plan's compile-time day arithmetic: first counting days, month ends, notices."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.strategies import PROPERTY
from trustledger.batch.plan import Dialect, compile_plan, first_counting_day
from trustledger.domain.periods import Period
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

PERIODS = st.builds(Period, st.integers(0, 40), st.sampled_from(["d", "m", "y"]))


@PROPERTY
@given(period=PERIODS, as_of=st.dates(date(1990, 1, 1), date(2060, 12, 31)))
def test_first_counting_day_is_where_the_end_passes_as_of(period: Period, as_of: date) -> None:
    first = first_counting_day(period, as_of)
    assert period.after(first) > as_of
    assert period.after(first - timedelta(days=1)) <= as_of


def test_month_ends_clamp_as_the_domain_does() -> None:
    month = Period(1, "m")
    # 31 Jan, 30 Jan and 29 Jan + 1m all end on 29 Feb 2024: none counts on 29 Feb.
    assert first_counting_day(month, date(2024, 2, 29)) == date(2024, 2, 1)
    assert first_counting_day(month, date(2024, 2, 28)) == date(2024, 1, 29)
    # A leap day plus a year ends on 28 Feb 2025.
    year = Period(1, "y")
    assert first_counting_day(year, date(2025, 2, 27)) == date(2024, 2, 28)
    assert first_counting_day(year, date(2025, 2, 28)) == date(2024, 3, 1)
    assert first_counting_day(Period(10, "d"), date(2026, 1, 10)) == date(2026, 1, 1)


def test_one_text_for_both_engines() -> None:
    book = parse_rulebook(example_rulebook_text())
    plan = compile_plan(book, date(2026, 6, 1))
    duck, spark = plan.sql(Dialect.DUCKDB), plan.sql(Dialect.SPARK)
    # Only the typing of one sum differs.
    assert duck.replace("CAST(SUM(f.points) AS BIGINT)", "SUM(f.points)") == spark
    assert plan.list_columns["dishonest-debtors"] == "list_0"
    # Thresholds are constants: dishonest debtors count for 2 years, up to 1 June 2026.
    assert (
        "('court.dishonest_debtor', 'person', 0, CAST(-150 AS BIGINT), -1, DATE '2024-06-02'"
        in duck
    )
