"""Input at the edge, on both stores: body limits before anything else, one length for free
text, one rule for NUL in any string, amounts and dates that cannot mean two things."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import Keys, days, record, report
from trustledger.api import create_app
from trustledger.domain.intake import TEXT_LIMIT
from trustledger.services.context import Ledger

LONG = "x" * (TEXT_LIMIT + 1)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def fields(response: Any) -> list[str]:
    return [e["field"] for e in problem(response, 422).get("errors", [])]


@pytest.fixture
def small(ledger: Ledger) -> Iterator[TestClient]:
    """An API whose bodies may be at most 1,000 bytes."""
    ledger.settings = ledger.settings.model_copy(update={"max_body_bytes": 1_000})
    with TestClient(create_app(ledger)) as client:
        yield client


def test_a_body_above_the_limit_is_refused_before_authentication(small: TestClient) -> None:
    body = b'{"records": [' + b" " * 2_000 + b"]}"
    r = small.post("/v1/records", content=body, headers={"Content-Type": "application/json"})
    assert "1000 bytes" in problem(r, 413)["detail"]  # not 401: no key was even looked at


def test_a_streamed_body_is_refused_once_it_passes_the_limit(small: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"records": ['
        for _ in range(20):
            yield b" " * 100
        yield b"]}"

    r = small.post("/v1/records", content=chunks(), headers=keys.court)
    assert "content-length" not in r.request.headers  # streamed: only counting catches it
    problem(r, 413)


def test_a_body_within_the_limit_passes(small: TestClient, keys: Keys, day: date) -> None:
    report(small, keys.court, record("(2026)E-1", day - days(30)))


@pytest.mark.parametrize(
    ("path", "key", "body", "field"),
    [
        ("/v1/me/disputes", "person", {"record": 1, "grounds": LONG}, "grounds"),
        ("/v1/me/repairs", "person", {"record": 1, "commitment": LONG}, "commitment"),
        ("/v1/records/1/void", "court", {"reason": LONG}, "reason"),
        ("/v1/records/1/fulfil", "court", {"fulfilled_on": "2026-01-01", "note": LONG}, "note"),
        ("/v1/disputes/1/decision", "reviewer", {"outcome": "upheld", "reason": LONG}, "reason"),
    ],
)
def test_free_text_is_at_most_4000_characters(
    client: TestClient, keys: Keys, path: str, key: str, body: dict[str, Any], field: str
) -> None:
    r = client.post(path, json=body, headers=getattr(keys, key))
    assert fields(r) == [field]


def test_a_record_note_is_at_most_4000_characters(
    client: TestClient, keys: Keys, day: date
) -> None:
    item = record("(2026)E-2", day - days(30), note=LONG)
    r = client.post("/v1/records", json={"records": [item]}, headers=keys.court)
    assert fields(r) == ["records[0].note"]


@pytest.mark.parametrize(
    ("path", "key", "body", "field"),
    [
        ("/v1/me/disputes", "person", {"record": 1, "grounds": "a\x00b"}, "grounds"),
        ("/v1/records/1/void", "court", {"reason": "a\x00b"}, "reason"),
        (
            "/v1/checks",
            "airline",
            {"action": "travel.flight", "subjects": ["a\x00"]},
            "subjects[0]",
        ),
    ],
)
def test_nul_in_a_body_string_is_refused_naming_the_field(
    client: TestClient, keys: Keys, path: str, key: str, body: dict[str, Any], field: str
) -> None:
    r = client.post(path, json=body, headers=getattr(keys, key))
    assert fields(r) == [field]


def test_nul_in_the_query_or_the_path_is_refused_naming_it(client: TestClient, keys: Keys) -> None:
    assert fields(client.get("/v1/rulebook?version=a%00b")) == ["version"]
    r = client.get("/v1/checks?subject=x%00&action=travel.flight", headers=keys.airline)
    assert fields(r) == ["subject"]
    assert fields(client.get("/v1/lists/a%00b")) == ["path"]


def test_an_audit_since_before_1900_or_out_of_range_is_a_422_not_a_500(
    client: TestClient, keys: Keys
) -> None:
    for since in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        r = client.get("/v1/audit", params={"since": since}, headers=keys.auditor)
        assert fields(r) == ["since"], since
    r = client.get("/v1/audit", params={"since": "2026-01-01T00:00:00+08:00"}, headers=keys.auditor)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("amount", [True, "1_000"])
def test_an_amount_of_true_or_with_underscores_is_refused(
    client: TestClient, keys: Keys, day: date, amount: object
) -> None:
    item = record("(2026)E-3", day - days(30), amount=amount)
    r = client.post("/v1/records", json={"records": [item]}, headers=keys.court)
    if r.status_code == 422:
        assert fields(r)[0].startswith("records[0].amount")
    else:
        [result] = r.json()["results"]
        assert result["status"] == "rejected" and result["reason"].startswith("amount:")


def test_a_decision_before_1900_is_refused(client: TestClient, keys: Keys) -> None:
    item = record("(2026)E-4", date(1, 1, 1))
    r = client.post("/v1/records", json={"records": [item]}, headers=keys.court)
    [result] = r.json()["results"]
    assert result["status"] == "rejected" and result["reason"].startswith("decided_on:")


@pytest.mark.parametrize("as_of", ["0", "20260101", "2026-1-1", "1899-12-31"])
def test_query_dates_are_yyyy_mm_dd_only(client: TestClient, keys: Keys, as_of: str) -> None:
    assert fields(client.get("/v1/me", params={"as_of": as_of}, headers=keys.person)) == ["as_of"]
