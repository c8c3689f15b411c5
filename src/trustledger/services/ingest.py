"""Ingest: reported lines become records, in batches that each commit whole or not at all.

Re-sending is safe: a `(source, reference)` already stored is a duplicate, never a second
record, so an agency can re-import a file after any failure.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from trustledger.domain.intake import FIELDS, Intake, NewRecord, Rejected
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


def read_jsonl(stream: TextIO) -> Iterator[tuple[int, Row]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, Rejected("", f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(row, dict):
            yield number, Rejected("", "a line must be a JSON object")
            continue
        yield number, row


def read_csv(stream: TextIO) -> Iterator[tuple[int, Row]]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        yield 1, Rejected(unknown[0], f"unknown column (columns are {', '.join(FIELDS)})")
        return
    for row in reader:
        if None in row:
            yield reader.line_num, Rejected("", "more values than columns")
            continue
        yield reader.line_num, row


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
    }


def _store(uow: UnitOfWork, source: str, batch: list[NewRecord]) -> int:
    uow.subjects.ensure({(str(r.subject), r.subject.kind.value) for r in batch})
    return uow.records.add_many([record_row(source, r) for r in batch])


def import_rows(
    ledger: Ledger,
    source_code: str,
    rows: Iterable[tuple[int, Row]],
    *,
    as_of: date | None = None,
    batch_size: int | None = None,
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
            inserted = _store(uow, source_code, batch)
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
