"""An agency, signed in with its source's key: report one record through a validating form,
upload a file (CSV, JSON Lines, Parquet) with a result for every line, fulfil or void a record.
The same use cases, checks and idempotency as `POST /v1/records` and `trustledger import`."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from trustledger.domain.intake import FIELDS, Rejected
from trustledger.domain.roles import Permission
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Conflict, NotFound
from trustledger.services.intake import ingest, records
from trustledger.services.intake.sources import all_sources
from trustledger.web.base import error, form_of, guard, ledger_of, page, refused

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 200 * 1024 * 1024  # bytes; larger files go through `trustledger import`
TEXT_FIELDS = tuple(f for f in FIELDS if f != "fulfilled_on")


def _source(who: Principal) -> str:
    assert who.source is not None  # agency keys are always bound to a source
    return who.source


def _agency_page(
    request: Request, who: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    with ledger_of(request).transaction(who.actor) as ctx:
        kind = next((s.kind for s in all_sources(ctx) if s.code == who.source), None)
        types = [t for t in ctx.book.record_types if kind in t.reporters]
        today = ctx.today
    context.setdefault("values", {})
    return page(
        request, "web/agency.html", status=status, who=who, types=types, today=today, **context
    )


@router.get("/agency", response_class=HTMLResponse)
def agency(request: Request) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    return _agency_page(request, who)


@router.post("/agency/records")
async def submit(request: Request) -> Response:
    return await run_in_threadpool(_submit, request, await form_of(request))


def _submit(request: Request, form: Mapping[str, str]) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    if (no := refused(request, form)) is not None:
        return no
    item = {k: form[k].strip() for k in TEXT_FIELDS if form.get(k, "").strip()}
    try:
        with ledger_of(request).transaction(who.actor) as ctx:
            [result] = records.submit(ctx, _source(who), [item])
            if result.status == "conflict":  # raised inside, so nothing is written
                raise records.RecordConflict(result)
    except records.RecordConflict as exc:
        result = exc.item
    status = {"rejected": 422, "conflict": 409}.get(result.status, 200)
    values = item if status != 200 else {}
    return _agency_page(request, who, status, result=result, values=values)


@router.post("/agency/fulfil")
async def fulfil(request: Request) -> Response:
    return await run_in_threadpool(_event, request, "fulfil", await form_of(request))


@router.post("/agency/void")
async def void(request: Request) -> Response:
    return await run_in_threadpool(_event, request, "void", await form_of(request))


def _event(request: Request, event: str, form: Mapping[str, str]) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    if (no := refused(request, form)) is not None:
        return no
    try:
        record_id = form.get("record", "").strip()
        if not record_id.isdigit():
            raise Rejected("record", "give the record's number")
        with ledger_of(request).transaction(who.actor) as ctx:
            if event == "fulfil":
                try:
                    on = date.fromisoformat(form.get("fulfilled_on", ""))
                except ValueError:
                    raise Rejected("fulfilled_on", "give a date (YYYY-MM-DD)") from None
                note = form.get("note", "").strip() or None
                records.fulfil(ctx, int(record_id), _source(who), on, note)
            else:
                records.void(ctx, int(record_id), _source(who), form.get("reason", ""))
    except (Rejected, NotFound, Conflict) as exc:
        status = 422 if isinstance(exc, Rejected) else 404 if isinstance(exc, NotFound) else 409
        return _agency_page(request, who, status, problem=str(exc), event=event)
    return _agency_page(request, who, done=event, record=int(record_id))


@router.get("/agency/upload", response_class=HTMLResponse)
def upload_form(request: Request) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    return page(request, "web/upload.html", who=who)


@router.post("/agency/upload")
async def upload(request: Request) -> Response:
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_UPLOAD:
        return await run_in_threadpool(_upload_refused, request)
    form = await request.form(max_files=1, max_fields=10)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        return await run_in_threadpool(
            _upload, request, fields, upload if isinstance(upload, UploadFile) else None
        )
    finally:
        await form.close()


def _upload_refused(request: Request) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    return page(request, "web/upload.html", status=413, who=who, too_large=True)


def _upload(request: Request, form: Mapping[str, str], upload: UploadFile | None) -> Response:
    who = guard(request, Permission.RECORDS_WRITE)
    if isinstance(who, Response):
        return who
    if (no := refused(request, form)) is not None:
        return no
    if upload is None or not upload.filename:
        return page(request, "web/upload.html", status=422, who=who, missing=True)
    name = upload.filename
    stream: Any = upload.file
    if not ingest.is_binary(name):
        stream = io.TextIOWrapper(upload.file, encoding="utf-8", errors="replace", newline="")
    try:
        found = ingest.import_rows(
            ledger_of(request), _source(who), ingest.reader_for(name)(stream), actor=who.actor
        )
    except NotFound:
        return error(request, 404, "not_found", who)
    return page(request, "web/upload.html", who=who, report=found, filename=name)
