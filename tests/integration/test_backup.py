"""`trustledger backup` and `trustledger restore` on both stores: a backup taken while the
ledger holds records, events, keys and the log comes back whole, and the log verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import act
from tests.due_process.conftest import record, run
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger, today
from trustledger.services.intake import records
from trustledger.services.log import audit


def held(ledger: Ledger) -> dict[str, object]:
    """What must survive: every record with its events, the keys, the log's length and head."""
    with ledger.uow() as uow:
        stored = [uow.records.get(i) for i in range(1, 10)]
        kept = {r["id"]: (r["reference"], r["voided"]) for r in stored if r}
        history = {i: [e["event"] for e in uow.records.events(i)] for i in kept}
        keys = sorted(k.key_id for k in uow.keys.all())
        log = uow.audit.events(limit=10_000)
    return {"records": kept, "events": history, "keys": keys, "log": [e.hash for e in log]}


def test_a_restored_backup_holds_everything_and_the_log_verifies(
    ledger: Ledger, tmp_path: Path
) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    items = [record(f"(2026)B-{n}", day - timedelta(30 + n)) for n in range(3)]
    ids = [r.id for r in act(ledger, records.submit, "city-court", items)]
    act(ledger, records.void, ids[0], "city-court", "reported in error")
    act(ledger, create_key, Role.AUDITOR, "auditor")
    before = held(ledger)
    assert before["events"] == {ids[0]: ["voided"], ids[1]: [], ids[2]: []}

    target = tmp_path / "ledger.backup"
    run("backup", str(target), db=url)
    assert target.stat().st_size > 0
    act(ledger, records.submit, "city-court", [record("(2026)B-9", day - timedelta(5))])
    act(ledger, records.void, ids[1], "city-court", "after the backup")
    assert held(ledger) != before

    run("restore", str(target), "--yes", db=url)
    ledger.engine.dispose()
    assert held(ledger) == before
    result = act(ledger, audit.verify)
    assert result.ok, result


def test_restoring_a_missing_backup_is_an_error(ledger: Ledger, tmp_path: Path) -> None:
    url = ledger.engine.url.render_as_string(hide_password=False)
    result = run("restore", str(tmp_path / "nothing"), "--yes", db=url, expect=1)
    assert "no such backup" in result.stderr


def test_a_large_import_refreshes_the_planners_statistics(ledger: Ledger, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trustledger.services.intake import ingest

    analyzed: list[bool] = []
    monkeypatch.setattr(ingest, "ANALYZE_AFTER", 1)
    real = ledger.store.analyze
    monkeypatch.setattr(ledger.store, "analyze", lambda: analyzed.append(True) or real())
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    rows = [(n, record(f"(2026)A-{n}", day - timedelta(30))) for n in range(1, 4)]
    report = ingest.import_rows(ledger, "city-court", rows[:1], actor="test")
    assert report.inserted == 1 and analyzed == []  # not above the threshold
    report = ingest.import_rows(ledger, "city-court", rows[1:], actor="test")
    assert report.inserted == 2 and analyzed == [True]
    if ledger.engine.dialect.name == "postgresql":
        with ledger.engine.connect() as conn:
            last = conn.exec_driver_sql(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'records'"
            ).scalar()
        assert last is not None


def test_sqlite_commits_are_durable_by_default(tmp_path: Path) -> None:
    from trustledger.config import Settings

    for setting, level in (("FULL", 2), ("NORMAL", 1)):
        ledger = Ledger.open(
            f"sqlite:///{tmp_path / setting}.db", Settings(sqlite_synchronous=setting)
        )
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == level
        ledger.close()
    assert Settings().sqlite_synchronous == "FULL"
