"""SIGKILL in the middle of an import, on both stores: every batch is stored whole or not at
all, the log still verifies, and importing the file again completes it exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.conftest import act
from tests.due_process.conftest import PERSON
from trustledger.services.context import Ledger, today
from trustledger.services.log import audit

LINES, BATCH = 20_000, 500


def stored(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())


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
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow)) - timedelta(days=30)
    path = tmp_path / "judgments.jsonl"
    with path.open("w") as f:
        for n in range(LINES):
            line = {
                "subject": PERSON,
                "type": "court.dishonest_debtor",
                "reference": f"(2026)K-{n}",
                "decided_on": day.isoformat(),
            }
            f.write(json.dumps(line) + "\n")
    process = importing(url, path)
    deadline = time.monotonic() + 120
    while stored(ledger) < 2 * BATCH and time.monotonic() < deadline:
        time.sleep(0.05)
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
