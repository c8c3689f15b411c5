"""Rescoring a real ledger (SQLite and PostgreSQL): the standings written back equal the pure
engine's answer for every subject, and a rulebook change is diffed, printed and saved."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.batch.ledgers import populate, stricter_rulebook
from tests.conftest import TODAY, act
from trustledger.batch.synthetic import person_id
from trustledger.cli import app
from trustledger.services.admin import rulebooks
from trustledger.services.answers import standing
from trustledger.services.context import Ledger, today
from trustledger.services.due_process import review
from trustledger.services.intake import ingest
from trustledger.services.rescore import export_parquet, rescore, stored_standing
from trustledger.store.batch_tables import standings
from trustledger.store.tables import subjects

AS_OF = TODAY + timedelta(days=20)  # past the notice periods of records imported on TODAY


def _stored(ledger: Ledger, version: str) -> dict[str, tuple[int | None, str | None, list[str]]]:
    with ledger.uow() as uow:
        rows = uow.connection.execute(
            select(
                standings.c.subject, standings.c.score, standings.c.tier, standings.c.lists
            ).where(standings.c.rulebook_version == version, standings.c.as_of == AS_OF)
        ).all()
    return {r.subject: (r.score, r.tier, json.loads(r.lists)) for r in rows}


def _pure(ledger: Ledger, version: str) -> dict[str, tuple[int | None, str | None, list[str]]]:
    out = {}
    with ledger.transaction("test") as ctx:
        for subject in ctx.uow.subjects.ids():
            s = standing.assess(ctx, subject, AS_OF, version).standing
            out[subject] = (s.score, s.tier, [m.list for m in s.lists])
    return out


def test_rescore_writes_back_what_evaluate_says_and_diffs_a_new_version(
    ledger: Ledger, tmp_path: Path
) -> None:
    populate(ledger, TODAY)
    first = rescore(ledger, as_of=AS_OF, workdir=tmp_path, actor="test")
    assert first.version == "2026.1" and first.previous is None and first.diff is None
    with ledger.uow() as uow:
        n_subjects = uow.connection.execute(select(func.count()).select_from(subjects)).scalar()
    assert first.subjects == n_subjects
    stored = _stored(ledger, "2026.1")
    assert stored == _pure(ledger, "2026.1")
    assert sum(first.tiers.values()) == n_subjects
    assert first.lists["dishonest-debtors"] == sum(
        "dishonest-debtors" in lists for _, _, lists in stored.values()
    )

    # The same version again: standings replaced, no diff.
    again = rescore(ledger, as_of=AS_OF, workdir=tmp_path, actor="test")
    assert again.previous is not None and again.diff is None
    assert _stored(ledger, "2026.1") == stored

    rulebooks.install(ledger, stricter_rulebook(), actor="test")
    second = rescore(ledger, as_of=AS_OF, workdir=tmp_path, actor="test")
    assert second.version == "2026.2"
    new = _stored(ledger, "2026.2")
    assert new == _pure(ledger, "2026.2")
    diff = second.diff
    assert diff is not None
    assert diff["from"] == {"version": "2026.1", "as_of": AS_OF.isoformat()}
    assert diff["to"] == {"version": "2026.2", "as_of": AS_OF.isoformat()}
    changed = {s for s in new if new[s][1] != stored[s][1]}
    assert diff["tier_changes"] == len(changed) > 0
    for t in diff["transitions"]:
        assert t["examples"] and set(t["examples"]) <= changed
        assert all((stored[s][1], new[s][1]) == (t["from"], t["to"]) for s in t["examples"])
    offenders = next(x for x in diff["lists"] if x["list"] == "traffic-offenders")
    entered = {s for s in new if "traffic-offenders" in new[s][2]}
    assert offenders["entered"] == len(entered) > 0 and offenders["left"] == 0
    assert set(offenders["entered_examples"]) <= entered
    assert len(offenders["entered_examples"]) == min(5, len(entered))
    debtors = next(x for x in diff["lists"] if x["list"] == "dishonest-debtors")
    assert debtors["entered"] == debtors["left"] == 0

    # The diff is saved with the rescore, and each rescore left an audit event.
    with ledger.uow() as uow:
        saved = uow.batch.last_rescore()
        events = [e.action for e in uow.audit.events(limit=1000)]
    assert saved is not None and saved.diff == diff and saved.previous_version == "2026.1"
    assert events.count("batch.rescore") == 3


def test_export_writes_a_parquet_snapshot(ledger: Ledger, tmp_path: Path) -> None:
    city = populate(ledger, TODAY, persons=30)
    result = export_parquet(ledger, tmp_path / "snap", actor="test")
    assert result.records == city.record_count
    records = pq.read_table(tmp_path / "snap" / "records").to_pylist()
    assert len(records) == city.record_count
    subject_rows = pq.read_table(tmp_path / "snap" / "subjects").to_pylist()
    assert result.subjects == len(subject_rows)
    kinds = {r["subject"]: r["kind"] for r in subject_rows}
    assert all(kinds[r["subject"]] == r["kind"] for r in records)
    consenting = {r["subject"] for r in subject_rows if r["consent"]}
    assert consenting == city.consenting
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert manifest["records"] == city.record_count
    with ledger.uow() as uow:
        assert [e.action for e in uow.audit.events(limit=1000)].count("batch.export") == 1


def test_cli_export_and_rescore(ledger: Ledger, database_url: str, tmp_path: Path) -> None:
    populate(ledger, TODAY, persons=30)
    runner = CliRunner()
    db = ["--db", database_url]
    done = runner.invoke(app, ["export", "--parquet", str(tmp_path / "snap"), *db, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["subjects"] > 0
    args = ["rescore", "--as-of", AS_OF.isoformat(), "--parquet", str(tmp_path / "snap"), *db]
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    first = json.loads(done.stdout)
    assert first["version"] == "2026.1" and first["diff"] is None
    rulebooks.install(ledger, stricter_rulebook(), actor="test")
    diff_file = tmp_path / "diff.json"
    done = runner.invoke(
        app, ["rescore", "--as-of", AS_OF.isoformat(), *db, "--diff-out", str(diff_file)]
    )
    assert done.exit_code == 0, done.output
    assert "Changes from 2026.1" in done.stdout and "traffic-offenders" in done.stdout
    assert json.loads(diff_file.read_text())["to"]["version"] == "2026.2"
    done = runner.invoke(app, ["rescore", "--rulebook-version", "9.9", *db])
    assert done.exit_code == 1 and "9.9" in done.output


def test_reviewer_confirmations_reach_the_batch_standings(ledger: Ledger, tmp_path: Path) -> None:
    """Tier D enters the credit-watch list only once a reviewer confirms the proposal."""
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))  # a decision is dated today (by the clock)
    rng = random.Random(4)
    confirmed, pending = person_id(rng), person_id(rng)
    with ledger.uow() as uow:
        uow.subjects.set_consent([(confirmed, "person"), (pending, "person")], True)
        uow.commit()
    rows = [
        {
            "subject": who,
            "type": "court.dishonest_debtor",
            "reference": f"(2026)执{i}{n}号",
            "decided_on": (day - timedelta(days=60 + n)).isoformat(),
        }
        for i, who in enumerate((confirmed, pending))
        for n in range(5)  # 1000 - 5 * 150 = 250: tier D
    ]
    report = ingest.import_rows(ledger, "city-court", enumerate(rows, 1), as_of=day, actor="test")
    assert report.inserted == 10, report.as_json()
    review.scan(ledger, day, actor="test")
    proposals = {p.subject: p for p in act(ledger, review.queue, status="pending")}
    act(ledger, review.decide, proposals[confirmed].id, True, "tier D confirmed", actor="test")

    done = rescore(ledger, as_of=day, workdir=tmp_path, actor="test")
    assert done.lists["credit-watch"] == 1
    # (Not yet on dishonest-debtors: notified today, the 10-day notice runs.)
    assert act(ledger, stored_standing, confirmed, "2026.1", day)["lists"] == ["credit-watch"]  # type: ignore[index]
    assert act(ledger, stored_standing, pending, "2026.1", day)["lists"] == []  # type: ignore[index]
    with ledger.transaction("test") as ctx:
        for who in (confirmed, pending):
            s = standing.assess(ctx, who, day).standing
            stored = ctx.uow.batch.standing(who, "2026.1", day)
            assert stored is not None
            assert (stored["score"], stored["tier"], stored["lists"]) == (
                s.score,
                s.tier,
                [m.list for m in s.lists],
            )
