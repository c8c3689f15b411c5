"""Consent: persons opt in to points and tiers (`requires_consent: [person]`) and may withdraw.

Without consent: no score, no tier, no tier measure; records and record-based lists still apply.
Organizations are scored without anyone's consent.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    COMPANY,
    PERSON,
    Keys,
    days,
    decision,
    me,
    record,
    report,
    run,
    run_json,
)
from trustledger.services.context import Ledger


def consent(client: TestClient, key: dict[str, str], given: bool) -> dict[str, Any]:
    r = client.put("/v1/me/consent", json={"consent": given}, headers=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def score(client: TestClient, keys: Keys, subject: str = PERSON) -> dict[str, Any]:
    r = client.get(f"/v1/subjects/{subject}/score", headers=keys.reviewer)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def person_with_records(client: TestClient, keys: Keys, day: date) -> None:
    """Listed as a dishonest debtor (a record-based list) and a traffic ticket."""
    report(client, keys.court, record("(2026)C1", day - days(30)))
    report(client, keys.traffic, record("T-1", day - days(30), type="traffic.violation"))


def test_without_consent_no_score_no_tier_no_tier_measures_but_lists_apply(
    client: TestClient, keys: Keys, day: date
) -> None:
    person_with_records(client, keys, day)
    access = me(client, keys.person)
    assert access["consent"] == {"given": False, "required": True}
    assert (access["score"], access["tier"], access["contributions"]) == (None, None, [])
    assert [m["list"] for m in access["lists"]] == ["dishonest-debtors"]
    assert {m["reason"] for m in access["measures"]} == {"list:dishonest-debtors"}
    assert [r["reference"] for r in access["records"]] == ["(2026)C1", "T-1"]
    scored = score(client, keys)
    assert (scored["score"], scored["tier"], scored["contributions"]) == (None, None, [])
    assert scored["lists"] == ["dishonest-debtors"]
    assert decision(client, keys.airline) == "deny"  # the list applies regardless
    assert decision(client, keys.library, "library.borrow") == "allow"  # no tier incentive


def test_grant_then_withdraw(ledger: Ledger, client: TestClient, keys: Keys, day: date) -> None:
    report(client, keys.traffic, record("T-2", day - days(30), type="traffic.violation"))
    assert consent(client, keys.person, True) == {
        "subject": PERSON,
        "consent": True,
        "required": True,
    }
    access = me(client, keys.person)
    assert access["consent"] == {"given": True, "required": True}
    assert (access["score"], access["tier"]) == (995, "A")
    assert [c["reference"] for c in access["contributions"]] == ["T-2"]
    assert [m["code"] for m in access["measures"]] == ["a-tier-library-no-deposit"]
    assert decision(client, keys.library, "library.borrow") == "incentive"
    assert score(client, keys)["score"] == 995

    assert consent(client, keys.person, False)["consent"] is False
    access = me(client, keys.person)
    assert (access["score"], access["tier"], access["measures"]) == (None, None, [])
    assert decision(client, keys.library, "library.borrow") == "allow"
    assert score(client, keys)["tier"] is None
    # Consent is idempotent, and each decision is in the audit log.
    consent(client, keys.person, False)
    with ledger.uow() as uow:
        actions = [e.action for e in uow.audit.events(subject=PERSON) if "consent" in e.action]
    assert actions == ["consent.grant", "consent.withdraw", "consent.withdraw"]


def test_consent_before_any_record(client: TestClient, keys: Keys, day: date) -> None:
    """Consent given by someone the ledger has no record of yet is kept for later."""
    consent(client, keys.person, True)
    assert me(client, keys.person)["score"] == 1000
    report(client, keys.traffic, record("T-3", day - days(3), type="traffic.violation"))
    assert me(client, keys.person)["score"] == 995


def test_organizations_are_scored_without_consent(
    client: TestClient, keys: Keys, day: date
) -> None:
    report(client, keys.tax, record("A-1", day - days(30), subject=COMPANY, type="tax.a_grade"))
    access = me(client, keys.company)
    assert access["kind"] == "organization"
    assert access["consent"] == {"given": False, "required": False}
    assert (access["score"], access["tier"]) == (1030, "A")
    assert score(client, keys, COMPANY)["score"] == 1030
    # An organization may record a consent decision; it changes nothing.
    assert consent(client, keys.company, False) == {
        "subject": COMPANY,
        "consent": False,
        "required": False,
    }
    assert me(client, keys.company)["score"] == 1030


def test_cli_consent_grant_and_withdraw(
    client: TestClient, keys: Keys, day: date, database_url: str
) -> None:
    person_with_records(client, keys, day)
    granted = run_json("consent", PERSON, "grant", db=database_url)
    assert granted == {"subject": PERSON, "consent": True, "required": True}
    scored = run_json("score", PERSON, db=database_url)
    assert (scored["score"], scored["tier"]) == (1000 - 150 - 5, "C")
    assert me(client, keys.person)["consent"]["given"] is True

    human = run("consent", PERSON, "withdraw", db=database_url).stdout
    assert "consent withdrawn" in human
    scored = run_json("score", PERSON, db=database_url)
    assert (scored["score"], scored["tier"]) == (None, None)
    assert scored["lists"] == ["dishonest-debtors"]

    bad = run("consent", PERSON, "maybe", db=database_url, expect=2)
    assert "grant or withdraw" in " ".join(bad.stderr.split())
    invalid = run("consent", "cn-rid:110105194912310020", "grant", db=database_url, expect=1)
    assert "check character" in invalid.stderr


def test_the_cli_works_without_a_login_name(
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    client: TestClient,
    keys: Keys,
    database_url: str,
) -> None:
    """In a container running as a user with no passwd entry there is no login name."""

    def nobody() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert run_json("consent", PERSON, "grant", db=database_url)["consent"] is True
    with ledger.uow() as uow:
        [granted] = [e for e in uow.audit.events(subject=PERSON) if e.action == "consent.grant"]
    assert granted.actor == f"cli:uid-{os.getuid()}"  # never a bare "cli"
    assert run("report", PERSON, db=database_url).exit_code == 0
    exports = [
        e["by"] for e in me(client, keys.person)["access_log"] if e["what"] == "access.export"
    ]
    assert exports == [f"cli:uid-{os.getuid()}"]
