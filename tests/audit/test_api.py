"""GET /v1/audit and /v1/audit/verify: for auditors only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.audit.conftest import DEBTOR, OTHER, append, chain, tamper
from tests.conftest import act
from trustledger.api import create_app
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger)) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def auditor(ledger: Ledger) -> dict[str, str]:
    return bearer(act(ledger, create_key, Role.AUDITOR, "auditor")[0])


def other_keys(ledger: Ledger) -> dict[str, str]:
    return {
        "agency": act(ledger, create_key, Role.AGENCY, "court", source="city-court")[0],
        "provider": act(ledger, create_key, Role.PROVIDER, "air", actions=["travel.flight"])[0],
        "admin": act(ledger, create_key, Role.ADMIN, "admin")[0],
        "reviewer": act(ledger, create_key, Role.REVIEWER, "reviewer")[0],
        "subject": act(ledger, create_key, Role.SUBJECT, "me", subject=DEBTOR)[0],
    }


@pytest.mark.parametrize("path", ["/v1/audit", "/v1/audit/verify"])
def test_only_auditors_may_read_the_log(
    ledger: Ledger, client: TestClient, auditor: dict[str, str], path: str
) -> None:
    assert client.get(path).status_code == 401
    for role, key in other_keys(ledger).items():
        response = client.get(path, headers=bearer(key))
        assert response.status_code == 403, role
        assert "audit:read" in response.json()["detail"]
    assert client.get(path, headers=auditor).status_code == 200


def test_list_events(ledger: Ledger, client: TestClient, auditor: dict[str, str]) -> None:
    start = append(ledger, 3, subject=DEBTOR)
    append(ledger, 2, subject=OTHER)
    response = client.get(
        "/v1/audit", params={"subject": DEBTOR, "limit": 2, "offset": 1}, headers=auditor
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["limit"], body["offset"]) == (2, 1)
    assert [e["id"] for e in body["events"]] == [start + 1, start + 2]
    assert body["events"][0]["detail"]["note"] == "机票 ✓"
    assert body["events"][0]["log_index"] is None  # queued, not yet integrated
    last = client.get("/v1/audit", params={"limit": 1000}, headers=auditor).json()["events"][-1]
    assert (last["action"], last["subject"]) == ("audit.read", DEBTOR)
    assert last["actor"].startswith("auditor:")
    bad = client.get("/v1/audit", params={"limit": 0}, headers=auditor)
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]


def test_verify(ledger: Ledger, client: TestClient, auditor: dict[str, str]) -> None:
    start = chain(ledger, 4)  # the chain of events from before the switch
    ok = client.get("/v1/audit/verify", headers=auditor).json()
    assert ok["ok"] is True and ok["head"]["id"] == start + 3
    anchored = client.get(
        "/v1/audit/verify",
        params={"anchor_id": ok["head"]["id"], "anchor_hash": ok["head"]["hash"]},
        headers=auditor,
    ).json()
    assert anchored["ok"] is True
    half = client.get("/v1/audit/verify", params={"anchor_id": 1}, headers=auditor)
    assert half.status_code == 422 and "anchor_hash" in half.json()["detail"]
    tamper(ledger, "DELETE FROM audit_events WHERE id = :id", id=start + 1)
    broken = client.get("/v1/audit/verify", headers=auditor).json()
    assert (broken["ok"], broken["problem"], broken["broken_id"]) == (False, "deleted", start + 1)


def test_openapi_documents_the_routes_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/audit", "/v1/audit/verify"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert schemas["AuditPageOut"]["examples"]
    assert schemas["VerificationOut"]["examples"]
