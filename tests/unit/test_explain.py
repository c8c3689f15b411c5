"""Pending entries, the tier cap and paths out: pure functions of records, rulebook and date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from trustledger.domain.explain import paths_out
from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.rulebook import parse_rulebook
from trustledger.domain.scoring import Confirmation, Pending, Record, TierCap, evaluate

BOOK = parse_rulebook((Path(__file__).parents[2] / "rulebooks" / "example-city.yaml").read_text())
PERSON, ORG = SubjectKind.PERSON, SubjectKind.ORGANIZATION
D = date(2026, 3, 2)


def debt(ref: str = "(2026)1", decided: date = D, **more: object) -> Record:
    return Record(ref, "court.dishonest_debtor", decided, "city-court", **more)  # type: ignore[arg-type]


def test_a_listing_in_its_notice_period_is_pending_with_its_start() -> None:
    standing = evaluate(BOOK, PERSON, [debt(notified_on=D)], D + timedelta(days=3))
    assert standing.lists == ()
    assert standing.pending == (
        Pending("dishonest-debtors", D + timedelta(days=10), "record:(2026)1"),
    )
    on = evaluate(BOOK, PERSON, [debt(notified_on=D)], D + timedelta(days=10))
    assert on.pending == () and [m.list for m in on.lists] == ["dishonest-debtors"]


def test_an_entry_awaiting_a_reviewer_is_pending_without_a_start() -> None:
    records = [Record(f"P{i}", "procurement.fraud", D, "city-procurement") for i in range(3)] + [
        Record(f"F{i}", "finance.loan_default", D, "city-bank") for i in range(5)
    ]
    standing = evaluate(BOOK, ORG, records, D + timedelta(days=1))
    assert standing.tier == "D"
    assert Pending("credit-watch", None, "tier:D") in standing.pending
    confirmed = evaluate(
        BOOK,
        ORG,
        records,
        D + timedelta(days=1),
        confirmations=[Confirmation("credit-watch", D)],
    )
    assert all(p.list != "credit-watch" for p in confirmed.pending)


def test_a_tier_cap_names_the_record_and_the_uncapped_tier() -> None:
    drunk = [
        Record("T1", "traffic.drunk_driving", D, "city-traffic"),
        Record("T2", "traffic.drunk_driving", D + timedelta(days=30), "city-traffic"),
    ]
    standing = evaluate(BOOK, PERSON, drunk, D + timedelta(days=40), consent=True)
    assert (standing.score, standing.tier) == (900, "C")
    # The cap lasts while the later record counts: it names that one.
    assert standing.tier_cap == TierCap(
        "C", "B", "traffic.drunk_driving", "T2", "city-traffic", date(2028, 4, 1)
    )
    # A cap that changes nothing is not reported.
    low = [*drunk, *(Record(f"L{i}", "finance.loan_default", D, "city-bank") for i in range(8))]
    assert evaluate(BOOK, PERSON, low, D + timedelta(days=40), consent=True).tier_cap is None


def test_paths_out_say_when_each_thing_ends() -> None:
    today = D + timedelta(days=60)
    records = [debt(notified_on=D), Record("T1", "traffic.violation", D, "city-traffic")]
    standing = evaluate(BOOK, PERSON, records, today, consent=True)
    paths = {(p.what, p.list or p.reference): p for p in paths_out(BOOK, standing, records, today)}
    listed = paths[("list", "dishonest-debtors")]
    assert listed.ends_on == date(2028, 3, 2)
    assert listed.if_fulfilled == today  # repair after 0d: removed on performance
    assert listed.dispute_until == date(2028, 3, 1)
    ticket = paths[("contribution", "T1")]
    assert (ticket.ends_on, ticket.if_fulfilled) == (date(2027, 3, 2), None)  # no repair rule
    assert "allows no early end" in ticket.explanation
    records = [Record("TX1", "tax.major_violation", D, "city-tax")]
    standing = evaluate(BOOK, PERSON, records, today, consent=True)
    assert standing.tier_cap is not None
    paths = {(p.what, p.list or p.reference): p for p in paths_out(BOOK, standing, records, today)}
    cap = paths[("tier_cap", "TX1")]
    assert cap.ends_on == date(2029, 3, 2)
    assert cap.if_fulfilled == date(2027, 3, 2)  # repair after 1y
    tax = paths[("list", "major-tax-violators")]
    assert tax.if_fulfilled == date(2027, 3, 2)


def test_a_disputed_record_has_no_dispute_deadline_and_says_so() -> None:
    standing = evaluate(BOOK, PERSON, [debt(notified_on=D, disputed=True)], D + timedelta(days=20))
    [listed] = [p for p in paths_out(BOOK, standing, [debt(disputed=True)], D) if p.what == "list"]
    assert listed.disputed and listed.dispute_until is None
    assert "dispute of (2026)1 is open" in listed.explanation


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["court.dishonest_debtor", "traffic.drunk_driving", "tax.major_violation"]
            ),
            st.integers(0, 900),
            st.one_of(st.none(), st.integers(0, 900)),
        ),
        max_size=6,
    ),
    st.integers(0, 1200),
)
def test_every_weight_has_a_path_out_that_ends_after_today(
    items: list[tuple[str, int, int | None]], offset: int
) -> None:
    """Nothing is permanent: every list, pending entry, cap and lost point ends on a date
    after the day asked about (or, for tier-based entries, when the tier changes)."""
    records = [
        Record(
            f"R{i}",
            code,
            D + timedelta(days=start),
            "src",
            fulfilled_on=None if paid is None else D + timedelta(days=start + paid),
        )
        for i, (code, start, paid) in enumerate(items)
    ]
    day = D + timedelta(days=offset)
    standing = evaluate(BOOK, PERSON, records, day, consent=True)
    paths = paths_out(BOOK, standing, records, day)
    negatives = [c for c in standing.contributions if c.points < 0]
    assert len(paths) == (
        len(standing.lists)
        + len(standing.pending)
        + (standing.tier_cap is not None)
        + len(negatives)
    )
    for p in paths:
        if p.reference is not None:
            assert p.ends_on is not None and p.ends_on > day
            if p.if_fulfilled is not None:
                assert p.if_fulfilled <= p.ends_on
