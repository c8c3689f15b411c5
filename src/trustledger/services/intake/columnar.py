"""Columnar intake: a file's lines as Arrow columns, admitted a batch at a time.

The rules that are the same for every line run as vectorized operations over whole columns
(pyarrow.compute): required fields present, known record types this source may report, the
subject's kind allowed for the type, references' length, dates and amounts in their plain
form, fulfilment and notification not before the decision, notes' length. What needs Python
runs once per distinct value, not once per line: an identifier's check character (the scheme
registry), a date's calendar check.

A line that any of these screens does not clear is not rejected here: it goes through
`Intake.admit`, the one set of rules the API uses too, which refuses it with the same line
number, field and words as always (or admits it: the screens are conservative, e.g. a value
with surrounding spaces or an amount written "1e3" takes the row-by-row path). So the
columnar path only ever admits what `admit` would admit, as `admit` would admit it.

Readers:
- JSON Lines: PyArrow's JSON reader parses a chunk of lines at a time against a schema of the
  known fields, all text. A chunk it cannot read exactly as Python's `json` would (a number
  where text is expected, an unknown field, a line that is not one object, invalid JSON, a
  raw control character) is read line by line as before, so the error names its line.
- CSV: Python's csv module (it alone keeps the line a quoted multi-line value starts on),
  a chunk of rows at a time into columns.
- Parquet: its batches as they come, when every column is text or a date; other column
  types (numbers, decimals) take the row-by-row path, which formats them as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, BinaryIO, TextIO

from trustledger.domain.identifiers import IdentifierError, SubjectId, SubjectKind
from trustledger.domain.intake import (
    FIELDS,
    REQUIRED,
    TEXT_LIMIT,
    Intake,
    NewRecord,
    RecordBatch,
    Rejected,
    parse_day,
)

Row = Any  # Mapping[str, Any] | Rejected, as the row readers give them


@dataclass
class Columns:
    """Lines as columns: `numbers[i]` is the line of row i; `values` maps each field read to
    an Arrow string array (a null is an absent value)."""

    numbers: list[int]
    values: dict[str, Any]

    def __len__(self) -> int:
        return len(self.numbers)

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The lines as the row readers give them (for the rows the screens do not clear)."""
        lists = {name: column.to_pylist() for name, column in self.values.items()}
        for i, number in enumerate(self.numbers):
            yield number, _row(lists, i)


def _row(lists: dict[str, list[Any]], i: int) -> dict[str, Any]:
    return {name: values[i] for name, values in lists.items() if values[i] is not None}


Part = Columns | tuple[int, Row]
_PLACEHOLDER = NewRecord(None, "", "", None, None, None, None)  # type: ignore[arg-type]


class ColumnarFile:
    """A file read in parts: columns where the file allows, single rows where it does not.

    Iterating it gives (line, row) pairs like the row readers, so any consumer of rows can
    take it; `import_rows` takes its `parts()` and admits the columns a batch at a time."""

    def __init__(self, parts: Callable[[], Iterator[Part]]) -> None:
        self._parts = parts

    def parts(self) -> Iterator[Part]:
        return self._parts()

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        for part in self._parts():
            if isinstance(part, Columns):
                yield from part.rows()
            else:
                yield part


# -- readers --------------------------------------------------------------------------------

BOM = "\ufeff"
CHUNK = 1 << 20  # characters read at a time


