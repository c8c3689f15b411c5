"""Notices (the outbox, its sender, notice periods from the notification) and credit repair
(agencies fulfil; subjects ask in writing and a reviewer decides)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import act
from tests.due_process.conftest import (
    OTHER,
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
from trustledger.domain.periods import Period
from trustledger.services.context import Ledger
from trustledger.services.due_process import notices


class FakeSender:
    def __init__(self, fail_for: str | None = None) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_for = fail_for

    def send(self, subject: str, kind: str, payload: dict[str, Any]) -> None:
        if subject == self.fail_for:
            raise ConnectionError("mail server down")
        self.sent.append((subject, kind, payload))


# --- notices ------------------------------------------------------------------------------


def test_a_listing_record_sends_a_notice_and_a_duplicate_none(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    decided = day - days(30)
    report(client, keys.court, record("(2026)L1", decided))
    report(client, keys.traffic, record("T-1", decided, type="traffic.violation"))  # no list
    assert [(n["subject"], n["kind"], n["payload"]) for n in outbox(ledger)] == [
        (
            PERSON,
            "listing",
            {
                "source": "city-court",
                "reference": "(2026)L1",
                "type": "court.dishonest_debtor",
                "lists": ["dishonest-debtors"],
                # The notice says when the listing starts: notice_days after notification.
                "starts_on": {"dishonest-debtors": (decided + days(10)).isoformat()},
                "decided_on": decided.isoformat(),
                "notified_on": decided.isoformat(),
            },
        )
    ]
    again = client.post("/v1/records", json=record("(2026)L1", decided), headers=keys.court)
    assert again.json()["duplicates"] == 1
    twice = {"records": [record("(2026)L2", decided)] * 2}
    r = client.post("/v1/records", json=twice, headers=keys.court)
    assert (r.json()["inserted"], r.json()["duplicates"]) == (1, 1)
    assert [n["payload"]["reference"] for n in outbox(ledger)] == ["(2026)L1", "(2026)L2"]
    assert [n["kind"] for n in me(client, keys.person)["notices"]] == ["listing", "listing"]


def test_an_imported_file_sends_each_notice_once(
    ledger: Ledger, database_url: str, day: date, tmp_path: Path
) -> None:
    rows = [record("(2026)I1", day - days(30)), record("(2026)I2", day - days(30), subject=OTHER)]
    path = tmp_path / "court.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    assert run_json("import", str(path), "--source", "city-court", db=database_url)["inserted"] == 2
    assert run_json("import", str(path), "--source", "city-court", db=database_url)["inserted"] == 0
    assert sorted(n["subject"] for n in outbox(ledger)) == sorted([PERSON, OTHER])


def test_a_reference_repeated_in_one_file_sends_one_notice(
    ledger: Ledger, database_url: str, day: date, tmp_path: Path
) -> None:
    row = record("(2026)I3", day - days(30))
    path = tmp_path / "twice.jsonl"
    path.write_text((json.dumps(row) + "\n") * 2, "utf-8")
    imported = run_json("import", str(path), "--source", "city-court", db=database_url)
    assert (imported["inserted"], imported["duplicates"]) == (1, 1)
    assert len(outbox(ledger, PERSON)) == 1


def test_deliver_hands_unsent_notices_to_the_sender_once(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    report(
        client,
        keys.court,
        record("(2026)S1", day - days(30)),
        record("(2026)S2", day - days(30), subject=OTHER),
    )
    sender = FakeSender()
    assert notices.deliver(ledger, sender) == 2
    assert [(s, k, p["reference"]) for s, k, p in sender.sent] == [
        (PERSON, "listing", "(2026)S1"),
        (OTHER, "listing", "(2026)S2"),
    ]
    assert all(n["sent_at"] is not None for n in outbox(ledger))
    assert notices.deliver(ledger, sender) == 0 and len(sender.sent) == 2
    assert me(client, keys.person)["notices"][0]["sent_at"] is not None
    # The default sender (the log) through the CLI.
    report(client, keys.court, record("(2026)S3", day - days(30)))
    assert run_json("notices", "send", db=database_url) == {"sent": 1}
    assert "0 notices sent" in run("notices", "send", db=database_url).stdout


def test_a_failing_sender_leaves_only_its_notice_unsent(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    report(
        client,
        keys.court,
        record("(2026)F1", day - days(30)),
        record("(2026)F2", day - days(30), subject=OTHER),
        record("(2026)F3", day - days(30)),
    )
    sender = FakeSender(fail_for=OTHER)
    assert notices.deliver(ledger, sender) == 2
    assert [p["reference"] for _, _, p in sender.sent] == ["(2026)F1", "(2026)F3"]
    unsent = [n["payload"]["reference"] for n in outbox(ledger) if n["sent_at"] is None]
    assert unsent == ["(2026)F2"]
    retry = FakeSender()
    assert notices.deliver(ledger, retry) == 1  # nobody is notified twice
    assert [p["reference"] for _, _, p in retry.sent] == ["(2026)F2"]


def test_the_notice_period_counts_from_the_notification(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    # Decided two months ago, but the subject was notified only five days ago.
    report(
        client,
        keys.court,
        {**record("(2026)N1", day - days(60)), "notified_on": str(day - days(5))},
    )
    assert decision(client, keys.airline) == "allow"
    assert decision(client, keys.admin, as_of=day + days(4)) == "allow"
    assert decision(client, keys.admin, as_of=day + days(5)) == "deny"  # notice_days: 10
    [listed] = me(client, keys.person, as_of=day + days(5))["lists"]
    assert listed["since"] == (day + days(5)).isoformat()
    # Without a notification date, trustledger notifies now: the period starts today.
    late = record("(2026)N2", day - days(60), subject=OTHER)
    del late["notified_on"]
    report(client, keys.court, late)
    [sent] = outbox(ledger, OTHER)
    assert sent["payload"]["notified_on"] == day.isoformat()
    assert decision(client, keys.admin, subject=OTHER, as_of=day + days(9)) == "allow"
    assert decision(client, keys.admin, subject=OTHER, as_of=day + days(10)) == "deny"
    assert the_record(me(client, keys.other), sent_id(ledger, "(2026)N2"))["notified_on"] == (
        day.isoformat()
    )


def sent_id(ledger: Ledger, reference: str) -> int:
    with ledger.uow() as uow:
        return uow.records.ids_by_reference("city-court", [reference])[reference]


# --- credit repair ------------------------------------------------------------------------


def test_an_agency_fulfilment_ends_a_repairable_record_early(
    client: TestClient, keys: Keys, day: date
) -> None:
    [debt] = report(client, keys.court, record("(2026)F1", day - days(30)))
    [tax] = report(client, keys.tax, record("TX-1", day - days(30), type="tax.major_violation"))
    [libel] = report(
        client, keys.court, record("(2026)F2", day - days(30), type="court.defamation")
    )
    for rid, key in ((debt, keys.court), (tax, keys.tax), (libel, keys.court)):
        r = client.post(
            f"/v1/records/{rid}/fulfil", json={"fulfilled_on": str(day - days(3))}, headers=key
        )
        assert r.status_code == 200, r.text
    assert decision(client, keys.airline) == "allow"  # repair: {after: 0d}, ends on performance
    assert decision(client, keys.admin, as_of=day - days(4)) == "deny"
    access = me(client, keys.person)
    assert the_record(access, debt)["counts_until"] == (day - days(3)).isoformat()
    assert [(h["event"], h["on"], h["by"]) for h in the_record(access, debt)["history"]] == [
        ("fulfilled", (day - days(3)).isoformat(), "city-court")
    ]
    # repair: {after: 1y} -- it counts a year from the decision, not the full three.
    decided = day - days(30)
    assert the_record(access, tax)["counts_until"] == Period.parse("1y").after(decided).isoformat()
    # A type without repair counts its full period, fulfilled or not.
    assert the_record(access, libel)["counts_until"] == (
        Period.parse("2y").after(decided).isoformat()
    )


def request_repair(
    client: TestClient, keys: Keys, record_id: int, commitment: str = "I will pay by 31 Dec."
) -> Any:
    return client.post(
        "/v1/me/repairs", json={"record": record_id, "commitment": commitment}, headers=keys.person
    )


def decide_repair(
    client: TestClient, keys: Keys, repair_id: int, approve: bool, reason: str
) -> Any:
    return client.post(
        f"/v1/repairs/{repair_id}/decision",
        json={"approve": approve, "reason": reason},
        headers=keys.reviewer,
    )


def test_a_subject_asks_for_repair_and_a_reviewer_approves(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    [debt] = report(client, keys.court, record("(2026)R1", day - days(30)))
    asked = request_repair(client, keys, debt, "Paid 80%; the rest by 31 December.")
    assert asked.status_code == 200, asked.text
    repair = asked.json()
    assert (repair["record_id"], repair["subject"], repair["status"]) == (debt, PERSON, "open")
    assert repair["requested_on"] == day.isoformat()
    assert repair["commitment"] == "Paid 80%; the rest by 31 December."
    [queued] = client.get("/v1/repairs", params={"status": "open"}, headers=keys.reviewer).json()
    assert queued["id"] == repair["id"]
    assert me(client, keys.person)["repairs"][0]["status"] == "open"
    assert decision(client, keys.airline) == "deny"  # a request alone changes nothing
    again = request_repair(client, keys, debt)
    assert again.status_code == 409  # one open request per record

    approved = decide_repair(client, keys, repair["id"], True, "First instalment received.")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == keys.actor("reviewer")
    assert decision(client, keys.airline) == "allow"  # fulfilled today: it ends today
    access = me(client, keys.person)
    held = the_record(access, debt)
    assert held["fulfilled_on"] == day.isoformat() and held["counts_until"] == day.isoformat()
    assert held["history"] == [
        {
            "event": "fulfilled",
            "on": day.isoformat(),
            "by": keys.actor("reviewer"),
            "note": f"repair {repair['id']} approved: First instalment received.",
        }
    ]
    assert [n["payload"] for n in outbox(ledger, PERSON) if n["kind"] == "repair"] == [
        {
            "repair": repair["id"],
            "record": debt,
            "status": "approved",
            "reason": "First instalment received.",
        }
    ]
    # Fulfilled, there is nothing left to repair.
    assert request_repair(client, keys, debt).status_code == 409
    assert decide_repair(client, keys, repair["id"], False, "x").status_code == 409


def test_a_type_without_repair_refuses_a_request(client: TestClient, keys: Keys, day: date) -> None:
    [libel] = report(
        client, keys.court, record("(2026)R2", day - days(30), type="court.defamation")
    )
    r = request_repair(client, keys, libel)
    assert r.status_code == 409
    assert "court.defamation records allow no credit repair" in r.json()["detail"]
    assert me(client, keys.person)["repairs"] == []
    assert request_repair(client, keys, libel, "").status_code == 422
    assert request_repair(client, keys, 999999).status_code == 404


def test_a_rejected_repair_keeps_its_reason(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    [debt] = report(client, keys.court, record("(2026)R3", day - days(30)))
    repair = request_repair(client, keys, debt).json()
    rejected = decide_repair(client, keys, repair["id"], False, "Nothing has been paid yet.")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    access = me(client, keys.person)
    [shown] = access["repairs"]
    assert (shown["status"], shown["reason"]) == ("rejected", "Nothing has been paid yet.")
    assert the_record(access, debt)["fulfilled_on"] is None
    assert decision(client, keys.airline) == "deny"
    assert "Nothing has been paid yet." in client.get("/v1/me/report", headers=keys.person).text
    # After a rejection the subject may ask again, with a better commitment.
    assert request_repair(client, keys, debt, "Paid in full today.").status_code == 200


def test_cli_repairs_list_and_decide(
    client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    [debt] = report(client, keys.court, record("(2026)R4", day - days(30)))
    repair = request_repair(client, keys, debt).json()
    [listed] = run_json("repairs", "list", "--status", "open", db=database_url)
    assert listed["id"] == repair["id"] and listed["commitment"] == "I will pay by 31 Dec."
    data = run_json(
        "repairs", "decide", str(repair["id"]), "approve", "--reason", "Paid.", db=database_url
    )
    assert data["status"] == "approved" and data["decided_by"].startswith("cli:")
    assert decision(client, keys.airline) == "allow"
    assert run_json("repairs", "list", "--status", "open", db=database_url) == []
    bad = run(
        "repairs", "decide", str(repair["id"]), "maybe", "--reason", "x", db=database_url, expect=2
    )
    assert "approve or reject" in " ".join(bad.stderr.split())
    twice = run(
        "repairs", "decide", str(repair["id"]), "reject", "--reason", "x", db=database_url, expect=1
    )
    assert "already decided" in twice.stderr


def test_a_record_based_listing_end_sends_an_expiry_notice_once(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    decided = day - days(60)
    report(client, keys.court, record("(2026)E1", decided))
    ends = Period(2, "y").after(decided)  # court.dishonest_debtor counts for 2y
    assert act(ledger, notices.expiries, ends - days(1)) == 0
    assert act(ledger, notices.expiries, ends) == 1
    assert act(ledger, notices.expiries, ends) == 0  # re-running the day queues nothing new
    expiry = [n for n in outbox(ledger, PERSON) if n["kind"] == "expiry"]
    assert [n["payload"] for n in expiry] == [
        {
            "source": "city-court",
            "reference": "(2026)E1",
            "lists": ["dishonest-debtors"],
            "ended_on": ends.isoformat(),
        }
    ]
    queued = run_json("notices", "expiries", "--as-of", ends.isoformat(), db=str(ledger.engine.url))
    assert queued["queued"] == 0


def test_record_writes_are_in_the_audit_log(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    [record_id] = report(client, keys.court, record("(2026)W1", day - days(30)))
    done = client.post(
        f"/v1/records/{record_id}/fulfil",
        json={"fulfilled_on": (day - days(1)).isoformat()},
        headers=keys.court,
    )
    assert done.status_code == 200, done.text
    with ledger.uow() as uow:
        events = uow.audit.events(limit=1000)
    writes = [(e.action, e.subject) for e in events if e.action.startswith("record")]
    assert writes == [("records.report", PERSON), ("record.fulfil", PERSON)]
    reported = next(e for e in events if e.action == "records.report")
    assert reported.detail["source"] == "city-court"
    assert (reported.detail["received"], reported.detail["inserted"]) == (1, 1)
    assert reported.actor.startswith("agency:")
