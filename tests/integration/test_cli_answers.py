"""The command line says what happened: exit codes, unknown actions, paths out, named actors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from trustledger.cli import app
from trustledger.services.context import Ledger, today

runner = CliRunner()
DEBTOR = "cn-rid:11010519491231002X"


def url_of(ledger: Ledger) -> str:
    return ledger.engine.url.render_as_string(hide_password=False)


def line(reference: str, decided_on: str, **more: str) -> str:
    row = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": reference,
        "decided_on": decided_on,
        **more,
    }
    return json.dumps(row, ensure_ascii=False) + "\n"


def test_import_exits_0_when_all_stored_2_when_a_line_is_refused_1_on_usage(
    ledger: Ledger, tmp_path: Path
) -> None:
    db = url_of(ledger)
    good = tmp_path / "good.jsonl"
    good.write_text(line("R1", "2026-03-01") + line("R2", "2026-03-02"))
    first = runner.invoke(app, ["import", str(good), "--source", "city-court", "--db", db])
    assert first.exit_code == 0, first.stderr
    again = runner.invoke(app, ["import", str(good), "--source", "city-court", "--db", db])
    assert again.exit_code == 0  # duplicates only: nothing refused
    changed = tmp_path / "changed.jsonl"
    changed.write_text(line("R1", "2026-03-05") + line("R3", "2026-03-01"))
    result = runner.invoke(
        app, ["import", str(changed), "--source", "city-court", "--db", db, "--json"]
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["inserted"] == 1
    assert report["rejected"][0]["line"] == 1
    assert "already stored as record 1" in report["rejected"][0]["reason"]
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.jsonl"), "--db", db])
    assert missing.exit_code == 1
    unregistered = runner.invoke(app, ["import", str(good), "--source", "nobody", "--db", db])
    assert unregistered.exit_code == 1


def test_check_refuses_an_unknown_action(ledger: Ledger) -> None:
    result = runner.invoke(app, ["check", DEBTOR, "travel.flights", "--db", url_of(ledger)])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "unknown action 'travel.flights'" in message and "travel.flight" in message


def test_explain_states_the_paths_out(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    decided = (day - timedelta(days=30)).isoformat()
    path = tmp_path / "court.jsonl"
    path.write_text(line("(2026)X1", decided, notified_on=decided))
    db = url_of(ledger)
    assert (
        runner.invoke(app, ["import", str(path), "--source", "city-court", "--db", db]).exit_code
        == 0
    )
    result = runner.invoke(app, ["explain", DEBTOR, "--db", db, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    [listed] = [p for p in data["paths_out"] if p["what"] == "list"]
    assert listed["list"] == "dishonest-debtors"
    assert listed["if_fulfilled"] == day.isoformat()
    assert listed["dispute_until"] is not None
    human = runner.invoke(app, ["explain", DEBTOR, "--db", db])
    assert "paths out" in human.stdout


def test_cli_actions_name_the_person_never_a_bare_cli(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "court.jsonl"
    path.write_text(line("R9", "2026-03-01"))
    db = url_of(ledger)
    env = {"TRUSTLEDGER_ACTOR": "clerk.wang"}
    runner.invoke(app, ["import", str(path), "--source", "city-court", "--db", db], env=env)
    runner.invoke(app, ["score", DEBTOR, "--db", db], env=env)
    runner.invoke(app, ["check", DEBTOR, "travel.flight", "--db", db], env=env)
    with ledger.uow() as uow:
        events = uow.audit.events(limit=1000)
    actors = {e.actor for e in events if e.action in ("records.report", "score.read", "check")}
    assert actors == {"cli:clerk.wang"}
    assert all(e.actor != "cli" for e in events)
