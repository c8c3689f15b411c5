"""POST /v1/records and the record events, through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from trustledger.services.context import Ledger

DEBTOR = "cn-rid:11010519491231002X"


def record(reference: str, **over: str) -> dict[str, str]:
    base = {
        "subject": DEBTOR,
        "type": "court.dishonest_debtor",
        "reference": reference,
        "decided_on": "2026-03-02",
        "notified_on": "2026-03-02",
    }
    return {**base, **over}


def check(client: TestClient, keys: Keys, as_of: str, subject: str = DEBTOR) -> str:
    """A what-if check on another day: an admin's (providers check only today)."""
    r = client.get(
        "/v1/checks",
        params={"subject": subject, "action": "travel.flight", "as_of": as_of},
        headers=keys.auth(keys.admin),
    )
    assert r.status_code == 200, r.text
    return r.json()["decision"]


def test_one_record_is_inserted_then_a_duplicate(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/records", json=record("(2026)1"), headers=keys.auth(keys.court))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["inserted"], body["duplicates"], body["rejected"]) == (1, 0, 0)
    first_id = body["results"][0]["id"]
    again = client.post("/v1/records", json=record("(2026)1"), headers=keys.auth(keys.court))
    assert again.json()["results"] == [
        {"index": 0, "status": "duplicate", "id": first_id, "reference": "(2026)1"}
    ]


def test_batch_reports_each_item(client: TestClient, keys: Keys) -> None:
    batch = {
        "records": [
            record("(2026)2"),
            record("(2026)3", type="no.such.type"),
            record("(2026)2"),
            record("(2026)4", subject="cn-rid:110105194912310020"),
            record("(2026)5", decided_on="2999-01-01"),
            record("(2026)6", type="traffic.violation"),
        ]
    }
    r = client.post("/v1/records", json=batch, headers=keys.auth(keys.court))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [
        "inserted",
        "rejected",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert results[1]["reason"].startswith("type: unknown record type")
    assert results[3]["reason"].startswith("subject: cn-rid: check character expected")
    assert results[4]["reason"].startswith("decided_on: 2999-01-01 is in the future")
    assert "may not report traffic.violation" in results[5]["reason"]


def test_structural_errors_reject_the_whole_request_naming_the_field(
    client: TestClient, keys: Keys
) -> None:
    batch = {"records": [record("(2026)7"), {**record("(2026)8"), "colour": "red"}]}
    r = client.post("/v1/records", json=batch, headers=keys.auth(keys.court))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith("colour") for e in r.json()["errors"])
    assert check(client, keys, "2026-05-01") == "allow"  # nothing of the batch was written


def test_batch_over_the_limit_is_refused(client: TestClient, keys: Keys) -> None:
    batch = {"records": [record(f"(2026){i}") for i in range(10_001)]}
    r = client.post("/v1/records", json=batch, headers=keys.auth(keys.court))
    assert r.status_code == 422
    assert "records" in r.json()["detail"]


def test_a_record_changes_checks_at_once_and_travels_in_time(
    client: TestClient, keys: Keys
) -> None:
    assert check(client, keys, "2026-03-12") == "allow"
    client.post("/v1/records", json=record("(2026)9"), headers=keys.auth(keys.court))
    assert check(client, keys, "2026-03-11") == "allow"  # notice period: 10 days
    assert check(client, keys, "2026-03-12") == "deny"
    assert check(client, keys, "2028-03-01") == "deny"
    assert check(client, keys, "2028-03-02") == "allow"  # two years later it ends by itself


def test_fulfil_and_void_by_the_own_source_only(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/records", json=record("(2026)10"), headers=keys.auth(keys.court))
    record_id = r.json()["results"][0]["id"]
    other = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-01"},
        headers=keys.auth(keys.traffic),
    )
    # Another source's record is answered like a missing one: an agency cannot probe ids.
    assert other.status_code == 404
    assert (
        client.post(
            f"/v1/records/{record_id}/void", json={"reason": "x"}, headers=keys.auth(keys.airline)
        ).status_code
        == 403
    )
    assert check(client, keys, "2026-04-02") == "deny"
    done = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-01"},
        headers=keys.auth(keys.court),
    )
    assert done.status_code == 200, done.text
    assert check(client, keys, "2026-03-31") == "deny"
    assert check(client, keys, "2026-04-01") == "allow"  # repair: ends on performance
    voided = client.post(
        f"/v1/records/{record_id}/void",
        json={"reason": "wrong person"},
        headers=keys.auth(keys.court),
    )
    assert voided.status_code == 200
    assert check(client, keys, "2026-03-20") == "allow"  # as if it had never been
    # A voided record has no later events: voiding or fulfilling it again is a conflict.
    again = client.post(
        f"/v1/records/{record_id}/void", json={"reason": "again"}, headers=keys.auth(keys.court)
    )
    assert again.status_code == 409, again.text
    refulfil = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-01"},
        headers=keys.auth(keys.court),
    )
    assert refulfil.status_code == 409
    assert "voided" in refulfil.json()["detail"]
    missing = client.post(
        "/v1/records/999999/void", json={"reason": "x"}, headers=keys.auth(keys.court)
    )
    assert missing.status_code == 404


def test_fulfilment_before_the_decision_is_refused(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/records", json=record("(2026)11"), headers=keys.auth(keys.court))
    record_id = r.json()["results"][0]["id"]
    bad = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-01-01"},
        headers=keys.auth(keys.court),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("fulfilled_on")
    future = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2999-01-01"},
        headers=keys.auth(keys.court),
    )
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"]
    first = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-01"},
        headers=keys.auth(keys.court),
    )
    assert first.status_code == 200
    same = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-01"},
        headers=keys.auth(keys.court),
    )
    assert same.status_code == 200  # the same fulfilment again is answered as before
    other_day = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": "2026-04-02"},
        headers=keys.auth(keys.court),
    )
    assert other_day.status_code == 409
    assert "was fulfilled on 2026-04-01" in other_day.json()["detail"]


def test_the_notice_period_counts_from_the_notification(
    client: TestClient, keys: Keys, ledger: Ledger
) -> None:
    """Without a notification date from the source, trustledger notifies today."""
    late = record("(2026)12", decided_on="2026-01-05")
    del late["notified_on"]
    client.post("/v1/records", json=late, headers=keys.auth(keys.court))
    day = today_in_city()
    assert check(client, keys, (day + timedelta(days=9)).isoformat()) == "allow"
    assert check(client, keys, (day + timedelta(days=10)).isoformat()) == "deny"
    with ledger.uow() as uow:
        sent = uow.outbox.of(DEBTOR)
    assert [(n["kind"], n["payload"]["lists"], n["payload"]["notified_on"]) for n in sent] == [
        ("listing", ["dishonest-debtors"], day.isoformat())
    ]
    again = client.post("/v1/records", json=late, headers=keys.auth(keys.court))
    assert again.json()["duplicates"] == 1
    with ledger.uow() as uow:
        assert len(uow.outbox.of(DEBTOR)) == 1  # no second notice


def today_in_city() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
