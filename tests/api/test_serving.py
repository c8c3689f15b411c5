"""`trustledger serve`: several worker processes, TCP_NODELAY on every connection, and key
revocation that takes effect within a second."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from typer.testing import CliRunner

from trustledger.api.serving import NoDelayProtocol
from trustledger.cli.app import app
from trustledger.domain.roles import Role
from trustledger.services.admin import keys
from trustledger.services.admin.keys import KeyCache
from trustledger.services.context import Ledger


def test_serve_offers_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0 and "--workers" in result.stdout


def test_the_protocol_turns_nagle_off_on_a_socket_without_it() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        class Transport(asyncio.Transport):
            def get_extra_info(self, name: str, default: Any = None) -> Any:
                return accepted if name == "socket" else default

        protocol = object.__new__(NoDelayProtocol)
        # The parent's setup needs a running server; only the option matters here.
        with contextlib.suppress(Exception):
            protocol.connection_made(Transport())
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (accepted, client, listener):
            s.close()


def test_a_revoked_key_stops_working_within_a_second(ledger: Ledger) -> None:
    with ledger.transaction("test") as ctx:
        key, who = keys.create_key(ctx, Role.PROVIDER, "airline", actions=["travel.flight"])
    cache = KeyCache()
    assert cache.authenticate(ledger, key) is not None
    with ledger.transaction("test") as ctx:
        assert keys.revoke_key(ctx, who.key_id)
    time.sleep(1.05)
    assert cache.authenticate(ledger, key) is None
