"""Due-process fixtures: an API client over the `ledger` fixture (SQLite and PostgreSQL), a key
for every role, and helpers that speak HTTP and the CLI as the people in the flows would.

Dates are relative to the ledger's own "today" (the rulebook's zone), because the services date
disputes, decisions and notices by the clock; records are reported as decided in the past.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import act
from trustledger.api import create_app
from trustledger.cli import app as cli_app
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import Principal, create_key
from trustledger.services.context import Ledger, today

PERSON = "cn-rid:11010519491231002X"  # the subject of most flows
OTHER = "cn-rid:110105198001010016"  # another person, who must never see PERSON's data
COMPANY = "cn-uscc:91350100M000100Y43"

runner = CliRunner()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Keys:
    """One key per role (and per scope where the role has one), with its principal."""

    def __init__(self, ledger: Ledger) -> None:
        made: dict[str, tuple[str, Principal]] = {
            "court": act(ledger, create_key, Role.AGENCY, "court", source="city-court"),
            "traffic": act(ledger, create_key, Role.AGENCY, "traffic", source="city-traffic"),
            "tax": act(ledger, create_key, Role.AGENCY, "tax", source="city-tax"),
            "airline": act(ledger, create_key, Role.PROVIDER, "airline", actions=["travel.flight"]),
            "portal": act(ledger, create_key, Role.PROVIDER, "portal", actions=["procurement.bid"]),
            "library": act(
                ledger, create_key, Role.PROVIDER, "library", actions=["library.borrow"]
            ),
            "reviewer": act(ledger, create_key, Role.REVIEWER, "reviewer"),
            "admin": act(ledger, create_key, Role.ADMIN, "admin"),
            "auditor": act(ledger, create_key, Role.AUDITOR, "auditor"),
            "person": act(ledger, create_key, Role.SUBJECT, "person", subject=PERSON),
            "other": act(ledger, create_key, Role.SUBJECT, "other", subject=OTHER),
            "company": act(ledger, create_key, Role.SUBJECT, "company", subject=COMPANY),
        }
        self.secret = {name: key for name, (key, _) in made.items()}
        self.principal = {name: p for name, (_, p) in made.items()}

    def __getattr__(self, name: str) -> dict[str, str]:
        """`keys.court` is the Authorization header of the court's key."""
        try:
            return bearer(self.__dict__["secret"][name])
        except KeyError:
            raise AttributeError(name) from None

    def actor(self, name: str) -> str:
        return self.principal[name].actor

    # The key that stands for each role in the permission tests.
    ROLE_KEY: ClassVar[dict[Role, str]] = {
        Role.SUBJECT: "person",
        Role.AGENCY: "court",
        Role.PROVIDER: "airline",
        Role.REVIEWER: "reviewer",
        Role.ADMIN: "admin",
        Role.AUDITOR: "auditor",
    }

    def of_role(self, role: Role) -> dict[str, str]:
        return bearer(self.secret[self.ROLE_KEY[role]])


@pytest.fixture
def keys(ledger: Ledger) -> Keys:
    return Keys(ledger)


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger)) as client:
        yield client


@pytest.fixture
def day(ledger: Ledger) -> date:
    """Today as the ledger sees it (the rulebook's zone)."""
    with ledger.uow() as uow:
        return today(ledger.rulebook(uow))


def record(
    reference: str,
    decided_on: date,
    *,
    subject: str = PERSON,
    type: str = "court.dishonest_debtor",
    **more: Any,
) -> dict[str, Any]:
    """A record notified on its decision day (so notice periods count from the decision)."""
    return {
        "subject": subject,
        "type": type,
        "reference": reference,
        "decided_on": decided_on.isoformat(),
        "notified_on": decided_on.isoformat(),
        **more,
    }


def report(client: TestClient, key: dict[str, str], *records: dict[str, Any]) -> list[int]:
    """POST records with an agency key; every one must be inserted. Returns their ids."""
    r = client.post("/v1/records", json={"records": list(records)}, headers=key)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["inserted"] * len(records), results
    return [x["id"] for x in results]


def check(
    client: TestClient,
    key: dict[str, str],
    action: str = "travel.flight",
    subject: str = PERSON,
    as_of: date | None = None,
) -> dict[str, Any]:
    params = {"subject": subject, "action": action}
    if as_of is not None:
        params["as_of"] = as_of.isoformat()
    r = client.get("/v1/checks", params=params, headers=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def decision(
    client: TestClient,
    key: dict[str, str],
    action: str = "travel.flight",
    subject: str = PERSON,
    as_of: date | None = None,
) -> str:
    return str(check(client, key, action, subject, as_of)["decision"])


def me(client: TestClient, key: dict[str, str], as_of: date | None = None) -> dict[str, Any]:
    params = {"as_of": as_of.isoformat()} if as_of else {}
    r = client.get("/v1/me", params=params, headers=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def the_record(access: dict[str, Any], record_id: int) -> dict[str, Any]:
    [found] = [r for r in access["records"] if r["id"] == record_id]
    return found


def outbox(ledger: Ledger, subject: str | None = None) -> list[dict[str, Any]]:
    with ledger.uow() as uow:
        return uow.outbox.of(subject)


def run(*args: str, db: str, expect: int = 0) -> Result:
    """`trustledger ARGS --db DB`; a traceback is never an expected outcome."""
    argv = [*args, "--db", db]
    result = runner.invoke(cli_app, argv)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{argv} crashed: {result.exception!r}\n{result.stderr}"
    assert result.exit_code == expect, (argv, result.stdout, result.stderr)
    return result


def run_json(*args: str, db: str) -> Any:
    return json.loads(run(*args, "--json", db=db).stdout)


def days(n: int) -> timedelta:
    return timedelta(days=n)
