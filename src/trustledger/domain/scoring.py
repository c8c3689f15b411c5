"""The engine: a subject's standing is a pure function of (records, rulebook, date).

Nothing here reads a clock or a database, so anyone holding the same records and the same
public rulebook gets the same answer, and every point names the record and rule behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, cast

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.rulebook import (
    Effect,
    ListSpec,
    Measure,
    Rulebook,
    RulebookIndex,
    TypePlan,
)


@dataclass(frozen=True, slots=True)
class Record:
    """A legally established fact about one subject, as its source reported it."""

    reference: str
    type: str
    decided_on: date
    source: str = ""
    fulfilled_on: date | None = None
    voided: bool = False
    disputed: bool = False
    amount: Decimal | None = None
    notified_on: date | None = None  # when the subject was notified; notice periods count from it


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A reviewer's confirmation of an automated list entry (lists with `review: required`)."""

    list: str
    confirmed_on: date
    ended_on: date | None = None

    def in_force(self, day: date) -> bool:
        return self.confirmed_on <= day and (self.ended_on is None or day < self.ended_on)


@dataclass(frozen=True, slots=True)
class SubjectFile:
    """All the engine needs about one subject: its kind, consent, records and confirmations
    (one read of the ledger, however many answers are computed from it)."""

    subject: str
    kind: SubjectKind
    consent: bool = False
    records: tuple[Record, ...] = ()
    confirmations: tuple[Confirmation, ...] = ()
    name: str | None = None
    known: bool = False  # whether the ledger holds the subject at all


class Contribution(NamedTuple):
    """The points one record gives on the day, and the first day it stops counting.

    A named tuple, not a frozen dataclass: a standing holds one per counting record and a
    frozen dataclass costs several times more to build (scoring is the hot path).
    """

    reference: str
    source: str
    type: str
    points: int
    counts_until: date


@dataclass(frozen=True, slots=True)
class Membership:
    """A subject's place on a list: since when, until when, and why (a record or a tier)."""

    list: str
    kind: str
    since: date | None
    until: date | None
    because: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A list entry not in force yet: its notice period runs until `starts_on`, or it awaits a
    reviewer (`starts_on` is None: it starts only if a reviewer confirms it)."""

    list: str
    starts_on: date | None
    because: str


@dataclass(frozen=True, slots=True)
class TierCap:
    """Why the tier is worse than the score's: a counting record whose type caps the tier."""

    tier: str
    uncapped_tier: str
    type: str
    reference: str
    source: str
    until: date  # the first day that record no longer caps the tier


@dataclass(frozen=True, slots=True)
class MeasureInForce:
    code: str
    action: str
    effect: Effect
    legal_basis: str
    because: str  # "list:CODE" or "tier:CODE"
    until: date | None


@dataclass(frozen=True, slots=True)
class Standing:
    """Everything the rulebook says about a subject on one day, each item with its reason."""

    as_of: date
    rulebook_version: str
    scored: bool
    score: int | None
    tier: str | None
    contributions: tuple[Contribution, ...]
    lists: tuple[Membership, ...]
    measures: tuple[MeasureInForce, ...]
    # Lists whose entry condition holds but which need a reviewer's confirmation first.
    awaiting_review: tuple[Membership, ...] = ()
    # Entries whose notice period is running, and those awaiting a reviewer.
    pending: tuple[Pending, ...] = ()
    # Set only when a tier_cap made the tier worse than the score alone would.
    tier_cap: TierCap | None = None

    def on_list(self, code: str) -> bool:
        return any(m.list == code for m in self.lists)


@dataclass(frozen=True, slots=True)
class CheckResult:
    decision: str  # "deny" | "incentive" | "allow"
    measures: tuple[MeasureInForce, ...]


def _merge_sorted_span(
    spans: Sequence[tuple[date, date, str]], day: date
) -> tuple[date, date, str] | None:
    """The union of touching or overlapping spans [start, end) that contains `day`, and the
    reference of the first span that contains it; `spans` are sorted."""
    start0: date | None = None
    end0 = day
    because: str | None = None
    for start, end, ref in spans:
        if start0 is not None and start <= end0:
            if end > end0:
                end0 = end
        else:
            if start0 is not None and start0 <= day < end0:
                break
            start0, end0 = start, end
        if because is None and start <= day < end:
            because = ref
    if start0 is not None and start0 <= day < end0 and because is not None:
        return start0, end0, because
    return None


