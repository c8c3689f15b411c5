"""An agency, signed in with its source's key: report one record through a validating form,
upload a file (CSV, JSON Lines, Parquet) with a result for every line, fulfil or void a record;
a source whose kind may register commitments of public bodies (an integrity office) registers
them and records their payments. The same use cases, checks and idempotency as `POST
/v1/records`, `POST /v1/commitments` and `trustledger import`."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from trustledger.domain.intake import FIELDS, Rejected
from trustledger.domain.roles import Permission
from trustledger.services.admin.keys import Principal
from trustledger.services.context import Conflict, Context, Forbidden, NotFound
from trustledger.services.intake import ingest, records
from trustledger.services.intake.sources import all_sources
from trustledger.services.integrity import commitments
from trustledger.web.base import error, form_post, guard, ledger_of, page, page_get, refused

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 200 * 1024 * 1024  # bytes; larger files go through `trustledger import`
TEXT_FIELDS = tuple(f for f in FIELDS if f != "fulfilled_on")
COMMITMENT_FIELDS = ("body", "counterparty", "kind", "amount", "accepted_on", "due_on", "post")
RECENT = 50  # the source's latest commitments shown on the page


def _commitment_kinds(ctx: Context, source_kind: str | None) -> list[str]:
    """The kinds of commitment this source may register: those whose mapped record type its
    kind may report (none when the rulebook has no `commitments` section)."""
    try:
        kinds = commitments.rules(ctx).kinds
    except Conflict:
        return []
    out = []
    for kind, code in kinds.items():
        rt = ctx.book.record_type(code)
        if rt is not None and source_kind in rt.reporters:
            out.append(kind)
    return out


def _source(who: Principal) -> str:
    assert who.source is not None  # agency keys are always bound to a source
    return who.source


@page_get(router, "/agency", Permission.RECORDS_WRITE)
def _agency_page(
    request: Request, who: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    with ledger_of(request).transaction(who.actor) as ctx:
        kind = next((s.kind for s in all_sources(ctx) if s.code == who.source), None)
        types = [t for t in ctx.book.record_types if kind in t.reporters]
        today = ctx.today
        kinds = _commitment_kinds(ctx, kind)
        mine: list[dict[str, Any]] = []
        bodies: list[dict[str, Any]] = []
        if kinds:
            mine = [c for c in commitments.listing(ctx) if c["source"] == who.source]
            mine = sorted(mine, key=lambda c: (not c["overdue"], c["due_on"]))[:RECENT]
            bodies = ctx.uow.integrity.bodies()
    context.setdefault("values", {})
    context.setdefault("cvalues", {})
    return page(
        request,
        "web/agency.html",
        status=status,
        who=who,
        types=types,
        today=today,
        commitment_kinds=kinds,
        commitments=mine,
        bodies=bodies,
        **context,
    )


@form_post(router, "/agency/records", Permission.RECORDS_WRITE)
def _submit(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
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


def _event(request: Request, who: Principal, form: Mapping[str, str], event: str) -> Response:
    """`fulfil` or `void` a record of the caller's source."""
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


for _name in ("fulfil", "void"):
    form_post(router, f"/agency/{_name}", Permission.RECORDS_WRITE)(partial(_event, event=_name))


def _day(form: Mapping[str, str], field: str, required: bool = True) -> date | None:
    text = form.get(field, "").strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Rejected(field, "give a date (YYYY-MM-DD)") from None


def _refusal(exc: Exception) -> int:
    if isinstance(exc, Rejected):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    return 409


@form_post(router, "/agency/commitments", Permission.COMMITMENTS_WRITE)
def _add_commitment(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    values = {k: form.get(k, "").strip() for k in COMMITMENT_FIELDS}
    values["sme"] = "yes" if form.get("sme") else ""
    try:
        for field in ("body", "counterparty", "kind", "amount", "reference"):
            if not form.get(field, "").strip():
                raise Rejected(field, "required")
        accepted_on = _day(form, "accepted_on")
        assert accepted_on is not None
        with ledger_of(request).transaction(who.actor) as ctx:
            added = commitments.add_commitment(
                ctx,
                _source(who),
                body=values["body"],
                counterparty=values["counterparty"],
                kind=values["kind"],
                amount=values["amount"],
                accepted_on=accepted_on,
                due_on=_day(form, "due_on", required=False),
                sme=bool(values["sme"]),
                post=values["post"] or None,
                reference=form.get("reference", ""),
            )
    except (Rejected, NotFound, Conflict, Forbidden) as exc:
        values["reference"] = form.get("reference", "").strip()
        return _agency_page(
            request, who, _refusal(exc), commitment_problem=str(exc), cvalues=values
        )
    return _agency_page(request, who, commitment_done=added)


@form_post(router, "/agency/payments", Permission.COMMITMENTS_WRITE)
def _pay(request: Request, who: Principal, form: Mapping[str, str]) -> Response:
    reference = form.get("reference", "").strip()
    try:
        if not reference:
            raise Rejected("reference", "give the commitment's reference")
        on = _day(form, "on")
        assert on is not None
        if not form.get("amount", "").strip():
            raise Rejected("amount", "required")
        with ledger_of(request).transaction(who.actor) as ctx:
            paid = commitments.pay(ctx, _source(who), reference, on, form["amount"].strip())
    except (Rejected, NotFound, Conflict, Forbidden) as exc:
        return _agency_page(request, who, _refusal(exc), payment_problem=str(exc))
    return _agency_page(request, who, payment_done=paid)


@page_get(router, "/agency/upload", Permission.RECORDS_WRITE)
def upload_form(request: Request, who: Principal) -> Response:
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