@cache
def _json_options() -> Any:
    """Every field as text, and no other field (PyArrow is imported when first needed: the
    other commands do not pay for it)."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    schema = pa.schema([(name, pa.string()) for name in FIELDS])
    return pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")


def read_jsonl_columns(
    stream: TextIO, fallback: Callable[[list[str], int], Iterator[Part]]
) -> ColumnarFile:
    """JSON Lines in columns; `fallback(lines, first_number)` reads a chunk line by line."""

    def parts() -> Iterator[Part]:
        number = 0
        while chunk := stream.readlines(CHUNK):
            first = number + 1
            number += len(chunk)
            if first == 1 and chunk[0].startswith(BOM):
                chunk[0] = chunk[0][1:]
            columns = _jsonl_chunk(chunk, first)
            if columns is None:
                yield from fallback(chunk, first)
            elif len(columns):
                yield columns

    return ColumnarFile(parts)


def _jsonl_chunk(chunk: list[str], first: int) -> Columns | None:
    """The chunk's objects in columns, or None when Arrow cannot read it exactly as `json`
    reads it line by line."""
    texts = [line.strip() for line in chunk]
    numbers = [number for number, text in enumerate(texts, start=first) if text]
    if any(text[0] != "{" or text[-1] != "}" for text in filter(None, texts)):
        return None
    if not numbers:
        return Columns([], {})
    import pyarrow as pa
    import pyarrow.json as pa_json

    try:
        table = pa_json.read_json(
            io.BytesIO("".join(chunk).encode("utf-8", "surrogatepass")),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=1 << 30),
            parse_options=_json_options(),
        )
    except (pa.ArrowException, UnicodeError):
        return None
    # Each non-blank line starts an object and ends one: as many rows as lines means one
    # object per line, in order.
    if table.num_rows != len(numbers):
        return None
    values = {}
    for name in FIELDS:
        column = table.column(name).combine_chunks()
        if column.null_count < len(column):
            values[name] = column
    return Columns(numbers, values)


def read_csv_columns(
    stream: TextIO, rows: Callable[[TextIO], Iterator[tuple[int, Row]]]
) -> ColumnarFile:
    """CSV in columns, `rows` being the row reader (it checks the header, numbers each row by
    the line it starts on and refuses rows with more values than columns)."""

    def parts() -> Iterator[Part]:
        numbers: list[int] = []
        taken: list[dict[str, Any]] = []
        for number, row in rows(stream):
            if isinstance(row, Rejected):
                if taken:
                    yield _from_rows(numbers, taken)
                    numbers, taken = [], []
                yield number, row
                continue
            numbers.append(number)
            taken.append(row)
            if len(numbers) >= ROWS_PER_PART:
                yield _from_rows(numbers, taken)
                numbers, taken = [], []
        if taken:
            yield _from_rows(numbers, taken)

    return ColumnarFile(parts)


ROWS_PER_PART = 8192


def _from_rows(numbers: list[int], rows: list[dict[str, Any]]) -> Columns:
    import pyarrow as pa

    names = [name for name in FIELDS if name in rows[0]]
    if any(len(row) != len(names) for row in rows):  # short rows: absent values
        names = [name for name in FIELDS if any(name in row for row in rows)]
        values = {n: pa.array([row.get(n) for row in rows], pa.string()) for n in names}
    else:
        values = {n: pa.array([row[n] for row in rows], pa.string()) for n in names}
    return Columns(numbers, values)


def read_parquet_columns(
    stream: BinaryIO, rows: Callable[[BinaryIO], Iterator[tuple[int, Row]]]
) -> ColumnarFile:
    """Parquet batches in columns when all its columns are text or dates (dates as ISO text,
    as a line sends them); otherwise `rows`, the row reader."""

    def parts() -> Iterator[Part]:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(stream)
            schema = parquet.schema_arrow
        except (pa.ArrowException, OSError):
            stream.seek(0)
            yield from rows(stream)
            return
        textual = all(
            name in FIELDS and _textual(field.type)
            for name, field in zip(schema.names, schema, strict=True)
        )
        if not textual:
            stream.seek(0)
            yield from rows(stream)
            return
        number = 0
        for batch in parquet_batches(parquet, ROWS_PER_PART):
            if isinstance(batch, Rejected):
                yield number + 1, batch
                return
            values = {}
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                if pa.types.is_dictionary(column.type):
                    column = column.dictionary_decode()
                if not pa.types.is_string(column.type):  # dates: ISO, as a line sends them
                    column = pc.cast(column, pa.string())
                values[name] = column
            yield Columns(list(range(number + 1, number + batch.num_rows + 1)), values)
            number += batch.num_rows

    return ColumnarFile(parts)


def parquet_batches(parquet: Any, size: int) -> Iterator[Any]:
    """A Parquet file's record batches, then a Rejected if its data cannot be read."""
    import pyarrow as pa

    batches = parquet.iter_batches(batch_size=size)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            yield Rejected("", f"unreadable Parquet data ({exc})")
            return
        if batch is None:
            return
        yield batch


def _textual(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_date(kind)
    )


# -- admission ------------------------------------------------------------------------------

# Every character Python's str.strip() removes: a value with one at either end takes the
# row-by-row path (which strips it), so the columnar path never has to.
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)  # a test checks these are all of them
# An amount in the plain form `admit` accepts unchanged: at most 16 integer digits without
# leading zeros, at most two decimals. Anything else (1e3, 1_000, -1, 007) takes the row path.
_AMOUNT = r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$"
_KINDS = tuple(SubjectKind)


def admit_columns(intake: Intake, part: Columns) -> list[tuple[int, NewRecord | Rejected]]:
    """Admit a part's rows; (line, record or the reason it is refused), in line order."""
    admitted = admit_batch(intake, part)
    out: list[tuple[int, NewRecord | Rejected]] = list(
        zip(admitted.numbers, admitted.records, strict=True)
    )
    out.extend(admitted.rejected)
    out.sort(key=lambda answer: answer[0])
    return out


