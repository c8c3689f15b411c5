"""A witness outside the database (settings `witness`): every checkpoint signed is appended to
a file, and `log verify` reports a checkpoint the witness holds that the database lost or holds
otherwise, even when whoever changed it also re-signed or removed the database's checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.log.conftest import append, logged, tamper
from trustledger.domain.checkpoint import open_checkpoint
from trustledger.domain.intake import Rejected
from trustledger.services.context import Ledger
from trustledger.services.log import tlog


@pytest.fixture
def witnessed(ledger: Ledger, tmp_path: Path) -> Path:
    """The ledger with a witness file set (as TRUSTLEDGER_WITNESS would)."""
    path = tmp_path / "witness" / "checkpoints.jsonl"
    path.parent.mkdir()
    ledger.settings = ledger.settings.model_copy(update={"witness": path})
    return path


def held(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_checkpoint_signed_is_appended_and_verify_agrees(
    ledger: Ledger, witnessed: Path
) -> None:
    append(ledger, 3)
    tlog.integrate(ledger)
    append(ledger, 4)
    tlog.integrate(ledger)
    tlog.integrate(ledger)  # nothing new: no checkpoint signed, none appended
    lines = held(witnessed)
    vkey = logged(ledger, tlog.vkey)
    sizes = [int(str(line["tree_size"])) for line in lines]
    assert sizes == sorted(set(sizes)) and len(sizes) >= 2
    for line in lines:
        assert open_checkpoint(str(line["note"]), [vkey]).size == line["tree_size"]
    assert lines[-1] == logged(ledger, tlog.checkpoint).as_json()
    result = logged(ledger, tlog.verify)
    assert result.ok, result.problems
    assert result.witnessed == len(lines) == result.checkpoints


def test_a_checkpoint_removed_from_the_database_is_reported(
    ledger: Ledger, witnessed: Path
) -> None:
    append(ledger, 5)
    first = logged(ledger, tlog.checkpoint).tree_size
    append(ledger, 5)
    tlog.integrate(ledger)
    tamper(ledger, "DELETE FROM log_checkpoints WHERE tree_size = :n", n=first)
    result = logged(ledger, tlog.verify)
    assert not result.ok
    assert f"checkpoint {first}: held by the witness, missing from the database (removed)" in (
        result.problems
    )


def test_a_truncated_log_with_its_checkpoints_replaced_is_caught_by_the_witness(
    ledger: Ledger, witnessed: Path
) -> None:
    """Someone with the owner's rights removes the last events, the tree's nodes over them and
    every checkpoint, and moves the size back: the sequencer signs the shorter tree, and the
    database agrees with itself. Only the witness still holds the longer tree's checkpoint."""
    append(ledger, 8)
    size = logged(ledger, tlog.checkpoint).tree_size
    keep = size - 3
    tamper(
        ledger,
        "DELETE FROM log_checkpoints",
        "DELETE FROM log_leaves WHERE idx >= :k",
        "DELETE FROM log_nodes WHERE (idx + 1) * (1 << level) > :k",
        "UPDATE log_state SET size = :k",
        k=keep,
    )
    path = ledger.settings.witness
    ledger.settings = ledger.settings.model_copy(update={"witness": None})
    alone = logged(ledger, tlog.verify)  # signs the shorter tree's checkpoint
    assert alone.ok and alone.leaves == keep  # without the witness, nothing shows
    ledger.settings = ledger.settings.model_copy(update={"witness": path})
    problems = logged(ledger, tlog.verify).problems
    assert f"checkpoint {size}: held by the witness, missing from the database (removed)" in (
        problems
    )
    assert f"checkpoint {size} is past the last leaf ({keep}): leaves truncated" in problems


def test_a_checkpoint_changed_in_the_database_is_reported(ledger: Ledger, witnessed: Path) -> None:
    append(ledger, 4)
    size = logged(ledger, tlog.checkpoint).tree_size
    tamper(ledger, "UPDATE log_checkpoints SET note = note || ' ' WHERE tree_size = :n", n=size)
    problems = logged(ledger, tlog.verify).problems
    assert f"checkpoint {size}: the database's differs from the witness's (rewritten)" in problems


def test_a_witness_line_that_is_not_a_checkpoint_is_named(ledger: Ledger, witnessed: Path) -> None:
    append(ledger, 1)
    tlog.integrate(ledger)
    with witnessed.open("a") as f:
        f.write('{"tree_size": 3}\n')
    with pytest.raises(Rejected, match=r"line 2: not a checkpoint"):
        logged(ledger, tlog.verify)


def test_log_verify_exits_1_when_the_witness_disagrees(ledger: Ledger, tmp_path: Path) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    path = tmp_path / "witness.jsonl"
    env = {**os.environ, "TRUSTLEDGER_WITNESS": str(path)}
    command = [sys.executable, "-m", "trustledger", "log", "verify", "--db", url, "--json"]
    append(ledger, 3)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["witnessed"] == len(held(path)) >= 1  # signed by the command
    first = held(path)[-1]["tree_size"]
    append(ledger, 3)
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    tamper(ledger, "DELETE FROM log_checkpoints WHERE tree_size = :n", n=first)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "missing from the database (removed)" in done.stdout
