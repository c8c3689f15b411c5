"""Hypothesis strategies for the pure domain: identifiers, lawful rulebooks, record sets.

They are shared: the unit property tests use them, and the columnar engines (DuckDB, Spark)
can use them to show they agree with `trustledger.domain.scoring.evaluate`. Everything drawn
here is valid input as the ledger would hold it:

- `rid_values()`, `uscc_values()`, `subject_ids(kind)`: valid identifiers.
- `rulebook_dicts()` draws a plain dict (YAML-dumpable, `yaml.safe_dump`) of a rulebook that
  passes `parse_rulebook`; `rulebooks()` draws the parsed `Rulebook`. They use every feature
  scoring reads: caps, tier caps, repair, suspension while disputed, record- and tier-based
  lists with and without review and notice, list and tier measures, consent by kind.
- `records(book)` draws one subject's records: any type of the book (including types that do
  not apply to the subject's kind, which the engine must ignore), some fulfilled, notified,
  voided or disputed, with `(source, reference)` unique and equal references under different
  sources, equal days and overlapping spans occurring often.
- `confirmations(book)` draws reviewer confirmations for the `review: required` lists.
- `populations(book)` draws several distinct subjects (`SubjectCase`: identifier, kind,
  consent, records, confirmations) whose records are unique per `(source, reference)` across
  the pool; `scenarios()` adds a rulebook and a day (`Scenario`), `one_subject()` is the same
  for a single subject (`OneSubject`).
- `PROPERTY` / `FEW`: settings for property tests (no deadline; the example count can be
  raised with TRUSTLEDGER_HYPOTHESIS_EXAMPLES).

Dates lie in [START, START + SPAN_DAYS], so records start, end and overlap within the window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from trustledger.domain.identifiers import (
    RID_PROVINCES,
    USCC_ALPHABET,
    SubjectKind,
    rid_check_character,
    uscc_check_character,
)
from trustledger.domain.periods import Period
from trustledger.domain.rulebook import Rulebook, lawfulness_errors
from trustledger.domain.scoring import Confirmation, Record

START = date(2020, 1, 1)
SPAN_DAYS = 6 * 366
KINDS = tuple(SubjectKind)
SOURCE_KINDS = ("court", "tax-bureau", "lender")
SOURCES = ("src-a", "src-b", "src-c")
EFFECTS_INCENTIVE = ("waive_deposit", "priority", "discount", "green_channel")
ACTIONS = ("act.fly", "act.rent", "act.loan", "act.bid")

# Settings for property tests: modest example counts and no deadline (no timing assertions).
# TRUSTLEDGER_HYPOTHESIS_EXAMPLES raises the count for a deeper run (e.g. nightly).
EXAMPLES = int(os.environ.get("TRUSTLEDGER_HYPOTHESIS_EXAMPLES", "100"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(PROPERTY, max_examples=max(EXAMPLES // 2, 1))

# --- identifiers ---------------------------------------------------------------------------------


@st.composite
def rid_values(draw: st.DrawFn) -> str:
    """A valid 18-character resident identity number (GB 11643)."""
    province = draw(st.sampled_from(sorted(RID_PROVINCES)))
    area = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    born = draw(st.dates(date(1900, 1, 1), date(2025, 12, 31)))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    first17 = f"{province}{area}{born:%Y%m%d}{sequence}"
    return first17 + rid_check_character(first17)


@st.composite
def uscc_values(draw: st.DrawFn, public_body: bool | None = None) -> str:
    """A valid 18-character Unified Social Credit Code (GB 32100).

    `public_body=True` draws a code starting with `11`, `False` one that does not, `None` any.
    """
    alphabet = USCC_ALPHABET
    if public_body is None:
        public_body = draw(st.booleans())
    if public_body:
        head = "11"
    else:
        head = draw(
            st.tuples(st.sampled_from(alphabet), st.sampled_from(alphabet))
            .map("".join)
            .filter(lambda h: h != "11")
        )
    area = draw(st.from_regex(r"\A[0-9]{6}\Z"))
    org = "".join(draw(st.lists(st.sampled_from(alphabet), min_size=9, max_size=9)))
    first17 = head + area + org
    return first17 + uscc_check_character(first17)


def subject_ids(kind: SubjectKind) -> st.SearchStrategy[str]:
    """A `scheme:value` identifier naming a subject of `kind`."""
    if kind == SubjectKind.PERSON:
        return rid_values().map(lambda v: f"cn-rid:{v}")
    return uscc_values(public_body=kind == SubjectKind.PUBLIC_BODY).map(lambda v: f"cn-uscc:{v}")


# --- rulebooks -----------------------------------------------------------------------------------


def periods(
    max_days: int = 800, max_months: int = 30, max_years: int = 4
) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, max_days).map(lambda n: f"{n}d"),
        st.integers(1, max_months).map(lambda n: f"{n}m"),
        st.integers(1, max_years).map(lambda n: f"{n}y"),
    )


def _subsets(items: tuple[str, ...], max_size: int) -> list[list[str]]:
    out: list[list[str]] = []
    for mask in range(1, 2 ** len(items)):
        subset = [x for i, x in enumerate(items) if mask >> i & 1]
        if len(subset) <= max_size:
            out.append(subset)
    return out


# Strategies are built once: building them per draw costs more than drawing from them.
_COUNTS_FOR = periods()
_CATEGORY = st.sampled_from(["judicial", "tax", "civic", "government"])
_SUBJECT_KINDS = st.sampled_from(_subsets(tuple(k.value for k in KINDS), 3))
_CONSENT_KINDS = st.sampled_from([[], *_subsets(tuple(k.value for k in KINDS), 3)])
_REPORTERS = st.sampled_from(_subsets(SOURCE_KINDS, 2))
_POINTS = st.integers(-200, 100)
_CAP = st.integers(1, 150)
_OPTIONS = st.integers(0, 63)  # bits 0-2: cap, repair, suspend; 3-4 zero: tier_cap; 5: late repair
_LIST_KIND = st.sampled_from(["black", "red", "watch"])
_RECORD_REVIEW = st.sampled_from(["none", "none", "required"])
_NOTICE = st.sampled_from([0, 0, 1, 10, 30])
_ACTION = st.sampled_from(ACTIONS)
_INCENTIVE = st.sampled_from(EFFECTS_INCENTIVE)
_ANY_EFFECT = st.sampled_from(("deny", "deny", *EFFECTS_INCENTIVE))


@st.composite
def rulebook_dicts(
    draw: st.DrawFn,
    max_tiers: int = 5,
    max_types: int = 6,
    max_lists: int = 4,
    max_measures: int = 8,
    suspensions: bool = True,
) -> dict[str, Any]:
    """A lawful rulebook as a plain dict (what `yaml.safe_load` of a rulebook file returns).

    `suspensions=False` leaves out `suspend_when_disputed`, for an engine that lacks it.
    """
    lo = draw(st.integers(-100, 100))
    hi = lo + draw(st.integers(50, 1000))
    base = draw(st.integers(lo, hi))
    n_tiers = draw(st.integers(1, max_tiers))
    inner = sorted(
        draw(st.sets(st.integers(lo + 1, hi), min_size=n_tiers - 1, max_size=n_tiers - 1)),
        reverse=True,
    )
    # The last tier starts at or below score.min so every score has a tier.
    bottom = lo - draw(st.integers(0, 10))
    tier_codes = [f"T{i}" for i in range(n_tiers)]
    tiers = [{"code": c, "min": m} for c, m in zip(tier_codes, [*inner, bottom], strict=True)]
    any_tier = st.sampled_from(tier_codes)
    tier_sets = st.lists(any_tier, min_size=1, unique=True)

    n_types = draw(st.integers(1, max_types))
    type_codes = [f"type.t{i}" for i in range(n_types)]
    record_types: list[dict[str, Any]] = []
    for code in type_codes:
        options = draw(_OPTIONS)
        rt: dict[str, Any] = {
            "code": code,
            "label": f"Record type {code}",
            "category": draw(_CATEGORY),
            "subject_kinds": draw(_SUBJECT_KINDS),
            "reporters": draw(_REPORTERS),
            "points": draw(_POINTS),
            "counts_for": draw(_COUNTS_FOR),
            "legal_basis": f"Law on {code}, art. 1",
        }
        if options & 1:
            rt["cap"] = draw(_CAP)
        if options & 2:  # repair.after never longer than counts_for: same unit, no more
            counts_for = Period.parse(rt["counts_for"])
            after = draw(st.integers(0, counts_for.amount)) if options & 32 else 0
            rt["repair"] = {"after": f"{after}{counts_for.unit if after else 'd'}"}
        if options & 4 and suspensions:
            rt["suspend_when_disputed"] = True
        if (options >> 3) & 3 == 0:
            rt["tier_cap"] = draw(any_tier)
        record_types.append(rt)
    type_sets = st.lists(st.sampled_from(type_codes), min_size=1, max_size=3, unique=True)

    lists: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, max_lists))):
        kind = draw(_LIST_KIND)
        if draw(st.booleans()):  # entered by tiers: black and watch lists need review
            entry: dict[str, Any] = {"tiers": draw(tier_sets)}
            review = "required" if kind != "red" or draw(st.booleans()) else "none"
        else:
            entry = {"record_types": draw(type_sets)}
            review = draw(_RECORD_REVIEW)
        lists.append(
            {
                "code": f"list-{i}",
                "kind": kind,
                "public": bool(i % 2),
                "entry": entry,
                "review": review,
                "notice_days": draw(_NOTICE),
            }
        )

    measures: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, max_measures))):
        measure: dict[str, Any] = {"code": f"m-{i}", "action": draw(_ACTION)}
        if lists and draw(st.booleans()):
            spec = lists[draw(st.integers(0, len(lists) - 1))]
            measure["list"] = spec["code"]
            effect = draw(_ANY_EFFECT if spec["kind"] != "red" else _INCENTIVE)
        else:  # a tier grants incentives, never restrictions
            measure["tier"] = draw(any_tier)
            effect = draw(_INCENTIVE)
        measure["effect"] = effect
        measure["legal_basis"] = f"Measure law {i}"
        measures.append(measure)

    return {
        "rulebook": "generated",
        "version": "h1",
        "score": {"base": base, "min": lo, "max": hi, "requires_consent": draw(_CONSENT_KINDS)},
        "tiers": tiers,
        "record_types": record_types,
        "lists": lists,
        "measures": measures,
    }


def _lawful(data: dict[str, Any]) -> Rulebook:
    book = Rulebook.model_validate(data)
    errors = lawfulness_errors(book)
    assert not errors, errors  # the strategy only draws lawful rulebooks
    return book


def rulebooks(**kwargs: Any) -> st.SearchStrategy[Rulebook]:
    """A parsed, lawful rulebook (see `rulebook_dicts` for the knobs)."""
    return rulebook_dicts(**kwargs).map(_lawful)


# --- records -------------------------------------------------------------------------------------


def days(start: date = START, span_days: int = SPAN_DAYS) -> st.SearchStrategy[date]:
    return st.dates(start, start + timedelta(days=span_days))


_DAY_OFFSET = st.integers(0, SPAN_DAYS)
_FULFILLED = st.one_of(st.none(), st.none(), st.integers(0, 900))
_AMOUNT = st.one_of(st.none(), st.none(), st.none(), st.integers(0, 10**7))
_FLAGS = st.integers(0, 35)  # voided on 0-5, disputed on multiples of 6
_NOTIFIED = st.one_of(st.none(), st.integers(0, 60))


@st.composite
def records(
    draw: st.DrawFn,
    book: Rulebook,
    min_size: int = 0,
    max_size: int = 10,
    tag: str = "",
    types: tuple[str, ...] | None = None,
    notified: bool = True,
) -> list[Record]:
    """One subject's records under `book`; `tag` prefixes references (unique per pool).

    `notified=False` leaves `notified_on` unset, for an engine that lacks it.
    """
    codes = st.sampled_from(types or tuple(t.code for t in book.record_types))
    n = draw(st.integers(min_size, max_size))
    # References come from a small pool so that equal references under different sources and
    # equal days occur; (source, reference) stays unique as the ledger guarantees.
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(SOURCES), st.integers(0, max(4, max_size // 2))),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    out: list[Record] = []
    for source, ref in keys:
        decided_on = START + timedelta(days=draw(_DAY_OFFSET))
        fulfilled = draw(_FULFILLED)
        cents = draw(_AMOUNT)
        flags = draw(_FLAGS)
        notified_after = draw(_NOTIFIED) if notified else None
        out.append(
            Record(
                reference=f"{tag}r{ref}",
                type=draw(codes),
                decided_on=decided_on,
                source=source,
                fulfilled_on=None if fulfilled is None else decided_on + timedelta(days=fulfilled),
                voided=flags < 6,
                disputed=flags % 6 == 0,
                amount=None if cents is None else Decimal(cents) / 100,
                notified_on=(
                    None if notified_after is None else decided_on + timedelta(days=notified_after)
                ),
            )
        )
    return out


@st.composite
def confirmations(draw: st.DrawFn, book: Rulebook, max_size: int = 3) -> list[Confirmation]:
    """Reviewer confirmations for the book's `review: required` lists."""
    reviewed = [s.code for s in book.lists if s.review == "required"]
    if not reviewed:
        return []
    out: list[Confirmation] = []
    for _ in range(draw(st.integers(0, max_size))):
        confirmed_on = draw(days())
        ended_on = None
        if draw(st.booleans()):
            ended_on = confirmed_on + timedelta(days=draw(st.integers(1, 800)))
        out.append(Confirmation(draw(st.sampled_from(reviewed)), confirmed_on, ended_on))
    return out


