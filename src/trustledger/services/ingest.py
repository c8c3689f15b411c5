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
from typing import Any, TextIO

from trustledger.domain.intake import FIELDS, Intake, NewRecord, Rejected
from trustledger.services import notices
from trustledger.services.ledger import Ledger, NotFound, today
from trustledger.services.unit_of_work import UnitOfWork

Row = Mapping[str, Any] | Rejected


@dataclass
class ImportReport:
    inserted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"inserted": self.inserted, "duplicates": self.duplicates, "rejected": self.rejected}


BOM = "\ufeff"  # spreadsheets save "CSV UTF-8" with one; it is not part of the first name
CHUNK = 1 << 20  # read this many characters at a time, not a line at a time


def _chunks(stream: TextIO) -> Iterator[list[str]]:
    """The stream's lines, a chunk at a time: a progress wrapper then does its work per chunk."""
    while chunk := stream.readlines(CHUNK):
        yield chunk


def read_jsonl(stream: TextIO) -> Iterator[tuple[int, Row]]:
    number = 0
    loads, decode_error = json.loads, json.JSONDecodeError
    for chunk in _chunks(stream):
        for line in chunk:
            number += 1
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


def reader_for(name: str) -> Callable[[TextIO], Iterator[tuple[int, Row]]]:
    return read_csv if name.lower().endswith(".csv") else read_jsonl


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


def listing_notices(
    uow: UnitOfWork, source: str, batch: Sequence[NewRecord], known: Mapping[str, int]
) -> list[tuple[str, str, dict[str, Any]]]:
    """A notice for each newly stored record that can put its subject on a list."""
    seen = set(known)  # a reference repeated in one batch is stored, and noticed, once
    out = []
    for r in batch:
        if r.lists and r.reference not in seen:
            seen.add(r.reference)
            payload = {
                "source": source,
                "reference": r.reference,
                "type": r.type,
                "lists": list(r.lists),
                "decided_on": r.decided_on,
                "notified_on": r.notified_on,
            }
            out.append((str(r.subject), "listing", payload))
    return out


def audit_report(
    uow: UnitOfWork, actor: str, source: str, batch: Sequence[NewRecord], inserted: int
) -> None:
    """One audit event per stored batch, naming its references by digest (a write of data)."""
    references = sorted({r.reference for r in batch})
    uow.audit.append(
        actor=actor,
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


def _store(uow: UnitOfWork, source: str, batch: list[NewRecord], actor: str) -> int:
    listing = [r.reference for r in batch if r.lists]
    known = uow.records.ids_by_reference(source, listing) if listing else {}
    # The scheme registry hands out one SubjectId per identifier, so identity finds repeats.
    subjects = {id(r.subject): r.subject for r in batch}.values()
    uow.subjects.ensure({(str(s), s.kind.value) for s in subjects})
    inserted = uow.records.add_many([record_row(source, r) for r in batch])
    if listing:
        notices.enqueue(uow.connection, listing_notices(uow, source, batch, known))
    audit_report(uow, actor, source, batch, inserted)
    return inserted


def import_rows(
    ledger: Ledger,
    source_code: str,
    rows: Iterable[tuple[int, Row]],
    *,
    as_of: date | None = None,
    batch_size: int | None = None,
    actor: str = "cli",
) -> ImportReport:
    """Admit each row under the active rulebook and store the admitted ones batch by batch."""
    with ledger.uow() as uow:
        source = uow.sources.get(source_code)
        if source is None:
            raise NotFound(f"source {source_code!r} is not registered (trustledger sources add)")
        book = ledger.rulebook(uow)
    intake = Intake(book, ledger.registry, source.kind, as_of or today(book))
    size = batch_size or ledger.settings.import_batch_size
    report = ImportReport()
    batch: list[NewRecord] = []

    def flush() -> None:
        with ledger.uow() as uow:
            inserted = _store(uow, source_code, batch, actor)
            uow.commit()
        report.inserted += inserted
        report.duplicates += len(batch) - inserted
        batch.clear()

    for number, row in rows:
        try:
            if isinstance(row, Rejected):
                raise row
            batch.append(intake.admit(row))
        except Rejected as exc:
            report.rejected.append({"line": number, "reason": str(exc)})
            continue
        if len(batch) >= size:
            flush()
    if batch:
        flush()
    return report
