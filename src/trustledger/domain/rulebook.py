"""The rulebook: the public, versioned YAML that turns records into points, tiers and lists.

The model accepts exactly the keys docs/design.md defines (unknown keys are errors, so a typo never
passes silently) and `validate` adds the rules that keep the rulebook lawful: every record type
has a legal basis and an end, no score alone restricts anyone, every reference resolves.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
)

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.periods import WEEKDAYS, Deadline, Period, WorkCalendar


def _period(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    if not isinstance(value, str):
        raise ValueError("a period is written N followed by d, m or y (e.g. 2y)")
    return Period.parse(value)


PeriodField = Annotated[Period, BeforeValidator(_period), PlainSerializer(str, return_type=str)]


def _deadline(value: Any) -> Deadline:
    if isinstance(value, Deadline):
        return value
    if isinstance(value, Period):
        return Deadline(value.amount, value.unit)
    if not isinstance(value, str):
        raise ValueError("a deadline is written N followed by d, m, y or w (working days)")
    return Deadline.parse(value)


DeadlineField = Annotated[
    Deadline, BeforeValidator(_deadline), PlainSerializer(str, return_type=str)
]
Code = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9A-Z][a-zA-Z0-9_.\-]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Nothing is permanent: no record type counts for more than ten years (FCRA: seven).
LONGEST = Period(10, "y")


class Category(StrEnum):
    JUDICIAL = "judicial"
    TAX = "tax"
    FINANCIAL = "financial"
    ADMINISTRATIVE = "administrative"
    REGULATORY = "regulatory"
    COMMERCIAL = "commercial"
    CIVIC = "civic"
    GOVERNMENT = "government"


class ListKind(StrEnum):
    BLACK = "black"
    RED = "red"
    WATCH = "watch"


class Effect(StrEnum):
    DENY = "deny"
    WAIVE_DEPOSIT = "waive_deposit"
    PRIORITY = "priority"
    DISCOUNT = "discount"
    GREEN_CHANNEL = "green_channel"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreSpec(_Strict):
    base: int
    min: int
    max: int
    requires_consent: tuple[SubjectKind, ...] = ()


class Tier(_Strict):
    code: Code
    min: int


class Repair(_Strict):
    after: PeriodField


class RecordType(_Strict):
    code: Code
    label: Text
    category: Category
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    reporters: tuple[Code, ...] = Field(min_length=1)
    points: int
    counts_for: PeriodField
    legal_basis: Text
    cap: int | None = Field(default=None, gt=0)
    tier_cap: Code | None = None
    repair: Repair | None = None
    suspend_when_disputed: bool = False  # a disputed record stops counting until decided

    def end(self, decided_on: date, fulfilled_on: date | None = None) -> date:
        """The first day a record of this type no longer counts (credit repair may bring it in)."""
        end = self.counts_for.after(decided_on)
        if fulfilled_on is not None and self.repair is not None:
            end = min(end, max(fulfilled_on, self.repair.after.after(decided_on)))
        return end


class DisputeRules(_Strict):
    decide_within: DeadlineField = Deadline(30, "d")  # FCRA: reinvestigated within 30 days


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CalendarSpec(_Strict):
    """Working days for deadlines written in `w`: weekends, public holidays, and the make-up
    working days that move a weekend day into the week (the State Council's holiday notice)."""

    weekend: tuple[Weekday, ...] = ("saturday", "sunday")
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    @cached_property
    def work(self) -> WorkCalendar:
        return WorkCalendar(
            frozenset(WEEKDAYS.index(d) for d in self.weekend),
            frozenset(self.holidays),
            frozenset(self.workdays),
        )

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))


COMMITMENT_KINDS = ("payment", "contract", "judgment", "public_promise")


class SmePayments(_Strict):
    """Payment terms to small and medium-sized enterprises: a default and a longest term,
    counted from acceptance of the goods or service."""

    default: PeriodField = Period(30, "d")
    longest: PeriodField = Period(60, "d")
    legal_basis: Text


class CommitmentRules(_Strict):
    """The second system: commitments of public bodies, overdue ones counted as records.

    `kinds` maps each commitment kind to the record type an overdue commitment counts as (its
    reporters are the sources that may register such commitments); complaints of counterparties
    go to `supervisor` (a source kind) and are decided within `decide_within`.
    """

    kinds: dict[str, Code]
    sme_payment: SmePayments
    supervisor: Code
    decide_within: DeadlineField = Deadline(30, "d")
    legal_basis: Text


