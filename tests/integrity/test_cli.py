"""The integrity commands, as the acceptance checks call them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from click.testing import Result
from typer.testing import CliRunner

from trustledger.cli import app
from trustledger.services.context import Ledger

BUREAU = "cn-uscc:111100000000000030"
SUPPLIER = "cn-uscc:91350100M000100Y43"
ALICE = "cn-rid:11010519491231002X"

runner = CliRunner()


def run(*args: str, db: str, expect: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--db", db])
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, repr(result.exception)
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def test_bodies_posts_commitments_and_reports(ledger: Ledger, database_url: str) -> None:
    db = database_url
    run("bodies", "add", BUREAU, "--name", "City Transport Bureau", db=db)
    run("posts", "add", "--body", BUREAU, "--post", "director", "--holder", ALICE,
        "--from", "2025-01-01", db=db)  # fmt: skip
    add = (
        "commitments", "add", "--source", "city-integrity", "--body", BUREAU,
        "--counterparty", SUPPLIER, "--kind", "payment", "--amount", "10000",
        "--accepted-on", "2026-02-01", "--sme", "--post", "director", "--reference", "INV-1",
    )  # fmt: skip
    added = json.loads(run(*add, "--json", db=db).stdout)
    assert added["due_on"] == "2026-03-03" and added["status"] == "inserted"
    refused = run(*add[:-1], "INV-2", "--due-on", "2026-04-03", db=db, expect=1)
    assert "due_on" in refused.stderr and "Regulations" in refused.stderr.replace("\n", " ")

    check = ("check", BUREAU, "gov.new_project_approval", "--json", "--as-of")
    assert json.loads(run(*check, "2026-03-03", db=db).stdout)["decision"] == "allow"
    assert json.loads(run(*check, "2026-03-04", db=db).stdout)["decision"] == "deny"

    run("commitments", "pay", "INV-1", "--source", "city-integrity", "--on", "2026-03-10",
        "--amount", "4000", db=db)  # fmt: skip
    overdue = json.loads(
        run("commitments", "list", "--overdue", "--as-of", "2026-06-01", "--json", db=db).stdout
    )
    assert [(c["reference"], c["owed"]) for c in overdue] == [("INV-1", "6000.00")]

    ranking = json.loads(
        run("integrity", "ranking", "--as-of", "2026-06-01", "--json", db=db).stdout
    )
    assert {
        k: ranking[0][k]
        for k in (
            "subject",
            "name",
            "score",
            "tier",
            "overdue_count",
            "overdue_amount",
            "on_time_rate",
            "median_days_to_pay",
        )
    } == {
        "subject": BUREAU,
        "name": "City Transport Bureau",
        "score": 950,
        "tier": "B",
        "overdue_count": 1,
        "overdue_amount": "6000.00",
        "on_time_rate": 0.0,
        "median_days_to_pay": None,
    }
    csv = run("integrity", "publication", "--year", "2026", db=db).stdout
    assert csv.splitlines() == [
        "year,body,name,overdue_count,overdue_amount",
        f"2026,{BUREAU},City Transport Bureau,1,6000.00",
    ]
    published = json.loads(
        run("integrity", "publication", "--year", "2026", "--format", "json", db=db).stdout
    )
    assert published[0]["overdue_amount"] == "6000.00"
    official = json.loads(run("integrity", "official", ALICE, "--json", db=db).stdout)
    assert official["posts"][0]["commitments"][0]["reference"] == "INV-1"
