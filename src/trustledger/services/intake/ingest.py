"""Ingest: reported lines become records, in batches that each commit whole or not at all.

Re-sending is safe: a `(source, reference)` already stored is a duplicate, never a second
record, so an agency can re-import a file after any failure.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, BinaryIO, TextIO

from trustledger.domain.intake import (
    FIELDS,
    ColumnRows,
    Intake,
    NewRecord,
    RecordBatch,
    Rejected,
    subjects_of,
)
from trustledger.domain.rulebook import Rulebook
from trustledger.services.context import Context, Ledger, NotFound
from trustledger.services.intake import columnar

Row = Mapping[str, Any] | Rejected


@dataclass
class ImportReport:
    """`rejected` lists every line refused, by line number: invalid lines and conflicts (a
    reference already stored with other content)."""

    inserted: int = 0
    duplicates: int = 0
    fulfilled: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Every field as it is (`asdict` would copy every rejected line)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


BOM = "\ufeff"  # spreadsheets save "CSV UTF-8" with one; it is not part of the first name
CHUNK = 1 << 20  # read this many characters at a time, not a line at a time


def _chunks(stream: TextIO) -> Iterator[list[str]]:
    """The stream's lines, a chunk at a time: a progress wrapper then does its work per chunk."""
    while chunk := stream.readlines(CHUNK):
        yield chunk


def read_jsonl(stream: TextIO) -> Iterator[tuple[int, Row]]:
    number = 1
    for chunk in _chunks(stream):
        yield from jsonl_rows(chunk, number)
        number += len(chunk)