class ListEntry(_Strict):
    record_types: tuple[Code, ...] | None = None
    tiers: tuple[Code, ...] | None = None


class ListSpec(_Strict):
    code: Code
    kind: ListKind
    public: bool
    entry: ListEntry
    review: Literal["none", "required"]
    notice_days: int = Field(ge=0)
    name: Text | None = None
    description: Text | None = None


class Measure(_Strict):
    code: Code
    list: Code | None = None
    tier: Code | None = None
    action: Code
    effect: Effect
    legal_basis: Text
    name: Text | None = None


_END_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True, eq=False)
class TypePlan:
    """What scoring needs of one record type, computed once per rulebook.

    `ends` caches `type.end` per (decided_on, fulfilled_on): a ledger holds millions of records
    but only a few thousand distinct days, and the answer depends on nothing else.
    """

    type: RecordType
    code: str
    points: int
    cap: int | None
    tier_cap_rank: int  # -1: the type caps no tier
    suspend_when_disputed: bool
    repairable: bool
    lists: tuple[tuple[str, timedelta], ...]  # (list code, notice period) the type enters
    # By decided_on, or by (decided_on, fulfilled_on) when the fulfilment can matter.
    ends: dict[date | tuple[date, date], date] = field(default_factory=dict)

    def end(self, decided_on: date, fulfilled_on: date | None) -> date:
        key: date | tuple[date, date] = (
            decided_on
            if fulfilled_on is None or not self.repairable
            else (decided_on, fulfilled_on)
        )
        ends = self.ends
        end = ends.get(key)
        if end is None:
            if len(ends) >= _END_CACHE_LIMIT:
                ends.clear()
            end = ends[key] = self.type.end(decided_on, fulfilled_on)
        return end


@dataclass(frozen=True)
class RulebookIndex:
    """Look-up tables built once per rulebook so that scoring a subject is a few dict hits."""

    types: dict[str, RecordType]
    tier_rank: dict[str, int]
    lists_by_type: dict[str, tuple[ListSpec, ...]]
    tier_lists: tuple[ListSpec, ...]
    measures_by_list: dict[str, tuple[Measure, ...]]
    measures_by_tier: dict[str, tuple[Measure, ...]]
    lists: dict[str, ListSpec] = field(default_factory=dict)
    # Per subject kind, the plans of the record types that apply to that kind.
    plans: dict[SubjectKind, dict[str, TypePlan]] = field(default_factory=dict)
    tier_mins: tuple[int, ...] = ()
    type_plans: dict[str, TypePlan] = field(default_factory=dict)
    # Values the engine derives from the rulebook alone, built on first use (immutable values).
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)


