"""A database that is away or stuck: 503 problem+json with Retry-After, never a 500 or a hang.

Away: nothing listens where the database should be. Stuck: another transaction holds the lock
a request needs, longer than `lock_timeout_ms` (PostgreSQL) or `sqlite_timeout_s` (SQLite);
a statement longer than `statement_timeout_ms` is cancelled. Liveness never asks the database.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import Keys, bearer, record, report
from trustledger.api import create_app
from trustledger.config import Settings
from trustledger.services.context import Ledger, StoreUnavailable, today

QUICK = Settings(statement_timeout_ms=300, lock_timeout_ms=300, sqlite_timeout_s=0.3)


def unavailable(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert "try again later" in response.json()["detail"]


def test_a_database_that_is_away_answers_503_and_liveness_still_answers() -> None:
    away = Ledger.open("postgresql://postgres@127.0.0.1:9/none", QUICK)
    with TestClient(create_app(away)) as client:
        assert client.get("/healthz").status_code == 200
        unavailable(client.get("/readyz"))
        unavailable(client.get("/v1/rulebook"))
        unavailable(client.get("/v1/me", headers=bearer("tlk_abc_def")))
    away.close()


def test_a_locked_record_answers_503_within_the_lock_timeout(ledger: Ledger) -> None:
    keys = Keys(ledger)
    url = ledger.engine.url.render_as_string(hide_password=False)
    quick = Ledger.open(url, QUICK)
    with TestClient(create_app(quick)) as client:
        with ledger.uow() as uow:
            day = today(ledger.rulebook(uow))
        [record_id] = report(client, keys.court, record("(2026)L-1", day - timedelta(30)))
        with ledger.uow() as holder:  # holds the record's row (and SQLite's write lock)
            holder.records.mark(record_id, disputed=False)
            started = time.monotonic()
            r = client.post(
                f"/v1/records/{record_id}/void", json={"reason": "error"}, headers=keys.court
            )
            waited = time.monotonic() - started
        unavailable(r)
        assert waited < 5
        # Once the lock is gone the same request succeeds.
        r = client.post(
            f"/v1/records/{record_id}/void", json={"reason": "error"}, headers=keys.court
        )
        assert r.status_code == 200, r.text
    quick.close()


@pytest.mark.postgres
def test_a_statement_past_the_timeout_is_cancelled(postgres_url: str) -> None:
    quick = Ledger.open(postgres_url, QUICK)
    with pytest.raises(StoreUnavailable), quick.uow() as uow:
        uow.connection.exec_driver_sql("SELECT pg_sleep(2)")
    with quick.uow() as uow:  # a job lifts it for its own transaction
        uow.lift_timeouts()
        uow.connection.exec_driver_sql("SELECT pg_sleep(0.5)")
    quick.close()
