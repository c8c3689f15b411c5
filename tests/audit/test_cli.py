"""`trustledger audit verify|list`: output, and exit codes a cron job can rely on."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from tests.audit.conftest import DEBTOR, OTHER, append, chain, tamper
from trustledger.cli.app import app
from trustledger.services.context import Ledger

runner = CliRunner()


def run(*args: str, db: str, expect: int = 0) -> Result:
    argv = [*args, "--db", db]
    result = runner.invoke(app, argv)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{argv} crashed: {result.exception!r}\n{result.stderr}"
    assert result.exit_code == expect, (argv, result.stdout, result.stderr)
    return result


def run_json(*args: str, db: str, expect: int = 0) -> Any:
    return json.loads(run(*args, "--json", db=db, expect=expect).stdout)


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_verify_an_intact_log(ledger: Ledger, database_url: str) -> None:
    start = chain(ledger, 5)
    data = run_json("audit", "verify", db=database_url)
    assert data["ok"] is True and data["checked"] == start + 4
    assert data["head"]["id"] == start + 4 and len(data["head"]["hash"]) == 64
    human = run("audit", "verify", db=database_url)
    assert "audit chain intact" in human.stdout
    assert f"{start + 4}:{data['head']['hash']}" in one_line(human.stdout)
    anchor = f"{data['head']['id']}:{data['head']['hash']}"
    run("audit", "verify", "--anchor", anchor, db=database_url)


def test_verify_names_the_first_broken_link_and_exits_1(ledger: Ledger, database_url: str) -> None:
    start = chain(ledger, 5)
    tamper(ledger, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=start + 2)
    tamper(ledger, "DELETE FROM audit_events WHERE id = :id", id=start + 4)
    data = run_json("audit", "verify", db=database_url, expect=1)
    assert (data["ok"], data["problem"], data["broken_id"]) == (False, "altered", start + 2)
    human = run("audit", "verify", db=database_url, expect=1)
    assert f"audit log broken at event {start + 2} (altered)" in one_line(human.stderr)


def test_verify_reports_a_truncated_log(ledger: Ledger, database_url: str) -> None:
    start = chain(ledger, 3)
    tamper(ledger, "DELETE FROM audit_events WHERE id = :id", id=start + 2)
    result = run("audit", "verify", db=database_url, expect=1)
    assert f"broken at event {start + 2} (truncated)" in one_line(result.stderr)


def test_verify_checks_an_anchor(ledger: Ledger, database_url: str) -> None:
    start = chain(ledger, 2)
    result = run("audit", "verify", "--anchor", f"{start}:{'ab' * 32}", db=database_url, expect=1)
    assert f"broken at event {start} (anchor)" in one_line(result.stderr)
    bad = run("audit", "verify", "--anchor", "12:xyz", db=database_url, expect=2)
    assert "ID:HASH" in one_line(bad.stderr)


def test_list_filters_by_subject_and_logs_the_read(ledger: Ledger, database_url: str) -> None:
    start = append(ledger, 3, subject=DEBTOR)
    append(ledger, 2, subject=OTHER)
    listed = run_json("audit", "list", "--subject", OTHER, db=database_url)
    assert [e["id"] for e in listed] == [start + 3, start + 4]
    assert listed[0]["detail"] == {"action": "travel.flight", "n": 0, "note": "机票 ✓"}
    assert set(listed[0]) == {
        "id",
        "at",
        "actor",
        "action",
        "subject",
        "detail",
        "log_index",
        "leaf_hash",
    }
    paged = run_json("audit", "list", "--limit", "2", "--subject", DEBTOR, db=database_url)
    assert [e["id"] for e in paged] == [start, start + 1]
    everything = run_json("audit", "list", "--limit", "1000", db=database_url)
    reads = [e for e in everything if e["action"] == "audit.read"]
    assert [r["subject"] for r in reads] == [OTHER, DEBTOR]
    assert all(r["actor"].startswith("cli") for r in reads)
    human = run("audit", "list", "--subject", OTHER, db=database_url)
    assert "audit.read" in human.stdout and "┃ id" in human.stdout
    run("audit", "verify", db=database_url)


def test_list_rejects_bad_options(ledger: Ledger, database_url: str) -> None:
    run("audit", "list", "--limit", "0", db=database_url, expect=2)
    result = run("audit", "list", "--since", "yesterday", db=database_url, expect=2)
    assert "--since" in one_line(result.stderr)
    assert run_json("audit", "list", "--since", "2999-01-01", db=database_url) == []
