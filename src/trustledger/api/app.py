"""The FastAPI application: one Ledger, the routes, problem+json errors, health and metrics,
and the documentation, served by the app itself (no CDN: it works offline)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustledger import __version__
from trustledger.api import contract, limits, problems, quotas
from trustledger.api.routes import (
    audit,
    checks,
    integrity,
    log,
    me,
    public,
    records,
    reviews,
    subjects,
)
from trustledger.services.admin.keys import KeyCache
from trustledger.services.context import Ledger
from trustledger.services.log.tlog import Sequencer
from trustledger.web import routes as pages

DESCRIPTION = """
trustledger answers one question for every participating service: does a joint restriction or
incentive apply to this subject for this action? Every answer comes from records reported by
authorized sources under the public rulebook, and every read of personal data is logged.

Authenticate with `Authorization: Bearer <key>` (`trustledger keys create`). Errors are
`application/problem+json` and name the field at fault.
"""

# Swagger UI from an installed package (swagger-ui-bundle-v2), mounted here; ReDoc is not
# packaged for Python, so /redoc is off rather than loaded from a CDN.
DOCS_ASSETS = "/docs/assets"


class Metrics:
    """Request counts and latencies per route, as a pure ASGI middleware (cheap per request)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "trustledger_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "trustledger_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.requests.labels(scope["method"], path, str(status)).inc()
            self.latency.labels(path).observe(time.perf_counter() - start)


def create_app(ledger: Ledger | None = None, *, sequencer: bool = False) -> FastAPI:
    """The app; with `sequencer`, a background thread integrates the transparency log's queue
    every 200 ms while it serves (so checkpoints are signed at most a second apart under load).
    Without it, the log's endpoints integrate on demand."""
    the_ledger = ledger or Ledger.open()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        running = None
        if sequencer:
            running = Sequencer(the_ledger)
            running.start()
        try:
            yield
        finally:
            if running is not None:
                running.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="trustledger",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ledger = the_ledger
    app.state.keys = KeyCache()
    registry = CollectorRegistry()
    app.state.quotas = quotas.Quotas.from_settings(app.state.ledger, registry)
    problems.install(app)
    # Matched in this order: checks first, the call every provider makes.
    for module in (checks, records, subjects, me, reviews, audit, log, public, integrity):
        app.include_router(module.router)
    app.include_router(pages.router)  # the pages (web/), the front door among them
    app.mount(
        DOCS_ASSETS,
        StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)),
        name="docs-assets",
    )

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title="trustledger API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
            # No badge from the public validator: the page talks to this server only.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}  # never touches the database: a slow one must not kill us

    @app.get("/readyz", tags=["operations"], summary="Readiness: the database answers")
    def readyz() -> dict[str, str]:
        app.state.ledger.store.ping()  # StoreUnavailable: 503 with Retry-After
        return {"status": "ok", "database": "ok"}

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    contract.install(app)  # the errors each operation can answer with, and the links
    app.add_middleware(Metrics, registry=registry)
    app.add_middleware(quotas.AddressLimit, quotas=app.state.quotas)
    # Outermost (added last): refused before routing, parsing, authentication or the database.
    app.add_middleware(limits.NulGuard)
    app.add_middleware(limits.BodyLimit, max_bytes=app.state.ledger.settings.max_body_bytes)
    return app
