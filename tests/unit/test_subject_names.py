"""Intake of `subject_name`: a legal person's registered name, never a person's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from trustledger.domain.identifiers import SchemeRegistry
from trustledger.domain.intake import FIELDS, Intake, Rejected, subjects_of
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

BOOK = parse_rulebook(example_rulebook_text())
PERSON = "cn-rid:11010519491231002X"
ORG = "cn-uscc:91350100M000100Y43"
BODY = "cn-uscc:111100000000000030"


def intake(source_kind: str = "court") -> Intake:
    return Intake(BOOK, SchemeRegistry.default(), source_kind, date(2026, 6, 1))


def row(subject: str = ORG, reference: str = "(2026)1", **more: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "type": "court.dishonest_debtor",
        "reference": reference,
        "decided_on": "2026-05-01",
        **more,
    }


def test_subject_name_is_a_field_of_imports_and_the_api() -> None:
    assert "subject_name" in FIELDS


def test_an_organization_and_a_public_body_take_a_name() -> None:
    org = intake().admit(row(subject_name="  Example Construction Co., Ltd. "))
    assert org.subject_name == "Example Construction Co., Ltd."
    body = intake("integrity-office").admit(
        {
            "subject": BODY,
            "type": "gov.overdue_commitment",
            "reference": "G-1",
            "decided_on": "2026-05-01",
            "subject_name": "City Housing Bureau",
        }
    )
    assert body.subject_name == "City Housing Bureau"
    assert intake().admit(row()).subject_name is None
    assert intake().admit(row(subject_name="  ")).subject_name is None  # a blank CSV cell


def test_a_person_is_never_named() -> None:
    with pytest.raises(Rejected) as caught:
        intake().admit(row(PERSON, subject_name="Zhang San"))
    assert caught.value.field == "subject_name"
    assert str(caught.value).startswith("subject_name: persons are never named")
    # Without a name, the same line is admitted.
    assert intake().admit(row(PERSON)).subject_name is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 201, "at most 200 characters"),
        ("Bad\x00Name", "without NUL"),
        (12, None),  # a number is text here, as for every other field
        (["a"], "must be text"),
    ],
)
def test_a_name_is_short_text_without_nul(value: Any, message: str | None) -> None:
    if message is None:
        assert intake().admit(row(subject_name=value)).subject_name == "12"
        return
    with pytest.raises(Rejected, match=message) as caught:
        intake().admit(row(subject_name=value))
    assert caught.value.field == "subject_name"
    assert intake().admit(row(subject_name="x" * 200)).subject_name == "x" * 200


def test_each_subject_of_a_batch_once_with_the_first_name_reported() -> None:
    admit = intake().admit
    batch = [
        admit(row(ORG, "1")),
        admit(row(PERSON, "2")),
        admit(row(ORG, "3", subject_name="First Name Co.")),
        admit(row(ORG, "4", subject_name="Second Name Co.")),
    ]
    assert subjects_of(batch) == [
        (ORG, "organization", "First Name Co."),
        (PERSON, "person", None),
    ]
