"""Intake: whether a reported line may become a record, and if not, which field is wrong.

The same rules serve file imports and the HTTP API, so a record refused in one is refused in
the other with the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from trustledger.domain.identifiers import IdentifierError, SchemeRegistry, SubjectId, SubjectKind
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
    "subject_name",
)
REQUIRED = ("subject", "type", "reference", "decided_on")
_KNOWN = frozenset(FIELDS)


class Rejected(ValueError):
    """A reported line that cannot be stored; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(slots=True)  # not frozen: an import builds a million of these
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
    # The registered name of an organization or public body, as its source reports it.
    subject_name: str | None = None


_BATCH_FIELDS = tuple(f.name for f in fields(NewRecord))


@dataclass(slots=True)
class RecordBatch:
    """Admitted records as columns, one list per NewRecord field, in line order: how an
    import holds a batch of ten thousand records without an object for each."""

    columns: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in _BATCH_FIELDS}
    )

    @classmethod
    def of(cls, records: Iterable[NewRecord]) -> RecordBatch:
        batch = cls()
        for r in records:
            batch.append(r)
        return batch

    def __len__(self) -> int:
        return len(self.columns["reference"])

    def __iter__(self) -> Iterator[NewRecord]:
        return map(NewRecord, *(self.columns[name] for name in _BATCH_FIELDS))

    def __getitem__(self, i: int) -> NewRecord:
        return NewRecord(*(self.columns[name][i] for name in _BATCH_FIELDS))

    def append(self, r: NewRecord) -> None:
        for name in _BATCH_FIELDS:
            self.columns[name].append(getattr(r, name))

    def extend(self, other: RecordBatch) -> None:
        for name in _BATCH_FIELDS:
            self.columns[name].extend(other.columns[name])

    def split(self, n: int) -> tuple[RecordBatch, RecordBatch]:
        """The first n records, and the rest."""
        head, rest = RecordBatch({}), RecordBatch({})
        for name, values in self.columns.items():
            head.columns[name], rest.columns[name] = values[:n], values[n:]
        return head, rest


class ColumnRows(Sequence[Mapping[str, Any]]):
    """Rows held as columns (name -> values) that read as a sequence of dicts: a bulk writer
    takes the columns as they are, anything else reads a row at a time."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self.columns = columns
        self._length = len(next(iter(columns.values()))) if columns else 0

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return ColumnRows({name: values[i] for name, values in self.columns.items()})
        return {name: values[i] for name, values in self.columns.items()}


NAME_LIMIT = 200
# Free text (a note, grounds, a reason, a commitment, a statement): one limit everywhere, the
# API's models and file imports alike.
TEXT_LIMIT = 4_000
# The earliest day a record, a fulfilment or a notice may carry. Nothing that still counts is
# older; earlier days are typos (0001-01-01) whose period arithmetic would overflow Python's
# date range, and 1900 still admits decisions older than the registries being migrated.
MIN_DAY = date(1900, 1, 1)


def free_text(field: str, value: str) -> str:
    """Free text as people write it: at most TEXT_LIMIT characters, without NUL."""
    if len(value) > TEXT_LIMIT:
        raise Rejected(field, f"must be at most {TEXT_LIMIT} characters, got {len(value)}")
    if "\x00" in value:
        raise Rejected(field, "must not contain NUL characters")
    return value


def subject_name(kind: SubjectKind, value: str, field: str = "subject_name") -> str:
    """A subject's registered name, checked: text of at most 200 characters without NUL, and
    only for a legal person. Persons are never named publicly, so no name is kept for one."""
    name = value.strip()
    if kind is SubjectKind.PERSON:
        raise Rejected(
            field,
            "persons are never named on public lists; a name is kept only for organizations "
            "and public bodies",
        )
    if not name:
        raise Rejected(field, "is empty")
    if len(name) > NAME_LIMIT or "\x00" in name:
        raise Rejected(field, f"must be at most {NAME_LIMIT} characters, without NUL")
    return name


def subjects_of(batch: Iterable[NewRecord]) -> list[tuple[str, str, str | None]]:
    """Each subject of a batch once, as (id, kind, name), with the first name reported for it."""
    if isinstance(batch, RecordBatch):
        subjects, names = batch.columns["subject"], batch.columns["subject_name"]
    else:
        records = list(batch)
        subjects = [r.subject for r in records]
        names = [r.subject_name for r in records]
    # The scheme registry hands out one SubjectId per identifier: most repeats are found by
    # identity, and each distinct object is formatted once.
    first: dict[str, tuple[str, str, str | None]] = {}
    for subject in {id(s): s for s in subjects}.values():
        key = str(subject)
        if key not in first:
            first[key] = (key, subject.kind._value_, None)
    if any(name is not None for name in names):
        named: set[str] = set()
        for subject, name in zip(subjects, names, strict=True):
            if name is not None:
                key = str(subject)
                if key not in named:  # the first name reported wins
                    named.add(key)
                    first[key] = (key, first[key][1], name)
    return list(first.values())


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    if type(value) is str:  # the common case, first: imports run this a million times
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Rejected(name, f"must be text, got {type(value).__name__}")
    value = str(value).strip()
    return value or None


def _date(row: Mapping[str, Any], name: str, today: date, value: str | None = None) -> date | None:
    value = _text(row, name) if value is None else value
    if value is None:
        return None
    return parse_day(name, value, today)


def parse_day(name: str, value: str, today: date) -> date:
    """A day given as text (stripped, not empty): ISO, not in the future, not before 1900."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Rejected(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if day > today:
        raise Rejected(name, f"{value} is in the future (today is {today.isoformat()})")
    if day < MIN_DAY:
        raise Rejected(name, f"{value} is before {MIN_DAY.isoformat()}")
    return day


