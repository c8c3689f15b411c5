"""The same edge rules for imports as for the API: free text, amounts, the earliest day."""

from __future__ import annotations

import pytest

from tests.unit.test_intake import rejected, row
from trustledger.domain.cases import reason_given
from trustledger.domain.intake import TEXT_LIMIT, Rejected, free_text


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("note", "x" * (TEXT_LIMIT + 1), "at most 4000 characters"),
        ("amount", "1_000", "not a number"),
        ("amount", True, "must be text"),
        ("decided_on", "0001-01-01", "before 1900-01-01"),
        ("decided_on", "1899-12-31", "before 1900-01-01"),
    ],
)
def test_refused_naming_the_field(field: str, value: object, words: str) -> None:
    error = rejected(row(**{field: value}))
    assert error.field == field and words in str(error)


def test_free_text_at_the_limit_passes_and_one_more_is_refused() -> None:
    assert free_text("grounds", "x" * TEXT_LIMIT)
    with pytest.raises(Rejected, match="grounds: must be at most"):
        free_text("grounds", "x" * (TEXT_LIMIT + 1))
    with pytest.raises(Rejected, match="reason: must not contain NUL"):
        reason_given("a\x00b")