def jsonl_rows(lines: list[str], first: int) -> Iterator[tuple[int, Row]]:
    """Lines of a JSON Lines file, the first being line `first`, as rows."""
    loads, decode_error = json.loads, json.JSONDecodeError
    for number, line in enumerate(lines, start=first):
        if number == 1 and line.startswith(BOM):
            line = line[1:]
        if not line.strip():
            continue
        try:
            row = loads(line)
        except decode_error as exc:
            yield number, Rejected("", f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(row, dict):
            yield number, Rejected("", "a line must be a JSON object")
            continue
        yield number, row


def read_csv(stream: TextIO) -> Iterator[tuple[int, Row]]:
    """Rows by the line they start on (the header is line 1; a quoted value may span lines)."""
    reader = csv.reader(line for chunk in _chunks(stream) for line in chunk)
    header = next(reader, [])
    if header and header[0].startswith(BOM):
        header[0] = header[0][1:]
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        yield 1, Rejected(unknown[0], f"unknown column (columns are {', '.join(FIELDS)})")
        return
    width = len(header)
    end = reader.line_num
    for values in reader:
        start, end = end + 1, reader.line_num
        if not values:  # a blank line
            continue
        if len(values) > width:
            yield start, Rejected("", "more values than columns")
            continue
        yield start, dict(zip(header, values, strict=False))


PARQUET_BATCH = 8192  # rows converted at a time


def read_parquet(stream: BinaryIO) -> Iterator[tuple[int, Row]]:
    """Rows of a Parquet file by row number (1-based), as the JSON Lines reader gives them.

    Columns must be among the fields (an unknown one rejects the file at row 1, as a CSV
    header does). Dates may be date columns or text; amounts decimal, float, integer or text;
    a null is an absent value. Every value then passes the same intake rules as a line's.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError) as exc:
        yield 1, Rejected("", f"not a readable Parquet file ({exc})")
        return
    names = parquet.schema_arrow.names
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        yield 1, Rejected(unknown[0], f"unknown column (columns are {', '.join(FIELDS)})")
        return
    number = 0
    for batch in columnar.parquet_batches(parquet, PARQUET_BATCH):
        if isinstance(batch, Rejected):
            yield number + 1, batch
            return
        columns = []
        for column in batch.columns:
            if pa.types.is_date(column.type):
                column = pc.cast(column, pa.string())  # ISO dates, as a line would send them
            elif pa.types.is_dictionary(column.type):
                column = column.dictionary_decode()
            columns.append(column)
        for row in pa.RecordBatch.from_arrays(columns, names=batch.schema.names).to_pylist():
            number += 1
            yield number, row


def is_binary(name: str) -> bool:
    """Whether a file of this name is read as bytes (Parquet) rather than text."""
    return name.lower().endswith((".parquet", ".pq"))


def reader_for(name: str) -> Callable[[Any], Iterable[tuple[int, Row]]]:
    """The reader of a file by its name: its rows, read in columns (`import_rows` admits
    them a batch at a time; iterating gives the rows one by one)."""
    lowered = name.lower()
    if is_binary(lowered):
        return lambda stream: columnar.read_parquet_columns(stream, read_parquet)
    if lowered.endswith(".csv"):
        return lambda stream: columnar.read_csv_columns(stream, read_csv)
    return lambda stream: columnar.read_jsonl_columns(stream, jsonl_rows)


def listing_starts(
    book: Rulebook, type_code: str, decided_on: date, notified_on: date | None
) -> dict[str, date]:
    """The day each list a record of this type can enter takes effect: the notice period runs
    from the notification (never before the decision)."""
    plan = book.index.type_plans.get(type_code)
    if plan is None or not plan.lists:
        return {}
    notified = decided_on if notified_on is None else max(decided_on, notified_on)
    return {code: notified + notice for code, notice in plan.lists}


def audit_report(
    ctx: Context, source: str, references: Sequence[str], subjects: Sequence[str], inserted: int
) -> None:
    """One audit event per stored batch, naming its references by digest (a write of data)."""
    distinct = sorted(set(references))
    ctx.audit(
        "records.report",
        subject=subjects[0] if len(set(subjects)) == 1 else None,
        detail={
            "source": source,
            "received": len(references),
            "inserted": inserted,
            "first": distinct[0] if distinct else None,
            "last": distinct[-1] if distinct else None,
            "references_sha256": hashlib.sha256("\n".join(distinct).encode()).hexdigest(),
        },
    )


@dataclass(frozen=True)
class Stored:
    """What became of one admitted record: `inserted`, `duplicate` (an exact re-send),
    `fulfilled` (a re-send that only adds `fulfilled_on`) or `conflict` (the reference is
    stored with other content; `reason` names the record and the fields that differ)."""

    status: str
    id: int | None
    reason: str | None = None
    fields: tuple[str, ...] = ()
    listings: dict[str, date] = field(default_factory=dict)


COMPARED = ("subject", "type", "decided_on", "amount")


def _differences(stored: Mapping[str, Any], r: NewRecord) -> list[str]:
    sent = {"subject": str(r.subject), "type": r.type, "decided_on": r.decided_on}
    sent["amount"] = r.amount
    differ = [name for name in COMPARED if stored[name] != sent[name]]
    if r.fulfilled_on is not None and stored["fulfilled_on"] not in (None, r.fulfilled_on):
        differ.append("fulfilled_on")
    return differ


def _conflict(reference: str, record_id: int, differ: Sequence[str]) -> str:
    return (
        f"reference: {reference!r} is already stored as record {record_id} with other content "
        f"({', '.join(differ)} differ): a new decision needs a new reference"
    )


def store_batch(ctx: Context, source: str, batch: Sequence[NewRecord]) -> list[Stored]:
    """Store admitted records of one source in the caller's transaction; one answer each
    (see `store_records`)."""
    done = store_records(ctx, source, RecordBatch.of(batch))
    out = []
    for i, (status, record_id, listings) in enumerate(
        zip(done.status, done.ids, done.listings, strict=True)
    ):
        reason, fields = done.problems.get(i, (None, ()))
        out.append(Stored(status, record_id, reason, fields, listings))
    return out


@dataclass
class Outcomes:
    """What became of each record of a batch, by position: its status and id, the reason and
    fields of each conflict, and the day each listing of an inserted record starts."""

    status: list[str]
    ids: list[int]
    problems: dict[int, tuple[str, tuple[str, ...]]]
    listings: list[dict[str, date]]


NO_LISTINGS: dict[str, date] = {}


def store_records(ctx: Context, source: str, batch: RecordBatch) -> Outcomes:
    """Store admitted records of one source in the caller's transaction.

    New references are inserted (the insert itself says which were new, so two writers
    sending the same file count each record once). A reference already stored is compared:
    the same content is a duplicate, other content a conflict, and a re-send that only adds
    `fulfilled_on` fulfils the stored record. Each new record that can list its subject
    queues a notice saying when the listing starts; the batch leaves one audit event.
    """
    uow, book = ctx.uow, ctx.book
    columns = batch.columns
    n = len(batch)
    uow.subjects.ensure(subjects_of(batch))  # with the first name reported for each
    texts = {key: str(s) for key, s in {id(s): s for s in columns["subject"]}.items()}
    subjects = [texts[id(s)] for s in columns["subject"]]
    references: list[str] = columns["reference"]
    rows = ColumnRows(
        {
            "subject": subjects,
            "type": columns["type"],
            "source": [source] * n,
            "reference": references,
            "decided_on": columns["decided_on"],
            "amount": columns["amount"],
            "note": columns["note"],
            "fulfilled_on": columns["fulfilled_on"],
            "notified_on": columns["notified_on"],
        }
    )
    new = uow.records.add_new(rows)
    status = ["inserted"] * n
    ids: list[int] = [0] * n
    problems: dict[int, tuple[str, tuple[str, ...]]] = {}
    listings = [NO_LISTINGS] * n
    inserted = [True] * n
    if len(new) == n:  # every record new (so every reference distinct): no comparison
        ids = [new[ref] for ref in references]
    else:
        leaders: dict[str, int] = {}
        for i, ref in enumerate(references):
            record_id = new.get(ref)
            if record_id is None:
                continue  # stored before: answered below
            ids[i] = record_id
            leader = leaders.setdefault(ref, i)
            if leader == i:
                continue
            inserted[i] = False
            differ = _differences(rows[leader], batch[i])
            if differ:
                status[i] = "conflict"
                problems[i] = (_conflict(ref, record_id, differ), tuple(differ))
            else:
                status[i] = "duplicate"
        fulfil: dict[int, NewRecord] = {}
        for i, record_id, row_stored in getattr(new, "others", ()):
            ids[i], inserted[i], status[i] = record_id, False, "duplicate"
            if row_stored is None:  # the database found it the same as the stored record
                continue
            r = batch[i]
            differ = _differences(row_stored, r)
            if differ:
                status[i] = "conflict"
                problems[i] = (_conflict(r.reference, record_id, differ), tuple(differ))
            elif r.fulfilled_on is not None and row_stored["fulfilled_on"] is None:
                if row_stored["voided"]:
                    reason = f"fulfilled_on: record {record_id} is voided and cannot be fulfilled"
                    status[i] = "conflict"
                    problems[i] = (reason, ("fulfilled_on",))
                elif fulfil.setdefault(record_id, r) is r:
                    status[i] = "fulfilled"
        for record_id, r in fulfil.items():
            assert r.fulfilled_on is not None
            mark_fulfilled(ctx, record_id, str(r.subject), r.fulfilled_on, by=source, note=None)
        if not all(ids):  # every record is inserted or found stored
            raise RuntimeError("store_records: a record was neither inserted nor found stored")
    uow.outbox.enqueue(_notices(book, source, batch, subjects, inserted, listings))
    audit_report(ctx, source, references, subjects, len(new))
    return Outcomes(status, ids, problems, listings)


def _notices(
    book: Rulebook,
    source: str,
    batch: RecordBatch,
    subjects: list[str],
    inserted: list[bool],
    listings: list[dict[str, date]],
) -> list[tuple[str, str, dict[str, Any] | str]]:
    """A listing notice for each inserted record that can list its subject (filling in
    `listings`). The notice period and the payload's JSON around the reference are made once
    per type, decision day and notification day."""
    columns = batch.columns
    known: dict[tuple[str, date, date | None], tuple[dict[str, date], str, str]] = {}
    encode = _ENCODE_TEXT
    notices: list[tuple[str, str, dict[str, Any] | str]] = []
    for i, (lists, type_code, decided_on, notified_on, ref) in enumerate(
        zip(
            columns["lists"],
            columns["type"],
            columns["decided_on"],
            columns["notified_on"],
            columns["reference"],
            strict=True,
        )
    ):
        if not lists or not inserted[i]:
            continue
        key = (type_code, decided_on, notified_on)
        found = known.get(key)
        if found is None:
            starts = listing_starts(book, type_code, decided_on, notified_on)
            fields = _listing_fields(type_code, decided_on, notified_on, starts)
            found = known[key] = (starts, *_template(source, fields))
        starts, before, after = found
        if starts:
            listings[i] = starts
            notices.append((subjects[i], "listing", before + encode(ref) + after))
    return notices


_ENCODE_TEXT = json.JSONEncoder(ensure_ascii=False).encode
_SLOT = "\x00reference\x00"


def _template(source: str, fields: dict[str, Any]) -> tuple[str, str]:
    """The listing payload's JSON before and after the reference's: the payload of reference R
    is `before + json(R) + after`, the text `json.dumps(payload, ensure_ascii=False)` gives."""
    text = _ENCODE_TEXT({"source": source, "reference": _SLOT, **fields})
    slot = _ENCODE_TEXT(_SLOT)
    if text.count(slot) != 1:
        raise ValueError(f"listing notice of source {source!r}: no single reference slot")
    before, _, after = text.partition(slot)
    return before, after


def _listing_fields(
    type_code: str, decided_on: date, notified_on: date | None, starts: Mapping[str, date]
) -> dict[str, Any]:
    """A listing notice's fields after source and reference (the same for every record of one
    type, decision day and notification day)."""
    return {
        "type": type_code,
        "lists": list(starts),
        "starts_on": {code: day.isoformat() for code, day in starts.items()},
        "decided_on": decided_on.isoformat(),
        "notified_on": None if notified_on is None else notified_on.isoformat(),
    }


def mark_fulfilled(
    ctx: Context, record_id: int, subject: str, fulfilled_on: date, *, by: str, note: str | None
) -> bool:
    """Record a fulfilment: the record's date, its history (`by`: the source, as the subject
    reads it), and the audit event (the context's actor: the key or person who did it).

    A conditional write: if the record was fulfilled meanwhile, nothing is written (False)."""
    if not ctx.uow.records.fulfil(record_id, fulfilled_on):
        return False
    ctx.uow.records.add_event(record_id, "fulfilled", fulfilled_on, by, note)
    ctx.audit(
        "record.fulfil", subject=subject, detail={"record": record_id, "fulfilled_on": fulfilled_on}
    )
    return True


# After an import that inserted more rows than this, PostgreSQL's statistics are refreshed
# (ANALYZE): autovacuum would, later, and until then the planner guesses from the old counts.
ANALYZE_AFTER = 10_000


def import_rows(
    ledger: Ledger,
    source_code: str,
    rows: Iterable[tuple[int, Row]],
    *,
    as_of: date | None = None,
    batch_size: int | None = None,
    actor: str,
) -> ImportReport:
    """Admit each row under the active rulebook and store the admitted ones batch by batch.

    A job, not one request: each batch is its own transaction (a failure keeps the batches
    before it), and re-sending the whole file afterwards stores each record exactly once.
    """
    with ledger.transaction(actor) as ctx:
        source = ctx.uow.sources.get(source_code)
        if source is None:
            raise NotFound(f"source {source_code!r} is not registered (trustledger sources add)")
        intake = Intake(ctx.book, ledger.registry, source.kind, as_of or ctx.today)
    size = batch_size or ledger.settings.import_batch_size
    report = ImportReport()
    batch = RecordBatch()
    lines: list[int] = []

    def flush(records: RecordBatch, numbers: list[int]) -> None:
        with ledger.transaction(actor) as ctx:
            ctx.uow.lift_timeouts()  # a job's batch of up to 10,000 rows, not a request
            done = store_records(ctx, source_code, records)
        counts = Counter(done.status)
        report.inserted += counts["inserted"]
        report.duplicates += counts["duplicate"]
        report.fulfilled += counts["fulfilled"]
        for i, (reason, _) in done.problems.items():
            report.rejected.append({"line": numbers[i], "reason": reason})
        report.rejected.sort(key=lambda r: r["line"])

    def full() -> None:
        nonlocal batch, lines
        while len(batch) >= size:
            head, batch = batch.split(size)
            flush(head, lines[:size])
            lines = lines[size:]

    def take(number: int, row: Row) -> None:
        try:
            if isinstance(row, Rejected):
                raise row
            batch.append(intake.admit(row))
            lines.append(number)
        except Rejected as exc:
            report.rejected.append({"line": number, "reason": str(exc)})

    parts = rows.parts() if isinstance(rows, columnar.ColumnarFile) else rows
    for part in parts:
        if isinstance(part, columnar.Columns):
            admitted = columnar.admit_batch(intake, part)
            report.rejected.extend(
                {"line": number, "reason": str(exc)} for number, exc in admitted.rejected
            )
            batch.extend(admitted.records)
            lines.extend(admitted.numbers)
        else:
            take(*part)
        full()
    if len(batch):
        flush(batch, lines)
    if report.inserted > ANALYZE_AFTER:  # the planner's statistics follow a large import
        ledger.store.analyze()
    return report
