"""Rulebook validation: every rejection docs/design.md lists, located by YAML path and line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from tests.unit.strategies import PROPERTY, rulebook_dicts
from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.periods import Period
from trustledger.domain.rulebook import (
    Rulebook,
    RulebookError,
    RulebookInvalid,
    lawfulness_errors,
    parse_rulebook,
)
from trustledger.services.admin.rulebooks import example_rulebook_text

# A small lawful rulebook; tests break one thing at a time.
VALID_TEXT = """\
rulebook: test-city
version: "1"
score:
  base: 1000
  min: 0
  max: 1200
  requires_consent: [person]
tiers:
  - {code: AAA, min: 1050}
  - {code: A, min: 960}
  - {code: D, min: 0}
record_types:
  - code: traffic.violation
    label: Traffic violation
    category: administrative
    subject_kinds: [person]
    reporters: [traffic-police]
    points: -5
    counts_for: 1y
    legal_basis: "Road Traffic Safety Law, art. 90"
  - code: traffic.drunk_driving
    label: Drunk driving
    category: administrative
    subject_kinds: [person]
    reporters: [traffic-police]
    points: -50
    counts_for: 2y
    tier_cap: A
    legal_basis: "Road Traffic Safety Law, art. 91"
  - code: court.dishonest_debtor
    label: Dishonest judgment debtor
    category: judicial
    subject_kinds: [person, organization]
    reporters: [court]
    points: -150
    counts_for: 2y
    repair: {after: 0d}
    legal_basis: "SPC Provisions, art. 1"
lists:
  - code: dishonest-debtors
    kind: black
    public: true
    entry: {record_types: [court.dishonest_debtor]}
    review: none
    notice_days: 10
  - code: honor-roll
    kind: red
    public: true
    entry: {tiers: [AAA]}
    review: none
    notice_days: 0
measures:
  - {code: no-flights, list: dishonest-debtors, action: travel.flight, effect: deny,
     legal_basis: "SPC Provisions on Restricting High Consumption, art. 3"}
  - {code: honor-deposit, list: honor-roll, action: rental.deposit, effect: waive_deposit,
     legal_basis: "Guiding Opinions, item 2"}
  - {code: aaa-priority, tier: AAA, action: approval.permit, effect: priority,
     legal_basis: "Rongcheng Measures, art. 8"}
