"""Human review: entering a `review: required` list (credit-watch: tier D) is only a proposal
until a reviewer confirms it; the subject sees the proposal and may answer it first."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    PERSON,
    Keys,
    days,
    me,
    outbox,
    record,
    report,
    run,
    run_json,
)
from trustledger.services.context import Ledger
from trustledger.services.due_process import review


def pushed_to_tier_d(client: TestClient, keys: Keys, day: date) -> list[int]:
    """A consenting person with five defamation judgments: 1000 - 5 * 100 = 500, tier D."""
    r = client.put("/v1/me/consent", json={"consent": True}, headers=keys.person)
    assert r.status_code == 200
    ids = report(
        client,
        keys.court,
        *(record(f"(2026)R{i}", day - days(20), type="court.defamation") for i in range(5)),
    )
    access = me(client, keys.person)
    assert (access["score"], access["tier"]) == (500, "D")
    return ids


def scan(ledger: Ledger, as_of: date | None = None) -> dict[str, int]:
    return review.scan(ledger, as_of, actor="test:scan")


def proposals(client: TestClient, keys: Keys, **params: str) -> list[dict[str, Any]]:
    r = client.get("/v1/proposals", params=params, headers=keys.reviewer)
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def decide(
    client: TestClient, keys: Keys, proposal_id: int, approve: bool, reason: str
) -> dict[str, Any]:
    r = client.post(
        f"/v1/proposals/{proposal_id}/decision",
        json={"approve": approve, "reason": reason},
        headers=keys.reviewer,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def on_watch(client: TestClient, keys: Keys, as_of: date | None = None) -> bool:
    return any(m["list"] == "credit-watch" for m in me(client, keys.person, as_of)["lists"])


def notices_of(ledger: Ledger, *kinds: str) -> list[dict[str, Any]]:
    return [n["payload"] for n in outbox(ledger, PERSON) if n["kind"] in kinds]


@pytest.fixture
def proposed(ledger: Ledger, client: TestClient, keys: Keys, day: date) -> dict[str, Any]:
    """The person in tier D, proposed for credit-watch by a scan."""
    pushed_to_tier_d(client, keys, day)
    assert scan(ledger)["proposed"] == 1
    [proposal] = proposals(client, keys)
    return proposal


def test_tier_d_alone_puts_no_one_on_the_watch_list(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    pushed_to_tier_d(client, keys, day)
    access = me(client, keys.person)
    assert access["lists"] == []
    assert access["awaiting_review"] == [{"list": "credit-watch", "because": "tier:D"}]
    assert access["proposals"] == []
    assert proposals(client, keys) == []


def test_a_scan_proposes_once_and_the_subject_sees_it(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    assert proposed["subject"] == PERSON and proposed["list"] == "credit-watch"
    assert (proposed["because"], proposed["status"], proposed["proposed_on"]) == (
        "tier:D",
        "pending",
        day.isoformat(),
    )
    assert scan(ledger)["proposed"] == 0  # one open proposal per subject and list
    [shown] = me(client, keys.person)["proposals"]
    assert (shown["id"], shown["status"]) == (proposed["id"], "pending")
    assert not on_watch(client, keys)
    assert notices_of(ledger, "proposal") == [
        {"proposal": proposed["id"], "list": "credit-watch", "because": "tier:D"}
    ]
    html = client.get("/v1/me/report", headers=keys.person).text
    assert f"Proposal {proposed['id']} to enter credit-watch" in html


def test_the_subject_adds_a_statement_before_the_decision(
    client: TestClient, keys: Keys, proposed: dict[str, Any]
) -> None:
    path = f"/v1/me/proposals/{proposed['id']}/statement"
    text = "My shop burned down; the judgments are being settled."
    r = client.post(path, json={"statement": text}, headers=keys.person)
    assert r.status_code == 200, r.text
    assert r.json()["statement"] == text
    [seen] = proposals(client, keys, status="pending")
    assert seen["statement"] == text  # put before the reviewer
    assert me(client, keys.person)["proposals"][0]["statement"] == text
    assert client.post(path, json={"statement": ""}, headers=keys.person).status_code == 422
    assert client.post(path, json={"statement": "  "}, headers=keys.person).status_code == 422


def test_rejection_keeps_the_reason(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    decided = decide(client, keys, proposed["id"], False, "Civil judgments are not a risk.")
    assert decided["status"] == "rejected" and decided["decided_by"] == keys.actor("reviewer")
    assert decided["reason"] == "Civil judgments are not a risk."
    assert decided["decided_on"] == day.isoformat()
    assert not on_watch(client, keys)
    [shown] = me(client, keys.person)["proposals"]
    assert (shown["status"], shown["reason"]) == ("rejected", "Civil judgments are not a risk.")
    assert notices_of(ledger, "proposal")[-1] == {
        "proposal": proposed["id"],
        "list": "credit-watch",
        "status": "rejected",
        "reason": "Civil judgments are not a risk.",
    }
    # Decided is decided: no second decision, no late statement.
    again = client.post(
        f"/v1/proposals/{proposed['id']}/decision",
        json={"approve": True, "reason": "x"},
        headers=keys.reviewer,
    )
    assert again.status_code == 409
    late = client.post(
        f"/v1/me/proposals/{proposed['id']}/statement",
        json={"statement": "too late"},
        headers=keys.person,
    )
    assert late.status_code == 409


def test_a_rejection_stands_while_the_condition_holds(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    """A reviewer's rejection is not undone by the next scan proposing the same entry again."""
    decide(client, keys, proposed["id"], False, "Not a risk.")
    assert scan(ledger)["proposed"] == 0
    assert scan(ledger, day + days(1))["proposed"] == 0
    assert [p["status"] for p in proposals(client, keys)] == ["rejected"]
    # Once the condition lapses and arises again, it is a new entry, proposed anew.
    records = [r["id"] for r in me(client, keys.person)["records"]]
    for rid in records[:2]:
        r = client.post(f"/v1/records/{rid}/void", json={"reason": "quashed"}, headers=keys.court)
        assert r.status_code == 200
    assert me(client, keys.person)["tier"] == "C"
    assert scan(ledger)["proposed"] == 0
    report(
        client,
        keys.court,
        *(record(f"(2026)N{i}", day - days(1), type="court.defamation") for i in range(2)),
    )
    assert me(client, keys.person)["tier"] == "D"
    assert scan(ledger)["proposed"] == 1
    assert [p["status"] for p in proposals(client, keys)] == ["rejected", "pending"]


