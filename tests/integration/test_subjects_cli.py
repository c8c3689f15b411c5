"""`trustledger subjects name` and names reported in an import file, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from trustledger.cli import app
from trustledger.services.context import Ledger

COMPANY = "cn-uscc:91350100M000100Y43"
BUREAU = "cn-uscc:111100000000000030"
PERSON = "cn-rid:11010519491231002X"

runner = CliRunner()


def run(*args: str, db: str, expect: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--db", db])
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, repr(result.exception)
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def name_of(ledger: Ledger, subject: str) -> str | None:
    with ledger.uow() as uow:
        stored = uow.subjects.get(subject)
    assert stored is not None
    return stored.name


def test_an_administrator_names_an_organization(ledger: Ledger, database_url: str) -> None:
    out = run(
        "subjects", "name", COMPANY, "Example Construction Co., Ltd.", "--json", db=database_url
    )
    assert json.loads(out.stdout) == {
        "subject": COMPANY,
        "kind": "organization",
        "name": "Example Construction Co., Ltd.",
    }
    assert name_of(ledger, COMPANY) == "Example Construction Co., Ltd."
    human = run("subjects", "name", BUREAU, "City Housing Bureau", db=database_url)
    assert "City Housing Bureau" in human.stdout
    with ledger.uow() as uow:
        [event] = [e for e in uow.audit.events(subject=COMPANY) if e.action == "subject.name"]
    assert event.detail == {"name": "Example Construction Co., Ltd."}
    assert event.actor.startswith("cli:")


def test_a_person_is_never_named_and_bad_input_is_refused(
    ledger: Ledger, database_url: str
) -> None:
    refused = run("subjects", "name", PERSON, "Zhang San", db=database_url, expect=1)
    assert "name: persons are never named" in refused.stderr
    refused = run("subjects", "name", "cn-uscc:1", "X", db=database_url, expect=1)
    assert "subject: " in refused.stderr
    refused = run("subjects", "name", COMPANY, "x" * 201, db=database_url, expect=1)
    assert "name: must be at most 200 characters" in refused.stderr
    with ledger.uow() as uow:
        assert uow.subjects.get(PERSON) is None and uow.subjects.get(COMPANY) is None
        assert not [e for e in uow.audit.events() if e.action == "subject.name"]


def test_an_import_file_carries_names_and_an_administrators_name_stays(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    run("subjects", "name", BUREAU, "City Housing Bureau", db=database_url)
    csv = tmp_path / "judgments.csv"
    csv.write_text(
        "subject,type,reference,decided_on,subject_name\n"
        f"{COMPANY},court.dishonest_debtor,(2026)1,2026-03-02,Example Construction Co.\n"
        f"{COMPANY},court.dishonest_debtor,(2026)2,2026-03-03,Another Name Co.\n"
        f"{PERSON},court.dishonest_debtor,(2026)3,2026-03-02,\n"
        f"{BUREAU},gov.judgment_unperformed,(2026)4,2026-03-02,Housing Bureau (old name)\n",
        encoding="utf-8",
    )
    report = json.loads(
        run("import", str(csv), "--source", "city-court", "--json", db=database_url).stdout
    )
    assert (report["inserted"], report["rejected"]) == (4, [])
    assert name_of(ledger, COMPANY) == "Example Construction Co."  # the first one reported
    assert name_of(ledger, PERSON) is None
    assert name_of(ledger, BUREAU) == "City Housing Bureau"  # the administrator's