@dataclass(frozen=True)
class SubjectCase:
    """One subject of a population with everything `evaluate` needs besides book and day."""

    subject: str  # scheme:value
    kind: SubjectKind
    consent: bool
    records: tuple[Record, ...]
    confirmations: tuple[Confirmation, ...]


@st.composite
def subject_cases(
    draw: st.DrawFn,
    book: Rulebook,
    tag: str = "",
    min_records: int = 0,
    max_records: int = 10,
    notified: bool = True,
) -> SubjectCase:
    kind = draw(st.sampled_from(KINDS))
    # Mostly types that apply to the kind, so that most records matter.
    fitting = tuple(t.code for t in book.record_types if kind in t.subject_kinds)
    types = fitting if fitting and draw(st.integers(0, 3)) else None
    return SubjectCase(
        subject=draw(subject_ids(kind)),
        kind=kind,
        consent=draw(st.booleans()),
        records=tuple(
            draw(
                records(
                    book,
                    min_size=min_records,
                    max_size=max_records,
                    tag=tag,
                    types=types,
                    notified=notified,
                )
            )
        ),
        confirmations=tuple(draw(confirmations(book))),
    )


@st.composite
def populations(
    draw: st.DrawFn,
    book: Rulebook,
    min_subjects: int = 1,
    max_subjects: int = 6,
    notified: bool = True,
) -> list[SubjectCase]:
    """Distinct subjects; `(source, reference)` is unique across the whole population."""
    n = draw(st.integers(min_subjects, max_subjects))
    out: list[SubjectCase] = []
    seen: set[str] = set()
    for i in range(n):
        case = draw(subject_cases(book, tag=f"s{i}-", notified=notified))
        if case.subject in seen:
            continue
        seen.add(case.subject)
        out.append(case)
    return out


@dataclass(frozen=True)
class Scenario:
    book: Rulebook
    population: list[SubjectCase]
    as_of: date


@st.composite
def scenarios(draw: st.DrawFn, max_subjects: int = 6) -> Scenario:
    book = draw(rulebooks())
    return Scenario(book, draw(populations(book, max_subjects=max_subjects)), draw(days()))


@dataclass(frozen=True)
class OneSubject:
    book: Rulebook
    case: SubjectCase
    as_of: date


@st.composite
def one_subject(draw: st.DrawFn, min_records: int = 0, max_records: int = 10) -> OneSubject:
    """A rulebook, one subject with its records and confirmations, and a day."""
    book = draw(rulebooks())
    case = draw(subject_cases(book, min_records=min_records, max_records=max_records))
    return OneSubject(book, case, draw(days()))