class Rulebook(_Strict):
    rulebook: Code
    version: Text
    zone: Text = "Asia/Shanghai"
    score: ScoreSpec
    tiers: tuple[Tier, ...] = Field(min_length=1)
    record_types: tuple[RecordType, ...]
    lists: tuple[ListSpec, ...]
    measures: tuple[Measure, ...]
    disputes: DisputeRules = DisputeRules()
    commitments: CommitmentRules | None = None
    calendar: CalendarSpec = CalendarSpec()

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    @cached_property
    def index(self) -> RulebookIndex:
        lists_by_type: dict[str, list[ListSpec]] = {}
        for spec in self.lists:
            for code in spec.entry.record_types or ():
                lists_by_type.setdefault(code, []).append(spec)
        by_list: dict[str, list[Measure]] = {}
        by_tier: dict[str, list[Measure]] = {}
        for m in self.measures:
            if m.list is not None:
                by_list.setdefault(m.list, []).append(m)
            if m.tier is not None:
                by_tier.setdefault(m.tier, []).append(m)
        tier_rank = {t.code: i for i, t in enumerate(self.tiers)}
        plans: dict[SubjectKind, dict[str, TypePlan]] = {}
        type_plans: dict[str, TypePlan] = {}
        for t in self.record_types:
            plan = TypePlan(
                type=t,
                code=t.code,
                points=t.points,
                cap=t.cap,
                tier_cap_rank=-1 if t.tier_cap is None else tier_rank.get(t.tier_cap, -1),
                suspend_when_disputed=t.suspend_when_disputed,
                repairable=t.repair is not None,
                lists=tuple(
                    (s.code, timedelta(days=s.notice_days)) for s in lists_by_type.get(t.code, ())
                ),
            )
            type_plans[t.code] = plan
            for kind in t.subject_kinds:
                plans.setdefault(kind, {})[t.code] = plan
        return RulebookIndex(
            types={t.code: t for t in self.record_types},
            tier_rank={t.code: i for i, t in enumerate(self.tiers)},
            lists_by_type={k: tuple(v) for k, v in lists_by_type.items()},
            tier_lists=tuple(s for s in self.lists if s.entry.tiers),
            measures_by_list={k: tuple(v) for k, v in by_list.items()},
            measures_by_tier={k: tuple(v) for k, v in by_tier.items()},
            lists={s.code: s for s in self.lists},
            plans=plans,
            type_plans=type_plans,
            tier_mins=tuple(t.min for t in self.tiers),
        )

    def deadline(self, start: date, deadline: Deadline) -> date:
        """The day a deadline runs out, working days counted in the rulebook's calendar."""
        return deadline.after(start, self.calendar.work)

    def record_type(self, code: str) -> RecordType | None:
        return self.index.types.get(code)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({m.action for m in self.measures}))

    def action_error(self, action: str) -> str | None:
        """Why `action` cannot be checked, or None if a measure names it.

        An unknown action is an error, never an `allow`: a typo in an airline's integration
        (`travel.flights`) would otherwise let every debtor fly.
        """
        known = self.actions
        if action in known:
            return None
        close = difflib.get_close_matches(action, known, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return (
            f"unknown action {action!r}: no measure of rulebook {self.rulebook} {self.version} "
            f"names it{hint} (known: {', '.join(known)})"
        )

    @property
    def source_kinds(self) -> tuple[str, ...]:
        return tuple(sorted({k for t in self.record_types for k in t.reporters}))


@dataclass(frozen=True, slots=True)
class RulebookError:
    """One reason a rulebook is rejected, located by its YAML path (and line when known)."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path or '(top)'}: {self.message}"


class RulebookInvalid(ValueError):
    def __init__(self, errors: Sequence[RulebookError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def lawfulness_errors(book: Rulebook) -> list[RulebookError]:
    """The rules beyond shape: resolvable references, ordered tiers, no restriction by score."""
    errors: list[RulebookError] = []

    def err(loc: Sequence[str | int], message: str) -> None:
        errors.append(RulebookError(_path(loc), message))

    def unique(items: Sequence[Any], key: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.code in seen:
                err((key, i, "code"), f"duplicate code {item.code!r}")
            seen.add(item.code)

    s = book.score
    if s.min >= s.max:
        err(("score", "min"), f"min ({s.min}) must be below max ({s.max})")
    if not s.min <= s.base <= s.max:
        err(("score", "base"), f"base ({s.base}) must lie within [{s.min}, {s.max}]")

    unique(book.tiers, "tiers")
    unique(book.record_types, "record_types")
    unique(book.lists, "lists")
    unique(book.measures, "measures")

    for i in range(1, len(book.tiers)):
        above, tier = book.tiers[i - 1], book.tiers[i]
        if tier.min == above.min:
            err(
                ("tiers", i, "min"),
                f"tier {tier.code} overlaps {above.code} (both start at {tier.min})",
            )
        elif tier.min > above.min:
            err(
                ("tiers", i, "min"),
                f"tiers are ordered best first: {tier.code} (min {tier.min}) must start below "
                f"{above.code} (min {above.min})",
            )
    if book.tiers[-1].min > s.min:
        err(
            ("tiers", len(book.tiers) - 1, "min"),
            f"the last tier must start at or below score.min ({s.min}) so every score has a tier",
        )

    tier_codes = {t.code for t in book.tiers}
    type_codes = {t.code for t in book.record_types}
    list_kinds = {x.code: x.kind for x in book.lists}

    for i, rt in enumerate(book.record_types):
        if rt.tier_cap is not None and rt.tier_cap not in tier_codes:
            err(("record_types", i, "tier_cap"), f"unknown tier {rt.tier_cap!r}")
        if rt.counts_for.amount == 0:
            err(("record_types", i, "counts_for"), "a record type must count for at least 1d")
        elif _longer(rt.counts_for, LONGEST):
            err(
                ("record_types", i, "counts_for"),
                f"{rt.counts_for} is longer than {LONGEST}: nothing is permanent",
            )
        if rt.repair is not None and _longer(rt.repair.after, rt.counts_for):
            err(("record_types", i, "repair", "after"), "repair.after is longer than counts_for")

    try:
        ZoneInfo(book.zone)
    except (ZoneInfoNotFoundError, ValueError):
        err(("zone",), f"unknown time zone {book.zone!r} (e.g. Asia/Shanghai)")

    for i, spec in enumerate(book.lists):
        by_types, by_tiers = spec.entry.record_types, spec.entry.tiers
        if (by_types is None) == (by_tiers is None) or not (by_types or by_tiers):
            err(("lists", i, "entry"), "entry names either record_types or tiers (one, not empty)")
        for j, code in enumerate(by_types or ()):
            if code not in type_codes:
                err(("lists", i, "entry", "record_types", j), f"unknown record type {code!r}")
        for j, code in enumerate(by_tiers or ()):
            if code not in tier_codes:
                err(("lists", i, "entry", "tiers", j), f"unknown tier {code!r}")
        if by_tiers and spec.kind != ListKind.RED and spec.review != "required":
            err(
                ("lists", i, "review"),
                f"a {spec.kind} list entered by tiers needs review: required "
                "(a score alone never restricts)",
            )

    for i, m in enumerate(book.measures):
        if (m.list is None) == (m.tier is None):
            err(("measures", i), "a measure names either list or tier (one of them)")
        if m.list is not None and m.list not in list_kinds:
            err(("measures", i, "list"), f"unknown list {m.list!r}")
        if m.tier is not None:
            if m.tier not in tier_codes:
                err(("measures", i, "tier"), f"unknown tier {m.tier!r}")
            if m.effect == Effect.DENY:
                err(
                    ("measures", i, "effect"),
                    "a tier-based measure may grant incentives, never deny (a score alone "
                    "never restricts)",
                )
        if m.effect == Effect.DENY and list_kinds.get(m.list or "") == ListKind.RED:
            err(("measures", i, "effect"), f"red list {m.list!r} grants incentives, it cannot deny")
    if book.commitments is not None:
        rules = book.commitments
        for kind, code in rules.kinds.items():
            loc = ("commitments", "kinds", kind)
            if kind not in COMMITMENT_KINDS:
                err(loc, f"unknown commitment kind {kind!r} (kinds: {', '.join(COMMITMENT_KINDS)})")
            found = next((t for t in book.record_types if t.code == code), None)
            if found is None:
                err(loc, f"unknown record type {code!r}")
            elif SubjectKind.PUBLIC_BODY not in found.subject_kinds:
                err(loc, f"record type {code!r} does not apply to public bodies")
        if _longer(rules.sme_payment.default, rules.sme_payment.longest):
            err(("commitments", "sme_payment", "default"), "default is longer than longest")
        if rules.supervisor not in book.source_kinds:
            err(("commitments", "supervisor"), f"{rules.supervisor!r} reports no record type")
    return errors


def _longer(period: Period, than: Period) -> bool:
    """Whether `period` ends later than `than` from every start (compared from a leap day)."""
    start = date(2024, 2, 29)
    return period.after(start) > than.after(start)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice in one mapping (the second would win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
            if node is None:  # a missing key: point at the mapping that lacks it
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            break
    return node.start_mark.line + 1 if node is not None else line


def parse_rulebook(text: str) -> Rulebook:
    """Parse and validate a rulebook; raise RulebookInvalid listing every error."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RulebookInvalid([RulebookError("", f"not valid YAML: {exc}", line)]) from None
    if not isinstance(data, dict):
        raise RulebookInvalid([RulebookError("", "a rulebook is a YAML mapping")])
    try:
        book = Rulebook.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text)  # only to point at lines: every import parses a rulebook
        errors = []
        for e in exc.errors():
            loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            message = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            if e["type"] == "missing":
                message = "required field is missing"
            errors.append(RulebookError(_path(loc), message, _line_of(root, loc)))
        raise RulebookInvalid(errors) from None
    unlawful = lawfulness_errors(book)
    if unlawful:
        root = yaml.compose(text)
        raise RulebookInvalid(
            [RulebookError(e.path, e.message, _line_of(root, _loc_of(e.path))) for e in unlawful]
        )
    return book


def _loc_of(path: str) -> list[str | int]:
    loc: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            loc.append(int(part[1:-1]))
        elif part:
            loc.append(part)
    return loc


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