def evaluate(
    book: Rulebook,
    kind: SubjectKind,
    records: Sequence[Record],
    as_of: date,
    *,
    consent: bool = False,
    confirmations: Sequence[Confirmation] = (),
) -> Standing:
    """Score, tier, lists and measures of one subject on `as_of` under `book`.

    `consent` matters only for kinds in `score.requires_consent`: without it there are no
    points, no tier and no tier measures, while records and record-based lists still apply.
    """
    index = book.index
    scored = consent or kind not in book.score.requires_consent
    plans = index.plans.get(kind, {})

    # Records that exist as of the day and apply to this kind under this rulebook.
    known: list[tuple[Record, TypePlan, date]] = []
    append_known = known.append
    get_plan = plans.get
    for r in records:
        if r.voided or r.decided_on > as_of:
            continue
        plan = get_plan(r.type)
        if plan is None:
            continue
        if r.disputed and plan.suspend_when_disputed:
            continue
        fulfilled_on = r.fulfilled_on
        if fulfilled_on is None or not plan.repairable:
            end = plan.ends.get(r.decided_on)
        else:
            end = plan.ends.get((r.decided_on, fulfilled_on))
        if end is None:
            end = plan.end(r.decided_on, fulfilled_on)
        append_known((r, plan, end))

    contributions: list[Contribution] = []
    score: int | None = None
    tier: str | None = None
    tier_cap: TierCap | None = None
    if scored:
        total = book.score.base
        # (counts_until, type, reference, source, order, points): sorting these sorts the
        # contributions by (counts_until, type, reference, source), ties in the order made.
        rows: list[tuple[date, str, str, str, int, int]] = []
        grouped: dict[str, list[tuple[Record, TypePlan, date]]] = {}
        for item in known:
            r, plan, end = item
            if as_of < end:
                if plan.cap is None and plan.tier_cap_rank < 0:
                    rows.append((end, r.type, r.reference, r.source, len(rows), plan.points))
                    total += plan.points
                else:
                    grouped.setdefault(plan.code, []).append(item)
        worst_cap = -1
        capped_by: tuple[Record, TypePlan, date] | None = None
        for items in grouped.values():
            plan = items[0][1]
            room = plan.cap
            if room is None:
                for r, _, end in items:
                    rows.append((end, r.type, r.reference, r.source, len(rows), plan.points))
                    total += plan.points
            else:
                # Oldest first; (source, reference) is unique, so the order never depends on
                # input.
                items.sort(key=lambda k: (k[0].decided_on, k[0].reference, k[0].source))
                for r, _, end in items:
                    points = max(-room, min(room, plan.points))
                    room -= abs(points)
                    rows.append((end, r.type, r.reference, r.source, len(rows), points))
                    total += points
            rank = plan.tier_cap_rank
            if rank >= 0:
                # The record that caps longest among the worst cap's: its end is the cap's end.
                last = max(items, key=lambda k: (k[2], k[0].reference, k[0].source))
                if rank > worst_cap or (
                    rank == worst_cap and capped_by is not None and last[2] > capped_by[2]
                ):
                    worst_cap, capped_by = rank, last
        score = max(book.score.min, min(book.score.max, total))
        rank = 0
        for minimum in index.tier_mins:
            if score >= minimum:
                break
            rank += 1
        tier = book.tiers[max(rank, worst_cap)].code
        if worst_cap > rank and capped_by is not None:
            r, plan, end = capped_by
            tier_cap = TierCap(tier, book.tiers[rank].code, plan.code, r.reference, r.source, end)
        rows.sort()
        contributions = [
            Contribution(reference, source, type_, points, end)
            for end, type_, reference, source, _, points in rows
        ]

    def confirmed(spec: ListSpec) -> Confirmation | None:
        if spec.review != "required":
            return None
        # The earliest confirmation in force, whatever order the confirmations come in.
        return min(
            (c for c in confirmations if c.list == spec.code and c.in_force(as_of)),
            key=lambda c: (c.confirmed_on, c.ended_on or date.max),
            default=None,
        )

    memberships: list[Membership] = []
    awaiting: list[Membership] = []
    entering: dict[str, list[tuple[date, date, str]]] = {}
    for r, plan, end in known:
        if not plan.lists:
            continue
        notified = r.decided_on if r.notified_on is None else max(r.decided_on, r.notified_on)
        for code, notice in plan.lists:
            start = notified + notice
            if start < end:
                entering.setdefault(code, []).append((start, end, r.reference))
    pending: list[Pending] = []
    for code, spans in entering.items():
        spec = index.lists[code]
        spans.sort()
        span = _merge_sorted_span(spans, as_of)
        if span is None:
            # Not on the list today; an entry whose notice period is still running is pending.
            upcoming = min(((s, ref) for s, e, ref in spans if as_of < s), default=None)
            if upcoming is not None:
                pending.append(Pending(code, upcoming[0], f"record:{upcoming[1]}"))
            continue
        since, until, because = span
        if spec.review == "required":
            confirmation = confirmed(spec)
            if confirmation is None:
                awaiting.append(Membership(code, spec.kind, since, until, f"record:{because}"))
                continue
            since = max(since, confirmation.confirmed_on)
        memberships.append(Membership(code, spec.kind, since, until, f"record:{because}"))
    if tier is not None:
        for spec in index.tier_lists:
            if tier not in (spec.entry.tiers or ()):
                continue
            confirmation = confirmed(spec)
            if spec.review == "required" and confirmation is None:
                awaiting.append(Membership(spec.code, spec.kind, None, None, f"tier:{tier}"))
                continue
            confirmed_on = confirmation.confirmed_on if confirmation else None
            memberships.append(Membership(spec.code, spec.kind, confirmed_on, None, f"tier:{tier}"))
    memberships.sort(key=lambda m: m.list)

    measures: list[MeasureInForce] = []
    for m in memberships:
        measures.extend(_list_measures(index, m.list, m.until))
    if tier is not None:
        measures.extend(_tier_measures(index, tier))

    return Standing(
        as_of=as_of,
        rulebook_version=book.version,
        scored=scored,
        score=score,
        tier=tier,
        contributions=tuple(contributions),
        lists=tuple(memberships),
        measures=tuple(measures),
        awaiting_review=tuple(sorted(awaiting, key=lambda m: m.list)),
        pending=tuple(
            sorted(
                [*pending, *(Pending(m.list, None, m.because) for m in awaiting)],
                key=lambda p: (p.list, p.starts_on or date.max),
            )
        ),
        tier_cap=tier_cap,
    )


