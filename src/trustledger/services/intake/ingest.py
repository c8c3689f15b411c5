"""Ingest: reported lines become records, in batches that each commit whole or not at all.

Re-sending is safe: a `(source, reference)` already stored is a duplicate, never a second
record, so an agency can re-import a file after any failure.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, TextIO

from trustledger.domain.intake import FIELDS, Intake, NewRecord, Rejected, subjects_of
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
        return {
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "fulfilled": self.fulfilled,
            "rejected": self.rejected,
        }


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
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            yield number + 1, Rejected("", f"unreadable Parquet data ({exc})")
            return
        if batch is None:
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


def record_row(source: str, r: NewRecord) -> dict[str, Any]:
    """The stored columns of an admitted record (shared by file imports and the API)."""
    return {
        "subject": str(r.subject),
        "type": r.type,
        "source": source,
        "reference": r.reference,
        "decided_on": r.decided_on,
        "amount": r.amount,
        "note": r.note,
        "fulfilled_on": r.fulfilled_on,
        "notified_on": r.notified_on,
    }


def listing_starts(book: Rulebook, r: NewRecord) -> dict[str, date]:
    """The day each list this record can enter takes effect: the notice period runs from the
    notification (never before the decision)."""
    plan = book.index.type_plans.get(r.type)
    if plan is None or not plan.lists:
        return {}
    notified = r.decided_on if r.notified_on is None else max(r.decided_on, r.notified_on)
    return {code: notified + notice for code, notice in plan.lists}


def audit_report(ctx: Context, source: str, batch: Sequence[NewRecord], inserted: int) -> None:
    """One audit event per stored batch, naming its references by digest (a write of data)."""
    references = sorted({r.reference for r in batch})
    ctx.uow.audit.append(
        actor=ctx.actor,
        action="records.report",
        subject=str(batch[0].subject) if len({str(r.subject) for r in batch}) == 1 else None,
        detail={
            "source": source,
            "received": len(batch),
            "inserted": inserted,
            "first": references[0] if references else None,
            "last": references[-1] if references else None,
            "references_sha256": hashlib.sha256("\n".join(references).encode()).hexdigest(),
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
    """Store admitted records of one source in the caller's transaction; one answer each.

    New references are inserted (the insert itself says which were new, so two writers
    sending the same file count each record once). A reference already stored is compared:
    the same content is a duplicate, other content a conflict, and a re-send that only adds
    `fulfilled_on` fulfils the stored record. Each new record that can list its subject
    queues a notice saying when the listing starts; the batch leaves one audit event.
    """
    uow, book = ctx.uow, ctx.book
    uow.subjects.ensure(subjects_of(batch))  # with the first name reported for each
    rows = [record_row(source, r) for r in batch]
    new = uow.records.add_new(rows)
    out: list[Stored | None] = [None] * len(batch)
    notices_out: list[tuple[str, str, dict[str, Any]]] = []
    # The notice period of each (type, decision, notification): computed once per batch.
    listings: dict[tuple[str, date, date | None], tuple[dict[str, date], dict[str, Any]]] = {}
    leaders: dict[str, int] = {}
    for i, r in enumerate(batch):
        ref = r.reference
        record_id = new.get(ref)
        if record_id is None:
            continue  # stored before: answered below
        leader = leaders.setdefault(ref, i)
        if leader == i:
            key = (r.type, r.decided_on, r.notified_on)
            known = listings.get(key)
            if known is None:
                starts = listing_starts(book, r)
                known = listings[key] = (starts, _listing_fields(r, starts))
            starts, fields = known
            out[i] = Stored("inserted", record_id, listings=starts)
            if starts:
                notices_out.append(
                    (rows[i]["subject"], "listing", {"source": source, "reference": ref, **fields})
                )
            continue
        differ = _differences(rows[leader], r)
        out[i] = (
            Stored("conflict", record_id, _conflict(ref, record_id, differ), tuple(differ))
            if differ
            else Stored("duplicate", record_id)
        )
    fulfil: dict[int, NewRecord] = {}
    for i, record_id, row_stored in getattr(new, "others", ()):
        r = batch[i]
        if row_stored is None:  # the database found it the same as the stored record
            out[i] = Stored("duplicate", record_id)
            continue
        ref = r.reference
        differ = _differences(row_stored, r)
        if differ:
            out[i] = Stored("conflict", record_id, _conflict(ref, record_id, differ), tuple(differ))
        elif r.fulfilled_on is not None and row_stored["fulfilled_on"] is None:
            if row_stored["voided"]:
                reason = f"fulfilled_on: record {record_id} is voided and cannot be fulfilled"
                out[i] = Stored("conflict", record_id, reason, ("fulfilled_on",))
            elif fulfil.setdefault(record_id, r) is r:
                out[i] = Stored("fulfilled", record_id)
            else:
                out[i] = Stored("duplicate", record_id)
        else:
            out[i] = Stored("duplicate", record_id)
    for record_id, r in fulfil.items():
        assert r.fulfilled_on is not None
        mark_fulfilled(ctx, record_id, str(r.subject), r.fulfilled_on, by=source, note=None)
    uow.outbox.enqueue(notices_out)
    audit_report(ctx, source, batch, len(new))
    answered = [o for o in out if o is not None]
    if len(answered) != len(batch):  # every row is inserted or found stored
        raise RuntimeError("store_batch: a record was neither inserted nor found stored")
    return answered


def _listing_fields(r: NewRecord, starts: Mapping[str, date]) -> dict[str, Any]:
    """A listing notice's fields after source and reference (the same for every record of one
    type, decision day and notification day)."""
    return {
        "type": r.type,
        "lists": list(starts),
        "starts_on": {code: day.isoformat() for code, day in starts.items()},
        "decided_on": r.decided_on.isoformat(),
        "notified_on": None if r.notified_on is None else r.notified_on.isoformat(),
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
    ctx.uow.audit.append(
        actor=ctx.actor,
        action="record.fulfil",
        subject=subject,
        detail={"record": record_id, "fulfilled_on": fulfilled_on},
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
    batch: list[NewRecord] = []
    lines: list[int] = []

    def flush() -> None:
        with ledger.transaction(actor) as ctx:
            ctx.uow.lift_timeouts()  # a job's batch of up to 10,000 rows, not a request
            outcomes = store_batch(ctx, source_code, batch)
        for number, outcome in zip(lines, outcomes, strict=True):
            if outcome.status == "inserted":
                report.inserted += 1
            elif outcome.status == "duplicate":
                report.duplicates += 1
            elif outcome.status == "fulfilled":
                report.fulfilled += 1
            else:
                report.rejected.append({"line": number, "reason": outcome.reason})
        report.rejected.sort(key=lambda r: r["line"])
        batch.clear()
        lines.clear()

    def take(number: int, row: Row) -> None:
        try:
            if isinstance(row, Rejected):
                raise row
            batch.append(intake.admit(row))
            lines.append(number)
        except Rejected as exc:
            report.rejected.append({"line": number, "reason": str(exc)})

    if isinstance(rows, columnar.ColumnarFile):
        for part in rows.parts():
            if isinstance(part, columnar.Columns):
                for number, answer in columnar.admit_columns(intake, part):
                    if isinstance(answer, Rejected):
                        report.rejected.append({"line": number, "reason": str(answer)})
                    else:
                        batch.append(answer)
                        lines.append(number)
                        if len(batch) >= size:
                            flush()
            else:
                take(*part)
                if len(batch) >= size:
                    flush()
    else:
        for number, row in rows:
            take(number, row)
            if len(batch) >= size:
                flush()
    if batch:
        flush()
    if report.inserted > ANALYZE_AFTER:  # the planner's statistics follow a large import
        ledger.store.analyze()
    return report
