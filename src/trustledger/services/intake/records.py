"""Records reported over the API, and the later events of a record: fulfilled, voided.

A whole request is one transaction: the admitted items are stored together or not at all, and
each item gets its own answer (inserted, duplicate, or rejected with the field at fault).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from trustledger.domain.intake import Intake, NewRecord, Rejected, free_text
from trustledger.services.context import Conflict, Context, Forbidden, NotFound
from trustledger.services.intake.ingest import mark_fulfilled, store_batch

MAX_BATCH = 10_000
STATUSES = ("inserted", "duplicate", "fulfilled", "conflict", "rejected")
__all__ = [
    "MAX_BATCH",
    "STATUSES",
    "Forbidden",
    "ItemResult",
    "RecordConflict",
    "fulfil",
    "submit",
    "void",
]


@dataclass(frozen=True)
class ItemResult:
    index: int
    status: str  # inserted | duplicate | fulfilled | conflict | rejected
    id: int | None = None
    reference: str | None = None
    reason: str | None = None
    fields: tuple[str, ...] | None = None  # conflict: the fields that differ
    listings: dict[str, date] | None = None  # inserted: the day each listing takes effect

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.__dict__.items() if v is not None}
        if self.fields is not None:
            out["fields"] = list(self.fields)
        if self.listings is not None:
            out["listings"] = [{"list": k, "from": v.isoformat()} for k, v in self.listings.items()]
        return out


class RecordConflict(Conflict):
    """A single reported record whose reference is stored with other content."""

    def __init__(self, item: ItemResult) -> None:
        self.item = item
        super().__init__(item.reason or "conflict")


def submit(
    ctx: Context,
    source_code: str,
    items: Sequence[Mapping[str, Any]],
    as_of: date | None = None,
) -> list[ItemResult]:
    """Report records of one source; one answer per item, all stored in the context's
    transaction or none."""
    if len(items) > MAX_BATCH:
        raise Conflict(f"records: at most {MAX_BATCH} records per request, got {len(items)}")
    source = ctx.uow.sources.get(source_code)
    if source is None:
        raise NotFound(f"source {source_code!r} is not registered")
    intake = Intake(ctx.book, ctx.registry, source.kind, as_of or ctx.today)
    admitted: dict[int, NewRecord] = {}
    results: dict[int, ItemResult] = {}
    for i, item in enumerate(items):
        try:
            admitted[i] = intake.admit(item)
        except Rejected as exc:
            results[i] = ItemResult(i, "rejected", reason=str(exc))
    if admitted:
        batch = list(admitted.values())
        for i, record, stored in zip(
            admitted, batch, store_batch(ctx, source_code, batch), strict=True
        ):
            results[i] = ItemResult(
                i,
                stored.status,
                id=stored.id,
                reference=record.reference,
                reason=stored.reason,
                fields=stored.fields or None,
                listings=stored.listings if stored.status == "inserted" else None,
            )
    return [results[i] for i in range(len(items))]


def _owned(ctx: Context, record_id: int, source_code: str) -> dict[str, Any]:
    """The record, if it is this source's. Another source's record and a missing id get the
    same answer, so an agency cannot probe which ids exist."""
    record = ctx.uow.records.get(record_id)
    if record is None or record["source"] != source_code:
        raise NotFound(f"record {record_id} is not a record of source {source_code}")
    return dict(record)


def fulfil(
    ctx: Context,
    record_id: int,
    source_code: str,
    fulfilled_on: date,
    note: str | None = None,
) -> dict[str, Any]:
    """The subject performed (paid, complied): with `repair`, the record may stop counting.

    A record is fulfilled once: the same date again is answered as before, another date is a
    conflict, and a voided record cannot be fulfilled.
    """
    if note is not None:
        free_text("note", note)
    record = _owned(ctx, record_id, source_code)
    if record["voided"]:
        raise Conflict(f"record {record_id} is voided: it cannot be fulfilled")
    if fulfilled_on < record["decided_on"]:
        raise Rejected(
            "fulfilled_on", f"{fulfilled_on} is before decided_on ({record['decided_on']})"
        )
    if fulfilled_on > ctx.today:
        raise Rejected("fulfilled_on", f"{fulfilled_on} is in the future")
    if record["fulfilled_on"] not in (None, fulfilled_on):
        raise Conflict(
            f"fulfilled_on: record {record_id} was fulfilled on {record['fulfilled_on']}"
        )
    if record["fulfilled_on"] is None and not mark_fulfilled(
        ctx, record_id, record["subject"], fulfilled_on, by=source_code, note=note
    ):  # fulfilled meanwhile, by a simultaneous request: answered as if it came first
        again = ctx.uow.records.get(record_id)
        if again is None or again["fulfilled_on"] != fulfilled_on:
            raise Conflict(f"fulfilled_on: record {record_id} was fulfilled meanwhile")
    return {"id": record_id, "fulfilled_on": fulfilled_on.isoformat()}


def void(ctx: Context, record_id: int, source_code: str, reason: str) -> dict[str, Any]:
    """A correction by the record's own source: the record is as if it had never been.

    A record is voided once; voiding it again is a conflict.
    """
    if not reason.strip():
        raise Rejected("reason", "a void needs a reason")
    free_text("reason", reason)
    record = _owned(ctx, record_id, source_code)
    # A conditional write (`... WHERE voided = false`): of simultaneous voids, one writes.
    if record["voided"] or not ctx.uow.records.void(record_id):
        raise Conflict(f"record {record_id} is already voided")
    ctx.uow.records.add_event(record_id, "voided", ctx.today, source_code, reason)
    ctx.audit("record.void", subject=record["subject"], detail={"record": record_id})
    return {"id": record_id, "voided": True}
