"""Intake: a reported line becomes a record, or is rejected with the field that is wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from trustledger.domain.identifiers import SchemeRegistry, SubjectId, SubjectKind
from trustledger.domain.intake import FIELDS, REQUIRED, Intake, NewRecord, Rejected
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

TODAY = date(2026, 6, 1)
BOOK = parse_rulebook(example_rulebook_text())
PERSON = "cn-rid:11010519491231002X"
ORG = "cn-uscc:91350100M000100Y43"
BODY = "cn-uscc:111100000000000030"
LEGACY_ORG = "cn-uscc:91350100M000100Y44"  # wrong check character, legally valid, listed


def intake(source_kind: str = "court") -> Intake:
    registry = SchemeRegistry.default(legacy_uscc=[LEGACY_ORG.split(":")[1]])
    return Intake(BOOK, registry, source_kind, TODAY)


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "subject": PERSON,
        "type": "court.dishonest_debtor",
        "reference": "(2026)京0105执1号",
        "decided_on": "2026-05-01",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def rejected(r: dict[str, Any], source_kind: str = "court") -> Rejected:
    with pytest.raises(Rejected) as caught:
        intake(source_kind).admit(r)
    assert str(caught.value).startswith(f"{caught.value.field}: ")
    return caught.value


# --- admitted ------------------------------------------------------------------------------------


def test_a_valid_line_is_admitted() -> None:
    record = intake().admit(row(amount="12500.50", note="  unpaid judgment  "))
    assert isinstance(record, NewRecord)
    assert record.subject == SubjectId("cn-rid", PERSON.split(":")[1], SubjectKind.PERSON)
    assert record.type == "court.dishonest_debtor"
    assert record.reference == "(2026)京0105执1号"
    assert record.decided_on == date(2026, 5, 1)
    assert record.amount == Decimal("12500.50")
    assert record.note == "unpaid judgment"
    assert record.fulfilled_on is None


def test_optional_fields_and_normalization() -> None:
    record = intake().admit(
        row(
            subject=PERSON.lower(),
            reference="  R-1 ",
            decided_on=" 2026-06-01 ",
            fulfilled_on="2026-06-01",
            amount=0,
            note="",
        )
    )
    assert str(record.subject) == PERSON
    assert record.reference == "R-1"
    assert record.decided_on == TODAY == record.fulfilled_on  # today is not the future
    assert record.amount == Decimal(0)
    assert record.note is None


@pytest.mark.parametrize(
    ("subject", "type_", "source_kind", "kind"),
    [
        (ORG, "tax.a_grade", "tax-bureau", SubjectKind.ORGANIZATION),
        (BODY, "gov.overdue_commitment", "integrity-office", SubjectKind.PUBLIC_BODY),
        (LEGACY_ORG, "env.pollution", "environmental-regulator", SubjectKind.ORGANIZATION),
        (PERSON, "traffic.drunk_driving", "court", SubjectKind.PERSON),
        (PERSON, "traffic.drunk_driving", "traffic-police", SubjectKind.PERSON),
    ],
)
def test_kinds_and_reporters_that_fit_are_admitted(
    subject: str, type_: str, source_kind: str, kind: SubjectKind
) -> None:
    record = intake(source_kind).admit(row(subject=subject, type=type_))
    assert record.subject.kind == kind and record.type == type_


def test_numbers_are_accepted_as_text() -> None:
    record = intake().admit(row(reference=20260001, amount=1.5))
    assert record.reference == "20260001" and record.amount == Decimal("1.5")


# --- rejected, by field --------------------------------------------------------------------------


def test_unknown_type() -> None:
    error = rejected(row(type="social.media_post"))
    assert error.field == "type"
    assert "unknown record type 'social.media_post' in rulebook example-city 2026.1" in str(error)


def test_source_kind_not_allowed_to_report_the_type() -> None:
    error = rejected(row(subject=ORG, type="tax.a_grade"), source_kind="court")
    assert error.field == "type"
    assert str(error) == "type: a court source may not report tax.a_grade (reporters: tax-bureau)"


@pytest.mark.parametrize(
    ("subject", "type_", "source_kind", "kind"),
    [
        (ORG, "court.defamation", "court", "organization"),
        (PERSON, "tax.a_grade", "tax-bureau", "person"),
        (PERSON, "gov.overdue_commitment", "integrity-office", "person"),
        (BODY, "court.dishonest_debtor", "court", "public_body"),
    ],
)
def test_wrong_subject_kind(subject: str, type_: str, source_kind: str, kind: str) -> None:
    error = rejected(row(subject=subject, type=type_), source_kind)
    assert error.field == "subject"
    article = "an" if kind[0] in "aeiou" else "a"
    assert f"not to {article} {kind}" in str(error)


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("cn-rid:110105194912310021", "check character expected X, got 1"),
        ("cn-rid:1101051949123100", "18 characters long"),
        ("cn-uscc:91350100M000100Y45", "check character expected 3, got 5"),
        ("passport:E1234567", "unknown identifier scheme 'passport'"),
        ("11010519491231002X", "must be written scheme:value"),
    ],
)
def test_bad_identifier(subject: str, message: str) -> None:
    error = rejected(row(subject=subject))
    assert error.field == "subject"
    assert message in str(error)


def test_a_bad_identifier_is_rejected_every_time() -> None:
    admit = intake()
    for _ in range(2):  # the second time from the intake's memory
        with pytest.raises(Rejected, match="check character"):
            admit.admit(row(subject="cn-rid:110105194912310021"))


@pytest.mark.parametrize("field", ["decided_on", "fulfilled_on", "notified_on"])
def test_date_in_the_future(field: str) -> None:
    error = rejected(row(**{field: "2026-06-02"}))
    assert error.field == field
    assert "2026-06-02 is in the future (today is 2026-06-01)" in str(error)


@pytest.mark.parametrize("field", ["decided_on", "fulfilled_on", "notified_on"])
@pytest.mark.parametrize("value", ["01/05/2026", "2026-02-30", "yesterday", "2026-5-1"])
def test_date_not_a_date(field: str, value: str) -> None:
    error = rejected(row(**{field: value}))
    assert error.field == field
    assert "is not a date (YYYY-MM-DD)" in str(error)


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("value", [..., None, "", "   "])
def test_missing_required_field(field: str, value: Any) -> None:
    error = rejected(row(**{field: value}))
    assert error.field == field
    assert str(error) == f"{field}: is missing"


def test_missing_reference() -> None:
    assert rejected(row(reference=...)).field == "reference"


@pytest.mark.parametrize("field", ["source", "points", "score", "Subject", "decided"])
def test_unknown_field(field: str) -> None:
    error = rejected(row(**{field: "x"}))
    assert error.field == field
    assert "unknown field" in str(error)
    for known in FIELDS:
        assert known in str(error)


@pytest.mark.parametrize("amount", ["ten", "1,000", "-1", "-0.01", "NaN", "Infinity", "1e"])
def test_bad_amount(amount: str) -> None:
    error = rejected(row(amount=amount))
    assert error.field == "amount"


@pytest.mark.parametrize("field", ["fulfilled_on", "notified_on"])
def test_event_before_decided_on(field: str) -> None:
    error = rejected(row(decided_on="2026-05-01", **{field: "2026-04-30"}))
    assert error.field == field
    assert "before decided_on" in str(error)


def test_reference_too_long() -> None:
    assert rejected(row(reference="R" * 201)).field == "reference"
    assert intake().admit(row(reference="R" * 200)).reference == "R" * 200


@pytest.mark.parametrize("field", ["subject", "type", "reference", "note", "amount"])
def test_a_structured_value_is_not_text(field: str) -> None:
    error = rejected(row(**{field: ["a", "b"]}))
    assert error.field == field
    assert "must be text, got list" in str(error)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "1e20", "is too large"),
        ("amount", "12.345", "more than two decimals"),
        ("note", "a\x00b", "NUL"),
        ("reference", "x\x00y", "NUL"),
    ],
)
def test_values_the_ledger_cannot_hold_are_refused(field: str, value: str, message: str) -> None:
    """What PostgreSQL would refuse mid-batch is refused up front, naming the field."""
    error = rejected(row(**{field: value}))
    assert error.field == field
    assert message in str(error)
