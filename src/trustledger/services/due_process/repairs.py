"""Credit repair: agencies mark records fulfilled; a subject may ask for repair in writing.

A reviewer decides the request. Approval marks the record fulfilled that day, and its type's
`repair` rule decides when it stops counting.
"""

from __future__ import annotations

from trustledger.domain.cases import REPAIR, Repair, RepairStatus
from trustledger.domain.intake import Rejected, free_text
from trustledger.services.context import Conflict, Context, Duplicate
from trustledger.services.due_process import cases
from trustledger.services.due_process.disputes import own_record


def request(ctx: Context, subject: str, record_id: int, commitment: str) -> Repair:
    if not commitment.strip():
        raise Rejected("commitment", "a repair request carries a written commitment")
    free_text("commitment", commitment)
    record = own_record(ctx, subject, record_id)
    record_type = ctx.book.record_type(record["type"])
    if record_type is None or record_type.repair is None:
        raise Conflict(f"record: {record['type']} records allow no credit repair")
    if record["voided"] or record["fulfilled_on"] is not None:
        raise Conflict(f"record: record {record_id} is already voided or fulfilled")
    if ctx.uow.repairs.find(record_id=record_id, status=RepairStatus.OPEN):
        raise Conflict(f"record: record {record_id} already has an open repair request")
    try:  # the database holds one open request per record
        repair_id = ctx.uow.repairs.add(
            record_id=record_id,
            subject=subject,
            commitment=commitment,
            requested_on=ctx.today,
            status=RepairStatus.OPEN,
        )
    except Duplicate:
        raise Conflict(f"record: record {record_id} already has an open repair request") from None
    ctx.audit("repair.request", subject=subject, detail={"repair": repair_id, "record": record_id})
    requested = ctx.uow.repairs.get(repair_id)
    assert requested is not None
    return requested


def queue(ctx: Context, *, status: str | None = None, subject: str | None = None) -> list[Repair]:
    return ctx.uow.repairs.find(status=status, subject=subject)


def decide(ctx: Context, repair_id: int, approve: bool, reason: str) -> Repair:
    """Approved: the record is fulfilled today (if it is not yet); its repair rule applies."""
    outcome = RepairStatus.APPROVED if approve else RepairStatus.REJECTED

    def effect(repair: Repair, status: str) -> None:
        # Fulfilled once (`... WHERE fulfilled_on IS NULL`): a fulfilment its source reported
        # meanwhile stands.
        if status == RepairStatus.APPROVED and ctx.uow.records.fulfil(repair.record_id, ctx.today):
            note = f"repair {repair_id} approved: {reason}"
            ctx.uow.records.add_event(repair.record_id, "fulfilled", ctx.today, ctx.actor, note)

    return cases.decide(ctx, REPAIR, ctx.uow.repairs, repair_id, outcome, reason, effect=effect)