@dataclass
class Admitted:
    """A part admitted: its records (in line order) with their lines, and the lines refused."""

    records: RecordBatch
    numbers: list[int]
    rejected: list[tuple[int, Rejected]]


def admit_batch(intake: Intake, part: Columns) -> Admitted:
    """Admit a part's rows into a RecordBatch (no object per record)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(part)
    if not n:
        return Admitted(RecordBatch(), [], [])
    values = part.values
    null = pa.nulls(n, pa.string())

    def column(name: str) -> Any:
        return values.get(name, null)

    clear = pa.array([True] * n)  # rows the screens clear so far
    present: dict[str, Any] = {}
    for name, col in values.items():
        spaces = pa.array(list(SPACES))  # a first or last character Python strips
        edge = pc.or_(
            pc.is_in(pc.utf8_slice_codeunits(col, 0, 1), value_set=spaces),
            pc.is_in(pc.utf8_slice_codeunits(col, -1), value_set=spaces),
        )
        empty = pc.equal(pc.binary_length(col), 0)
        present[name] = pc.fill_null(pc.and_not(pc.is_valid(col), empty), False)  # "": absent
        clear = pc.and_kleene(clear, pc.invert(pc.fill_null(edge, False)))
    for name in REQUIRED:
        clear = pc.and_(clear, present[name]) if name in present else pa.array([False] * n)
    if not pc.any(clear).as_py():
        return _admitted(part.numbers, RecordBatch(), _slow(intake, part, range(n)))

    # Types: known, reportable by this source; subjects: parsed once per distinct identifier,
    # their kind one the type applies to (a lookup by type and kind).
    type_codes = pc.dictionary_encode(column("type"))
    type_list = type_codes.dictionary.to_pylist()
    rules = [intake.rule(code) for code in type_list]
    type_index = pc.fill_null(type_codes.indices, len(type_list))
    width = len(_KINDS) + 1
    applies = [False] * ((len(type_list) + 1) * width)
    for t, rule in enumerate(rules):
        for kind in rule.kinds if rule and rule.allowed else ():
            applies[t * width + 1 + _KINDS.index(SubjectKind(kind))] = True
    subject_codes = pc.dictionary_encode(column("subject"))
    subject_list: list[SubjectId | None] = []
    for text in subject_codes.dictionary.to_pylist():
        try:
            subject_list.append(intake.registry.parse(text))
        except IdentifierError:
            subject_list.append(None)
    kinds = pa.array([0 if s is None else 1 + _KINDS.index(s.kind) for s in subject_list] + [0])
    subject_index = pc.fill_null(subject_codes.indices, len(subject_list))
    pair = pc.add(
        pc.multiply(pc.cast(type_index, pa.int64()), width), pc.take(kinds, subject_index)
    )
    clear = pc.and_(clear, pc.take(pa.array(applies), pair))

    reference = column("reference")
    clear = pc.and_(
        clear,
        pc.fill_null(
            pc.and_(
                pc.less_equal(pc.utf8_length(reference), 200),
                pc.invert(pc.match_substring(reference, "\x00")),
            ),
            False,
        ),
    )

    # Dates: checked once per distinct value, by the same rule as a line's.
    days: dict[str, _Days] = {}
    for name in ("decided_on", "fulfilled_on", "notified_on"):
        if name not in values:
            continue
        codes = pc.dictionary_encode(pc.if_else(present[name], values[name], null))
        distinct: list[date | None] = []
        for text in codes.dictionary.to_pylist():
            try:
                distinct.append(parse_day(name, text, intake.today))
            except Rejected:
                distinct.append(None)
        distinct.append(None)
        index = pc.fill_null(codes.indices, len(distinct) - 1)
        as_dates = pc.take(pa.array(distinct, pa.date32()), index)
        clear = pc.and_(clear, pc.invert(pc.and_(present[name], pc.is_null(as_dates))))
        days[name] = _Days(distinct, index, as_dates)
    decided = days["decided_on"].as_dates
    for name in ("fulfilled_on", "notified_on"):
        if name in days:
            before = pc.less(days[name].as_dates, decided)
            clear = pc.and_(clear, pc.invert(pc.fill_null(before, False)))

    if "amount" in values:
        amount = values["amount"]
        plain = pc.match_substring_regex(amount, _AMOUNT)
        odd = pc.and_(present["amount"], pc.invert(pc.fill_null(plain, False)))
        clear = pc.and_(clear, pc.invert(pc.fill_null(odd, False)))
    if "note" in values:
        note = values["note"]
        too_long = pc.or_(
            pc.greater(pc.utf8_length(note), TEXT_LIMIT), pc.match_substring(note, "\x00")
        )
        clear = pc.and_(clear, pc.invert(pc.fill_null(too_long, False)))
    if "subject_name" in values:  # names are checked row by row (rare: organizations)
        clear = pc.and_(clear, pc.invert(pc.fill_null(present["subject_name"], False)))

    # The records of the rows cleared: columns to Python lists, then one NewRecord each.
    subjects = _spread(subject_list, subject_index)
    type_names = _spread(type_list, type_index)
    lists = _spread([r.lists if r else () for r in rules], type_index)
    references = reference.to_pylist()
    decided_days = days["decided_on"].values()
    fulfilled = days["fulfilled_on"].values() if "fulfilled_on" in days else [None] * n
    notified = days["notified_on"].values() if "notified_on" in days else [None] * n
    today = intake.today
    notified = [
        today if listed and given is None else given
        for listed, given in zip(lists, notified, strict=True)
    ]
    amounts: list[Decimal | None] = (
        [None if a is None or a == "" else Decimal(a) for a in _cleared(values["amount"], clear)]
        if "amount" in values
        else [None] * n
    )
    notes = [v or None for v in values["note"].to_pylist()] if "note" in values else [None] * n
    batch = RecordBatch(
        {
            "subject": subjects,
            "type": type_names,
            "reference": references,
            "decided_on": decided_days,
            "amount": amounts,
            "note": notes,
            "fulfilled_on": fulfilled,
            "notified_on": notified,
            "lists": lists,
            "subject_name": [None] * n,
        }
    )
    if not clear.null_count and pc.all(clear).as_py():
        return Admitted(batch, part.numbers, [])
    slow = pc.indices_nonzero(pc.invert(pc.fill_null(clear, False))).to_pylist()
    return _admitted(part.numbers, batch, _slow(intake, part, slow), slow)


def _admitted(
    numbers: list[int],
    batch: RecordBatch,
    answers: list[tuple[int, NewRecord | Rejected]],
    at: Sequence[int] | None = None,
) -> Admitted:
    """The cleared rows of `batch` with the row-by-row `answers` for positions `at` (all
    positions when `batch` is empty) put in their places."""
    if at is None:
        batch = RecordBatch.of(r if isinstance(r, NewRecord) else _PLACEHOLDER for _, r in answers)
        at = range(len(answers))
    rejected: list[tuple[int, Rejected]] = []
    refused: set[int] = set()
    columns = batch.columns
    for i, (number, answer) in zip(at, answers, strict=True):
        if isinstance(answer, Rejected):
            rejected.append((number, answer))
            refused.add(i)
        else:
            for name, values in columns.items():
                values[i] = getattr(answer, name)
    if not refused:
        return Admitted(batch, numbers, rejected)
    keep = [i for i in range(len(numbers)) if i not in refused]
    kept = RecordBatch({name: [values[i] for i in keep] for name, values in columns.items()})
    return Admitted(kept, [numbers[i] for i in keep], rejected)


def _cleared(column: Any, clear: Any) -> list[Any]:
    """The column's values where the screens cleared the row, None elsewhere."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cleared: list[Any] = pc.if_else(clear, column, pa.nulls(len(column), column.type)).to_pylist()
    return cleared


def _spread(distinct: Sequence[Any], index: Any) -> list[Any]:
    """Each row's value of a dictionary-encoded column (an index past the end: None)."""
    table = [*distinct, None]
    return [table[i] for i in index.to_pylist()]


@dataclass
class _Days:
    """A date column: its distinct values checked (None: refused or absent), each row's index
    into them, and the rows' days as an Arrow date array."""

    distinct: list[date | None]
    index: Any
    as_dates: Any

    def values(self) -> list[date | None]:
        distinct = self.distinct
        return [distinct[i] for i in self.index.to_pylist()]


def _slow(
    intake: Intake, part: Columns, indices: Sequence[int]
) -> list[tuple[int, NewRecord | Rejected]]:
    """The rows the screens did not clear, admitted (or refused) one by one by `admit`."""
    lists = {name: column.to_pylist() for name, column in part.values.items()}
    out: list[tuple[int, NewRecord | Rejected]] = []
    for i in indices:
        number = part.numbers[i]
        try:
            out.append((number, intake.admit(_row(lists, i))))
        except Rejected as exc:
            out.append((number, exc))
    return out
