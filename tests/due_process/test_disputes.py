"""Disputes: a subject contests a record; its source and the reviewers see it; a reviewer
decides by the rulebook's deadline; overdue disputes are escalated. HTTP and CLI."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    PERSON,
    Keys,
    days,
    decision,
    me,
    outbox,
    record,
    report,
    run,
    run_json,
    the_record,
)
from trustledger.services import context
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger


def dispute(
    client: TestClient, keys: Keys, record_id: int, grounds: str = "I paid in full on time."
) -> dict[str, Any]:
    r = client.post(
        "/v1/me/disputes", json={"record": record_id, "grounds": grounds}, headers=keys.person
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def decide(
    client: TestClient, keys: Keys, dispute_id: int, outcome: str, reason: str
) -> dict[str, Any]:
    r = client.post(
        f"/v1/disputes/{dispute_id}/decision",
        json={"outcome": outcome, "reason": reason},
        headers=keys.reviewer,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def queue(client: TestClient, key: dict[str, str], **params: str) -> list[dict[str, Any]]:
    r = client.get("/v1/disputes", params=params, headers=key)
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def listed(client: TestClient, keys: Keys, day: date, reference: str = "(2026)X1") -> int:
    """A dishonest-debtor record about PERSON that denies flights today."""
    [record_id] = report(client, keys.court, record(reference, day - days(30)))
    assert decision(client, keys.airline) == "deny"
    return record_id


def install_variant(ledger: Ledger, version: str, **changes: Any) -> None:
    """Make a changed copy of the example rulebook the active version."""
    content = yaml.safe_load(rulebooks.example_rulebook_text())
    content["version"] = version
    for key, value in changes.items():
        if key == "suspend":
            for rt in content["record_types"]:
                if rt["code"] in value:
                    rt["suspend_when_disputed"] = True
        else:
            content[key] = value
    rulebooks.install(
        ledger, yaml.safe_dump(content, allow_unicode=True, sort_keys=False), actor="test"
    )


def test_filing_marks_the_record_disputed_and_it_still_counts(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    client.put("/v1/me/consent", json={"consent": True}, headers=keys.person)
    record_id = listed(client, keys, day)
    filed = dispute(client, keys, record_id)
    assert filed == {
        "id": filed["id"],
        "record": record_id,
        "status": "open",
        "filed_on": day.isoformat(),
        "due_on": (day + days(30)).isoformat(),  # disputes.decide_within defaults to 30d
    }
    access = me(client, keys.person)
    held = the_record(access, record_id)
    assert held["disputed"] is True and held["voided"] is False
    assert held["points_now"] == -150 and access["score"] == 850
    assert [m["list"] for m in access["lists"]] == ["dishonest-debtors"]
    assert decision(client, keys.airline) == "deny"  # still counts while open
    [shown] = access["disputes"]
    assert (shown["id"], shown["status"], shown["due_on"]) == (
        filed["id"],
        "open",
        filed["due_on"],
    )
    assert [n["payload"] for n in outbox(ledger, PERSON) if n["kind"] == "dispute"] == [
        {"dispute": filed["id"], "record": record_id, "status": "open", "due_on": filed["due_on"]}
    ]
    with ledger.uow() as uow:
        [event] = [e for e in uow.audit.events(subject=PERSON) if e.action == "dispute.file"]
    assert event.actor == keys.actor("person")
    assert event.detail == {"dispute": filed["id"], "record": record_id}


def test_the_due_date_follows_the_rulebook(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    install_variant(ledger, "2026.1-spc", disputes={"decide_within": "15d"})
    record_id = listed(client, keys, day)
    assert dispute(client, keys, record_id)["due_on"] == (day + days(15)).isoformat()


def test_a_type_that_suspends_when_disputed_stops_counting_until_decided(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    install_variant(ledger, "2026.1-suspend", suspend=["court.dishonest_debtor"])
    client.put("/v1/me/consent", json={"consent": True}, headers=keys.person)
    record_id = listed(client, keys, day)
    [ticket] = report(client, keys.traffic, record("T-1", day - days(5), type="traffic.violation"))
    assert me(client, keys.person)["score"] == 1000 - 150 - 5

    filed = dispute(client, keys, record_id)
    access = me(client, keys.person)
    assert the_record(access, record_id)["points_now"] == 0
    assert access["score"] == 995 and access["lists"] == []
    assert [m["code"] for m in access["measures"]] == ["a-tier-library-no-deposit"]  # tier A
    assert decision(client, keys.airline) == "allow"
    # A disputed type without suspend_when_disputed still counts.
    dispute(client, keys, ticket)
    assert me(client, keys.person)["score"] == 995

    decide(client, keys, filed["id"], "rejected", "The judgment stands.")
    assert decision(client, keys.airline) == "deny"  # it counts again at once
    assert me(client, keys.person)["score"] == 995 - 150


def test_the_source_and_the_reviewers_see_the_dispute(
    client: TestClient, keys: Keys, day: date
) -> None:
    record_id = listed(client, keys, day)
    filed = dispute(client, keys, record_id, "The debt was settled by the court on appeal.")
    for key in (keys.court, keys.reviewer):
        [seen] = queue(client, key)
        assert seen["id"] == filed["id"] and seen["record_id"] == record_id
        assert seen["subject"] == PERSON and seen["source"] == "city-court"
        assert seen["grounds"] == "The debt was settled by the court on appeal."
        assert (seen["status"], seen["overdue"], seen["due_on"]) == ("open", False, filed["due_on"])
    assert queue(client, keys.traffic) == []
    assert queue(client, keys.reviewer, status="upheld") == []


def test_upheld_voids_the_record_and_its_effects_end_at_once(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    record_id = listed(client, keys, day)
    filed = dispute(client, keys, record_id)
    decided = decide(client, keys, filed["id"], "upheld", "Wrong identity number.")
    assert decided["status"] == "upheld" and decided["reason"] == "Wrong identity number."
    assert decided["decided_on"] == day.isoformat()
    assert decided["decided_by"] == keys.actor("reviewer")
    assert decided["overdue"] is False
    assert decision(client, keys.airline) == "allow"
    # Voided, it is as if it had never been, back to its decision day.
    assert decision(client, keys.admin, as_of=day - days(15)) == "allow"
    access = me(client, keys.person)
    held = the_record(access, record_id)
    assert held["voided"] is True and held["disputed"] is False and held["points_now"] == 0
    assert [(h["event"], h["by"]) for h in held["history"]] == [
        ("disputed", keys.actor("person")),
        ("voided", keys.actor("reviewer")),
    ]
    assert held["history"][1]["note"] == f"dispute {filed['id']} upheld: Wrong identity number."
    assert access["lists"] == [] and access["measures"] == []
    [shown] = access["disputes"]
    assert shown["status"] == "upheld" and shown["reason"] == "Wrong identity number."
    assert outbox(ledger, PERSON)[-1]["payload"] == {
        "dispute": filed["id"],
        "record": record_id,
        "status": "upheld",
        "reason": "Wrong identity number.",
    }
    # A decided dispute stays decided; a voided record cannot be disputed again.
    again = client.post(
        f"/v1/disputes/{filed['id']}/decision",
        json={"outcome": "rejected", "reason": "second thoughts"},
        headers=keys.reviewer,
    )
    assert again.status_code == 409
    r = client.post(
        "/v1/me/disputes", json={"record": record_id, "grounds": "again"}, headers=keys.person
    )
    assert r.status_code == 409 and r.json()["detail"].startswith("record:")


def test_rejected_keeps_the_reason_and_shows_it(client: TestClient, keys: Keys, day: date) -> None:
    record_id = listed(client, keys, day)
    filed = dispute(client, keys, record_id)
    r = client.post(
        "/v1/me/disputes", json={"record": record_id, "grounds": "twice"}, headers=keys.person
    )
    assert r.status_code == 409  # one open dispute per record
    decided = decide(client, keys, filed["id"], "rejected", "The court confirmed the debt.")
    assert decided["status"] == "rejected"
    assert decision(client, keys.airline) == "deny"
    access = me(client, keys.person)
    [shown] = access["disputes"]
    assert shown["status"] == "rejected" and shown["reason"] == "The court confirmed the debt."
    held = the_record(access, record_id)
    assert held["disputed"] is False and held["voided"] is False
    assert [(h["event"], h["note"]) for h in held["history"]][-1] == (
        "dispute_rejected",
        "The court confirmed the debt.",
    )
    html = client.get("/v1/me/report", headers=keys.person).text
    assert "The court confirmed the debt." in html and "rejected" in html
    # After a rejection the subject may dispute again (new grounds).
    assert dispute(client, keys, record_id, "New evidence: receipt.")["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"outcome": "quashed", "reason": "x"}, 422),
        ({"outcome": "upheld", "reason": ""}, 422),
        ({"outcome": "upheld", "reason": "   "}, 422),  # a reason is required: the field
        ({"outcome": "upheld"}, 422),
    ],
)
def test_a_decision_needs_an_outcome_and_a_reason(
    client: TestClient, keys: Keys, day: date, body: dict[str, str], status: int
) -> None:
    filed = dispute(client, keys, listed(client, keys, day))
    r = client.post(f"/v1/disputes/{filed['id']}/decision", json=body, headers=keys.reviewer)
    assert r.status_code == status, r.text
    assert queue(client, keys.reviewer)[0]["status"] == "open"
    missing = client.post(
        "/v1/disputes/999999/decision",
        json={"outcome": "upheld", "reason": "x"},
        headers=keys.reviewer,
    )
    assert missing.status_code == 404


def test_filing_needs_grounds(client: TestClient, keys: Keys, day: date) -> None:
    record_id = listed(client, keys, day)
    for grounds, status in (("", 422), ("  ", 422)):
        r = client.post(
            "/v1/me/disputes", json={"record": record_id, "grounds": grounds}, headers=keys.person
        )
        assert r.status_code == status
        assert "grounds" in r.json()["detail"]
    assert me(client, keys.person)["disputes"] == []


def file_overdue(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, keys: Keys, record_id: int, filed: date
) -> dict[str, Any]:
    """File a dispute as if on `filed` (the context's clock travels back)."""
    with monkeypatch.context() as m:
        m.setattr(context, "today", lambda _book: filed)
        return dispute(client, keys, record_id, "Filed long ago.")


def test_overdue_disputes_come_first_in_the_reviewer_queue(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    client: TestClient,
    keys: Keys,
    day: date,
) -> None:
    fresh_record = listed(client, keys, day, "(2026)F1")
    old_record = listed(client, keys, day, "(2026)F2")
    older_record = listed(client, keys, day, "(2026)F3")
    decided_record = listed(client, keys, day, "(2026)F4")
    decided = dispute(client, keys, decided_record)
    decide(client, keys, decided["id"], "rejected", "No.")
    fresh = dispute(client, keys, fresh_record)
    old = file_overdue(monkeypatch, client, keys, old_record, day - days(31))
    older = file_overdue(monkeypatch, client, keys, older_record, day - days(45))
    assert old["due_on"] == (day - days(1)).isoformat()

    seen = queue(client, keys.reviewer)
    assert [(d["id"], d["overdue"]) for d in seen] == [
        (older["id"], True),
        (old["id"], True),
        (fresh["id"], False),
        (decided["id"], False),
    ]
    assert [d["id"] for d in queue(client, keys.court, status="open")] == [
        older["id"],
        old["id"],
        fresh["id"],
    ]
    # The CLI lists the same queue, escalated first.
    listed_cli = run_json("disputes", "list", db=database_url)
    assert [(d["id"], d["overdue"]) for d in listed_cli] == [(d["id"], d["overdue"]) for d in seen]
    assert "overdue" in run("disputes", "list", db=database_url).stdout  # a table for people
    # Deciding an overdue dispute takes it out of the escalation.
    decide(client, keys, older["id"], "upheld", "Late, but right.")
    assert [d["overdue"] for d in queue(client, keys.reviewer, status="open")] == [True, False]


def test_cli_disputes_list_and_decide(
    client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    court_record = listed(client, keys, day)
    [ticket] = report(client, keys.traffic, record("T-9", day - days(5), type="traffic.violation"))
    first = dispute(client, keys, court_record)
    second = dispute(client, keys, ticket)
    assert [d["id"] for d in run_json("disputes", "list", db=database_url)] == [
        first["id"],
        second["id"],
    ]
    only = run_json("disputes", "list", "--source", "city-traffic", db=database_url)
    assert [d["id"] for d in only] == [second["id"]]

    data = run_json(
        "disputes", "decide", str(first["id"]), "upheld", "--reason", "Paid.", db=database_url
    )
    assert data["status"] == "upheld" and data["reason"] == "Paid."
    assert data["decided_by"].startswith("cli:")
    assert decision(client, keys.airline) == "allow"  # at once
    human = run(
        "disputes", "decide", str(second["id"]), "rejected", "--reason", "Camera", db=database_url
    )
    assert f"dispute {second['id']}: rejected" in human.stdout
    assert [d["status"] for d in run_json("disputes", "list", db=database_url)] == [
        "upheld",
        "rejected",
    ]
    assert run_json("disputes", "list", "--status", "open", db=database_url) == []

    twice = run(
        "disputes",
        "decide",
        str(first["id"]),
        "rejected",
        "--reason",
        "x",
        db=database_url,
        expect=1,
    )
    assert "already decided" in twice.stderr
    bad = run(
        "disputes", "decide", str(first["id"]), "maybe", "--reason", "x", db=database_url, expect=1
    )
    assert "outcome" in bad.stderr
    missing = run(
        "disputes", "decide", "999999", "upheld", "--reason", "x", db=database_url, expect=1
    )
    assert "999999" in missing.stderr
    assert run("disputes", "decide", str(first["id"]), "upheld", db=database_url, expect=2)