def evaluate_file(book: Rulebook, file: SubjectFile, as_of: date) -> Standing:
    """`evaluate` over a subject file."""
    return evaluate(
        book,
        file.kind,
        file.records,
        as_of,
        consent=file.consent,
        confirmations=file.confirmations,
    )


_MEMO_LIMIT = 100_000


def _tier_measures(index: RulebookIndex, tier: str) -> tuple[MeasureInForce, ...]:
    """The measures a tier brings, built once per rulebook and tier (they are immutable)."""
    key = ("tier-measures", tier)
    cached = index.memo.get(key)
    if cached is None:
        cached = index.memo[key] = tuple(
            _in_force(m, f"tier:{tier}", None) for m in index.measures_by_tier.get(tier, ())
        )
    return cast(tuple[MeasureInForce, ...], cached)


def _list_measures(
    index: RulebookIndex, code: str, until: date | None
) -> tuple[MeasureInForce, ...]:
    key = ("list-measures", code, until)
    cached = index.memo.get(key)
    if cached is None:
        if len(index.memo) >= _MEMO_LIMIT:
            index.memo.clear()
        cached = index.memo[key] = tuple(
            _in_force(m, f"list:{code}", until) for m in index.measures_by_list.get(code, ())
        )
    return cast(tuple[MeasureInForce, ...], cached)


def _in_force(measure: Measure, because: str, until: date | None) -> MeasureInForce:
    return MeasureInForce(
        measure.code, measure.action, measure.effect, measure.legal_basis, because, until
    )


def check(standing: Standing, action: str) -> CheckResult:
    """What a service may do for `action`: any denial wins, then incentives, else allow."""
    relevant = [m for m in standing.measures if m.action == action]
    denials = tuple(m for m in relevant if m.effect == Effect.DENY)
    if denials:
        return CheckResult("deny", denials)
    if relevant:
        return CheckResult("incentive", tuple(relevant))
    return CheckResult("allow", ())


def deciding_types(book: Rulebook, action: str) -> frozenset[str] | None:
    """The record types that can change a check of `action`, or None if the tier can.

    A check only needs these records: an airline's check of a subject with thousands of
    volunteering records reads none of them.
    """
    types: set[str] = set()
    for m in book.measures:
        if m.action != action:
            continue
        spec = book.index.lists.get(m.list or "")
        if m.tier is not None or spec is None or spec.entry.tiers:
            return None
        types.update(spec.entry.record_types or ())
    return frozenset(types)
