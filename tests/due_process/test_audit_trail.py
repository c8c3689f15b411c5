"""Every read of personal data (checks, score reads, subject access, exports) and every
due-process decision is an audit event; after a whole flow the hash chain verifies."""

from __future__ import annotations

from collections import Counter
from datetime import date

from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    COMPANY,
    OTHER,
    PERSON,
    Keys,
    check,
    days,
    me,
    record,
    report,
    run,
    run_json,
)
from trustledger.services.context import Ledger
from trustledger.services.due_process import review
from trustledger.store.audit import AuditEvent


def events(ledger: Ledger, subject: str) -> list[AuditEvent]:
    with ledger.uow() as uow:
        return uow.audit.events(subject=subject, limit=10_000)


def test_each_read_of_personal_data_is_an_audit_event(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    report(client, keys.court, record("(2026)AU1", day - days(30)))
    before = len(events(ledger, PERSON))

    check(client, keys.airline)
    batch = {"action": "procurement.bid", "subjects": [PERSON, OTHER, COMPANY]}
    assert client.post("/v1/checks", json=batch, headers=keys.portal).status_code == 200
    assert client.get(f"/v1/subjects/{PERSON}/score", headers=keys.reviewer).status_code == 200
    me(client, keys.person)
    assert client.get("/v1/me/report", params={"format": "json"}, headers=keys.person).is_success
    assert client.get("/v1/me/report", params={"format": "html"}, headers=keys.person).is_success
    run("report", PERSON, db=database_url)

    new = events(ledger, PERSON)[before:]
    assert [(e.action, e.actor) for e in new] == [
        ("check", keys.actor("airline")),
        ("check", keys.actor("portal")),
        ("score.read", keys.actor("reviewer")),
        ("access.read", keys.actor("person")),
        ("access.export", keys.actor("person")),
        ("access.export", keys.actor("person")),
        ("access.export", new[-1].actor),
    ]
    assert new[-1].actor.startswith("cli:")
    assert new[0].detail == {"action": "travel.flight", "decision": "deny", "as_of": str(day)}
    assert new[1].detail == {"action": "procurement.bid", "decision": "allow", "as_of": str(day)}
    assert new[3].detail == {"as_of": str(day)}
    # The batch logged one check per subject, each under its own subject.
    for subject in (OTHER, COMPANY):
        assert [e.action for e in events(ledger, subject)] == ["check"]
    # Refused requests read nothing and log nothing.
    assert client.get("/v1/me", headers=keys.airline).status_code == 403
    params = {"subject": PERSON, "action": "procurement.bid"}
    assert client.get("/v1/checks", params=params, headers=keys.airline).status_code == 403
    assert len(events(ledger, PERSON)) == before + len(new)


def test_a_whole_due_process_flow_is_logged_and_the_chain_verifies(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    client.put("/v1/me/consent", json={"consent": True}, headers=keys.person)
    ids = report(
        client,
        keys.court,
        record("(2026)W0", day - days(30)),
        *(record(f"(2026)W{i}", day - days(20), type="court.defamation") for i in range(1, 4)),
    )
    # Dispute one judgment (upheld), ask for repair of the listing (approved).
    filed = client.post(
        "/v1/me/disputes", json={"record": ids[1], "grounds": "Not me."}, headers=keys.person
    ).json()
    decided = client.post(
        f"/v1/disputes/{filed['id']}/decision",
        json={"outcome": "rejected", "reason": "It is you."},
        headers=keys.reviewer,
    )
    assert decided.status_code == 200
    repair = client.post(
        "/v1/me/repairs", json={"record": ids[0], "commitment": "Paying."}, headers=keys.person
    ).json()
    r = client.post(
        f"/v1/repairs/{repair['id']}/decision",
        json={"approve": False, "reason": "Not yet."},
        headers=keys.reviewer,
    )
    assert r.status_code == 200
    # Tier D (1000 - 150 - 300 = 550): proposed, answered, confirmed.
    assert review.scan(ledger, actor="test:scan")["proposed"] == 1
    [proposal] = client.get("/v1/proposals", headers=keys.reviewer).json()
    client.post(
        f"/v1/me/proposals/{proposal['id']}/statement",
        json={"statement": "Please wait."},
        headers=keys.person,
    )
    client.post(
        f"/v1/proposals/{proposal['id']}/decision",
        json={"approve": True, "reason": "Pattern."},
        headers=keys.reviewer,
    )
    run_json("consent", PERSON, "withdraw", db=database_url)
    check(client, keys.airline)
    me(client, keys.person)

    logged = Counter(e.action for e in events(ledger, PERSON))
    assert logged == {
        "records.report": 1,  # the agency's report of the record (a write of personal data)
        "consent.grant": 1,
        "dispute.file": 1,
        "dispute.decide": 1,
        "repair.request": 1,
        "repair.decide": 1,
        "proposal.statement": 1,
        "proposal.decide": 1,
        "consent.withdraw": 1,
        "check": 1,
        "access.read": 1,
    }
    with ledger.uow() as uow:
        scans = [e for e in uow.audit.events(limit=10_000) if e.action == "review.scan"]
    assert [(e.actor, e.subject) for e in scans] == [("test:scan", None)]

    verified = run_json("audit", "verify", db=database_url)
    assert verified["ok"] is True and verified["broken_id"] is None
    with ledger.uow() as uow:
        head = uow.audit.head()
        total = uow.audit.count()
    assert head is not None and verified["checked"] == total == head[0]
    assert client.get("/v1/audit/verify", headers=keys.auditor).json()["ok"] is True
    # The subject's access log shows who read, not what was written.
    log = me(client, keys.person)["access_log"]
    assert [e["what"] for e in log] == ["check", "access.read"]  # this read is logged next
