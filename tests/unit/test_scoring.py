"""Scoring semantics: one test (or a few) per rule of the "On a date d" list in docs/design.md.

The rulebook here is small and synthetic so that every number is easy to follow; the example
city's own rules are tested in test_example_rulebook.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.rulebook import Effect, Rulebook
from trustledger.domain.scoring import (
    Confirmation,
    Contribution,
    Membership,
    Record,
    Standing,
    check,
    evaluate,
)

PERSON, ORG, BODY = SubjectKind.PERSON, SubjectKind.ORGANIZATION, SubjectKind.PUBLIC_BODY
ALL = ["person", "organization", "public_body"]
D0 = date(2025, 3, 10)


def rt(code: str, points: int, counts_for: str = "1y", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "label": code,
        "category": "judicial",
        "subject_kinds": extra.pop("subject_kinds", ALL),
        "reporters": ["court"],
        "points": points,
        "counts_for": counts_for,
        "legal_basis": f"Law on {code}",
        **extra,
    }


BOOK_DATA: dict[str, Any] = {
    "rulebook": "semantics",
    "version": "7",
    "score": {"base": 100, "min": 0, "max": 200, "requires_consent": ["person"]},
    "tiers": [
        {"code": "TOP", "min": 150},
        {"code": "MID", "min": 100},
        {"code": "LOW", "min": 50},
        {"code": "BOTTOM", "min": 0},
    ],
    "record_types": [
        rt("neg", -10),
        rt("repaired", -30, "2y", repair={"after": "3m"}),
        rt("debt", -30, "2y", repair={"after": "0d"}),
        rt("debt_serious", -40, "3y", repair={"after": "0d"}),
        rt("pos", 20, cap=50),
        rt("negcap", -20, cap=30),
        rt("cap_low", -1, tier_cap="LOW"),
        rt("cap_mid", -1, "6m", tier_cap="MID"),
        rt("huge_neg", -500),
        rt("huge_pos", 500),
        rt("fraud", -5, "2y"),
        rt("org_only", -10, subject_kinds=["organization"]),
    ],
    "lists": [
        {
            "code": "debtors",
            "kind": "black",
            "public": True,
            "entry": {"record_types": ["debt", "debt_serious"]},
            "review": "none",
            "notice_days": 10,
        },
        {
            "code": "fraudsters",
            "kind": "black",
            "public": False,
            "entry": {"record_types": ["fraud"]},
            "review": "required",
            "notice_days": 0,
        },
        {
            "code": "top-red",
            "kind": "red",
            "public": True,
            "entry": {"tiers": ["TOP"]},
            "review": "none",
            "notice_days": 0,
        },
        {
            "code": "bottom-watch",
            "kind": "watch",
            "public": False,
            "entry": {"tiers": ["BOTTOM"]},
            "review": "required",
            "notice_days": 0,
        },
    ],
    "measures": [
        {"code": "no-fly", "list": "debtors", "action": "fly", "effect": "deny"},
        {"code": "no-bid", "list": "fraudsters", "action": "bid", "effect": "deny"},
        {"code": "watch-loan", "list": "bottom-watch", "action": "loan", "effect": "deny"},
        {"code": "red-rent", "list": "top-red", "action": "rent", "effect": "waive_deposit"},
        {"code": "top-fly", "tier": "TOP", "action": "fly", "effect": "priority"},
        {"code": "top-rent", "tier": "TOP", "action": "rent", "effect": "discount"},
        {"code": "mid-permit", "tier": "MID", "action": "permit", "effect": "green_channel"},
    ],
}
for _m in BOOK_DATA["measures"]:
    _m["legal_basis"] = f"Basis of {_m['code']}"

BOOK = Rulebook.model_validate(BOOK_DATA)

_refs = iter(range(10**6))


def rec(
    type_: str,
    decided_on: date = D0,
    *,
    fulfilled_on: date | None = None,
    voided: bool = False,
    reference: str | None = None,
    source: str = "court-1",
) -> Record:
    return Record(
        reference=reference or f"R{next(_refs)}",
        type=type_,
        decided_on=decided_on,
        source=source,
        fulfilled_on=fulfilled_on,
        voided=voided,
    )


def ev(
    records: Sequence[Record],
    as_of: date,
    kind: SubjectKind = ORG,
    *,
    consent: bool = False,
    confirmations: Sequence[Confirmation] = (),
    book: Rulebook = BOOK,
) -> Standing:
    return evaluate(book, kind, records, as_of, consent=consent, confirmations=confirmations)


def lists(s: Standing) -> list[str]:
    return [m.list for m in s.lists]


def measures(s: Standing) -> list[str]:
    return sorted(m.code for m in s.measures)


def day(d: date, n: int) -> date:
    return d + timedelta(days=n)


# --- counts: [decided_on, end) -------------------------------------------------------------------


def test_a_record_counts_from_its_decision_until_the_day_before_its_end() -> None:
    r = rec("neg", date(2025, 1, 31))
    end = date(2026, 1, 31)  # 1y
    assert ev([r], day(r.decided_on, -1)).score == 100
    assert ev([r], r.decided_on).score == 90
    assert ev([r], day(end, -1)).score == 90
    assert ev([r], end).score == 100
    assert ev([r], day(end, 400)).score == 100


def test_contribution_names_record_and_first_day_it_stops_counting() -> None:
    r = rec("neg", date(2024, 2, 29), reference="(2024)-7", source="court-9")
    standing = ev([r], date(2024, 6, 1))
    assert standing.contributions == (
        Contribution("(2024)-7", "court-9", "neg", -10, date(2025, 2, 28)),
    )


def test_records_decided_after_the_day_do_not_exist_yet() -> None:
    r = rec("debt", date(2025, 6, 1))
    standing = ev([r], date(2025, 5, 31))
    assert standing.score == 100 and standing.contributions == () and standing.lists == ()


def test_standing_carries_day_and_rulebook_version() -> None:
    standing = ev([], D0)
    assert standing.as_of == D0 and standing.rulebook_version == "7"
    assert standing.scored and standing.score == 100 and standing.tier == "MID"


# --- credit repair -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "fulfilled_after_days", "expected_end"),
    [
        # repaired: counts_for 2y, repair.after 3m -> end = min(D0+2y, max(fulfilled, D0+3m))
        ("repaired", 0, date(2025, 6, 10)),  # fulfilled at once: still counts 3 months
        ("repaired", 30, date(2025, 6, 10)),
        ("repaired", 200, day(D0, 200)),  # fulfilled after 3 months: ends on fulfilment
        ("repaired", 800, date(2027, 3, 10)),  # fulfilled after 2 years: the normal end
        # debt: repair.after 0d -> ends on the day of performance
        ("debt", 0, D0),
        ("debt", 45, day(D0, 45)),
        ("debt", 5000, date(2027, 3, 10)),
    ],
)
def test_repair_end_is_min_of_counts_for_and_max_of_fulfilment_and_repair_after(
    type_: str, fulfilled_after_days: int, expected_end: date
) -> None:
    r = rec(type_, D0, fulfilled_on=day(D0, fulfilled_after_days))
    assert BOOK.index.types[type_].end(r.decided_on, r.fulfilled_on) == expected_end
    points = BOOK.index.types[type_].points
    if expected_end > D0:
        before = ev([r], day(expected_end, -1))
        assert before.score == 100 + points
        assert before.contributions[0].counts_until == expected_end
    assert ev([r], expected_end).score == 100
    assert ev([r], expected_end).contributions == ()


def test_a_later_fulfilment_does_not_reach_back_in_time() -> None:
    # Fulfilled on 2025-08-01, the record still counts when checked as of 2025-07-31.
    r = rec("debt", D0, fulfilled_on=date(2025, 8, 1))
    assert ev([r], date(2025, 7, 31)).score == 70
    assert ev([r], date(2025, 8, 1)).score == 100


@pytest.mark.parametrize("fulfilled_after_days", [0, 10, 200])
def test_fulfilment_without_repair_changes_nothing(fulfilled_after_days: int) -> None:
    fulfilled = rec("neg", D0, fulfilled_on=day(D0, fulfilled_after_days))
    plain = rec("neg", D0)
    for as_of in (D0, day(D0, 100), day(D0, 364), day(D0, 365)):
        a, b = ev([fulfilled], as_of), ev([plain], as_of)
        assert (a.score, a.tier) == (b.score, b.tier)
        assert [c.counts_until for c in a.contributions] == [
            c.counts_until for c in b.contributions
        ]


# --- voided --------------------------------------------------------------------------------------


def test_a_voided_record_is_ignored() -> None:
    voided = rec("debt", D0, voided=True)
    standing = ev([voided], day(D0, 30))
    assert standing.score == 100 and standing.contributions == ()
    assert standing.lists == () and measures(standing) == ["mid-permit"]
    assert ev([voided, rec("neg", D0)], day(D0, 30)).score == 90


# --- unknown and foreign types -------------------------------------------------------------------


def test_record_types_that_do_not_apply_to_the_kind_are_ignored() -> None:
    records = [rec("org_only"), rec("no.such.type")]
    assert ev(records, D0, ORG).score == 90
    assert ev(records, D0, BODY).score == 100
    assert ev(records, D0, PERSON, consent=True).score == 100


# --- cap -----------------------------------------------------------------------------------------


def test_cap_limits_a_types_total_and_allocates_points_oldest_first() -> None:
    records = [rec("pos", day(D0, n), reference=f"P{n}") for n in (30, 0, 20, 10)]
    standing = ev(records, day(D0, 40))
    assert standing.score == 150
    by_ref = {c.reference: c.points for c in standing.contributions}
    assert by_ref == {"P0": 20, "P10": 20, "P20": 10, "P30": 0}
    assert sum(by_ref.values()) == 50


def test_a_negative_cap_limits_the_magnitude() -> None:
    records = [rec("negcap", day(D0, n)) for n in range(3)]
    standing = ev(records, day(D0, 5))
    assert standing.score == 70
    assert sorted(c.points for c in standing.contributions) == [-20, -10, 0]


def test_cap_is_per_type() -> None:
    records = [*(rec("pos", D0) for _ in range(4)), rec("neg", D0), rec("neg", D0)]
    assert ev(records, D0).score == 100 + 50 - 20


def test_cap_room_frees_when_old_records_stop_counting() -> None:
    old = [rec("pos", date(2024, 1, 1)) for _ in range(3)]  # ends 2025-01-01
    new = [rec("pos", date(2024, 6, 1)) for _ in range(2)]  # ends 2025-06-01
    assert ev(old + new, date(2024, 7, 1)).score == 150
    assert ev(old + new, date(2025, 1, 1)).score == 140  # only the two new: 20 + 20


def test_equal_days_are_allocated_by_reference_then_source() -> None:
    a = rec("pos", D0, reference="X", source="s2")
    b = rec("pos", D0, reference="X", source="s1")
    c = rec("pos", D0, reference="W", source="s3")
    for order in ([a, b, c], [c, b, a], [b, a, c]):
        standing = ev(order, D0)
        got = {(x.reference, x.source): x.points for x in standing.contributions}
        assert got == {("W", "s3"): 20, ("X", "s1"): 20, ("X", "s2"): 10}


# --- clamp ---------------------------------------------------------------------------------------


def test_score_is_clamped_to_min_and_max() -> None:
    assert ev([rec("huge_neg")], D0).score == 0
    assert ev([rec("huge_pos")], D0).score == 200
    assert ev([rec("huge_pos"), rec("huge_neg"), rec("neg")], D0).score == 90
    # the contributions still explain every raw point
    assert sum(c.points for c in ev([rec("huge_neg")], D0).contributions) == -500


# --- tier ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "score", "tier"),
    [
        ([], 100, "MID"),  # score == min of MID
        (["neg"], 90, "LOW"),
        (["pos", "pos", "neg"], 130, "MID"),
        (["pos", "pos", "pos"], 150, "TOP"),  # capped at +50, exactly TOP's min
        (["huge_pos"], 200, "TOP"),
        (["debt", "neg", "neg"], 50, "LOW"),
        (["debt", "neg", "neg", "neg"], 40, "BOTTOM"),
        (["huge_neg"], 0, "BOTTOM"),
    ],
)
def test_tier_is_the_first_whose_min_the_score_reaches(
    records: list[str], score: int, tier: str
) -> None:
    standing = ev([rec(t) for t in records], D0)
    assert (standing.score, standing.tier) == (score, tier)


def test_tier_cap_worsens_the_tier_while_its_record_counts() -> None:
    cap = rec("cap_low", D0)  # -1 point, at best LOW, counts 1y
    boost = rec("huge_pos", D0)
    standing = ev([cap, boost], day(D0, 10))
    assert standing.score == 200 and standing.tier == "LOW"
    after = ev([cap, boost], date(2026, 3, 10))  # cap_low ended, huge_pos too
    assert after.tier == "MID"


def test_tier_cap_never_improves_a_tier() -> None:
    standing = ev([rec("cap_mid"), rec("huge_neg")], D0)
    assert standing.score == 0 and standing.tier == "BOTTOM"


def test_the_worst_tier_cap_wins() -> None:
    standing = ev([rec("cap_mid"), rec("cap_low"), rec("huge_pos")], D0)
    assert standing.tier == "LOW"
    assert ev([rec("cap_mid"), rec("huge_pos")], D0).tier == "MID"
    # cap_mid counts 6 months, cap_low a year: once cap_mid is gone, LOW still holds
    assert ev([rec("cap_mid"), rec("cap_low"), rec("huge_pos")], day(D0, 200)).tier == "LOW"


def test_tier_cap_of_a_voided_record_does_not_apply() -> None:
    assert ev([rec("cap_low", voided=True), rec("huge_pos")], D0).tier == "TOP"


def test_tier_cap_of_a_capped_to_zero_record_still_applies() -> None:
    book = Rulebook.model_validate(
        BOOK_DATA
        | {"record_types": [*BOOK_DATA["record_types"], rt("c", 5, cap=5, tier_cap="LOW")]}
    )
    standing = ev([rec("c", D0), rec("c", day(D0, 1)), rec("huge_pos")], day(D0, 2), book=book)
    assert sorted(c.points for c in standing.contributions if c.type == "c") == [0, 5]
    assert standing.tier == "LOW"


# --- consent -------------------------------------------------------------------------------------


def test_without_consent_a_person_has_no_score_no_tier_and_no_tier_measures() -> None:
    records = [rec("huge_pos"), rec("debt", D0)]
    as_of = day(D0, 10)
    unconsented = ev(records, as_of, PERSON)
    assert not unconsented.scored
    assert unconsented.score is None and unconsented.tier is None
    assert unconsented.contributions == ()
    # record-based lists still apply, tier lists and tier measures do not
    assert lists(unconsented) == ["debtors"]
    assert measures(unconsented) == ["no-fly"]
    assert check(unconsented, "fly").decision == "deny"
    assert check(unconsented, "rent").decision == "allow"

    consented = ev(records, as_of, PERSON, consent=True)
    assert consented.scored and consented.score == 200 and consented.tier == "TOP"
    assert lists(consented) == ["debtors", "top-red"]
    assert measures(consented) == ["no-fly", "red-rent", "top-fly", "top-rent"]


def test_without_consent_tier_caps_and_tier_lists_do_not_apply() -> None:
    standing = ev([rec("huge_neg")], D0, PERSON)
    assert standing.tier is None
    confirmed = [Confirmation("bottom-watch", D0)]
    assert ev([rec("huge_neg")], D0, PERSON, confirmations=confirmed).lists == ()


@pytest.mark.parametrize("kind", [ORG, BODY])
def test_organizations_and_public_bodies_need_no_consent(kind: SubjectKind) -> None:
    standing = ev([rec("neg")], D0, kind, consent=False)
    assert standing.scored and standing.score == 90 and standing.tier == "LOW"


def test_consent_need_follows_the_rulebook() -> None:
    book = Rulebook.model_validate(
        BOOK_DATA | {"score": BOOK_DATA["score"] | {"requires_consent": ["organization"]}}
    )
    assert ev([rec("neg")], D0, PERSON, book=book).score == 90
    assert ev([rec("neg")], D0, ORG, book=book).score is None


# --- record-based lists --------------------------------------------------------------------------


def test_list_membership_starts_after_the_notice_period() -> None:
    r = rec("debt", D0, reference="J-1")
    assert lists(ev([r], day(D0, 9))) == []
    assert check(ev([r], day(D0, 9)), "fly").decision == "allow"
    standing = ev([r], day(D0, 10))
    assert standing.lists == (
        Membership("debtors", "black", day(D0, 10), date(2027, 3, 10), "record:J-1"),
    )
    assert check(standing, "fly").decision == "deny"


def test_list_membership_lasts_while_the_record_counts() -> None:
    r = rec("debt", D0)
    assert lists(ev([r], date(2027, 3, 9))) == ["debtors"]
    assert lists(ev([r], date(2027, 3, 10))) == []


def test_list_membership_ends_on_performance() -> None:
    r = rec("debt", D0, fulfilled_on=date(2025, 9, 1))
    assert ev([r], date(2025, 8, 31)).lists[0].until == date(2025, 9, 1)
    assert lists(ev([r], date(2025, 9, 1))) == []


def test_performance_within_the_notice_period_means_no_listing() -> None:
    r = rec("debt", D0, fulfilled_on=day(D0, 5))
    for n in range(0, 30):
        assert lists(ev([r], day(D0, n))) == []


def test_overlapping_entry_records_merge_into_one_membership() -> None:
    first = rec("debt", date(2024, 1, 1), reference="A")  # on 2024-01-11 .. 2026-01-01
    second = rec("debt_serious", date(2025, 6, 1), reference="B")  # 2025-06-11 .. 2028-06-01
    on = ev([first, second], date(2025, 7, 1))
    (m,) = on.lists
    assert (m.since, m.until) == (date(2024, 1, 11), date(2028, 6, 1))
    assert m.because == "record:A"
    (later,) = ev([first, second], date(2026, 6, 1)).lists
    assert (later.since, later.until, later.because) == (
        date(2024, 1, 11),
        date(2028, 6, 1),
        "record:B",
    )
    assert [x.until for x in on.measures] == [date(2028, 6, 1)]


def test_touching_spans_merge_and_gaps_do_not() -> None:
    # first ends (performance) on 2025-05-01; second starts exactly then (decided 04-21 + 10d)
    first = rec("debt", date(2025, 1, 1), fulfilled_on=date(2025, 5, 1))
    touching = rec("debt", date(2025, 4, 21))
    (m,) = ev([first, touching], date(2025, 6, 1)).lists
    assert m.since == date(2025, 1, 11)
    gap = rec("debt", date(2025, 4, 22))
    assert lists(ev([first, gap], date(2025, 5, 1))) == []
    (m,) = ev([first, gap], date(2025, 6, 1)).lists
    assert m.since == date(2025, 5, 2)


def test_review_required_record_list_needs_a_confirmation() -> None:
    r = rec("fraud", D0)
    assert lists(ev([r], day(D0, 5))) == []
    wrong = [Confirmation("debtors", D0)]
    assert lists(ev([r], day(D0, 5), confirmations=wrong)) == []
    conf = Confirmation("fraudsters", day(D0, 3), ended_on=day(D0, 100))
    assert lists(ev([r], day(D0, 2), confirmations=[conf])) == []
    (m,) = ev([r], day(D0, 3), confirmations=[conf]).lists
    assert (m.list, m.since, m.until) == ("fraudsters", day(D0, 3), date(2027, 3, 10))
    assert check(ev([r], day(D0, 3), confirmations=[conf]), "bid").decision == "deny"
    assert lists(ev([r], day(D0, 100), confirmations=[conf])) == []
    # a confirmation does not outlive the record
    forever = Confirmation("fraudsters", D0)
    assert lists(ev([r], date(2027, 3, 10), confirmations=[forever])) == []


def test_list_membership_is_independent_of_consent() -> None:
    r = rec("debt", D0)
    for kind, consent in ((PERSON, False), (PERSON, True), (ORG, False)):
        assert lists(ev([r], day(D0, 10), kind, consent=consent)) == ["debtors"]


# --- tier-based lists ----------------------------------------------------------------------------


def test_red_list_by_tier_applies_without_review() -> None:
    standing = ev([rec("huge_pos")], D0)
    assert standing.lists == (Membership("top-red", "red", None, None, "tier:TOP"),)


def test_tier_list_with_review_required_takes_effect_on_confirmation() -> None:
    low = [rec("huge_neg")]
    assert ev(low, D0).tier == "BOTTOM"
    assert lists(ev(low, D0)) == []  # only proposed
    conf = Confirmation("bottom-watch", day(D0, 1), ended_on=day(D0, 50))
    assert lists(ev(low, D0, confirmations=[conf])) == []
    standing = ev(low, day(D0, 1), confirmations=[conf])
    assert standing.lists == (Membership("bottom-watch", "watch", day(D0, 1), None, "tier:BOTTOM"),)
    assert check(standing, "loan").decision == "deny"
    assert lists(ev(low, day(D0, 50), confirmations=[conf])) == []


def test_a_confirmation_without_the_tier_lists_nobody() -> None:
    conf = [Confirmation("bottom-watch", D0)]
    assert lists(ev([rec("neg")], D0, confirmations=conf)) == []


# --- measures ------------------------------------------------------------------------------------


def test_measures_are_those_of_every_list_and_of_the_tier() -> None:
    records = [rec("debt", D0, reference="J"), rec("huge_pos")]
    standing = ev(records, day(D0, 10))
    got = {(m.code, m.action, m.effect, m.because, m.until) for m in standing.measures}
    assert got == {
        ("no-fly", "fly", Effect.DENY, "list:debtors", date(2027, 3, 10)),
        ("red-rent", "rent", Effect.WAIVE_DEPOSIT, "list:top-red", None),
        ("top-fly", "fly", Effect.PRIORITY, "tier:TOP", None),
        ("top-rent", "rent", Effect.DISCOUNT, "tier:TOP", None),
    }
    assert {m.legal_basis for m in standing.measures} == {
        "Basis of no-fly",
        "Basis of red-rent",
        "Basis of top-fly",
        "Basis of top-rent",
    }


def test_tier_measures_follow_the_tier() -> None:
    assert measures(ev([], D0)) == ["mid-permit"]
    assert measures(ev([rec("neg")], D0)) == []


# --- check ---------------------------------------------------------------------------------------


def test_check_deny_beats_incentives() -> None:
    standing = ev([rec("debt", D0), rec("huge_pos")], day(D0, 10))
    result = check(standing, "fly")
    assert result.decision == "deny"
    assert [m.code for m in result.measures] == ["no-fly"]


def test_check_incentive() -> None:
    standing = ev([rec("huge_pos")], D0)
    result = check(standing, "rent")
    assert result.decision == "incentive"
    assert sorted(m.code for m in result.measures) == ["red-rent", "top-rent"]
    assert check(standing, "fly").decision == "incentive"


def test_check_allow() -> None:
    standing = ev([rec("huge_pos")], D0)
    result = check(standing, "dance")
    assert (result.decision, result.measures) == ("allow", ())
    assert check(ev([], D0), "fly").decision == "allow"


def test_check_sees_only_its_own_action() -> None:
    standing = ev([rec("debt", D0), rec("huge_pos")], day(D0, 10))
    assert all(m.action == "rent" for m in check(standing, "rent").measures)
    assert check(standing, "rent").decision == "incentive"


# --- notification, disputes, review proposals ------------------------------------------------


def test_notice_period_counts_from_notification_when_later_than_the_decision() -> None:
    late = dataclasses.replace(rec("debt", D0), notified_on=day(D0, 20))
    assert lists(ev([late], day(D0, 29))) == []
    (m,) = ev([late], day(D0, 30)).lists
    assert m.since == day(D0, 30)
    assert ev([late], D0).score == 70  # the points count from the decision all the same
    early = dataclasses.replace(rec("debt", D0), notified_on=day(D0, -5))
    assert lists(ev([early], day(D0, 9))) == []
    assert lists(ev([early], day(D0, 10))) == ["debtors"]


def test_a_disputed_record_is_suspended_only_where_the_rulebook_says_so() -> None:
    types = [
        t | {"suspend_when_disputed": True} if t["code"] == "debt" else t
        for t in BOOK_DATA["record_types"]
    ]
    book = Rulebook.model_validate(BOOK_DATA | {"record_types": types})
    disputed_debt = dataclasses.replace(rec("debt"), disputed=True)
    disputed_neg = dataclasses.replace(rec("neg"), disputed=True)
    standing = ev([disputed_debt, disputed_neg], day(D0, 10), book=book)
    assert standing.score == 90 and lists(standing) == []
    standing = ev([disputed_debt, disputed_neg], day(D0, 10))  # BOOK suspends nothing
    assert standing.score == 60 and lists(standing) == ["debtors"]


def test_entries_awaiting_review_are_reported_but_not_in_force() -> None:
    standing = ev([rec("fraud"), rec("huge_neg")], D0)
    assert lists(standing) == []
    assert [m.list for m in standing.awaiting_review] == ["bottom-watch", "fraudsters"]
    assert check(standing, "bid").decision == "allow"
    assert check(standing, "loan").decision == "allow"
