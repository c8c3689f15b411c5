"""Checks, keys and scopes, scores, public endpoints: through HTTP on both stores."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys

DEBTOR = "cn-rid:11010519491231002X"
COMPANY = "cn-uscc:91350100M000100Y43"


def listed(client: TestClient, keys: Keys) -> None:
    rec = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": "(2026)1",
        "decided_on": "2026-03-02",
        "notified_on": "2026-03-02",
    }
    assert client.post("/v1/records", json=rec, headers=keys.auth(keys.court)).status_code == 200


def test_keys_are_required_and_scoped(client: TestClient, keys: Keys) -> None:
    params = {"subject": DEBTOR, "action": "travel.flight"}
    assert client.get("/v1/checks", params=params).status_code == 401
    bad = client.get("/v1/checks", params=params, headers=keys.auth("tlk_nope_nope"))
    assert bad.status_code == 401
    wrong_action = client.get(
        "/v1/checks",
        params={**params, "action": "procurement.bid"},
        headers=keys.auth(keys.airline),
    )
    assert wrong_action.status_code == 403
    assert "travel.flight" in wrong_action.json()["detail"]
    assert client.get("/v1/checks", params=params, headers=keys.auth(keys.court)).status_code == 403
    assert (
        client.get(f"/v1/subjects/{DEBTOR}/score", headers=keys.auth(keys.airline)).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/records", json={"records": []}, headers=keys.auth(keys.airline)
        ).status_code
        == 403
    )
    assert client.get("/v1/checks", params=params, headers=keys.auth(keys.admin)).status_code == 200


def test_a_provider_learns_only_the_decision(client: TestClient, keys: Keys) -> None:
    listed(client, keys)
    r = client.get(
        "/v1/checks",
        params={"subject": DEBTOR, "action": "travel.flight"},
        headers=keys.auth(keys.airline),
    )
    body = r.json()
    assert set(body) == {"decision", "measures"}
    assert body["decision"] == "deny"
    assert body["measures"] == [
        {
            "code": "no-flights",
            "action": "travel.flight",
            "effect": "deny",
            "reason": "list:dishonest-debtors",
            "legal_basis": "SPC Provisions on Restricting High Consumption, art. 3(1)",
            "until": "2028-03-02",
        }
    ]
    assert "score" not in r.text and "(2026)1" not in r.text


def test_batch_checks(client: TestClient, keys: Keys) -> None:
    listed(client, keys)
    body = {"action": "travel.flight", "subjects": [DEBTOR, COMPANY]}
    r = client.post("/v1/checks", json=body, headers=keys.auth(keys.airline))
    assert r.status_code == 200, r.text
    assert [(x["subject"], x["decision"]) for x in r.json()["results"]] == [
        (DEBTOR, "deny"),
        (COMPANY, "allow"),
    ]
    too_many = client.post(
        "/v1/checks", json={**body, "subjects": [DEBTOR] * 1001}, headers=keys.auth(keys.airline)
    )
    assert too_many.status_code == 422
    bad = client.post(
        "/v1/checks",
        json={**body, "subjects": [DEBTOR, "cn-rid:123"]},
        headers=keys.auth(keys.airline),
    )
    # A malformed identifier is answered for its own item; the other subject is decided.
    assert bad.status_code == 200, bad.text
    good, wrong = bad.json()["results"]
    assert (good["subject"], good["decision"]) == (DEBTOR, "deny")
    assert wrong["subject"] == "cn-rid:123"
    assert wrong["error"].startswith("subjects[1]: cn-rid must be 18 characters")
    assert set(wrong) == {"subject", "error"}


def test_score_for_admins(client: TestClient, keys: Keys) -> None:
    listed(client, keys)
    r = client.get(
        f"/v1/subjects/{DEBTOR}/score",
        params={"as_of": "2026-04-01"},
        headers=keys.auth(keys.admin),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["subject"] == DEBTOR
    assert (body["score"], body["tier"]) == (None, None)  # a person without consent
    assert body["contributions"] == []
    assert body["lists"] == ["dishonest-debtors"]
    assert {m["code"] for m in body["measures"]} >= {"no-flights", "no-g-trains"}
    bad = client.get("/v1/subjects/cn-rid:1/score", headers=keys.auth(keys.admin))
    assert bad.status_code == 422


def test_rulebook_is_public(client: TestClient) -> None:
    r = client.get("/v1/rulebook")
    assert r.status_code == 200
    body = r.json()
    assert (body["rulebook"], body["version"], body["active"]) == ("example-city", "2026.1", True)
    assert body["content"]["score"]["base"] == 1000
    assert client.get("/v1/rulebook", params={"version": "1999"}).status_code == 404


def test_public_lists_mask_identifiers(client: TestClient, keys: Keys) -> None:
    listed(client, keys)
    r = client.get("/v1/lists/dishonest-debtors", params={"as_of": "2026-04-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    assert body["entries"] == [
        {
            "subject": "cn-rid:110105********002X",
            "kind": "person",
            "name": None,  # persons are never named
            "reference": None,
            "legal_basis": None,
            "since": "2026-03-12",
            "until": "2028-03-02",
        }
    ]
    assert DEBTOR not in r.text
    one = client.get("/v1/lists/dishonest-debtors", params={"q": COMPANY, "as_of": "2026-04-01"})
    assert one.json()["total"] == 0
    assert client.get("/v1/lists/credit-watch").status_code == 404  # not public
    assert client.get("/v1/lists/no-such-list").status_code == 404


def test_health_metrics_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}
    client.get("/v1/rulebook")
    metrics = client.get("/metrics").text
    assert (
        'trustledger_http_requests_total{method="GET",route="/v1/rulebook",status="200"}' in metrics
    )
    spec = client.get("/openapi.json").json()
    assert "/v1/checks" in spec["paths"]
    assert "/docs" not in spec["paths"] and client.get("/docs").status_code == 200