AMOUNT_LIMIT = Decimal(10) ** 16  # the ledger stores amounts as NUMERIC(18, 2)


@dataclass(frozen=True, slots=True)
class TypeRule:
    """What intake needs of one record type, looked up once per import, not once per line."""

    code: str
    allowed: bool  # may this source's kind report it
    kinds: frozenset[str]
    kinds_text: str
    reporters_text: str
    lists: tuple[str, ...]


class Intake:
    """Admits lines from one source under one rulebook."""

    def __init__(
        self, book: Rulebook, registry: SchemeRegistry, source_kind: str, today: date
    ) -> None:
        self.book = book
        self.registry = registry
        self.source_kind = source_kind
        self.today = today
        self._rules = {
            t.code: TypeRule(
                code=t.code,
                allowed=source_kind in t.reporters,
                kinds=frozenset(t.subject_kinds),
                kinds_text=", ".join(t.subject_kinds),
                reporters_text=", ".join(t.reporters),
                lists=tuple(spec.code for spec in book.index.lists_by_type.get(t.code, ())),
            )
            for t in book.record_types
        }

    def rule(self, type_code: str) -> TypeRule | None:
        """What intake knows of a record type (None: not in the rulebook)."""
        return self._rules.get(type_code)

    def subject(self, text: str) -> SubjectId:
        try:
            return self.registry.parse(text)
        except IdentifierError as exc:
            raise Rejected("subject", str(exc)) from None

    def admit(self, row: Mapping[str, Any]) -> NewRecord:
        if not _KNOWN.issuperset(row):
            unknown = next(k for k in row if k not in _KNOWN)
            raise Rejected(unknown, f"unknown field (fields are {', '.join(FIELDS)})")
        subject_text = _text(row, "subject")
        type_code = _text(row, "type")
        reference = _text(row, "reference")
        decided_text = _text(row, "decided_on")
        for name, value in zip(
            REQUIRED, (subject_text, type_code, reference, decided_text), strict=True
        ):
            if value is None:
                raise Rejected(name, "is missing")
        assert subject_text and type_code and reference and decided_text
        rule = self._rules.get(type_code)
        if rule is None:
            raise Rejected(
                "type",
                f"unknown record type {type_code!r} in rulebook "
                f"{self.book.rulebook} {self.book.version}",
            )
        if not rule.allowed:
            raise Rejected(
                "type",
                f"a {self.source_kind} source may not report {type_code} "
                f"(reporters: {rule.reporters_text})",
            )
        subject = self.subject(subject_text)
        if subject.kind not in rule.kinds:
            article = "an" if subject.kind.value[0] in "aeiou" else "a"
            raise Rejected(
                "subject",
                f"{type_code} applies to {rule.kinds_text}, not to {article} {subject.kind}",
            )
        if len(reference) > 200 or "\x00" in reference:
            raise Rejected("reference", "must be at most 200 characters, without NUL")
        decided_on = _date(row, "decided_on", self.today, decided_text)
        assert decided_on is not None
        fulfilled_on = notified_on = amount = note = None
        if row.get("fulfilled_on") is not None:
            fulfilled_on = _date(row, "fulfilled_on", self.today)
            if fulfilled_on is not None and fulfilled_on < decided_on:
                raise Rejected("fulfilled_on", "is before decided_on")
        if row.get("notified_on") is not None:
            notified_on = _date(row, "notified_on", self.today)
            if notified_on is not None and notified_on < decided_on:
                raise Rejected("notified_on", "is before decided_on")
        if row.get("amount") is not None:
            amount = _amount(row)
        if row.get("note") is not None:
            note = _text(row, "note")
            if note is not None:
                free_text("note", note)
        registered = None
        if row.get("subject_name") is not None:
            given = _text(row, "subject_name")
            if given is not None:
                registered = subject_name(subject.kind, given)
        if rule.lists and notified_on is None:
            notified_on = self.today  # trustledger notifies now; the notice period starts today
        return NewRecord(
            subject,
            type_code,
            reference,
            decided_on,
            amount,
            note,
            fulfilled_on,
            notified_on,
            rule.lists,
            registered,
        )


def _amount(row: Mapping[str, Any]) -> Decimal | None:
    text = _text(row, "amount")
    if text is None:
        return None
    if "_" in text:  # Decimal("1_000") is 1000: a typo, or a format no source uses
        raise Rejected("amount", f"{text!r} is not a number")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Rejected("amount", f"{text!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise Rejected("amount", f"{text!r} must be a non-negative number")
    if amount >= AMOUNT_LIMIT:
        raise Rejected("amount", f"{text!r} is too large (below 10^16)")
    if amount != amount.quantize(Decimal("0.01")):
        raise Rejected("amount", f"{text!r} has more than two decimals (fen)")
    return amount
