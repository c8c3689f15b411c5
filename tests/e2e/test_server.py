"""The real server process over loopback: an agency reports, an airline checks, at once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

DEBTOR = "cn-rid:11010519491231002X"
pytestmark = pytest.mark.e2e


def cli(db: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "trustledger", *args, "--db", db, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(db: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`trustledger serve --db DB` on a free port, once /healthz answers: (process, base URL).
    The caller stops it (terminate, or SIGKILL to crash it)."""
    port = free_port()
    # A file, not a pipe: a server that logs much must never block on it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "trustledger", "serve", "--db", db, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if process.poll() is not None:
                break
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return process, base
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        process.wait(timeout=10)
        log.seek(0)
        raise AssertionError(f"server did not start: {log.read().decode(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    db = f"sqlite:///{tmp_path / 'e2e.db'}"
    cli(db, "init")
    cli(db, "sources", "add", "city-court", "--kind", "court", "--name", "City Court")
    court = cli(
        db, "keys", "create", "--role", "agency", "--source", "city-court", "--name", "court"
    )["key"]
    airline = cli(
        db, "keys", "create", "--role", "provider", "--action", "travel.flight", "--name", "airline"
    )["key"]
    process, base = start(db)
    try:
        yield base, {"court": str(court), "airline": str(airline)}
    finally:
        stop(process)


def test_report_then_check_over_loopback(server: tuple[str, dict[str, str]]) -> None:
    base, keys = server
    airline = {"Authorization": f"Bearer {keys['airline']}"}
    params = {"subject": DEBTOR, "action": "travel.flight"}
    assert (
        httpx.get(f"{base}/v1/checks", params=params, headers=airline).json()["decision"] == "allow"
    )
    record = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": "(2026)e2e",
        "decided_on": "2026-03-02",
        "notified_on": "2026-03-02",
    }
    posted = httpx.post(
        f"{base}/v1/records", json=record, headers={"Authorization": f"Bearer {keys['court']}"}
    )
    assert posted.json()["inserted"] == 1
    answer = httpx.get(f"{base}/v1/checks", params=params, headers=airline).json()
    assert answer["decision"] == "deny"
    assert [m["code"] for m in answer["measures"]] == ["no-flights"]
    assert "trustledger_http_requests_total" in httpx.get(f"{base}/metrics").text
