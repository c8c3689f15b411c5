"""Answers that cannot mislead the services relying on them, through HTTP, on both stores.

An unknown action is an error, never an `allow`; a reused decision number with other content is
a conflict, never a duplicate; providers check only today; a batch fails item by item; and the
score explains what is pending and what caps the tier.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.conftest import act
from trustledger.services.context import Ledger, today

DEBTOR = "cn-rid:11010519491231002X"
DRIVER = "cn-rid:110105198001010016"


def day_of(ledger: Ledger) -> date:
    with ledger.uow() as uow:
        return today(ledger.rulebook(uow))


def record(reference: str, decided_on: date, **over: Any) -> dict[str, Any]:
    base = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": reference,
        "decided_on": decided_on.isoformat(),
    }
    return {**base, **over}


def post(client: TestClient, key: str, body: dict[str, Any]) -> Any:
    return client.post("/v1/records", json=body, headers=Keys.auth(key))


# --- 1. unknown actions -------------------------------------------------------------------


def test_an_unknown_action_is_a_422_naming_action_with_suggestions(
    client: TestClient, keys: Keys
) -> None:
    for key in (keys.airline, keys.admin):
        r = client.get(
            "/v1/checks",
            params={"subject": DEBTOR, "action": "travel.flights"},
            headers=keys.auth(key),
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        detail = r.json()["detail"]
        assert detail.startswith("action: unknown action 'travel.flights'")
        assert "did you mean travel.flight" in detail
    batch = client.post(
        "/v1/checks",
        json={"action": "travel.flights", "subjects": [DEBTOR]},
        headers=keys.auth(keys.airline),
    )
    assert batch.status_code == 422
    assert batch.json()["detail"].startswith("action: unknown action")


def test_a_known_action_outside_the_key_is_still_forbidden(client: TestClient, keys: Keys) -> None:
    r = client.get(
        "/v1/checks",
        params={"subject": DEBTOR, "action": "procurement.bid"},
        headers=keys.auth(keys.airline),
    )
    assert r.status_code == 403
    assert r.json()["detail"].startswith("action:")


# --- 2. conflicts -------------------------------------------------------------------------


def test_a_reused_reference_with_other_content_is_a_conflict(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    day = day_of(ledger)
    first = post(client, keys.court, record("(2026)C1", day - timedelta(days=40), amount="100"))
    stored_id = first.json()["results"][0]["id"]
    exact = post(client, keys.court, record("(2026)C1", day - timedelta(days=40), amount="100.00"))
    assert exact.status_code == 200
    assert exact.json()["results"][0]["status"] == "duplicate"
    other = post(client, keys.court, record("(2026)C1", day - timedelta(days=39), amount="200"))
    assert other.status_code == 409, other.text
    detail = other.json()["detail"]
    assert f"record {stored_id}" in detail and "decided_on, amount differ" in detail
    # In a batch: the item's status is `conflict` with the same detail; the rest is stored.
    batch = post(
        client,
        keys.court,
        {
            "records": [
                record("(2026)C1", day - timedelta(days=40), subject=DRIVER, amount="100"),
                record("(2026)C2", day - timedelta(days=40)),
            ]
        },
    )
    assert batch.status_code == 200
    body = batch.json()
    assert (body["inserted"], body["conflicts"], body["duplicates"]) == (1, 1, 0)
    conflict = body["results"][0]
    assert conflict["status"] == "conflict" and conflict["id"] == stored_id
    assert conflict["fields"] == ["subject"]


def test_a_resend_that_only_adds_fulfilled_on_fulfils(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    day = day_of(ledger)
    decided = day - timedelta(days=40)
    post(client, keys.court, record("(2026)F1", decided))
    paid = post(client, keys.court, record("(2026)F1", decided, fulfilled_on=day.isoformat()))
    assert paid.status_code == 200, paid.text
    assert paid.json()["results"][0]["status"] == "fulfilled"
    assert paid.json()["fulfilled"] == 1
    # The same updated file again: a duplicate; with another fulfilment date: a conflict.
    again = post(client, keys.court, record("(2026)F1", decided, fulfilled_on=day.isoformat()))
    assert again.json()["results"][0]["status"] == "duplicate"
    other = (day - timedelta(days=1)).isoformat()
    clash = post(client, keys.court, record("(2026)F1", decided, fulfilled_on=other))
    assert clash.status_code == 409
    assert "fulfilled_on differ" in clash.json()["detail"]


def test_an_inserted_record_says_when_its_listing_starts(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    day = day_of(ledger)
    r = post(client, keys.court, record("(2026)N1", day))
    [item] = r.json()["results"]
    assert item["listings"] == [
        {"list": "dishonest-debtors", "from": (day + timedelta(days=10)).isoformat()}
    ]
    score = client.get(f"/v1/subjects/{DEBTOR}/score", headers=keys.auth(keys.admin)).json()
    assert score["pending"] == [
        {
            "list": "dishonest-debtors",
            "from": (day + timedelta(days=10)).isoformat(),
            "because": "record:(2026)N1",
        }
    ]
    assert score["lists"] == []


# --- 3, 5. pending, tier cap, one measure shape ---------------------------------------------


def test_the_score_explains_a_tier_cap_and_shows_full_measures(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    day = day_of(ledger)
    decided = day - timedelta(days=30)
    drunk = {
        "subject": DRIVER,
        "type": "traffic.drunk_driving",
        "reference": "T-D1",
        "decided_on": decided.isoformat(),
    }
    assert post(client, keys.traffic, drunk).status_code == 200
    # A person has no score without consent: give it, as the subject would.
    with ledger.uow() as uow:
        uow.subjects.set_consent([(DRIVER, "person")], True)
        uow.commit()
    score = client.get(f"/v1/subjects/{DRIVER}/score", headers=keys.auth(keys.admin)).json()
    assert (score["score"], score["tier"]) == (950, "C")
    assert score["tier_cap"] == {
        "tier": "C",
        "uncapped_tier": "B",
        "type": "traffic.drunk_driving",
        "reference": "T-D1",
        "until": date(decided.year + 2, decided.month, decided.day).isoformat(),
    }
    decided = day - timedelta(days=40)
    post(client, keys.court, record("(2026)M1", decided, notified_on=decided.isoformat()))
    debtor = client.get(f"/v1/subjects/{DEBTOR}/score", headers=keys.auth(keys.admin)).json()
    assert debtor["measures"], debtor
    for m in debtor["measures"]:
        assert set(m) == {"code", "action", "effect", "reason", "legal_basis", "until"}
        assert m["reason"] == "list:dishonest-debtors" and m["legal_basis"] and m["until"]


# --- 7, 8. providers check today; batches fail item by item ---------------------------------


def test_a_provider_may_not_ask_about_another_day(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    day = day_of(ledger)
    params = {"subject": DEBTOR, "action": "travel.flight"}
    refused = client.get(
        "/v1/checks",
        params={**params, "as_of": (day + timedelta(days=30)).isoformat()},
        headers=keys.auth(keys.airline),
    )
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("as_of:")
    today_is_fine = client.get(
        "/v1/checks",
        params={**params, "as_of": day.isoformat()},
        headers=keys.auth(keys.airline),
    )
    assert today_is_fine.status_code == 200
    what_if = client.get(
        "/v1/checks",
        params={**params, "as_of": (day + timedelta(days=30)).isoformat()},
        headers=keys.auth(keys.admin),
    )
    assert what_if.status_code == 200
    # The audit log carries the day asked about, and marks the hypothetical check.
    with ledger.uow() as uow:
        checks = [e for e in uow.audit.events(subject=DEBTOR, limit=100) if e.action == "check"]
    assert [e.detail["as_of"] for e in checks] == [
        day.isoformat(),
        (day + timedelta(days=30)).isoformat(),
    ]
    assert [bool(e.detail.get("what_if")) for e in checks] == [False, True]


def test_a_batch_names_each_malformed_identifier_and_decides_the_rest(
    client: TestClient, keys: Keys
) -> None:
    r = client.post(
        "/v1/checks",
        json={"action": "travel.flight", "subjects": ["cn-rid:1", DEBTOR, "nonsense", DEBTOR]},
        headers=keys.auth(keys.airline),
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [("error" in x, x.get("decision")) for x in results] == [
        (True, None),
        (False, "allow"),
        (True, None),
        (False, "allow"),
    ]
    assert results[0]["error"].startswith("subjects[0]:")
    assert results[2]["error"].startswith("subjects[2]:")


# --- 4. paths out for the subject -----------------------------------------------------------


def test_me_and_the_report_state_the_paths_out_and_mark_what_if_reads(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    from trustledger.domain.roles import Role
    from trustledger.services.admin.keys import create_key

    me_key = act(ledger, create_key, Role.SUBJECT, "debtor", subject=DEBTOR)[0]
    day = day_of(ledger)
    decided = day - timedelta(days=40)
    post(client, keys.court, record("(2026)P1", decided, notified_on=decided.isoformat()))
    post(client, keys.court, record("(2026)P2", day))  # notified today: pending
    client.get(
        "/v1/checks",
        params={
            "subject": DEBTOR,
            "action": "travel.flight",
            "as_of": (day + timedelta(days=400)).isoformat(),
        },
        headers=keys.auth(keys.admin),
    )
    me = client.get("/v1/me", headers=keys.auth(me_key)).json()
    assert me["pending"] == [] and me["tier_cap"] is None  # already listed by (2026)P1
    paths = {(p["what"], p["reference"]) for p in me["paths_out"]}
    assert ("list", "(2026)P2") in paths or ("list", "(2026)P1") in paths
    for p in me["paths_out"]:
        assert set(p) >= {"ends_on", "if_fulfilled", "dispute_until", "explanation"}
    [what_if] = [a for a in me["access_log"] if a["what"] == "check"]
    assert what_if["what_if"] is True
    assert what_if["as_of"] == (day + timedelta(days=400)).isoformat()
    html = client.get("/v1/me/report", params={"format": "html"}, headers=keys.auth(me_key)).text
    assert "How each of these ends" in html and "what-if" in html
