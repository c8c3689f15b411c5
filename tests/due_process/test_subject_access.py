"""Subject access: GET /v1/me, the JSON and HTML report, and `trustledger report`.

Everything held about a subject, why, until when, and who looked: the FCRA file disclosure and
the GDPR access request in one answer.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    PERSON,
    Keys,
    check,
    days,
    me,
    record,
    report,
    run,
    the_record,
)
from trustledger.domain.rulebook import Rulebook
from trustledger.services.context import Ledger

EVIL = "<script>alert('x')</script>"


def book(ledger: Ledger) -> Rulebook:
    with ledger.uow() as uow:
        return ledger.rulebook(uow)


class File:
    """A consenting person with a listing, a traffic ticket, a voided record, a dispute, a
    pending proposal, and two providers that checked them."""

    def __init__(self, ledger: Ledger, client: TestClient, keys: Keys, day: date) -> None:
        self.day = day
        self.debt_on = day - days(30)
        self.ticket_on = day - days(40)
        r = client.put("/v1/me/consent", json={"consent": True}, headers=keys.person)
        assert r.status_code == 200, r.text
        self.debt, self.wrong = report(
            client,
            keys.court,
            record("(2026)D1", self.debt_on, amount="125000.00", note="judgment not performed"),
            record("(2026)D2", self.debt_on),
        )
        [self.ticket] = report(
            client, keys.traffic, record("T-77", self.ticket_on, type="traffic.violation")
        )
        voided = client.post(
            f"/v1/records/{self.wrong}/void", json={"reason": EVIL}, headers=keys.court
        )
        assert voided.status_code == 200, voided.text
        filed = client.post(
            "/v1/me/disputes",
            json={"record": self.ticket, "grounds": "I was not driving."},
            headers=keys.person,
        )
        assert filed.status_code == 200, filed.text
        self.dispute = filed.json()["id"]
        with ledger.uow() as uow:
            self.proposal = uow.proposals.add(
                subject=PERSON,
                list="credit-watch",
                because="tier:D",
                proposed_on=day,
                status="pending",
            )
            uow.commit()
        self.flight = check(client, keys.airline)
        self.bid = check(client, keys.portal, "procurement.bid")
        assert (self.flight["decision"], self.bid["decision"]) == ("deny", "allow")


@pytest.fixture
def file(ledger: Ledger, client: TestClient, keys: Keys, day: date) -> File:
    return File(ledger, client, keys, day)


def test_me_holds_the_score_and_every_contribution_with_its_basis_and_end(
    ledger: Ledger, client: TestClient, keys: Keys, file: File
) -> None:
    rules = book(ledger)
    access = me(client, keys.person)
    assert access["subject"] == PERSON and access["kind"] == "person"
    assert access["as_of"] == file.day.isoformat()
    assert access["rulebook"] == {"name": "example-city", "version": rules.version}
    assert access["consent"] == {"given": True, "required": True}
    assert access["base"] == 1000
    assert (access["score"], access["tier"]) == (1000 - 150 - 5, "C")
    debtor = rules.record_type("court.dishonest_debtor")
    ticket = rules.record_type("traffic.violation")
    assert debtor is not None and ticket is not None
    assert access["contributions"] == [
        {
            "reference": "(2026)D1",
            "source": "city-court",
            "type": "court.dishonest_debtor",
            "label": debtor.label,
            "points": -150,
            "counts_until": debtor.counts_for.after(file.debt_on).isoformat(),
            "legal_basis": debtor.legal_basis,
        },
        {
            "reference": "T-77",
            "source": "city-traffic",
            "type": "traffic.violation",
            "label": ticket.label,
            "points": -5,
            "counts_until": ticket.counts_for.after(file.ticket_on).isoformat(),
            "legal_basis": ticket.legal_basis,
        },
    ]
    # The points explain the score exactly.
    assert access["base"] + sum(c["points"] for c in access["contributions"]) == access["score"]


def test_me_holds_lists_and_measures_with_since_and_until(
    ledger: Ledger, client: TestClient, keys: Keys, file: File
) -> None:
    rules = book(ledger)
    until = rules.record_type("court.dishonest_debtor").counts_for.after(file.debt_on)  # type: ignore[union-attr]
    access = me(client, keys.person)
    assert access["lists"] == [
        {
            "list": "dishonest-debtors",
            "kind": "black",
            "since": (file.debt_on + days(10)).isoformat(),  # notice_days: 10
            "until": until.isoformat(),
            "because": "record:(2026)D1",
        }
    ]
    expected = {
        m.code: m for m in rules.measures if m.list == "dishonest-debtors"
    }  # tier C has no measures
    assert {m["code"] for m in access["measures"]} == set(expected)
    for m in access["measures"]:
        assert m == {
            "code": m["code"],
            "action": expected[m["code"]].action,
            "effect": "deny",
            "reason": "list:dishonest-debtors",
            "legal_basis": expected[m["code"]].legal_basis,
            "until": until.isoformat(),
        }
    # Before the notice period ran out there was no list and no measure.
    earlier = me(client, keys.person, as_of=file.debt_on + days(9))
    assert earlier["as_of"] == (file.debt_on + days(9)).isoformat()
    assert earlier["lists"] == [] and earlier["measures"] == []


def test_me_holds_every_record_voided_ones_too_with_their_history(
    ledger: Ledger, client: TestClient, keys: Keys, file: File
) -> None:
    rules = book(ledger)
    access = me(client, keys.person)
    assert [r["id"] for r in access["records"]] == [file.debt, file.wrong, file.ticket]
    debt = the_record(access, file.debt)
    assert debt == {
        "id": file.debt,
        "type": "court.dishonest_debtor",
        "label": rules.record_type("court.dishonest_debtor").label,  # type: ignore[union-attr]
        "category": "judicial",
        "legal_basis": rules.record_type("court.dishonest_debtor").legal_basis,  # type: ignore[union-attr]
        "source": "city-court",
        "reference": "(2026)D1",
        "decided_on": file.debt_on.isoformat(),
        "notified_on": file.debt_on.isoformat(),
        "amount": "125000.00",
        "note": "judgment not performed",
        "fulfilled_on": None,
        "voided": False,
        "disputed": False,
        "counts_until": debt["counts_until"],
        "points_now": -150,
        "history": [],
    }
    wrong = the_record(access, file.wrong)
    assert wrong["voided"] is True and wrong["points_now"] == 0
    assert wrong["history"] == [
        {"event": "voided", "on": file.day.isoformat(), "by": "city-court", "note": EVIL}
    ]
    ticket = the_record(access, file.ticket)
    assert ticket["disputed"] is True and ticket["points_now"] == -5
    assert [(h["event"], h["note"]) for h in ticket["history"]] == [
        ("disputed", "I was not driving.")
    ]


def test_me_holds_pending_proposals_and_disputes(
    client: TestClient, keys: Keys, file: File
) -> None:
    access = me(client, keys.person)
    [dispute] = access["disputes"]
    assert dispute["id"] == file.dispute and dispute["record_id"] == file.ticket
    assert dispute["status"] == "open" and dispute["grounds"] == "I was not driving."
    assert dispute["due_on"] == (file.day + days(30)).isoformat()
    [proposal] = access["proposals"]
    assert (proposal["id"], proposal["list"], proposal["status"]) == (
        file.proposal,
        "credit-watch",
        "pending",
    )


def test_the_access_log_names_who_checked_when_for_what_with_which_decision(
    client: TestClient, keys: Keys, file: File
) -> None:
    log = me(client, keys.person)["access_log"]
    checks = [e for e in log if e["what"] == "check"]
    assert [(e["by"], e["action"], e["decision"]) for e in checks] == [
        (keys.actor("airline"), "travel.flight", "deny"),
        (keys.actor("portal"), "procurement.bid", "allow"),
    ]
    # When, in UTC: the city's today or (before 08:00 there) the day before.
    assert {datetime.fromisoformat(e["at"]).date() for e in checks} <= {
        file.day - days(1),
        file.day,
    }
    assert "provider:" in checks[0]["by"] and "airline" in checks[0]["by"]
    # A score read by a reviewer and the subject's own reads are in the log as well.
    r = client.get(f"/v1/subjects/{PERSON}/score", headers=keys.reviewer)
    assert r.status_code == 200
    log = me(client, keys.person)["access_log"]
    assert [e["what"] for e in log] == ["check", "check", "access.read", "score.read"]
    assert log[-1]["by"] == keys.actor("reviewer")
    assert [e["at"] for e in log] == sorted(e["at"] for e in log)


def test_the_json_report_is_the_access_answer(client: TestClient, keys: Keys, file: File) -> None:
    r = client.get("/v1/me/report", params={"format": "json"}, headers=keys.person)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    exported = r.json()
    access = me(client, keys.person)
    # The same answer, except that each read adds itself to the access log.
    assert {k: v for k, v in exported.items() if k != "access_log"} == {
        k: v for k, v in access.items() if k != "access_log"
    }
    assert [e["what"] for e in access["access_log"]][-1] == "access.export"


def test_the_html_report_is_printable_and_complete(
    client: TestClient, keys: Keys, file: File
) -> None:
    r = client.get("/v1/me/report", params={"format": "html"}, headers=keys.person)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert html.startswith("<!doctype html>")
    for text in (
        PERSON,
        "Score 845",
        "tier C",
        "(2026)D1",
        "(2026)D2",
        "T-77",
        "dishonest-debtors",
        "no-flights",
        "credit-watch",
    ):
        assert text in html, text
    # The access log: who, for which action, with which decision.
    for text in (keys.actor("airline"), keys.actor("portal"), "travel.flight", "procurement.bid"):
        assert text in html, text
    assert "<td>deny</td>" in html and "<td>allow</td>" in html
    # Whatever a source wrote is escaped, never markup.
    assert EVIL not in html and "&lt;script&gt;" in html
    # The default format is HTML.
    default = client.get("/v1/me/report", headers=keys.person)
    assert default.headers["content-type"].startswith("text/html")
    bad = client.get("/v1/me/report", params={"format": "pdf"}, headers=keys.person)
    assert bad.status_code == 422 and "format" in bad.json()["detail"]


def test_a_subject_without_records_gets_an_empty_report(client: TestClient, keys: Keys) -> None:
    access = me(client, keys.other)
    assert access["records"] == [] and access["lists"] == [] and access["contributions"] == []
    assert access["score"] is None and access["tier"] is None  # a person who has not consented
    assert access["consent"] == {"given": False, "required": True}
    html = client.get("/v1/me/report", headers=keys.other).text
    assert "No score and no tier" in html and "No records." in html


def test_cli_report_json_and_html(
    ledger: Ledger,
    client: TestClient,
    keys: Keys,
    file: File,
    database_url: str,
    tmp_path: Path,
) -> None:
    data: dict[str, Any] = json.loads(
        run("report", PERSON, "--format", "json", db=database_url).stdout
    )
    assert data["subject"] == PERSON and data["score"] == 845
    assert [r["reference"] for r in data["records"]] == ["(2026)D1", "(2026)D2", "T-77"]
    assert [(e["action"], e["decision"]) for e in data["access_log"] if e["what"] == "check"] == [
        ("travel.flight", "deny"),
        ("procurement.bid", "allow"),
    ]
    html = run("report", PERSON, "--format", "html", db=database_url).stdout
    assert "<!doctype html>" in html and "(2026)D1" in html and keys.actor("airline") in html
    target = tmp_path / "report.html"
    run("report", PERSON, "--format", "html", "--output", str(target), db=database_url)
    assert "(2026)D1" in target.read_text("utf-8")
    past = json.loads(
        run(
            "report", PERSON, "--as-of", (file.debt_on + days(9)).isoformat(), db=database_url
        ).stdout
    )
    assert past["lists"] == []
    bad = run("report", PERSON, "--format", "pdf", db=database_url, expect=2)
    assert "--format" in bad.stderr
    unknown = run("report", "cn-rid:123", db=database_url, expect=1)
    assert "cn-rid" in unknown.stderr
    # The CLI's exports are in the subject's access log, named as the CLI's user.
    exports = [e for e in me(client, keys.person)["access_log"] if e["what"] == "access.export"]
    assert len(exports) == 4 and all(e["by"].startswith("cli:") for e in exports)


def test_the_access_log_is_complete_however_long(
    ledger: Ledger, client: TestClient, keys: Keys
) -> None:
    """A subject checked every day for years still sees the newest checks."""
    with ledger.uow() as uow:
        uow.audit.append_many(
            [
                {
                    "actor": "provider:old railway",
                    "action": "check",
                    "subject": PERSON,
                    "detail": {"action": "travel.rail_g_train", "decision": "allow"},
                }
                for _ in range(10_050)
            ]
        )
        uow.commit()
    check(client, keys.airline)
    log = me(client, keys.person)["access_log"]
    assert len(log) == 10_051
    assert (log[-1]["by"], log[-1]["action"]) == (keys.actor("airline"), "travel.flight")
