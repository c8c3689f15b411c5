"""Credit repair: agencies mark records fulfilled; a subject may ask for repair in writing.

A reviewer decides the request. Approval marks the record fulfilled that day, and its type's
`repair` rule decides when it stops counting.
"""

from __future__ import annotations

from typing import Any

from trustledger.services.context import Conflict, Ledger, NotFound, plain_row, today
from trustledger.services.due_process import notices
from trustledger.services.due_process.disputes import own_record


def request(
    ledger: Ledger, subject: str, record_id: int, commitment: str, *, actor: str
) -> dict[str, Any]:
    if not commitment.strip():
        raise Conflict("commitment: a repair request carries a written commitment")
    with ledger.uow() as uow:
        record = own_record(uow, subject, record_id)
        book = ledger.rulebook(uow)
        record_type = book.record_type(record["type"])
        if record_type is None or record_type.repair is None:
            raise Conflict(f"record: {record['type']} records allow no credit repair")
        if record["voided"] or record["fulfilled_on"] is not None:
            raise Conflict(f"record: record {record_id} is already voided or fulfilled")
        if uow.repairs.find(record_id=record_id, status="open"):
            raise Conflict(f"record: record {record_id} already has an open repair request")
        day = today(book)
        repair_id = uow.repairs.add(
            record_id=record_id,
            subject=subject,
            commitment=commitment,
            requested_on=day,
            status="open",
        )
        uow.audit.append(
            actor=actor,
            action="repair.request",
            subject=subject,
            detail={"repair": repair_id, "record": record_id},
        )
        uow.commit()
        row = uow.repairs.get(repair_id)
    assert row is not None
    return plain_row(row)


def queue(
    ledger: Ledger, *, status: str | None = None, subject: str | None = None
) -> list[dict[str, Any]]:
    with ledger.uow() as uow:
        return [plain_row(r) for r in uow.repairs.find(status=status, subject=subject)]


def decide(
    ledger: Ledger, repair_id: int, approve: bool, reason: str, *, actor: str
) -> dict[str, Any]:
    if not reason.strip():
        raise Conflict("reason: a decision states its reason")
    with ledger.uow() as uow:
        repair = uow.repairs.get(repair_id)
        if repair is None:
            raise NotFound(f"repair request {repair_id} does not exist")
        if repair["status"] != "open":
            raise Conflict(f"repair request {repair_id} was already decided")
        day = today(ledger.rulebook(uow))
        status = "approved" if approve else "rejected"
        uow.repairs.set(repair_id, status=status, decided_on=day, decided_by=actor, reason=reason)
        record = uow.records.get(repair["record_id"])
        if approve and record is not None and record["fulfilled_on"] is None:
            uow.records.mark(repair["record_id"], fulfilled_on=day)
            uow.records.add_event(
                repair["record_id"],
                "fulfilled",
                day,
                actor,
                f"repair {repair_id} approved: {reason}",
            )
        uow.audit.append(
            actor=actor,
            action="repair.decide",
            subject=repair["subject"],
            detail={"repair": repair_id, "status": status},
        )
        notices.enqueue(
            uow.connection,
            [
                (
                    repair["subject"],
                    "repair",
                    {
                        "repair": repair_id,
                        "record": repair["record_id"],
                        "status": status,
                        "reason": reason,
                    },
                )
            ],
        )
        uow.commit()
        row = uow.repairs.get(repair_id)
    assert row is not None
    return plain_row(row)
