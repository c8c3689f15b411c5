"""The example city's rulebook, rule by rule: every record type, every list, every measure.

The tables below restate example-city.yaml on purpose: a change to the rulebook must change a
test too, so that nobody's points, periods or restrictions move silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.periods import Period
from trustledger.domain.rulebook import Effect, parse_rulebook
from trustledger.domain.scoring import Confirmation, Record, Standing, check, evaluate
from trustledger.services.admin.rulebooks import example_rulebook_text

BOOK = parse_rulebook(example_rulebook_text())
PERSON, ORG, BODY = SubjectKind.PERSON, SubjectKind.ORGANIZATION, SubjectKind.PUBLIC_BODY
D = date(2026, 1, 15)  # the day of every decision below


@dataclass(frozen=True)
class TypeRule:
    points: int
    counts_for: str
    kinds: tuple[SubjectKind, ...]
    reporters: tuple[str, ...]
    tier_alone: str  # the tier of a consenting subject with only this one record
    cap: int | None = None
    tier_cap: str | None = None
    repair: str | None = None
    lists: tuple[str, ...] = ()


PO = (PERSON, ORG)
OP = (ORG, PERSON)
REGULATORS = ("market-regulator", "environmental-regulator", "labour-inspection", "tax-bureau")

RECORD_TYPES: dict[str, TypeRule] = {
    "court.dishonest_debtor": TypeRule(
        -150, "2y", PO, ("court",), "B", repair="0d", lists=("dishonest-debtors",)
    ),
    "court.dishonest_debtor_extended": TypeRule(
        -200, "5y", PO, ("court",), "C", repair="0d", lists=("dishonest-debtors",)
    ),
    "court.defamation": TypeRule(-100, "2y", (PERSON,), ("court",), "B"),
    "tax.major_violation": TypeRule(
        -120,
        "3y",
        PO,
        ("tax-bureau",),
        "C",  # 880 would be B; the tier cap makes it C
        tier_cap="C",
        repair="1y",
        lists=("major-tax-violators",),
    ),
    "tax.a_grade": TypeRule(30, "1y", (ORG,), ("tax-bureau",), "A", lists=("a-grade-taxpayers",)),
    "finance.loan_default": TypeRule(-40, "5y", PO, ("lender",), "A", repair="1y"),
    "traffic.violation": TypeRule(-5, "1y", (PERSON,), ("traffic-police",), "A"),
    "traffic.drunk_driving": TypeRule(
        -50, "2y", (PERSON,), ("traffic-police", "court"), "C", tier_cap="C"
    ),
    "admin.penalty_minor": TypeRule(-5, "3m", PO, REGULATORS, "A"),
    "admin.penalty_general": TypeRule(-20, "1y", PO, REGULATORS, "A", repair="3m"),
    "admin.penalty_serious": TypeRule(-80, "3y", PO, REGULATORS, "B", repair="1y"),
    "market.counterfeit_goods": TypeRule(-35, "3y", PO, ("market-regulator",), "A"),
    "env.pollution": TypeRule(-60, "3y", (ORG,), ("environmental-regulator",), "B", repair="1y"),
    "labour.wage_arrears": TypeRule(
        -80, "3y", (ORG,), ("labour-inspection",), "B", repair="0d", lists=("wage-arrears",)
    ),
    "procurement.fraud": TypeRule(
        -150, "3y", OP, ("procurement-office",), "B", lists=("procurement-debarment",)
    ),
    "civic.volunteer_hours": TypeRule(5, "1y", (PERSON,), ("civil-affairs",), "A", cap=50),
    "civic.blood_donation": TypeRule(20, "2y", (PERSON,), ("blood-center",), "A", cap=40),
    "civic.heroic_act": TypeRule(30, "3y", (PERSON,), ("civil-affairs",), "A"),
    "civic.charity_donation": TypeRule(10, "1y", PO, ("civil-affairs",), "A", cap=30),
    "gov.overdue_commitment": TypeRule(
        -50, "2y", (BODY,), ("integrity-office",), "B", repair="0d", lists=("government-arrears",)
    ),
    "gov.judgment_unperformed": TypeRule(
        -100, "2y", (BODY,), ("court",), "B", repair="0d", lists=("government-arrears",)
    ),
}

HIGH_CONSUMPTION = {
    "travel.flight",
    "travel.rail_soft_sleeper",
    "travel.ship_cabin_above_second_class",
    "hospitality.star_hotel",
    "leisure.nightclub",
    "leisure.golf",
    "property.purchase",
    "property.luxury_renovation",
    "property.office_lease",
    "vehicle.purchase",
    "travel.holiday",
    "education.private_school_fees",
    "finance.high_premium_insurance",
    "travel.rail_g_train",
    "travel.rail_first_class",
}


@dataclass(frozen=True)
class ListRule:
    kind: str
    notice_days: int
    review: str
    entry_types: tuple[str, ...] = ()
    entry_tiers: tuple[str, ...] = ()
    # (measure code, action, effect) attached to the list
    measures: frozenset[tuple[str, str, Effect]] = field(default_factory=frozenset)


def _deny(*pairs: tuple[str, str]) -> frozenset[tuple[str, str, Effect]]:
    return frozenset((code, action, Effect.DENY) for code, action in pairs)


LISTS: dict[str, ListRule] = {
    "dishonest-debtors": ListRule(
        "black",
        10,
        "none",
        entry_types=("court.dishonest_debtor", "court.dishonest_debtor_extended"),
        measures=_deny(
            ("no-flights", "travel.flight"),
            ("no-soft-sleepers", "travel.rail_soft_sleeper"),
            ("no-ship-cabins", "travel.ship_cabin_above_second_class"),
            ("no-star-hotels", "hospitality.star_hotel"),
            ("no-nightclubs", "leisure.nightclub"),
            ("no-golf", "leisure.golf"),
            ("no-property-purchase", "property.purchase"),
            ("no-luxury-renovation", "property.luxury_renovation"),
            ("no-high-end-offices", "property.office_lease"),
            ("no-nonessential-cars", "vehicle.purchase"),
            ("no-holidays", "travel.holiday"),
            ("no-private-school-fees", "education.private_school_fees"),
            ("no-high-premium-insurance", "finance.high_premium_insurance"),
            ("no-g-trains", "travel.rail_g_train"),
            ("no-high-speed-first-class", "travel.rail_first_class"),
        ),
    ),
    "major-tax-violators": ListRule(
        "black",
        10,
        "none",
        entry_types=("tax.major_violation",),
        measures=_deny(
            ("tax-violators-no-bids", "procurement.bid"),
            ("tax-violators-no-subsidies", "gov.subsidy"),
        ),
    ),
    "procurement-debarment": ListRule(
        "black",
        0,
        "none",
        entry_types=("procurement.fraud",),
        measures=_deny(("debarred-no-bids", "procurement.bid")),
    ),
    "wage-arrears": ListRule(
        "black",
        10,
        "none",
        entry_types=("labour.wage_arrears",),
        measures=_deny(
            ("wage-arrears-no-bids", "procurement.bid"),
            ("wage-arrears-no-subsidies", "gov.subsidy"),
        ),
    ),
    "government-arrears": ListRule(
        "black",
        0,
        "none",
        entry_types=("gov.overdue_commitment", "gov.judgment_unperformed"),
        measures=_deny(("arrears-no-new-projects", "gov.new_project_approval")),
    ),
    "honor-roll": ListRule(
        "red",
        0,
        "none",
        entry_tiers=("AAA",),
        measures=frozenset(
            {
                ("honor-deposit-free-rental", "rental.deposit", Effect.WAIVE_DEPOSIT),
                ("honor-green-channel", "approval.permit", Effect.GREEN_CHANNEL),
                ("honor-preferential-loans", "loan.application", Effect.DISCOUNT),
            }
        ),
    ),
    "a-grade-taxpayers": ListRule(
        "red",
        0,
        "none",
        entry_types=("tax.a_grade",),
        measures=frozenset(
            {
                ("a-grade-green-channel", "tax.invoice_approval", Effect.GREEN_CHANNEL),
                ("a-grade-bank-tax-loans", "loan.application", Effect.DISCOUNT),
            }
        ),
    ),
    "credit-watch": ListRule("watch", 0, "required", entry_tiers=("D",)),
}

TIER_MEASURES: dict[str, frozenset[tuple[str, str, Effect]]] = {
    "AAA": frozenset(
        {
            ("aaa-library-no-deposit", "library.borrow", Effect.WAIVE_DEPOSIT),
            ("aaa-priority-approvals", "approval.permit", Effect.PRIORITY),
        }
    ),
    "A": frozenset({("a-tier-library-no-deposit", "library.borrow", Effect.WAIVE_DEPOSIT)}),
    "B": frozenset(),
    "C": frozenset(),
    "D": frozenset(),
}

_refs = iter(range(10**6))


def rec(type_: str, decided_on: date = D, fulfilled_on: date | None = None) -> Record:
    return Record(
        reference=f"EX-{next(_refs)}",
        type=type_,
        decided_on=decided_on,
        source="city-source",
        fulfilled_on=fulfilled_on,
    )


def ev(
    kind: SubjectKind,
    records: list[Record],
    as_of: date,
    consent: bool = True,
    confirmations: tuple[Confirmation, ...] = (),
) -> Standing:
    return evaluate(BOOK, kind, records, as_of, consent=consent, confirmations=confirmations)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def measure_set(s: Standing) -> set[tuple[str, str, Effect]]:
    return {(m.code, m.action, m.effect) for m in s.measures}


def list_codes(s: Standing) -> list[str]:
    return [m.list for m in s.lists]


# --- the tables are complete ---------------------------------------------------------------------


def test_the_tables_cover_every_rule_of_the_rulebook() -> None:
    assert set(RECORD_TYPES) == {t.code for t in BOOK.record_types}
    assert set(LISTS) == {s.code for s in BOOK.lists}
    listed = {m[0] for rule in LISTS.values() for m in rule.measures}
    tiered = {m[0] for ms in TIER_MEASURES.values() for m in ms}
    assert listed | tiered == {m.code for m in BOOK.measures}
    assert not listed & tiered
    assert set(TIER_MEASURES) == {t.code for t in BOOK.tiers}
    assert len(BOOK.record_types) >= 20


def test_score_and_tiers() -> None:
    s = BOOK.score
    assert (s.base, s.min, s.max, s.requires_consent) == (1000, 0, 1200, (PERSON,))
    assert [(t.code, t.min) for t in BOOK.tiers] == [
        ("AAA", 1050),
        ("A", 960),
        ("B", 850),
        ("C", 600),
        ("D", 0),
    ]


# --- every record type ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(RECORD_TYPES))
def test_record_type_is_declared_as_expected(code: str) -> None:
    rule, rt = RECORD_TYPES[code], BOOK.index.types[code]
    assert rt.points == rule.points
    assert rt.counts_for == Period.parse(rule.counts_for)
    assert set(rt.subject_kinds) == set(rule.kinds)
    assert set(rt.reporters) == set(rule.reporters)
    assert rt.cap == rule.cap
    assert rt.tier_cap == rule.tier_cap
    assert (str(rt.repair.after) if rt.repair else None) == rule.repair
    assert rt.legal_basis.strip()
    fed = {s.code for s in BOOK.lists if code in (s.entry.record_types or ())}
    assert fed == set(rule.lists)


@pytest.mark.parametrize("code", sorted(RECORD_TYPES))
@pytest.mark.parametrize("kind", list(SubjectKind))
def test_record_type_counts_its_points_for_its_period(code: str, kind: SubjectKind) -> None:
    rule = RECORD_TYPES[code]
    r = rec(code)
    end = Period.parse(rule.counts_for).after(D)
    on = ev(kind, [r], D)
    if kind not in rule.kinds:  # a record of another kind's type changes nothing
        assert (on.score, on.contributions, on.lists) == (1000, (), ())
        return
    assert on.score == 1000 + rule.points
    assert on.tier == rule.tier_alone
    assert [(c.reference, c.points, c.counts_until) for c in on.contributions] == [
        (r.reference, rule.points, end)
    ]
    assert ev(kind, [r], end - days(1)).score == 1000 + rule.points
    assert ev(kind, [r], D - days(1)).score == 1000
    after = ev(kind, [r], end)
    assert (after.score, after.contributions, after.lists) == (1000, (), ())
    assert after.tier == "A"


@pytest.mark.parametrize("code", sorted(RECORD_TYPES))
def test_record_type_feeds_its_lists_and_their_measures(code: str) -> None:
    rule = RECORD_TYPES[code]
    kind = rule.kinds[0]
    r = rec(code)
    end = Period.parse(rule.counts_for).after(D)
    for list_code in rule.lists:
        spec = LISTS[list_code]
        start = D + days(spec.notice_days)
        if spec.notice_days:
            assert list_code not in list_codes(ev(kind, [r], start - days(1)))
        for day in (start, end - days(1)):
            standing = ev(kind, [r], day, consent=False)
            (membership,) = [m for m in standing.lists if m.list == list_code]
            assert (membership.since, membership.until) == (start, end)
            assert measure_set(standing) >= spec.measures
        assert list_code not in list_codes(ev(kind, [r], end))
    if not rule.lists:
        for day in (D, D + days(30)):
            assert ev(kind, [r], day, consent=False).lists == ()


@pytest.mark.parametrize("code", sorted(c for c, r in RECORD_TYPES.items() if r.repair))
def test_record_type_with_repair_ends_early_once_fulfilled(code: str) -> None:
    rule = RECORD_TYPES[code]
    assert rule.repair is not None
    kind = rule.kinds[0]
    counts_end = Period.parse(rule.counts_for).after(D)
    repair_end = Period.parse(rule.repair).after(D)
    # fulfilled at once: counts until repair.after has passed
    r = rec(code, fulfilled_on=D)
    assert ev(kind, [r], repair_end).score == 1000
    if repair_end > D:
        assert ev(kind, [r], repair_end - days(1)).score == 1000 + rule.points
    # fulfilled after repair.after has passed: counts until fulfilment
    late = repair_end + (counts_end - repair_end) // 2
    r = rec(code, fulfilled_on=late)
    assert repair_end < late < counts_end
    assert ev(kind, [r], late - days(1)).score == 1000 + rule.points
    assert ev(kind, [r], late).score == 1000
    # fulfilled after the period: the period ends it as usual
    r = rec(code, fulfilled_on=counts_end + days(10))
    assert ev(kind, [r], counts_end - days(1)).score == 1000 + rule.points
    assert ev(kind, [r], counts_end).score == 1000


@pytest.mark.parametrize("code", sorted(c for c, r in RECORD_TYPES.items() if not r.repair))
def test_record_type_without_repair_counts_in_full_even_when_fulfilled(code: str) -> None:
    rule = RECORD_TYPES[code]
    kind = rule.kinds[0]
    end = Period.parse(rule.counts_for).after(D)
    r = rec(code, fulfilled_on=D)
    assert ev(kind, [r], end - days(1)).score == 1000 + rule.points
    assert ev(kind, [r], end).score == 1000


@pytest.mark.parametrize("code", sorted(c for c, r in RECORD_TYPES.items() if r.cap))
def test_record_type_cap(code: str) -> None:
    rule = RECORD_TYPES[code]
    assert rule.cap is not None
    kind = rule.kinds[0]
    many = [rec(code, D + days(i)) for i in range(20)]
    standing = ev(kind, many, D + days(20))
    assert standing.score == 1000 + rule.cap
    assert sum(c.points for c in standing.contributions) == rule.cap


# --- the named scenarios -------------------------------------------------------------------------


def test_a_dishonest_debtor_is_denied_high_consumption_from_notice_until_two_years() -> None:
    r = rec("court.dishonest_debtor")
    assert {a for _, a, _ in LISTS["dishonest-debtors"].measures} == HIGH_CONSUMPTION
    for consent in (False, True):
        for action in HIGH_CONSUMPTION:
            assert check(ev(PERSON, [r], D + days(9), consent), action).decision == "allow"
            assert check(ev(PERSON, [r], D + days(10), consent), action).decision == "deny"
            assert check(ev(PERSON, [r], date(2028, 1, 14), consent), action).decision == "deny"
            assert check(ev(PERSON, [r], date(2028, 1, 15), consent), action).decision == "allow"
    # the same for a company
    assert check(ev(ORG, [r], D + days(10)), "travel.flight").decision == "deny"
    # never anything outside high consumption: a debtor may still rent and go to the library
    standing = ev(PERSON, [r], D + days(10), consent=False)
    assert {m.action for m in standing.measures} == HIGH_CONSUMPTION
    assert check(standing, "rail.second_class").decision == "allow"


def test_a_dishonest_debtor_is_released_on_performance() -> None:
    paid = date(2026, 9, 1)
    r = rec("court.dishonest_debtor", fulfilled_on=paid)
    assert check(ev(PERSON, [r], paid - days(1), False), "travel.flight").decision == "deny"
    assert check(ev(PERSON, [r], paid, False), "travel.flight").decision == "allow"
    assert ev(PERSON, [r], paid - days(1), False).lists[0].until == paid


def test_an_extended_listing_lasts_five_years() -> None:
    r = rec("court.dishonest_debtor_extended")
    assert check(ev(PERSON, [r], date(2031, 1, 14), False), "leisure.golf").decision == "deny"
    assert check(ev(PERSON, [r], date(2031, 1, 15), False), "leisure.golf").decision == "allow"


def test_drunk_driving_caps_the_tier_at_c() -> None:
    good = [rec("civic.heroic_act"), *(rec("civic.volunteer_hours") for _ in range(10))]
    assert ev(PERSON, good, D).tier == "AAA"
    drunk = rec("traffic.drunk_driving")
    standing = ev(PERSON, [*good, drunk], D)
    assert standing.score == 1000 + 30 + 50 - 50
    assert standing.tier == "C"
    assert ev(PERSON, [*good, drunk], date(2028, 1, 15)).tier == "A"  # drunk driving ended
    # C also means: none of the AAA incentives
    assert measure_set(standing) == set()


def test_a_major_tax_violation_caps_the_tier_and_bars_bids_and_subsidies() -> None:
    r = rec("tax.major_violation")
    good = [rec("tax.a_grade"), *(rec("civic.charity_donation") for _ in range(3))]
    standing = ev(ORG, [r, *good], D + days(10))
    assert standing.tier == "C"
    assert check(standing, "procurement.bid").decision == "deny"
    assert check(standing, "gov.subsidy").decision == "deny"
    assert check(standing, "travel.flight").decision == "allow"


def test_volunteer_hours_cap_at_fifty() -> None:
    records = [rec("civic.volunteer_hours", D + days(i)) for i in range(15)]
    standing = ev(PERSON, records, D + days(30))
    assert standing.score == 1050 and standing.tier == "AAA"
    oldest_first = sorted(standing.contributions, key=lambda c: c.counts_until)
    assert [c.points for c in oldest_first] == [5] * 10 + [0] * 5
    # a year after the first ones, the room frees up again for the newer ones
    later = ev(PERSON, records, D + days(370))
    assert later.score == 1000 + 5 * 9  # decided on D+6 .. D+14 still count


def test_an_a_grade_taxpayer_gets_the_redlist_incentives() -> None:
    standing = ev(ORG, [rec("tax.a_grade")], D)
    assert standing.score == 1030 and standing.tier == "A"
    assert list_codes(standing) == ["a-grade-taxpayers"]
    assert measure_set(standing) == LISTS["a-grade-taxpayers"].measures | TIER_MEASURES["A"]
    result = check(standing, "tax.invoice_approval")
    assert result.decision == "incentive"
    assert [m.effect for m in result.measures] == [Effect.GREEN_CHANNEL]
    assert check(standing, "loan.application").decision == "incentive"
    assert ev(ORG, [rec("tax.a_grade")], date(2027, 1, 15)).lists == ()


def test_aaa_gets_the_honor_roll_and_tier_incentives_only_with_consent() -> None:
    records = [rec("civic.heroic_act"), *(rec("civic.volunteer_hours") for _ in range(5))]
    standing = ev(PERSON, records, D)
    assert standing.score == 1055 and standing.tier == "AAA"
    assert list_codes(standing) == ["honor-roll"]
    assert measure_set(standing) == LISTS["honor-roll"].measures | TIER_MEASURES["AAA"]
    permit = check(standing, "approval.permit")
    assert permit.decision == "incentive"
    assert {m.effect for m in permit.measures} == {Effect.GREEN_CHANNEL, Effect.PRIORITY}
    assert check(standing, "rental.deposit").decision == "incentive"
    assert check(standing, "library.borrow").decision == "incentive"
    unconsented = ev(PERSON, records, D, consent=False)
    assert unconsented.tier is None and unconsented.lists == () and unconsented.measures == ()
    assert check(unconsented, "library.borrow").decision == "allow"


def test_tier_a_gets_the_library_incentive() -> None:
    standing = ev(ORG, [], D)
    assert standing.tier == "A"
    assert measure_set(standing) == TIER_MEASURES["A"]
    assert check(standing, "library.borrow").decision == "incentive"


@pytest.mark.parametrize(
    ("records", "score", "tier"),
    [
        (["court.defamation"], 900, "B"),
        (["court.defamation", "admin.penalty_serious", "finance.loan_default"], 780, "C"),
        (["court.defamation"] * 3 + ["admin.penalty_serious", "finance.loan_default"], 580, "D"),
    ],
)
def test_tiers_b_c_d_carry_no_measures(records: list[str], score: int, tier: str) -> None:
    standing = ev(PERSON, [rec(r) for r in records], D)
    assert (standing.score, standing.tier) == (score, tier)
    assert standing.lists == () and standing.measures == ()


def test_tier_d_only_proposes_the_credit_watch() -> None:
    records = [
        rec("court.defamation"),
        rec("court.defamation"),
        rec("admin.penalty_serious"),
        rec("finance.loan_default"),
        rec("market.counterfeit_goods"),
        rec("traffic.drunk_driving"),
    ]
    standing = ev(PERSON, records, D)
    assert standing.score == 1000 - 200 - 80 - 40 - 35 - 50
    assert standing.tier == "D"
    assert standing.lists == ()  # proposed, not in force
    assert [m.list for m in standing.awaiting_review] == ["credit-watch"]
    for action in BOOK.actions:
        assert check(standing, action).decision == "allow"
    confirmation = Confirmation("credit-watch", D + days(3))
    assert ev(PERSON, records, D + days(2), confirmations=(confirmation,)).lists == ()
    confirmed = ev(PERSON, records, D + days(3), confirmations=(confirmation,))
    (membership,) = confirmed.lists
    assert (membership.list, membership.kind, membership.since) == (
        "credit-watch",
        "watch",
        D + days(3),
    )
    assert confirmed.measures == ()  # no measure attaches to the credit watch
    # without consent there is no tier, hence nothing to propose
    unconsented = ev(PERSON, records, D + days(3), consent=False, confirmations=(confirmation,))
    assert unconsented.lists == ()


def test_a_public_body_with_an_overdue_commitment_is_on_government_arrears() -> None:
    r = rec("gov.overdue_commitment")
    standing = ev(BODY, [r], D, consent=False)  # public bodies need no consent
    assert standing.scored and standing.score == 950 and standing.tier == "B"
    assert list_codes(standing) == ["government-arrears"]
    result = check(standing, "gov.new_project_approval")
    assert result.decision == "deny"
    assert [m.code for m in result.measures] == ["arrears-no-new-projects"]
    # paying ends it at once
    paid = ev(BODY, [rec("gov.overdue_commitment", fulfilled_on=D + days(40))], D + days(40))
    assert check(paid, "gov.new_project_approval").decision == "allow"


def test_a_public_body_failing_to_perform_a_judgment_is_on_government_arrears() -> None:
    standing = ev(BODY, [rec("gov.judgment_unperformed")], D)
    assert standing.score == 900
    assert check(standing, "gov.new_project_approval").decision == "deny"


def test_wage_arrears_bar_bids_and_subsidies_after_notice() -> None:
    r = rec("labour.wage_arrears")
    assert check(ev(ORG, [r], D + days(9)), "procurement.bid").decision == "allow"
    standing = ev(ORG, [r], D + days(10))
    assert list_codes(standing) == ["wage-arrears"]
    assert check(standing, "procurement.bid").decision == "deny"
    assert check(standing, "gov.subsidy").decision == "deny"


def test_procurement_fraud_debars_at_once_for_three_years() -> None:
    r = rec("procurement.fraud")
    result = check(ev(ORG, [r], D), "procurement.bid")
    assert result.decision == "deny"
    assert [m.code for m in result.measures] == ["debarred-no-bids"]
    assert check(ev(ORG, [r], date(2029, 1, 15)), "procurement.bid").decision == "allow"


def test_several_lists_deny_the_same_action_together() -> None:
    records = [rec("procurement.fraud"), rec("labour.wage_arrears"), rec("tax.major_violation")]
    result = check(ev(ORG, records, D + days(10)), "procurement.bid")
    assert result.decision == "deny"
    assert {m.code for m in result.measures} == {
        "debarred-no-bids",
        "wage-arrears-no-bids",
        "tax-violators-no-bids",
    }


def test_a_debtor_with_an_a_grade_keeps_the_incentive_but_not_the_flight() -> None:
    records = [rec("court.dishonest_debtor"), rec("tax.a_grade")]
    standing = ev(ORG, records, D + days(10))
    assert check(standing, "travel.flight").decision == "deny"
    assert check(standing, "tax.invoice_approval").decision == "incentive"


# --- every list, every measure -------------------------------------------------------------------


def _in_force(code: str) -> Standing:
    """A standing on which list `code` is in force."""
    rule = LISTS[code]
    if rule.entry_types:
        type_ = rule.entry_types[0]
        kind = RECORD_TYPES[type_].kinds[0]
        return ev(kind, [rec(type_)], D + days(rule.notice_days), consent=False)
    if rule.entry_tiers == ("AAA",):
        return ev(PERSON, [rec("civic.heroic_act"), rec("civic.blood_donation")], D)
    assert rule.entry_tiers == ("D",)
    records = [rec("court.defamation") for _ in range(5)]
    return ev(PERSON, records, D, confirmations=(Confirmation(code, D),))


@pytest.mark.parametrize("code", sorted(LISTS))
def test_every_list_is_entered_with_its_measures(code: str) -> None:
    rule = LISTS[code]
    spec = BOOK.index.lists[code]
    assert (spec.kind, spec.notice_days, spec.review) == (rule.kind, rule.notice_days, rule.review)
    assert tuple(spec.entry.record_types or ()) == rule.entry_types
    assert tuple(spec.entry.tiers or ()) == rule.entry_tiers
    standing = _in_force(code)
    assert code in list_codes(standing)
    from_list = {
        (m.code, m.action, m.effect) for m in standing.measures if m.because == f"list:{code}"
    }
    assert from_list == rule.measures
    for measure_code, action, effect in rule.measures:
        result = check(standing, action)
        assert result.decision == ("deny" if effect == Effect.DENY else "incentive")
        assert measure_code in {m.code for m in result.measures}


@pytest.mark.parametrize("tier", ["AAA", "A"])
def test_every_tier_measure_applies_in_its_tier(tier: str) -> None:
    standing = _in_force("honor-roll") if tier == "AAA" else ev(PERSON, [], D)
    assert standing.tier == tier
    from_tier = {
        (m.code, m.action, m.effect) for m in standing.measures if m.because == f"tier:{tier}"
    }
    assert from_tier == TIER_MEASURES[tier]
    for _, action, _ in TIER_MEASURES[tier]:
        assert check(standing, action).decision == "incentive"


def test_no_measure_restricts_by_score_alone() -> None:
    for m in BOOK.measures:
        if m.effect == Effect.DENY:
            assert m.list is not None
            spec = BOOK.index.lists[m.list]
            assert spec.kind == "black" and spec.entry.record_types
        if m.tier is not None:
            assert m.effect != Effect.DENY
