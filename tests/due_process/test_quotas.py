"""Rate limits per key and per address (429 with Retry-After), and failed authentications:
counted in /metrics, logged as `auth.failed` at most once per address per interval."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import PERSON, Keys, bearer
from trustledger.api import create_app
from trustledger.services.context import Ledger

LIMITS = {
    "rate_per_key": 0.01,
    "burst_per_key": 3,
    "rate_per_address": 0.01,
    "burst_per_address": 3,
}


@pytest.fixture
def limited(ledger: Ledger) -> Iterator[TestClient]:
    ledger.settings = ledger.settings.model_copy(update=LIMITS)
    with TestClient(create_app(ledger)) as client:
        yield client


def too_many(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1


def test_a_key_past_its_burst_gets_429_and_other_keys_do_not(
    limited: TestClient, keys: Keys
) -> None:
    check = {"subject": PERSON, "action": "travel.flight"}
    for _ in range(3):
        assert limited.get("/v1/checks", params=check, headers=keys.airline).status_code == 200
    too_many(limited.get("/v1/checks", params=check, headers=keys.airline))
    assert limited.get("/v1/me", headers=keys.person).status_code == 200


def test_an_address_without_a_key_past_its_burst_gets_429_but_health_never(
    limited: TestClient,
) -> None:
    for _ in range(3):
        assert limited.get("/v1/rulebook").status_code == 200
    too_many(limited.get("/v1/rulebook"))
    for _ in range(5):
        assert limited.get("/healthz").status_code == 200
        assert limited.get("/readyz").status_code == 200


def test_failed_authentications_are_counted_and_logged_once_per_interval(
    limited: TestClient, ledger: Ledger, keys: Keys
) -> None:
    statuses = [
        limited.get("/v1/me", headers=bearer(f"tlk_guess{n}_wrong")).status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]  # guessing is limited per address
    metrics = limited.get("/metrics").text
    assert "trustledger_auth_failures_total 5.0" in metrics
    with ledger.uow() as uow:
        failed = [e for e in uow.audit.events(limit=10_000) if e.action == "auth.failed"]
    assert len(failed) == 1
    assert failed[0].actor == "public:testclient" and failed[0].detail == {
        "times": 1,
        "key": "guess0",
    }


def test_a_batch_naming_one_subject_many_times_reads_and_logs_it_once(
    client: TestClient, ledger: Ledger, keys: Keys
) -> None:
    body = {"action": "travel.flight", "subjects": [PERSON] * 1_000}
    r = client.post("/v1/checks", json=body, headers=keys.airline)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 1_000
    with ledger.uow() as uow:
        logged = [e for e in uow.audit.events(subject=PERSON, limit=10_000) if e.action == "check"]
    assert len(logged) == 1
