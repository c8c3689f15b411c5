"""What `trustledger serve` hands to uvicorn: the app factory its worker processes call, and
the HTTP protocol that turns Nagle's algorithm off on every accepted connection.

With `--workers N`, uvicorn binds the listening socket itself and passes it to the workers;
that socket reports `proto == 0`, so asyncio does not set TCP_NODELAY on the connections it
accepts and every keep-alive request after the first waits ~40 ms for the client's delayed ACK
(Kludex/uvicorn#3149; `--http h11` or `httptools` make no difference). `NoDelayProtocol` sets
TCP_NODELAY itself when a connection is made, whatever the path that accepted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

# uvicorn's `http` setting as an import string (it also goes to the bench's recorded settings).
PROTOCOL = "trustledger.api.serving:NoDelayProtocol"
FACTORY = "trustledger.api.serving:worker_app"


class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools if installed, else h11), with TCP_NODELAY set."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def worker_app() -> FastAPI:
    """The app in one worker process: the ledger from the settings (`TRUSTLEDGER_DATABASE_URL`,
    set by `serve`), with a sequencer thread. Every worker runs one: they take turns on the
    log's lock, and an idle one does not lock at all."""
    from trustledger.api.app import create_app

    return create_app(sequencer=True)