"""


def valid() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VALID_TEXT)
    return data


def errors_of(data: dict[str, Any]) -> list[RulebookError]:
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook(text)
    assert caught.value.errors, "RulebookInvalid without errors"
    for e in caught.value.errors:
        assert e.line is not None and e.line >= 1, e
    return list(caught.value.errors)


def paths(errors: list[RulebookError]) -> list[str]:
    return [e.path for e in errors]


def only_error(data: dict[str, Any]) -> RulebookError:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    return errors[0]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


# --- valid books ---------------------------------------------------------------------------------


def test_the_valid_rulebook_parses() -> None:
    book = parse_rulebook(VALID_TEXT)
    assert book.rulebook == "test-city"
    assert book.score.requires_consent == (SubjectKind.PERSON,)
    assert [t.code for t in book.tiers] == ["AAA", "A", "D"]
    assert book.record_types[0].counts_for == Period(1, "y")
    assert book.record_types[2].repair is not None
    assert book.record_types[2].repair.after == Period(0, "d")
    assert lawfulness_errors(book) == []


def test_optional_fields_default() -> None:
    data = valid()
    del data["score"]["requires_consent"]
    data["lists"][0]["name"] = "Dishonest debtors"
    data["lists"][0]["description"] = "From court decisions."
    data["measures"][0]["name"] = "No flights"
    book = parse_rulebook(yaml.safe_dump(data))
    assert book.score.requires_consent == ()
    assert book.lists[0].name == "Dishonest debtors"


def test_the_example_rulebook_is_valid() -> None:
    book = parse_rulebook(example_rulebook_text())
    assert book.rulebook == "example-city"
    assert len(book.record_types) >= 20
    for rt in book.record_types:
        assert rt.legal_basis.strip(), rt.code
        assert rt.counts_for.amount > 0, rt.code
    for m in book.measures:
        assert m.legal_basis.strip(), m.code


@given(rulebook_dicts())
@settings(PROPERTY, max_examples=100)
def test_generated_rulebooks_pass_the_validator(data: dict[str, Any]) -> None:
    book = parse_rulebook(yaml.safe_dump(data, sort_keys=False))
    assert len(book.record_types) == len(data["record_types"])


# --- legal basis, end ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["legal_basis", "counts_for"])
def test_record_type_without_legal_basis_or_counts_for_is_rejected(field: str) -> None:
    data = valid()
    del data["record_types"][2][field]
    error = only_error(data)
    assert error.path == f"record_types[2].{field}"
    assert error.message == "required field is missing"


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_legal_basis_is_rejected(value: str | None) -> None:
    data = valid()
    data["record_types"][1]["legal_basis"] = value
    assert only_error(data).path == "record_types[1].legal_basis"


@pytest.mark.parametrize("value", ["2w", "forever", "", 2, "-1y"])
def test_counts_for_must_be_a_period(value: object) -> None:
    data = valid()
    data["record_types"][0]["counts_for"] = value
    error = only_error(data)
    assert error.path == "record_types[0].counts_for"


@pytest.mark.parametrize("value", ["0d", "0y", "11y", "121m", "3653d"])
def test_counts_for_must_end_and_not_be_endless(value: str) -> None:
    data = valid()
    data["record_types"][0]["counts_for"] = value
    assert only_error(data).path == "record_types[0].counts_for"


@pytest.mark.parametrize("value", ["10y", "120m", "1d"])
def test_counts_for_up_to_ten_years(value: str) -> None:
    data = valid()
    data["record_types"][0]["counts_for"] = value
    parse_rulebook(yaml.safe_dump(data))


@pytest.mark.parametrize(
    ("after", "ok"), [("2y", True), ("24m", True), ("25m", False), ("3y", False)]
)
def test_repair_after_is_not_longer_than_counts_for(after: str, ok: bool) -> None:
    data = valid()
    data["record_types"][2]["repair"] = {"after": after}  # counts_for: 2y
    if ok:
        parse_rulebook(yaml.safe_dump(data))
    else:
        assert only_error(data).path == "record_types[2].repair.after"


def test_zone_must_be_a_time_zone() -> None:
    data = valid()
    data["zone"] = "Europe/Berlin"
    assert parse_rulebook(yaml.safe_dump(data)).zone == "Europe/Berlin"
    data["zone"] = "Mars/Olympus_Mons"
    assert only_error(data).path == "zone"


def test_a_key_written_twice_is_an_error() -> None:
    text = VALID_TEXT.replace("    points: -5\n", "    points: -5\n    points: 5\n")
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook(text)
    (error,) = caught.value.errors
    assert error.line == line_of(text, "points: 5")


def test_measure_without_legal_basis_is_rejected() -> None:
    data = valid()
    del data["measures"][1]["legal_basis"]
    assert only_error(data).path == "measures[1].legal_basis"


# --- a score alone never restricts ---------------------------------------------------------------


def test_deny_on_a_tier_measure_is_rejected() -> None:
    data = valid()
    data["measures"].append(
        {
            "code": "d-no-loans",
            "tier": "D",
            "action": "loan.application",
            "effect": "deny",
            "legal_basis": "a law that cannot make a score restrict",
        }
    )
    error = only_error(data)
    assert error.path == "measures[3].effect"
    assert "never deny" in error.message


@pytest.mark.parametrize("effect", ["waive_deposit", "priority", "discount", "green_channel"])
def test_incentives_on_a_tier_are_lawful(effect: str) -> None:
    data = valid()
    data["measures"][2]["effect"] = effect
    parse_rulebook(yaml.safe_dump(data))


@pytest.mark.parametrize("kind", ["black", "watch"])
def test_black_or_watch_list_by_tiers_needs_review(kind: str) -> None:
    data = valid()
    data["lists"].append(
        {
            "code": "low-tier",
            "kind": kind,
            "public": False,
            "entry": {"tiers": ["D"]},
            "review": "none",
            "notice_days": 0,
        }
    )
    error = only_error(data)
    assert error.path == "lists[2].review"
    assert "review: required" in error.message
    data["lists"][2]["review"] = "required"
    parse_rulebook(yaml.safe_dump(data))


def test_red_list_by_tiers_needs_no_review() -> None:
    book = parse_rulebook(VALID_TEXT)
    assert book.lists[1].kind == "red" and book.lists[1].review == "none"


def test_red_list_cannot_deny() -> None:
    data = valid()
    data["measures"][1]["effect"] = "deny"
    error = only_error(data)
    assert error.path == "measures[1].effect"
    assert "red list" in error.message


def test_deny_on_a_reviewed_watch_list_is_lawful() -> None:
    data = valid()
    data["lists"].append(
        {
            "code": "watch",
            "kind": "watch",
            "public": False,
            "entry": {"tiers": ["D"]},
            "review": "required",
            "notice_days": 0,
        }
    )
    data["measures"].append(
        {"code": "w", "list": "watch", "action": "a", "effect": "deny", "legal_basis": "L"}
    )
    parse_rulebook(yaml.safe_dump(data))


# --- references ----------------------------------------------------------------------------------


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return apply


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            _set(("record_types", 1, "tier_cap"), "Z"),
            "record_types[1].tier_cap",
            "unknown tier 'Z'",
        ),
        (
            _set(("lists", 0, "entry", "record_types"), ["court.dishonest_debtor", "court.nope"]),
            "lists[0].entry.record_types[1]",
            "unknown record type 'court.nope'",
        ),
        (
            _set(("lists", 1, "entry", "tiers"), ["BBB"]),
            "lists[1].entry.tiers[0]",
            "unknown tier 'BBB'",
        ),
        (_set(("measures", 0, "list"), "debtors"), "measures[0].list", "unknown list 'debtors'"),
        (_set(("measures", 2, "tier"), "AA"), "measures[2].tier", "unknown tier 'AA'"),
    ],
    ids=["tier_cap", "list-entry-record-type", "list-entry-tier", "measure-list", "measure-tier"],
)
def test_unknown_codes_in_references_are_rejected(
    change: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    data = valid()
    change(data)
    error = only_error(data)
    assert error.path == path
    assert error.message == message


def test_measure_names_exactly_one_of_list_and_tier() -> None:
    data = valid()
    data["measures"][0]["tier"] = "AAA"
    data["measures"][0]["effect"] = "priority"
    assert paths(errors_of(data)) == ["measures[0]"]
    del data["measures"][0]["tier"]
    del data["measures"][0]["list"]
    assert paths(errors_of(data)) == ["measures[0]"]


@pytest.mark.parametrize(
    "entry",
    [
        {},
        {"record_types": []},
        {"tiers": []},
        {"record_types": ["traffic.violation"], "tiers": ["A"]},
    ],
)
def test_list_entry_names_either_record_types_or_tiers(entry: dict[str, Any]) -> None:
    data = valid()
    data["lists"][0]["entry"] = entry
    assert "lists[0].entry" in paths(errors_of(data))


@pytest.mark.parametrize("section", ["tiers", "record_types", "lists", "measures"])
def test_duplicate_codes_are_rejected(section: str) -> None:
    data = valid()
    data[section].append(copy.deepcopy(data[section][-1]))
    if section == "tiers":  # keep the tiers ordered, only the code repeats
        data["tiers"][-2]["min"] = 10
    n = len(data[section]) - 1
    errors = errors_of(data)
    assert f"{section}[{n}].code" in paths(errors)
    assert any("duplicate code" in e.message for e in errors)


# --- tiers and score -----------------------------------------------------------------------------


def test_overlapping_tiers_are_rejected() -> None:
    data = valid()
    data["tiers"][1]["min"] = 1050
    error = only_error(data)
    assert error.path == "tiers[1].min"
    assert "overlaps AAA" in error.message


def test_unordered_tiers_are_rejected() -> None:
    data = valid()
    data["tiers"][0], data["tiers"][1] = data["tiers"][1], data["tiers"][0]
    error = only_error(data)
    assert error.path == "tiers[1].min"
    assert "ordered best first" in error.message


def test_last_tier_must_cover_the_minimum_score() -> None:
    data = valid()
    data["tiers"][2]["min"] = 100
    error = only_error(data)
    assert error.path == "tiers[2].min"


def test_score_bounds() -> None:
    data = valid()
    data["score"]["min"] = 1200
    assert sorted(paths(errors_of(data))) == ["score.base", "score.min"]
    data = valid()
    data["score"]["base"] = 1300
    assert only_error(data).path == "score.base"


def test_tiers_may_not_be_empty() -> None:
    data = valid()
    data["tiers"] = []
    assert "tiers" in paths(errors_of(data))


# --- shape ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("rulebook",),
        ("version",),
        ("score",),
        ("tiers",),
        ("record_types",),
        ("lists",),
        ("measures",),
        ("score", "base"),
        ("score", "min"),
        ("score", "max"),
        ("tiers", 0, "code"),
        ("tiers", 0, "min"),
        *[
            ("record_types", 0, f)
            for f in (
                "code",
                "label",
                "category",
                "subject_kinds",
                "reporters",
                "points",
                "counts_for",
                "legal_basis",
            )
        ],
        ("record_types", 2, "repair", "after"),
        *[("lists", 0, f) for f in ("code", "kind", "public", "entry", "review", "notice_days")],
        *[("measures", 0, f) for f in ("code", "action", "effect", "legal_basis")],
    ],
    ids=lambda p: ".".join(map(str, p)),
)
def test_every_required_field_is_required(path: tuple[str | int, ...]) -> None:
    data = valid()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    errors = errors_of(data)
    expected = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert expected in paths(errors)
    assert "required field is missing" in [e.message for e in errors if e.path == expected]


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ((), "colour"),
        (("score",), "score.colour"),
        (("tiers", 1), "tiers[1].colour"),
        (("record_types", 2), "record_types[2].colour"),
        (("record_types", 2, "repair"), "record_types[2].repair.colour"),
        (("lists", 0), "lists[0].colour"),
        (("lists", 0, "entry"), "lists[0].entry.colour"),
        (("measures", 2), "measures[2].colour"),
    ],
)
def test_unknown_keys_anywhere_are_errors(where: tuple[str | int, ...], path: str) -> None:
    data = valid()
    node: Any = data
    for part in where:
        node = node[part]
    node["colour"] = "red"
    error = only_error(data)
    assert error.path == path
    assert error.message == "unknown key"


def test_a_typo_is_an_unknown_key_and_a_missing_field() -> None:
    data = valid()
    data["record_types"][0]["legal_bases"] = data["record_types"][0].pop("legal_basis")
    assert sorted(paths(errors_of(data))) == [
        "record_types[0].legal_bases",
        "record_types[0].legal_basis",
    ]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_set(("record_types", 0, "category"), "moral"), "record_types[0].category"),
        (
            _set(("record_types", 0, "subject_kinds"), ["family"]),
            "record_types[0].subject_kinds[0]",
        ),
        (_set(("record_types", 0, "subject_kinds"), []), "record_types[0].subject_kinds"),
        (_set(("record_types", 0, "reporters"), []), "record_types[0].reporters"),
        (_set(("record_types", 0, "points"), "five"), "record_types[0].points"),
        (_set(("record_types", 0, "cap"), 0), "record_types[0].cap"),
        (_set(("record_types", 0, "cap"), -5), "record_types[0].cap"),
        (_set(("record_types", 2, "repair"), {"after": "soon"}), "record_types[2].repair.after"),
        (_set(("lists", 0, "kind"), "grey"), "lists[0].kind"),
        (_set(("lists", 0, "review"), "maybe"), "lists[0].review"),
        (_set(("lists", 0, "notice_days"), -1), "lists[0].notice_days"),
        (_set(("measures", 0, "effect"), "shame"), "measures[0].effect"),
        (_set(("score", "requires_consent"), ["citizen"]), "score.requires_consent[0]"),
        (_set(("tiers", 0, "code"), "has space"), "tiers[0].code"),
    ],
)
def test_bad_values_are_located(change: Callable[[dict[str, Any]], None], path: str) -> None:
    data = valid()
    change(data)
    assert path in paths(errors_of(data))


# --- all errors, with lines ----------------------------------------------------------------------


def test_all_shape_errors_are_reported_together() -> None:
    data = valid()
    del data["record_types"][0]["legal_basis"]
    del data["record_types"][2]["counts_for"]
    data["lists"][1]["colour"] = "red"
    data["measures"][0]["effect"] = "shame"
    assert sorted(paths(errors_of(data))) == [
        "lists[1].colour",
        "measures[0].effect",
        "record_types[0].legal_basis",
        "record_types[2].counts_for",
    ]


def test_all_lawfulness_errors_are_reported_together() -> None:
    data = valid()
    data["record_types"][1]["tier_cap"] = "Z"
    data["tiers"][1]["min"] = 1050
    data["measures"][0]["list"] = "nowhere"
    data["measures"][2]["effect"] = "deny"
    data["lists"][1]["kind"] = "black"
    assert sorted(paths(errors_of(data))) == [
        "lists[1].review",
        "measures[0].list",
        "measures[2].effect",
        "record_types[1].tier_cap",
        "tiers[1].min",
    ]


def test_errors_carry_the_yaml_line() -> None:
    text = VALID_TEXT.replace(
        "    counts_for: 2y\n    repair: {after: 0d}\n", "    repair: {after: 0d}\n"
    ).replace("    tier_cap: A\n", "    tier_cap: Q\n    colour: red\n")
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook(text)
    errors = {e.path: e for e in caught.value.errors}
    # A missing key points at the mapping that lacks it.
    assert errors["record_types[2].counts_for"].line == line_of(
        text, "- code: court.dishonest_debtor"
    )
    assert errors["record_types[1].colour"].line == line_of(text, "colour: red")
    assert str(errors["record_types[1].colour"]).startswith(
        f"line {line_of(text, 'colour: red')}: record_types[1].colour: unknown key"
    )
    # (the lawfulness stage runs once the shape is right)
    text = text.replace("    colour: red\n", "").replace(
        "    repair: {after: 0d}\n", "    counts_for: 2y\n    repair: {after: 0d}\n"
    )
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook(text)
    (error,) = caught.value.errors
    assert error.path == "record_types[1].tier_cap"
    assert error.line == line_of(text, "tier_cap: Q")


def test_lawfulness_errors_carry_the_line_of_the_offending_item() -> None:
    text = VALID_TEXT.replace(
        "action: approval.permit, effect: priority", "action: x, effect: deny"
    )
    text = text.replace("{code: A, min: 960}", "{code: A, min: 1050}")
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook(text)
    errors = {e.path: e for e in caught.value.errors}
    assert set(errors) == {"measures[2].effect", "tiers[1].min"}
    assert errors["tiers[1].min"].line == line_of(text, "{code: A, min: 1050}")
    assert errors["measures[2].effect"].line == line_of(text, "effect: deny", occurrence=2)


def test_lawfulness_errors_without_parsing() -> None:
    data = valid()
    data["tiers"] = [{"code": "AAA", "min": 0}, {"code": "A", "min": 10}, {"code": "D", "min": 5}]
    errors = lawfulness_errors(Rulebook.model_validate(data))
    assert [e.path for e in errors] == ["tiers[1].min", "tiers[2].min"]
    assert all(e.line is None for e in errors)


def test_invalid_yaml_reports_its_line() -> None:
    with pytest.raises(RulebookInvalid) as caught:
        parse_rulebook("rulebook: x\nversion: [1\nscore: 2\n")
    (error,) = caught.value.errors
    assert error.message.startswith("not valid YAML")
    assert error.line is not None


@pytest.mark.parametrize("text", ["", "- 1\n- 2\n", "just text"])
def test_a_rulebook_is_a_mapping(text: str) -> None:
    with pytest.raises(RulebookInvalid, match="a rulebook is a YAML mapping"):
        parse_rulebook(text)
