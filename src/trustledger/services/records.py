"""Records reported over the API, and the later events of a record: fulfilled, voided.

A whole request is one transaction: the admitted items are stored together or not at all, and
each item gets its own answer (inserted, duplicate, or rejected with the field at fault).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from trustledger.domain.intake import Intake, NewRecord, Rejected
from trustledger.services import notices
from trustledger.services.ingest import audit_report, listing_notices, record_row
from trustledger.services.ledger import Conflict, Ledger, NotFound, today

MAX_BATCH = 10_000


class Forbidden(PermissionError):
    """The caller may not touch this record (it belongs to another source)."""


@dataclass(frozen=True)
class ItemResult:
    index: int
    status: str  # inserted | duplicate | rejected
    id: int | None = None
    reference: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def submit(
    ledger: Ledger,
    source_code: str,
    items: Sequence[Mapping[str, Any]],
    as_of: date | None = None,
    *,
    actor: str = "cli",
) -> list[ItemResult]:
    if len(items) > MAX_BATCH:
        raise Conflict(f"records: at most {MAX_BATCH} records per request, got {len(items)}")
    with ledger.uow() as uow:
        source = uow.sources.get(source_code)
        if source is None:
            raise NotFound(f"source {source_code!r} is not registered")
        book = ledger.rulebook(uow)
        intake = Intake(book, ledger.registry, source.kind, as_of or today(book))
        admitted: dict[int, NewRecord] = {}
        results: dict[int, ItemResult] = {}
        for i, item in enumerate(items):
            try:
                admitted[i] = intake.admit(item)
            except Rejected as exc:
                results[i] = ItemResult(i, "rejected", reason=str(exc))
        references = sorted({r.reference for r in admitted.values()})
        before = uow.records.ids_by_reference(source_code, references)
        fresh: dict[str, NewRecord] = {}
        for record in admitted.values():
            if record.reference not in before:
                fresh.setdefault(record.reference, record)
        uow.subjects.ensure({(str(r.subject), r.subject.kind.value) for r in fresh.values()})
        uow.records.add_many([record_row(source_code, r) for r in fresh.values()])
        notices.enqueue(uow.connection, listing_notices(uow, source_code, list(fresh.values()), {}))
        after = uow.records.ids_by_reference(source_code, list(fresh))
        if admitted:
            audit_report(uow, actor, source_code, list(admitted.values()), len(fresh))
        uow.commit()
    for i, record in admitted.items():
        ref = record.reference
        # Only the first item carrying a new reference inserted it; later ones repeat it.
        status = "inserted" if fresh.get(ref) is record else "duplicate"
        results[i] = ItemResult(i, status, id=after.get(ref) or before.get(ref), reference=ref)
    return [results[i] for i in range(len(items))]


def _owned(ledger: Ledger, uow: Any, record_id: int, source_code: str) -> dict[str, Any]:
    record = uow.records.get(record_id)
    if record is None:
        raise NotFound(f"record {record_id} does not exist")
    if record["source"] != source_code:
        raise Forbidden(f"record {record_id} was reported by another source")
    return dict(record)


def fulfil(
    ledger: Ledger,
    record_id: int,
    source_code: str,
    fulfilled_on: date,
    note: str | None = None,
    *,
    actor: str | None = None,
) -> dict[str, Any]:
    """The subject performed (paid, complied): with `repair`, the record may stop counting."""
    with ledger.uow() as uow:
        record = _owned(ledger, uow, record_id, source_code)
        if fulfilled_on < record["decided_on"]:
            raise Conflict(f"fulfilled_on: {fulfilled_on} is before decided_on")
        if fulfilled_on > today(ledger.rulebook(uow)):
            raise Conflict(f"fulfilled_on: {fulfilled_on} is in the future")
        if record["fulfilled_on"] not in (None, fulfilled_on):
            raise Conflict(
                f"fulfilled_on: record {record_id} was fulfilled on {record['fulfilled_on']}"
            )
        if record["fulfilled_on"] is None:
            uow.records.mark(record_id, fulfilled_on=fulfilled_on)
            uow.records.add_event(record_id, "fulfilled", fulfilled_on, source_code, note)
            uow.audit.append(
                actor=actor or source_code,
                action="record.fulfil",
                subject=record["subject"],
                detail={"record": record_id, "fulfilled_on": fulfilled_on},
            )
            uow.commit()
    return {"id": record_id, "fulfilled_on": fulfilled_on.isoformat()}


def void(
    ledger: Ledger, record_id: int, source_code: str, reason: str, *, actor: str | None = None
) -> dict[str, Any]:
    """A correction by the record's own source: the record is as if it had never been."""
    if not reason.strip():
        raise Conflict("reason: a void needs a reason")
    with ledger.uow() as uow:
        record = _owned(ledger, uow, record_id, source_code)
        if not record["voided"]:
            uow.records.mark(record_id, voided=True)
            uow.records.add_event(
                record_id, "voided", today(ledger.rulebook(uow)), source_code, reason
            )
            uow.audit.append(
                actor=actor or source_code,
                action="record.void",
                subject=record["subject"],
                detail={"record": record_id},
            )
            uow.commit()
    return {"id": record_id, "voided": True}
