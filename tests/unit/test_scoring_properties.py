"""Properties of the engine over generated lawful rulebooks and record sets."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.strategies import (
    ACTIONS,
    FEW,
    PROPERTY,
    OneSubject,
    Scenario,
    SubjectCase,
    days,
    one_subject,
    rulebooks,
    scenarios,
)
from trustledger.domain.rulebook import Effect, Rulebook
from trustledger.domain.scoring import Record, Standing, check, deciding_types, evaluate


def run(s: OneSubject, records: list[Record] | tuple[Record, ...] | None = None) -> Standing:
    return run_case(s.book, s.case, s.as_of, records)


def run_case(
    book: Rulebook,
    case: SubjectCase,
    as_of: date,
    records: list[Record] | tuple[Record, ...] | None = None,
) -> Standing:
    return evaluate(
        book,
        case.kind,
        case.records if records is None else records,
        as_of,
        consent=case.consent,
        confirmations=case.confirmations,
    )


def summary(s: Standing) -> tuple[object, ...]:
    """What a record past its end must not change (since/until are bookkeeping)."""
    return (
        s.scored,
        s.score,
        s.tier,
        s.contributions,
        tuple(m.list for m in s.lists),
        tuple((m.code, m.action, m.effect) for m in s.measures),
    )


def end_of(book: Rulebook, r: Record) -> date:
    return book.index.types[r.type].end(r.decided_on, r.fulfilled_on)


# --- bounds --------------------------------------------------------------------------------------


@given(one_subject())
@PROPERTY
def test_score_within_bounds_and_tier_iff_scored(s: OneSubject) -> None:
    standing = run(s)
    spec = s.book.score
    if standing.scored:
        assert standing.score is not None and spec.min <= standing.score <= spec.max
        assert standing.tier in {t.code for t in s.book.tiers}
        raw = spec.base + sum(c.points for c in standing.contributions)
        assert standing.score == max(spec.min, min(spec.max, raw))
    else:
        assert s.case.kind in spec.requires_consent and not s.case.consent
        assert (standing.score, standing.tier, standing.contributions) == (None, None, ())
        assert all(m.because.startswith("list:") for m in standing.measures)
        assert all(m.because.startswith("record:") for m in standing.lists)


@given(one_subject())
@PROPERTY
def test_contributions_are_explained_and_capped(s: OneSubject) -> None:
    standing = run(s)
    counting = {
        (r.source, r.reference)
        for r in s.case.records
        if not r.voided
        and r.type in s.book.index.types
        and s.case.kind in s.book.index.types[r.type].subject_kinds
        and not (r.disputed and s.book.index.types[r.type].suspend_when_disputed)
        and r.decided_on <= s.as_of < end_of(s.book, r)
    }
    assert {(c.source, c.reference) for c in standing.contributions} == (
        counting if standing.scored else set()
    )
    totals: dict[str, int] = {}
    for c in standing.contributions:
        assert c.counts_until > s.as_of
        rt = s.book.index.types[c.type]
        assert abs(c.points) <= abs(rt.points) and c.points * rt.points >= 0
        totals[c.type] = totals.get(c.type, 0) + c.points
    for code, total in totals.items():
        rt = s.book.index.types[code]
        n = sum(1 for c in standing.contributions if c.type == code)
        expected = rt.points * n
        if rt.cap is not None:
            expected = max(-rt.cap, min(rt.cap, expected))
        assert total == expected


# --- monotonicity --------------------------------------------------------------------------------


@given(one_subject(min_records=1), st.data())
@PROPERTY
def test_dropping_a_negative_record_never_lowers_the_score_or_the_tier(
    s: OneSubject, data: st.DataObject
) -> None:
    negative = [
        i
        for i, r in enumerate(s.case.records)
        if r.type in s.book.index.types and s.book.index.types[r.type].points < 0
    ]
    assume(negative)
    i = data.draw(st.sampled_from(negative))
    with_it = run(s)
    without = run(s, s.case.records[:i] + s.case.records[i + 1 :])
    if with_it.scored:
        assert without.score is not None and with_it.score is not None
        assert without.score >= with_it.score
        rank = s.book.index.tier_rank
        assert without.tier is not None and with_it.tier is not None
        assert rank[without.tier] <= rank[with_it.tier]


# --- personal, never collective ------------------------------------------------------------------


@given(scenarios(), st.randoms(use_true_random=False))
@FEW
def test_one_subjects_records_never_change_anothers_result(
    sc: Scenario, rnd: random.Random
) -> None:
    # Each subject alone, evaluated first ...
    alone = {c.subject: run_case(sc.book, c, sc.as_of) for c in sc.population}
    # ... then everybody from one shuffled pool, in another order, filtered by subject.
    pool = [(c.subject, r) for c in sc.population for r in c.records]
    rnd.shuffle(pool)
    cases = list(sc.population)
    rnd.shuffle(cases)
    for case in cases:
        mine = [r for subject, r in pool if subject == case.subject]
        assert run_case(sc.book, case, sc.as_of, mine) == alone[case.subject]


# --- voided, ended -------------------------------------------------------------------------------


@given(one_subject(min_records=1), st.data())
@PROPERTY
def test_a_voided_record_is_as_if_absent(s: OneSubject, data: st.DataObject) -> None:
    records = list(s.case.records)
    i = data.draw(st.integers(0, len(records) - 1))
    voided = [*records[:i], dataclasses.replace(records[i], voided=True), *records[i + 1 :]]
    absent = records[:i] + records[i + 1 :]
    assert run(s, voided) == run(s, absent)


@given(one_subject(min_records=1), st.data())
@PROPERTY
def test_after_its_end_a_record_has_no_effect(s: OneSubject, data: st.DataObject) -> None:
    records = list(s.case.records)
    known = [i for i, r in enumerate(records) if r.type in s.book.index.types]
    assume(known)
    i = data.draw(st.sampled_from(known))
    end = end_of(s.book, records[i])
    as_of = end + timedelta(days=data.draw(st.integers(0, 900)))
    others = records[:i] + records[i + 1 :]
    with_it, without = (
        run_case(s.book, s.case, as_of, records),
        run_case(s.book, s.case, as_of, others),
    )
    assert summary(with_it) == summary(without)


# --- determinism ---------------------------------------------------------------------------------


@given(one_subject(), st.randoms(use_true_random=False))
@PROPERTY
def test_result_is_deterministic_and_independent_of_record_order(
    s: OneSubject, rnd: random.Random
) -> None:
    first = run(s)
    assert run(s) == first
    shuffled = list(s.case.records)
    rnd.shuffle(shuffled)
    assert run(s, shuffled) == first
    assert run(s, list(reversed(s.case.records))) == first
    confirmations = list(s.case.confirmations)
    rnd.shuffle(confirmations)
    again = evaluate(
        s.book,
        s.case.kind,
        shuffled,
        s.as_of,
        consent=s.case.consent,
        confirmations=confirmations,
    )
    assert again == first


# --- checks --------------------------------------------------------------------------------------


@given(one_subject(), st.sampled_from(ACTIONS))
@PROPERTY
def test_check_follows_the_measures(s: OneSubject, action: str) -> None:
    standing = run(s)
    result = check(standing, action)
    relevant = [m for m in standing.measures if m.action == action]
    if any(m.effect == Effect.DENY for m in relevant):
        assert result.decision == "deny"
        assert all(m.effect == Effect.DENY for m in result.measures)
    elif relevant:
        assert result.decision == "incentive" and list(result.measures) == relevant
    else:
        assert result.decision == "allow" and result.measures == ()


@given(one_subject())
@PROPERTY
def test_a_score_alone_never_restricts(s: OneSubject) -> None:
    # Without any record that enters a list and without any reviewer's confirmation, no
    # score, however low, denies anything.
    listed_types = {code for spec in s.book.lists for code in spec.entry.record_types or ()}
    records = [r for r in s.case.records if r.type not in listed_types]
    standing = evaluate(s.book, s.case.kind, records, s.as_of, consent=s.case.consent)
    assert all(m.effect != Effect.DENY for m in standing.measures)
    for m in standing.lists:
        spec = s.book.index.lists[m.list]
        assert spec.entry.tiers and spec.review == "none" and spec.kind == "red"
    for action in s.book.actions:
        assert check(standing, action).decision != "deny"


@given(one_subject(), st.sampled_from(ACTIONS))
@PROPERTY
def test_deciding_types_are_enough_for_a_check(s: OneSubject, action: str) -> None:
    types = deciding_types(s.book, action)
    assume(types is not None)
    assert types is not None
    full = check(run(s), action)
    few = check(run(s, [r for r in s.case.records if r.type in types]), action)
    assert few == full


@given(rulebooks(), days())
@FEW
def test_nobody_without_records_is_denied(book: Rulebook, as_of: date) -> None:
    for kind in {k for t in book.record_types for k in t.subject_kinds}:
        for consent in (False, True):
            standing = evaluate(book, kind, [], as_of, consent=consent)
            assert all(m.effect != Effect.DENY for m in standing.measures)
            assert standing.contributions == ()
            if standing.scored:
                assert standing.score == book.score.base
