"""A company sees what public bodies owe it and complains about a payment; a reviewer decides.
Over HTTP on both stores, with the public pages of the second system."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.conftest import act
from tests.due_process.conftest import COMPANY, Keys, bearer, days
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger
from trustledger.services.integrity import commitments

BUREAU = "cn-uscc:111100000000000030"


def test_a_company_complains_about_a_late_payment(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    act(ledger, commitments.add_body, BUREAU, "City Transport Bureau")
    office = bearer(act(ledger, create_key, Role.AGENCY, "integrity", source="city-integrity")[0])
    bill = {
        "body": BUREAU,
        "counterparty": COMPANY,
        "kind": "payment",
        "amount": "10000",
        "accepted_on": (day - days(40)).isoformat(),
        "sme": True,
        "reference": "INV-7",
    }
    added = client.post("/v1/commitments", json=bill, headers=office)
    assert added.status_code == 200, added.text
    assert added.json()["due_on"] == (day - days(10)).isoformat()
    assert client.post("/v1/commitments", json=bill, headers=office).json()["status"] == "duplicate"
    conflict = client.post("/v1/commitments", json={**bill, "amount": "9"}, headers=office)
    assert conflict.status_code == 409 and "amount" in conflict.json()["detail"]
    too_late = {**bill, "reference": "INV-8", "due_on": (day + days(21)).isoformat()}
    late = client.post("/v1/commitments", json=too_late, headers=office)
    assert late.status_code == 422 and "due_on" in late.text
    # A court may not register payments.
    assert client.post("/v1/commitments", json=bill, headers=keys.court).status_code == 403
    paid = client.post(
        "/v1/commitments/INV-7/payments",
        json={"on": (day - days(5)).isoformat(), "amount": "4000"},
        headers=office,
    )
    assert paid.status_code == 200 and paid.json()["owed"] == "6000.00"

    mine = client.get("/v1/me", headers=keys.company).json()
    [owed] = mine["commitments_owed_to_me"]
    assert (owed["reference"], owed["overdue"], owed["owed"]) == ("INV-7", True, "6000.00")
    printable = client.get("/v1/me/report", params={"format": "html"}, headers=keys.company).text
    assert "What public bodies owe you" in printable and "INV-7" in printable

    filed = client.post(
        "/v1/me/complaints",
        json={"source": "city-integrity", "reference": "INV-7", "grounds": "withheld",
              "statement": "The undisputed 6,000 is withheld."},
        headers=keys.company,
    )  # fmt: skip
    assert filed.status_code == 200, filed.text
    complaint = filed.json()
    assert complaint["supervisor"] == "integrity-office"
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
    assert book.commitments is not None
    assert complaint["due_on"] == book.deadline(day, book.commitments.decide_within).isoformat()
    assert str(book.commitments.decide_within) == "10w"
    # Another subject cannot complain about a commitment owed to someone else.
    other = client.post(
        "/v1/me/complaints",
        json={"source": "city-integrity", "reference": "INV-7", "grounds": "late",
              "statement": "x"},
        headers=keys.person,
    )  # fmt: skip
    assert other.status_code == 404
    queue = client.get("/v1/complaints", headers=keys.reviewer).json()
    assert [c["id"] for c in queue] == [complaint["id"]]
    # The supervising source sees it; another source does not; neither decides it.
    assert [c["id"] for c in client.get("/v1/complaints", headers=office).json()] == [
        complaint["id"]
    ]
    assert client.get("/v1/complaints", headers=keys.court).json() == []
    refused = client.post(
        f"/v1/complaints/{complaint['id']}/decision",
        json={"outcome": "upheld", "reason": "x"},
        headers=office,
    )
    assert refused.status_code == 403
    decided = client.post(
        f"/v1/complaints/{complaint['id']}/decision",
        json={"outcome": "upheld", "reason": "The undisputed part must be paid."},
        headers=keys.reviewer,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    again = client.post(
        f"/v1/complaints/{complaint['id']}/decision",
        json={"outcome": "rejected", "reason": "x"},
        headers=keys.reviewer,
    )
    assert again.status_code == 409

    # The public side: the body is in arrears, ranked and published.
    ranking = client.get("/v1/public-bodies").json()
    assert ranking[0]["subject"] == BUREAU and ranking[0]["overdue_amount"] == "6000.00"
    page = client.get(f"/v1/public-bodies/{BUREAU}").json()
    assert "government-arrears" in page["lists"]
    listed = client.get("/v1/lists/government-arrears").json()
    assert BUREAU in str(listed)
    year = client.get("/v1/integrity/publication", params={"year": day.year - 1}).json()
    assert year == []  # nothing was overdue at the end of last year
    check = client.get(
        "/v1/checks",
        params={"subject": BUREAU, "action": "gov.new_project_approval"},
        headers=keys.admin,
    )
    assert check.json()["decision"] == "deny"
