"""`trustledger serve` against slow and greedy clients, over loopback: an idle keep-alive
connection is closed after `timeout_keep_alive_s`, an oversized request head is refused, and
a body above `max_body_bytes` is refused before it is read."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_server import cli, start, stop

pytestmark = pytest.mark.e2e


@pytest.fixture
def base(tmp_path: Path) -> Iterator[tuple[str, int]]:
    db = f"sqlite:///{tmp_path / 'slow.db'}"
    cli(db, "init")
    env = {
        **os.environ,
        "TRUSTLEDGER_TIMEOUT_KEEP_ALIVE_S": "1",
        "TRUSTLEDGER_MAX_HEADER_BYTES": "4096",
        "TRUSTLEDGER_MAX_BODY_BYTES": "1000",
    }
    process, url = start(db, env)
    try:
        yield url, int(url.rsplit(":", 1)[1])
    finally:
        stop(process)


def exchange(port: int, request: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(request)
    return conn


def test_an_idle_keep_alive_connection_is_closed(base: tuple[str, int]) -> None:
    _, port = base
    conn = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b'{"status":"ok"}' not in answer:
        answer += conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")
    time.sleep(2)  # idle past timeout_keep_alive_s=1
    assert conn.recv(4096) == b""  # the server hung up
    conn.close()


def test_an_oversized_request_head_is_refused(base: tuple[str, int]) -> None:
    _, port = base
    # A head that keeps coming (never ends with an empty line): refused once it passes the
    # limit, rather than buffered for ever. (h11 bounds the incomplete head it holds.)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192
    conn = exchange(port, head)
    answer = conn.recv(4096)
    conn.close()
    assert answer == b"" or answer.split(b" ")[1] in (b"400", b"431")


def test_a_declared_large_body_is_refused_before_it_is_sent(base: tuple[str, int]) -> None:
    _, port = base
    head = (
        b"POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n"
    )
    conn = exchange(port, head)  # no body byte sent: the answer comes anyway
    answer = conn.recv(4096)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"application/problem+json" in answer
