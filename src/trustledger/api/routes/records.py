"""Agencies report records and their later events; each key writes only for its own source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from trustledger.api.auth import LedgerDep, RecordsWriter, agency_source
from trustledger.api.schemas import FulfilIn, Id, RecordBatch, RecordIn, SubmitResult, VoidIn
from trustledger.services.intake import records

router = APIRouter(prefix="/v1/records", tags=["records"])
# The answer's counts by item status (`records.STATUSES`), under the answer's plural names.
COUNTED = {
    "inserted": "inserted",
    "duplicates": "duplicate",
    "fulfilled": "fulfilled",
    "conflicts": "conflict",
    "rejected": "rejected",
}


@router.post(
    "",
    response_model=SubmitResult,
    response_model_exclude_none=True,
    summary="Report one record or a batch",
)
def submit(
    ledger: LedgerDep,
    caller: RecordsWriter,
    body: Annotated[
        RecordIn | RecordBatch,
        Body(
            openapi_examples={
                "one": {
                    "summary": "One record",
                    "value": RecordIn.model_config["json_schema_extra"]["examples"][0],
                },
                "batch": {
                    "summary": "A batch (up to 10,000)",
                    "value": {
                        "records": [RecordIn.model_config["json_schema_extra"]["examples"][0]]
                    },
                },
            }
        ),
    ],
) -> SubmitResult:
    """Same checks and idempotency as `trustledger import`: a reference already stored for this
    source is a duplicate when the content is the same, a `conflict` when it is not (a single
    record: 409 naming the stored record and the fields that differ), and `fulfilled` when the
    re-send only adds `fulfilled_on`. The whole request is one transaction."""
    single = not isinstance(body, RecordBatch)
    items = body.records if isinstance(body, RecordBatch) else [body]
    with ledger.transaction(caller.actor) as ctx:
        results = records.submit(
            ctx, agency_source(caller), [i.model_dump(exclude_none=True) for i in items]
        )
        if single and results[0].status == "conflict":  # raised inside: nothing is written
            raise records.RecordConflict(results[0])
    counts = {field: sum(r.status == s for r in results) for field, s in COUNTED.items()}
    return SubmitResult.model_validate({**counts, "results": [r.as_json() for r in results]})


@router.post("/{record_id}/fulfil", summary="Mark a record fulfilled (credit repair)")
def fulfil(
    record_id: Id, body: FulfilIn, ledger: LedgerDep, caller: RecordsWriter
) -> dict[str, object]:
    """Only the record's own source may do this. With `repair` in its type, the record may stop
    counting early."""
    with ledger.transaction(caller.actor) as ctx:
        return records.fulfil(ctx, record_id, agency_source(caller), body.fulfilled_on, body.note)


@router.post("/{record_id}/void", summary="Void a record (correction by its source)")
def void(
    record_id: Id, body: VoidIn, ledger: LedgerDep, caller: RecordsWriter
) -> dict[str, object]:
    """Only the record's own source may do this. A voided record is as if it never existed."""
    with ledger.transaction(caller.actor) as ctx:
        return records.void(ctx, record_id, agency_source(caller), body.reason)
