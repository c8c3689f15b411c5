"""Errors as RFC 9457 `application/problem+json`, always naming the field at fault.

The OpenAPI document says so too (`api.contract`): every error response it lists is a
`Problem` under `application/problem+json` (FastAPI's own `HTTPValidationError` is replaced).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from trustledger.api.schemas import RecordBatch, RecordIn
from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.services.context import Conflict, NotFound, StoreUnavailable
from trustledger.services.intake.records import Forbidden

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
# Seconds a client should wait before trying again when the database is away or stuck.
RETRY_AFTER = 5


PROBLEM_JSON = "application/problem+json"


class ProblemError(BaseModel):
    field: str = Field(description="the field at fault, e.g. records[3].decided_on")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457). `detail` says what is wrong, naming the field at fault."""

    type: str = "about:blank"
    title: str = Field(description="the HTTP status's name")
    status: int
    detail: str
    errors: list[ProblemError] = Field(
        default_factory=list,
        description="request validation: one entry per field at fault (absent otherwise)",
    )


WHEN = {
    400: "The request is malformed: a body that cannot be read as its Content-Type says (JSON "
    "that is not UTF-8 text), or a Content-Length that is not a number",
    401: "No API key, or an unknown or revoked one",
    403: "This key's role or scope may not do this",
    404: "Something named in the request does not exist (or is not public)",
    409: "The request contradicts what the ledger holds",
    422: "The request is not valid; `errors` names each field at fault",
    413: "The request body is larger than the server accepts",
    429: "Too many requests from this key or address; wait `Retry-After` seconds",
    503: "The database is unavailable or did not answer in time; retry after `Retry-After`",
}


HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: send an API key",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    503: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers for these problems. `api.contract` lists every operation's problems
    from its rules, replacing what a route passes as `responses=` (routes need not)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        s: {"description": WHEN[s], "content": {PROBLEM_JSON: {"schema": ref}}}
        | ({"headers": HEADERS[s]} if s in HEADERS else {})
        for s in statuses
    }


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "records", 3, "decided_on") -> "records[3].decided_on"."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or str(loc[0] if loc else "")


# Bodies that may be one of several models: (the models' names, which one the client meant).
UNIONS: tuple[tuple[frozenset[str], Callable[[Any], str]], ...] = (
    (
        frozenset({RecordIn.__name__, RecordBatch.__name__}),
        lambda body: (
            RecordBatch.__name__
            if isinstance(body, dict) and "records" in body
            else RecordIn.__name__
        ),
    ),
)


def one_branch(errors: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    """A union body's errors for the branch the client meant only, without the model's name.

    Pydantic reports every branch of `RecordIn | RecordBatch` (`RecordIn.decided_on`,
    `RecordBatch.records`, ...): a client that sent one record hears about its fields once,
    and one that sent `{"records": [...]}` about the batch.
    """
    tagged = {e["loc"][1] for e in errors if len(e["loc"]) > 1 and e["loc"][0] == "body"}
    if any(tuple(e["loc"][:1]) == ("body",) and len(e["loc"]) < 2 for e in errors):
        return errors  # the body as a whole is at fault, not one branch
    for names, meant in UNIONS:
        if not tagged or not tagged <= names:
            continue
        chosen = meant(body)
        if chosen not in tagged:  # that branch passed: nothing to narrow down
            return errors
        return [
            {**e, "loc": ("body", *e["loc"][2:])} if tuple(e["loc"][:1]) == ("body",) else e
            for e in errors
            if tuple(e["loc"][:1]) != ("body",) or e["loc"][1] == chosen
        ]
    return errors


def json_position(doc: Any, position: int) -> tuple[int, int]:
    """Line and column (both from 1) of a character position in a request body."""
    text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else str(doc)
    position = max(0, min(position, len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return line, column


def _error(e: dict[str, Any], body: Any) -> dict[str, str]:
    loc = tuple(e["loc"])
    if e.get("type") == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
        line, column = json_position(body, loc[1])
        reason = (e.get("ctx") or {}).get("error", "JSON decode error")
        return {
            "field": "body",
            "message": f"not valid JSON: {reason} (line {line}, column {column})",
        }
    return {"field": field_path(loc), "message": e["msg"]}


def unreadable_body(cause: BaseException) -> JSONResponse:
    """FastAPI's 400 for a body it could not read ("There was an error parsing the body"),
    naming the field and what is wrong: a JSON body that is not UTF-8 text, say."""
    if isinstance(cause, UnicodeDecodeError):
        message = f"not UTF-8 text (byte {cause.start + 1})"
    else:
        message = "could not be read as its Content-Type says"
    return problem(400, f"body: {message}", [{"field": "body", "message": message}])


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        found = one_branch([dict(e) for e in exc.errors()], exc.body)
        errors = [_error(e, exc.body) for e in found]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, detail, errors)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            return unreadable_body(exc.__cause__)
        return problem(
            exc.status_code, str(exc.detail), headers=dict(exc.headers) if exc.headers else None
        )

    @app.exception_handler(IdentifierError)
    @app.exception_handler(Rejected)
    async def _unprocessable(_request: Request, exc: Exception) -> JSONResponse:
        return problem(422, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return problem(409, str(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        # Said plainly, without the driver's words (they may name hosts and users).
        detail = "the database is unavailable or did not answer in time: try again later"
        return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER)})

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, str(exc))
