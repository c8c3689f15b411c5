"""SIGKILL in the middle of a bulk import, on both stores, of the CLI import and of the server
taking batches over HTTP: every batch is stored whole or not at all, nothing acknowledged is
lost, the log still verifies, and sending the whole file again completes it exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import act
from tests.due_process.conftest import PERSON, bearer
from tests.e2e.test_server import cli, start, stop
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger, today
from trustledger.services.log import audit

LINES, BATCH = 20_000, 500


def stored(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())


def wait_for(ledger: Ledger, at_least: int) -> None:
    """Until `at_least` records are committed (or two minutes have passed)."""
    deadline = time.monotonic() + 120
    while stored(ledger) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)


def judgments(ledger: Ledger, path: Path) -> list[dict[str, Any]]:
    """LINES judgments about one debtor, written to `path` as JSON Lines; returns them."""
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow)) - timedelta(days=30)
    lines = [
        {
            "subject": PERSON,
            "type": "court.dishonest_debtor",
            "reference": f"(2026)K-{n}",
            "decided_on": day.isoformat(),
        }
        for n in range(LINES)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return lines


def importing(url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TRUSTLEDGER_IMPORT_BATCH_SIZE": str(BATCH)}
    command = [sys.executable, "-m", "trustledger", "import", str(path), "--source", "city-court"]
    return subprocess.Popen(
        [*command, "--db", url, "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_import_leaves_whole_batches_and_a_log_that_verifies(
    ledger: Ledger, tmp_path: Path
) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    path = tmp_path / "judgments.jsonl"
    judgments(ledger, path)
    process = importing(url, path)
    wait_for(ledger, 2 * BATCH)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    ledger.engine.dispose()
    after_kill = stored(ledger)
    assert 0 < after_kill < LINES, "the import finished before it could be killed"
    assert after_kill % BATCH == 0  # no half batch
    result = act(ledger, audit.verify)
    assert result.ok, result

    again = importing(url, path)
    assert again.wait(timeout=600) == 0
    assert stored(ledger) == LINES  # each line once
    assert act(ledger, audit.verify).ok


def send(base: str, key: str, batches: list[list[dict[str, Any]]], answers: list[Any]) -> None:
    """POST the batches in turn; each answer is kept until the connection fails."""
    with httpx.Client(base_url=base, headers=bearer(key), timeout=120) as http:
        for batch in batches:
            try:
                answer = http.post("/v1/records", json={"records": batch})
            except httpx.TransportError:
                return
            answers.append((answer.status_code, answer.json()))


def reported(ledger: Ledger) -> int:
    """Records the log says were inserted: the sum over its `records.report` events."""
    with ledger.engine.connect() as conn:
        details = conn.execute(
            text("SELECT detail FROM log_leaves WHERE action = 'records.report'")
        ).scalars()
        return sum(json.loads(d)["inserted"] for d in details)


@pytest.mark.e2e
def test_a_killed_server_loses_no_acknowledged_batch_and_a_resend_stores_each_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    key = act(ledger, create_key, Role.AGENCY, "court", source="city-court")[0]
    lines = judgments(ledger, tmp_path / "judgments.jsonl")
    batches = [lines[i : i + BATCH] for i in range(0, LINES, BATCH)]

    process, base = start(url)
    answers: list[Any] = []
    client = threading.Thread(target=send, args=(base, key, batches, answers))
    client.start()
    try:
        wait_for(ledger, 2 * BATCH)
    finally:
        os.kill(process.pid, signal.SIGKILL)  # the server, in the middle of a batch
        process.wait(timeout=30)
        client.join(timeout=120)
    ledger.engine.dispose()
    after_kill = stored(ledger)
    assert 0 < after_kill < LINES, "the import finished before the server could be killed"
    assert after_kill % BATCH == 0  # no half batch
    assert all(status == 200 for status, _ in answers), answers
    assert sum(a["inserted"] for _, a in answers) == len(answers) * BATCH
    # Every acknowledged batch is stored; at most the one in flight was stored unacknowledged.
    assert len(answers) * BATCH <= after_kill <= (len(answers) + 1) * BATCH
    cli(url, "log", "verify")  # exit 0: the tree and every checkpoint verify

    process, base = start(url)
    try:
        again: list[Any] = []
        send(base, key, batches, again)
    finally:
        stop(process)
    assert [status for status, _ in again] == [200] * len(batches)
    assert sum(a["inserted"] for _, a in again) == LINES - after_kill
    assert sum(a["duplicates"] for _, a in again) == after_kill
    assert stored(ledger) == LINES
    with ledger.engine.connect() as conn:
        distinct = conn.execute(text("SELECT count(DISTINCT reference) FROM records")).scalar()
    assert distinct == LINES  # each line exactly once
    verified = cli(url, "log", "verify")
    assert verified["ok"] and verified["problems"] == []
    with ledger.engine.connect() as conn:
        size, leaves, low, high = conn.execute(
            text(
                "SELECT (SELECT size FROM log_state), count(*), min(idx), max(idx) FROM log_leaves"
            )
        ).one()
    assert (low, high, leaves) == (0, size - 1, size)  # gapless
    assert reported(ledger) == LINES  # the log accounts for every record, once
