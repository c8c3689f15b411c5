"""Rulebook versions, on SQLite and on PostgreSQL: a new version is added and made active, old
versions stay for recomputation, and a stored version's content never changes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from tests.conftest import act
from trustledger.batch.synthetic import SOURCES, person_id
from trustledger.cli import app
from trustledger.domain.rulebook import RulebookInvalid
from trustledger.services.admin import rulebooks
from trustledger.services.answers import standing
from trustledger.services.context import Conflict, Ledger, NotFound
from trustledger.services.intake import ingest
from trustledger.store.repository import RulebookRepository
from trustledger.views import json as views

EXAMPLE = Path(__file__).parents[2] / "rulebooks" / "example-city.yaml"
PERSON = person_id(random.Random(5))
runner = CliRunner()


def run(*args: str, db: str, expect: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--db", db])
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args} crashed: {result.exception!r}"
    assert result.exit_code == expect, (args, result.stdout, result.stderr)
    return result


def run_json(*args: str, db: str) -> Any:
    return json.loads(run(*args, "--json", db=db).stdout)


def version_2(tmp_path: Path, **changes: Any) -> Path:
    """The example rulebook as 2026.2: traffic tickets cost 10 points, defamation is gone."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["version"] = changes.get("version", "2026.2")
    for rt in data["record_types"]:
        if rt["code"] == "traffic.violation":
            rt["points"] = changes.get("ticket", -10)
    data["record_types"] = [rt for rt in data["record_types"] if rt["code"] != "court.defamation"]
    path = tmp_path / f"example-{data['version']}-{-changes.get('ticket', -10)}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> str:
    """An initialized ledger with sources, a consenting person with a ticket and a defamation."""
    run("init", db=database_url)
    for code, kind, name in SOURCES:
        run("sources", "add", code, "--kind", kind, "--name", name, db=database_url)
    ledger = Ledger.open(database_url)
    try:
        with ledger.uow() as uow:
            uow.subjects.set_consent([(PERSON, "person")], True)
            uow.commit()
        for source, type_, reference in (
            ("city-traffic", "traffic.violation", "T-1"),
            ("city-court", "court.defamation", "D-1"),
        ):
            line = {
                "subject": PERSON,
                "type": type_,
                "reference": reference,
                "decided_on": "2026-03-01",
            }
            report = ingest.import_rows(ledger, source, [(1, line)], actor="test")
            assert report.inserted == 1, report
    finally:
        ledger.close()
    return database_url


def score_on(db: str, *version: str) -> Any:
    args = ["--rulebook-version", *version] if version else []
    return run_json("score", PERSON, "--as-of", "2026-06-01", *args, db=db)


def test_a_new_version_becomes_active_and_old_ones_stay_usable(db: str, tmp_path: Path) -> None:
    assert score_on(db)["score"] == 895  # 1000 - 5 - 100 under 2026.1

    v2 = version_2(tmp_path)
    assert run_json("init", "--rulebook", str(v2), db=db) == {
        "rulebook": "example-city",
        "version": "2026.2",
        "added": True,
    }
    # Under 2026.2 a ticket costs 10 and defamation is no longer a record type that counts.
    now = score_on(db)
    assert now["score"] == 990
    assert [c["reference"] for c in now["contributions"]] == ["T-1"]
    assert score_on(db, "2026.2") == now
    # 2026.1 is still stored: anyone can recompute what it said.
    then = score_on(db, "2026.1")
    assert then["score"] == 895
    assert sorted(c["reference"] for c in then["contributions"]) == ["D-1", "T-1"]

    # Re-running init with the same file changes nothing; init without one keeps 2026.2.
    assert run_json("init", "--rulebook", str(v2), db=db)["added"] is False
    assert run_json("init", db=db) == {
        "rulebook": "example-city",
        "version": "2026.2",
        "added": False,
    }
    # Going back to 2026.1 is an activation, not a new version.
    assert run_json("init", "--rulebook", str(EXAMPLE), db=db) == {
        "rulebook": "example-city",
        "version": "2026.1",
        "added": False,
    }
    assert score_on(db)["score"] == 895
    assert score_on(db, "2026.2")["score"] == 990


def test_a_stored_version_cannot_change(db: str, tmp_path: Path) -> None:
    run("init", "--rulebook", str(version_2(tmp_path)), db=db)
    changed = version_2(tmp_path, ticket=-20)  # same version, different content
    result = run("init", "--rulebook", str(changed), db=db, expect=1)
    message = " ".join(result.stderr.split())
    assert "2026.2 is already stored with different content" in message
    assert "new version" in message
    assert score_on(db)["score"] == 990  # still the stored 2026.2
    # Even a changed comment is a change: the digest covers the whole published text.
    commented = tmp_path / "commented.yaml"
    commented.write_text(EXAMPLE.read_text() + "# an afterthought\n")
    run("init", "--rulebook", str(commented), db=db, expect=1)
    # The same content under a new version is welcome.
    v3 = version_2(tmp_path, version="2026.3", ticket=-20)
    assert run_json("init", "--rulebook", str(v3), db=db)["added"] is True
    assert score_on(db)["score"] == 980


def test_an_unknown_version_is_refused(db: str) -> None:
    result = run("score", PERSON, "--rulebook-version", "2031.1", db=db, expect=1)
    assert "rulebook version '2031.1' is not stored" in result.stderr


def test_imports_follow_the_active_version(db: str, tmp_path: Path) -> None:
    run("init", "--rulebook", str(version_2(tmp_path)), db=db)
    path = tmp_path / "court.jsonl"
    line = {
        "subject": PERSON,
        "type": "court.defamation",
        "reference": "D-2",
        "decided_on": "2026-04-01",
    }
    path.write_text(json.dumps(line) + "\n")
    # A rejected line: the import exits 2 (some line was refused).
    report = json.loads(
        run("import", str(path), "--source", "city-court", "--json", db=db, expect=2).stdout
    )
    assert report == {
        "inserted": 0,
        "duplicates": 0,
        "fulfilled": 0,
        "rejected": [
            {
                "line": 1,
                "reason": "type: unknown record type 'court.defamation' in rulebook "
                "example-city 2026.2",
            }
        ],
    }


def test_versions_through_the_services(ledger: Ledger, tmp_path: Path) -> None:
    v2 = version_2(tmp_path).read_text()
    installed = rulebooks.install(ledger, v2, actor="test")
    assert (installed.version, installed.added) == ("2026.2", True)
    with ledger.uow() as uow:
        assert ledger.rulebook(uow).version == "2026.2"
        assert ledger.rulebook(uow, "2026.1").version == "2026.1"
        stored = RulebookRepository(uow.connection).versions()
        assert [(r.version, r.active) for r in stored] == [("2026.1", False), ("2026.2", True)]
        with pytest.raises(NotFound):
            ledger.rulebook(uow, "1.0")
    with pytest.raises(Conflict):
        rulebooks.install(ledger, version_2(tmp_path, ticket=-30).read_text(), actor="test")
    with pytest.raises(RulebookInvalid):
        rulebooks.install(
            ledger, v2.replace("counts_for: 1y", "counts_for: forever", 1), actor="test"
        )
    with ledger.uow() as uow:
        assert [r.version for r in uow.rulebooks.versions()] == ["2026.1", "2026.2"]
        assert ledger.rulebook(uow).version == "2026.2"
    data = views.score(act(ledger, standing.score, PERSON, version="2026.1"))
    assert data["subject"] == PERSON