def test_confirmation_puts_the_subject_on_the_list_from_that_day(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    decided = decide(client, keys, proposed["id"], True, "Pattern of judgments.")
    assert (decided["status"], decided["decided_on"]) == ("confirmed", day.isoformat())
    access = me(client, keys.person)
    assert access["lists"] == [
        {
            "list": "credit-watch",
            "kind": "watch",
            "since": day.isoformat(),
            "until": None,
            "because": "tier:D",
        }
    ]
    assert access["awaiting_review"] == []
    assert access["measures"] == []  # the watch list carries no measure
    assert not on_watch(client, keys, day - days(1))  # not before the confirmation
    assert notices_of(ledger, "proposal")[-1]["status"] == "confirmed"
    # The reviewer's view of the subject agrees.
    scored = client.get(f"/v1/subjects/{PERSON}/score", headers=keys.reviewer).json()
    assert scored["lists"] == ["credit-watch"]


def test_when_the_tier_recovers_a_later_scan_ends_the_confirmation(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    decide(client, keys, proposed["id"], True, "Pattern of judgments.")
    assert scan(ledger) == {"subjects": 1, "proposed": 0, "ended": 0}  # still in tier D
    records = [r["id"] for r in me(client, keys.person)["records"]]
    for rid in records[:2]:  # two judgments quashed: 700, tier C
        r = client.post(f"/v1/records/{rid}/void", json={"reason": "quashed"}, headers=keys.court)
        assert r.status_code == 200
    assert me(client, keys.person)["tier"] == "C"
    assert not on_watch(client, keys)  # the entry condition no longer holds
    assert scan(ledger) == {"subjects": 1, "proposed": 0, "ended": 1}
    [ended] = proposals(client, keys)
    assert (ended["status"], ended["ended_on"]) == ("ended", day.isoformat())
    assert notices_of(ledger, "expiry") == [{"list": "credit-watch", "ended_on": day.isoformat()}]
    assert scan(ledger)["ended"] == 0


def test_a_scan_in_the_future_ends_the_watch_when_the_records_expire(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    decide(client, keys, proposed["id"], True, "Pattern of judgments.")
    with ledger.uow() as uow:
        defamation = ledger.rulebook(uow).record_type("court.defamation")
    assert defamation is not None
    expired = defamation.counts_for.after(day - days(20))  # the judgments stop counting
    assert scan(ledger, expired)["ended"] == 1
    [ended] = proposals(client, keys)
    assert ended["ended_on"] == expired.isoformat()
    assert on_watch(client, keys, expired - days(1)) and not on_watch(client, keys, expired)


def test_persons_without_consent_are_never_proposed(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    pushed_to_tier_d(client, keys, day)
    r = client.put("/v1/me/consent", json={"consent": False}, headers=keys.person)
    assert r.status_code == 200
    assert scan(ledger)["proposed"] == 0
    assert me(client, keys.person)["awaiting_review"] == []


def test_notices_for_proposal_decision_and_expiry(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, proposed: dict[str, Any]
) -> None:
    decide(client, keys, proposed["id"], True, "Pattern of judgments.")
    for rid in [r["id"] for r in me(client, keys.person)["records"]][:2]:
        client.post(f"/v1/records/{rid}/void", json={"reason": "quashed"}, headers=keys.court)
    scan(ledger)
    kinds = [
        (n["kind"], n["payload"].get("status"))
        for n in outbox(ledger, PERSON)
        if n["kind"] != "listing"
    ]
    assert kinds == [("proposal", None), ("proposal", "confirmed"), ("expiry", None)]
    shown = me(client, keys.person)["notices"]
    assert [n["kind"] for n in shown] == ["proposal", "proposal", "expiry"]
    assert all(n["sent_at"] is None for n in shown)


def test_cli_proposals_scan_list_decide(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    pushed_to_tier_d(client, keys, day)
    assert run_json("proposals", "scan", db=database_url) == {
        "subjects": 1,
        "proposed": 1,
        "ended": 0,
    }
    [pending] = run_json("proposals", "list", "--status", "pending", db=database_url)
    data = run_json(
        "proposals", "decide", str(pending["id"]), "confirm", "--reason", "ok", db=database_url
    )
    assert data["status"] == "confirmed" and data["decided_by"].startswith("cli:")
    assert on_watch(client, keys)
    assert run_json("proposals", "list", "--status", "pending", db=database_url) == []
    bad = run(
        "proposals",
        "decide",
        str(pending["id"]),
        "maybe",
        "--reason",
        "x",
        db=database_url,
        expect=2,
    )
    assert "confirm or reject" in " ".join(bad.stderr.split())
    twice = run(
        "proposals",
        "decide",
        str(pending["id"]),
        "reject",
        "--reason",
        "x",
        db=database_url,
        expect=1,
    )
    assert "already decided" in twice.stderr
    assert "proposed" in run("proposals", "scan", db=database_url).stdout
