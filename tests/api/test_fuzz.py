"""Schemathesis holds the API to its OpenAPI document: every phase, every role, both databases.

The app runs on a throwaway ledger (one per database for the whole module) seeded through the
API with a little of everything (records, a dispute, a repair request, a commitment and a
complaint), so that generated requests also reach real rows. Each operation is driven

- stateless (the examples, coverage and fuzzing phases), once without a key and once with a key
  of every role, so that requests get past authentication to the code behind it (a role without
  the permission is answered 403 before its input is read: after that 403 is checked, the rest
  of its examples are not sent); and
- stateful, following the document's links (a record's id to void or dispute it, a dispute's id
  to decide it, a checkpoint's size to prove against it ...), each step with the key of a role
  that may take it, so that sequences reach past the first call.

Every response must be no 5xx, have a status code the operation documents, the documented
content type, a body valid against the documented schema, and the documented headers.
Rate limits are off here (their 429 is checked in tests/api/test_contract.py).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import stateful
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES, _admin_connect, act
from trustledger.api import create_app
from trustledger.batch.synthetic import SOURCES
from trustledger.config import Settings
from trustledger.domain.roles import Role
from trustledger.services.admin import rulebooks
from trustledger.services.admin.keys import KeyCache, create_key
from trustledger.services.context import Ledger
from trustledger.services.intake.sources import add_source
from trustledger.services.integrity import commitments

# The answer is as documented: its status code, content type, body and headers.
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CHECKS = [not_a_server_error, *CONFORMANCE]
COMPANY = "cn-uscc:91350100M000100Y43"  # the subject key's subject
PERSON = "cn-rid:11010519491231002X"
BUREAU = "cn-uscc:111100000000000030"  # a public body that owes it
# Examples each operation gets in the fuzzing phase, per role (the coverage and examples phases
# generate what the schema defines); scenarios of the stateful phase, and steps in each.
FUZZ_EXAMPLES = 8
SCENARIOS = 60
STEPS = 8


def open_ledger(url: str) -> Ledger:
    # No rate limits: a 429 would hide the code behind it (tests/api/test_contract.py checks it).
    ledger = Ledger.open(url, settings=Settings(rate_per_key=0, rate_per_address=0))
    rulebooks.init(ledger, actor="test")
    for code, kind, name in SOURCES:
        act(ledger, add_source, code, kind, name)
    return ledger


# One app for the module: the schema is read from it when the tests are collected; each
# database's ledger is put under it by the `world` fixture (the app reads `state.ledger` per
# request). Schemathesis's fixture-based loader does not work with pytest 9.
APP = create_app(open_ledger(f"sqlite:///{Path(tempfile.mkdtemp()) / 'collect.db'}"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
DOCUMENT = APP.openapi()


class World:
    """A seeded ledger under APP, and a key for every role (agencies: the court, and the
    integrity office)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.database = ledger.engine.dialect.name
        APP.state.ledger = ledger
        APP.state.keys = KeyCache()

        def key(role: Role, **scope: Any) -> str:
            made: str = act(ledger, create_key, role, "fuzz", **scope)[0]
            return made

        self.keys: dict[str | None, str] = {
            None: "",
            Role.AGENCY: key(Role.AGENCY, source="city-court"),
            "integrity": key(Role.AGENCY, source="city-integrity"),
            Role.PROVIDER: key(Role.PROVIDER, actions=["travel.flight"]),
            Role.SUBJECT: key(Role.SUBJECT, subject=COMPANY),
            Role.REVIEWER: key(Role.REVIEWER),
            Role.ADMIN: key(Role.ADMIN),
            Role.AUDITOR: key(Role.AUDITOR),
        }
        self.seed()

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"} if who else {}

    def seed(self) -> None:
        """A little of everything, through the API (each call must succeed)."""
        act(self.ledger, commitments.add_body, BUREAU, "City Transport Bureau")
        with self.ledger.transaction("test") as ctx:
            day = ctx.today
        with TestClient(APP) as client:

            def ok(method: str, url: str, who: str, body: dict[str, Any]) -> dict[str, Any]:
                answer = client.request(method, url, json=body, headers=self.headers(who))
                assert answer.status_code == 200, (url, answer.text)
                found: dict[str, Any] = answer.json()
                return found

            records = ok("POST", "/v1/records", Role.AGENCY, {"records": [
                {"subject": COMPANY, "type": "court.dishonest_debtor", "reference": f"R-{n}",
                 "decided_on": (day - timedelta(days=30 + n)).isoformat(), "amount": "1000"}
                for n in range(4)
            ]})  # fmt: skip
            ids = [r["id"] for r in records["results"]]
            ok("POST", "/v1/me/disputes", Role.SUBJECT, {"record": ids[0], "grounds": "Paid."})
            ok("POST", "/v1/me/repairs", Role.SUBJECT, {"record": ids[1], "commitment": "I pay."})
            ok("POST", "/v1/commitments", "integrity", {
                "body": BUREAU, "counterparty": COMPANY, "kind": "payment", "amount": "10000",
                "accepted_on": (day - timedelta(days=40)).isoformat(), "sme": True,
                "reference": "INV-1",
            })  # fmt: skip
            ok("POST", "/v1/me/complaints", Role.SUBJECT, {
                "source": "city-integrity", "reference": "INV-1", "grounds": "late",
                "statement": "Still unpaid.",
            })  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One seeded ledger per database for the module (a fresh one per test would cost minutes)."""
    if request.param == "sqlite":
        ledger = open_ledger(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
        yield World(ledger)
        ledger.close()
        return
    request.getfixturevalue("postgres_available")
    name = f"trustledger_fuzz_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        ledger = open_ledger(make_url(POSTGRES).set(database=name).render_as_string(False))
        yield World(ledger)
        ledger.close()
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=[None, *Role], ids=lambda role: str(role or "no-key"))
def role(request: pytest.FixtureRequest) -> Role | None:
    who: Role | None = request.param
    return who


# (database, operation, role) whose role lacks the permission, once its 403 was checked.
REFUSED: set[tuple[str, str, Role | None]] = set()


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_in_the_contract(
    case: schemathesis.Case, role: Role | None, world: World
) -> None:
    tried = (world.database, case.operation.label, role)
    if tried in REFUSED:
        return  # this role may not: refused (403) before the input is read, whatever it is
    answer = case.call_and_validate(headers=world.headers(role), checks=CHECKS)
    if answer.status_code == 403 and "key may not do this" in answer.text:
        REFUSED.add(tried)


# The role whose key a stateful step takes: one that may do it, so sequences go on.
OWNERS = (
    ("/v1/records", Role.AGENCY),
    ("/v1/commitments", "integrity"),
    ("/v1/me", Role.SUBJECT),
    ("/v1/checks", Role.PROVIDER),
    ("/v1/subjects/{subject}/name", Role.ADMIN),
    ("/v1/audit", Role.AUDITOR),
    ("/v1/log/proof", Role.AUDITOR),
    ("/v1/", Role.REVIEWER),  # disputes, repairs, proposals, complaints, scores, officials
)


def owner(method: str, path: str) -> str | None:
    if not DOCUMENT["paths"][path][method.lower()].get("security"):
        return None  # public
    return next(who for prefix, who in OWNERS if path.startswith(prefix))


@schema.hook("flatmap_body")
def sometimes_a_real_record(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """Half of the single records POST /v1/records generates name a real subject, type and day,
    so that they are stored and the links from their ids lead somewhere."""
    operation = context.operation
    if operation is None or operation.label != "POST /v1/records" or not isinstance(body, dict):
        return st.just(body)
    if "records" in body or not isinstance(body.get("reference"), str):
        return st.just(body)
    real = st.fixed_dictionaries(
        {
            "subject": st.sampled_from([COMPANY, PERSON]),
            "type": st.sampled_from(["court.dishonest_debtor", "court.dishonest_debtor_extended"]),
            "decided_on": st.integers(2, 400).map(
                lambda n: (date.today() - timedelta(days=n)).isoformat()
            ),
        }
    ).map(lambda fields: {**body, **fields})
    return st.one_of(st.just(body), real)


def workflow(world: World) -> type[Any]:
    """The state machine of the links, each step with its owner's key. Every operation a link
    starts from may start a scenario (schemathesis's inference takes `subject_name` of
    POST /v1/records for a reference to a resource nothing creates, and would not start there)."""
    original = stateful.classify_root_transitions

    def every_source(*args: Any) -> stateful.RootTransitions:
        roots = original(*args)
        roots.reliable |= roots.fallback
        return roots

    stateful.classify_root_transitions = every_source
    try:
        machine = schema.as_state_machine()
    finally:
        stateful.classify_root_transitions = original

    class Workflow(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            operation = case.operation
            return {"headers": world.headers(owner(operation.method, operation.path))}

        def validate_response(
            self, response: Any, case: schemathesis.Case, *_: Any, **__: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, recorder=self.recorder)

    return Workflow


def test_sequences_along_the_links_stay_in_the_contract(world: World) -> None:
    workflow(world).run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
