"""Limits at the edge, before anything else runs: the size of a request body, and NUL bytes in
the path or the query (bodies: `api.schemas` refuses NUL in every string field).

Pure ASGI middleware, so a refused request costs no parsing, no authentication and no
database: a body above `max_body_bytes` is refused from its Content-Length, or, if it streams
without one, as soon as the bytes read pass the limit (413 problem+json).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = b"application/problem+json"


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if errors:
        body["errors"] = errors
    data = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(data)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class BodyTooLarge(HTTPException):
    """Raised from `receive` while a body streams past the limit (FastAPI re-raises an
    HTTPException met while reading the body, so the problem handler answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuse a request body above `max_bytes` (413), by Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_problem(send, 400, "Bad Request", "Content-Length is not a number")
                    return
                if declared > limit:
                    await send_problem(
                        send, 413, "Content Too Large", str(BodyTooLarge(limit).detail)
                    )
                    return
        seen, started = 0, False

        async def receiving() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except BodyTooLarge as exc:  # read outside FastAPI's body parsing
            if started:
                raise
            await send_problem(send, 413, "Content Too Large", str(exc.detail))


class NulGuard:
    """Refuse a NUL byte in the path or in a query parameter (422 naming the parameter): no
    identifier, code or date holds one, and the databases disagree on them (PostgreSQL refuses
    NUL in text, SQLite stores it), so one rule at the edge answers alike on both."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = _nul_field(scope)
            if field is not None:
                message = "must not contain NUL characters"
                errors = [{"field": field, "message": message}]
                await send_problem(
                    send, 422, "Unprocessable Content", f"{field}: {message}", errors
                )
                return
        await self.app(scope, receive, send)


def _nul_field(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    text = query.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return "query"
