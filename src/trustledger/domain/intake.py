"""Intake: whether a reported line may become a record, and if not, which field is wrong.

The same rules serve file imports and the HTTP API, so a record refused in one is refused in
the other with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from trustledger.domain.identifiers import IdentifierError, SchemeRegistry, SubjectId
from trustledger.domain.rulebook import Rulebook

FIELDS = (
    "subject",
    "type",
    "reference",
    "decided_on",
    "amount",
    "note",
    "fulfilled_on",
    "notified_on",
)
REQUIRED = ("subject", "type", "reference", "decided_on")


class Rejected(ValueError):
    """A reported line that cannot be stored; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True, slots=True)
class NewRecord:
    subject: SubjectId
    type: str
    reference: str
    decided_on: date
    amount: Decimal | None
    note: str | None
    fulfilled_on: date | None
    notified_on: date | None = None
    lists: tuple[str, ...] = ()  # the lists this record can enter: its subject gets a notice


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Rejected(name, f"must be text, got {type(value).__name__}")
    value = str(value).strip()
    return value or None


def _date(row: Mapping[str, Any], name: str, today: date) -> date | None:
    value = _text(row, name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Rejected(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if day > today:
        raise Rejected(name, f"{value} is in the future (today is {today.isoformat()})")
    return day


class Intake:
    """Admits lines from one source under one rulebook."""

    def __init__(
        self, book: Rulebook, registry: SchemeRegistry, source_kind: str, today: date
    ) -> None:
        self.book = book
        self.registry = registry
        self.source_kind = source_kind
        self.today = today

    def subject(self, text: str) -> SubjectId:
        try:
            return self.registry.parse(text)
        except IdentifierError as exc:
            raise Rejected("subject", str(exc)) from None

    def admit(self, row: Mapping[str, Any]) -> NewRecord:
        unknown = [k for k in row if k not in FIELDS]
        if unknown:
            raise Rejected(unknown[0], f"unknown field (fields are {', '.join(FIELDS)})")
        for name in REQUIRED:
            if _text(row, name) is None:
                raise Rejected(name, "is missing")
        type_code = _text(row, "type") or ""
        record_type = self.book.record_type(type_code)
        if record_type is None:
            raise Rejected(
                "type",
                f"unknown record type {type_code!r} in rulebook "
                f"{self.book.rulebook} {self.book.version}",
            )
        if self.source_kind not in record_type.reporters:
            raise Rejected(
                "type",
                f"a {self.source_kind} source may not report {type_code} "
                f"(reporters: {', '.join(record_type.reporters)})",
            )
        subject = self.subject(_text(row, "subject") or "")
        if subject.kind not in record_type.subject_kinds:
            kinds = ", ".join(record_type.subject_kinds)
            article = "an" if subject.kind.value[0] in "aeiou" else "a"
            raise Rejected(
                "subject", f"{type_code} applies to {kinds}, not to {article} {subject.kind}"
            )
        decided_on = _date(row, "decided_on", self.today)
        assert decided_on is not None
        fulfilled_on = _date(row, "fulfilled_on", self.today)
        if fulfilled_on is not None and fulfilled_on < decided_on:
            raise Rejected("fulfilled_on", "is before decided_on")
        amount_text = _text(row, "amount")
        amount = None
        if amount_text is not None:
            try:
                amount = Decimal(amount_text)
            except InvalidOperation:
                raise Rejected("amount", f"{amount_text!r} is not a number") from None
            if not amount.is_finite() or amount < 0:
                raise Rejected("amount", f"{amount_text!r} must be a non-negative number")
        notified_on = _date(row, "notified_on", self.today)
        if notified_on is not None and notified_on < decided_on:
            raise Rejected("notified_on", "is before decided_on")
        lists = tuple(spec.code for spec in self.book.index.lists_by_type.get(type_code, ()))
        if lists and notified_on is None:
            notified_on = self.today  # trustledger notifies now; the notice period starts today
        reference = _text(row, "reference") or ""
        if len(reference) > 200:
            raise Rejected("reference", "is longer than 200 characters")
        return NewRecord(
            subject=subject,
            type=type_code,
            reference=reference,
            decided_on=decided_on,
            amount=amount,
            note=_text(row, "note"),
            fulfilled_on=fulfilled_on,
            notified_on=notified_on,
            lists=lists,
        )
