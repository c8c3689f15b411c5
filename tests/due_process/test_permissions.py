"""Least privilege: every /v1 endpoint against every role, allowed and denied, over HTTP.

The table below names the permission each route needs; the test that it covers the app's routes
makes a new route without a row fail. Which roles hold a permission comes from
`domain.roles.PERMISSIONS`, so the table in code is the one tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import act
from tests.due_process.conftest import (
    COMPANY,
    OTHER,
    PERSON,
    Keys,
    days,
    me,
    record,
    report,
)
from trustledger.api import create_app
from trustledger.domain.roles import PERMISSIONS, Permission, Role
from trustledger.services.context import Ledger
from trustledger.services.integrity import commitments, complaints
from trustledger.services.log import tlog
from trustledger.store.tlog import log_leaves

PUBLIC = "public"
BUREAU = "cn-uscc:111100000000000030"  # a public body


@dataclass(frozen=True)
class Call:
    """How to call a route so that an allowed caller succeeds (ids come from the world)."""

    permission: Permission | str
    path: str  # with {placeholders} filled from the world
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


# (method, route path) -> the permission it needs and a call that succeeds when allowed.
TABLE: dict[tuple[str, str], Call] = {
    ("POST", "/v1/records"): Call(Permission.RECORDS_WRITE, "/v1/records", body={"records": []}),
    ("POST", "/v1/records/{record_id}/fulfil"): Call(
        Permission.RECORDS_WRITE,
        "/v1/records/{record}/fulfil",
        body={"fulfilled_on": "{today}"},
    ),
    ("POST", "/v1/records/{record_id}/void"): Call(
        Permission.RECORDS_WRITE, "/v1/records/{record}/void", body={"reason": "clerical error"}
    ),
    ("GET", "/v1/checks"): Call(
        Permission.CHECKS, "/v1/checks", params={"subject": PERSON, "action": "travel.flight"}
    ),
    ("POST", "/v1/checks"): Call(
        Permission.CHECKS,
        "/v1/checks",
        body={"action": "travel.flight", "subjects": [PERSON, COMPANY]},
    ),
    ("GET", "/v1/subjects/{subject}/score"): Call(
        Permission.SCORES_READ, f"/v1/subjects/{PERSON}/score"
    ),
    ("PUT", "/v1/subjects/{subject}/name"): Call(
        Permission.SUBJECTS_WRITE,
        f"/v1/subjects/{COMPANY}/name",
        body={"name": "Example Construction Co., Ltd."},
    ),
    ("GET", "/v1/me"): Call(Permission.SELF_READ, "/v1/me"),
    ("GET", "/v1/me/report"): Call(Permission.SELF_READ, "/v1/me/report", {"format": "json"}),
    ("PUT", "/v1/me/consent"): Call(
        Permission.SELF_WRITE, "/v1/me/consent", body={"consent": True}
    ),
    ("POST", "/v1/me/disputes"): Call(
        Permission.SELF_WRITE,
        "/v1/me/disputes",
        body={"record": "{undisputed}", "grounds": "I paid; receipt attached."},
    ),
    ("POST", "/v1/me/repairs"): Call(
        Permission.SELF_WRITE,
        "/v1/me/repairs",
        body={"record": "{record}", "commitment": "I will pay the rest by year end."},
    ),
    ("POST", "/v1/me/proposals/{proposal_id}/statement"): Call(
        Permission.SELF_WRITE,
        "/v1/me/proposals/{proposal}/statement",
        body={"statement": "The arrears are being paid."},
    ),
    ("GET", "/v1/disputes"): Call(Permission.DISPUTES_READ, "/v1/disputes"),
    ("POST", "/v1/disputes/{dispute_id}/decision"): Call(
        Permission.DISPUTES_DECIDE,
        "/v1/disputes/{dispute}/decision",
        body={"outcome": "rejected", "reason": "The judgment stands."},
    ),
    ("GET", "/v1/proposals"): Call(Permission.PROPOSALS_DECIDE, "/v1/proposals"),
    ("POST", "/v1/proposals/{proposal_id}/decision"): Call(
        Permission.PROPOSALS_DECIDE,
        "/v1/proposals/{proposal}/decision",
        body={"approve": False, "reason": "Tier D alone does not warrant a watch."},
    ),
    ("GET", "/v1/repairs"): Call(Permission.REPAIRS_DECIDE, "/v1/repairs"),
    ("POST", "/v1/repairs/{repair_id}/decision"): Call(
        Permission.REPAIRS_DECIDE,
        "/v1/repairs/{repair}/decision",
        body={"approve": True, "reason": "First instalment paid."},
    ),
    ("GET", "/v1/audit"): Call(Permission.AUDIT_READ, "/v1/audit"),
    ("GET", "/v1/audit/verify"): Call(Permission.AUDIT_READ, "/v1/audit/verify"),
    ("GET", "/v1/log/proof"): Call(Permission.LOG_PROOF, "/v1/log/proof", {"index": "{leaf}"}),
    ("GET", "/v1/log/checkpoint"): Call(PUBLIC, "/v1/log/checkpoint"),
    ("GET", "/v1/log/key"): Call(PUBLIC, "/v1/log/key"),
    ("GET", "/v1/log/consistency"): Call(
        PUBLIC, "/v1/log/consistency", {"first": "1", "second": "2"}
    ),
    ("POST", "/v1/commitments"): Call(
        Permission.COMMITMENTS_WRITE,
        "/v1/commitments",
        body={
            "body": BUREAU,
            "counterparty": PERSON,
            "kind": "judgment",
            "amount": "100",
            "accepted_on": "{today}",
            "due_on": "{today}",
            "reference": "(2026)J2",
        },
    ),
    ("POST", "/v1/commitments/{reference}/payments"): Call(
        Permission.COMMITMENTS_WRITE,
        "/v1/commitments/(2026)J1/payments",
        body={"on": "{today}", "amount": "1"},
    ),
    ("GET", "/v1/commitments"): Call(Permission.COMMITMENTS_READ, "/v1/commitments"),
    ("GET", "/v1/officials/{person}"): Call(Permission.OFFICIALS_READ, f"/v1/officials/{OTHER}"),
    ("POST", "/v1/me/complaints"): Call(
        Permission.SELF_WRITE,
        "/v1/me/complaints",
        body={
            "source": "city-court",
            "reference": "(2026)J1",
            "grounds": "late",
            "statement": "The judgment was not performed.",
        },
    ),
    ("GET", "/v1/complaints"): Call(Permission.COMPLAINTS_READ, "/v1/complaints"),
    ("POST", "/v1/complaints/{complaint_id}/decision"): Call(
        Permission.COMPLAINTS_DECIDE,
        "/v1/complaints/{complaint}/decision",
        body={"outcome": "upheld", "reason": "Not performed by the deadline."},
    ),
    ("GET", "/v1/public-bodies"): Call(PUBLIC, "/v1/public-bodies"),
    ("GET", "/v1/public-bodies/{body}"): Call(PUBLIC, f"/v1/public-bodies/{BUREAU}"),
    ("GET", "/v1/integrity/publication"): Call(
        PUBLIC, "/v1/integrity/publication", params={"year": "2025"}
    ),
    ("GET", "/v1/rulebook"): Call(PUBLIC, "/v1/rulebook"),
    ("GET", "/v1/lists/{code}"): Call(PUBLIC, "/v1/lists/dishonest-debtors"),
}


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, including those of included routers."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI keeps included routers as a lazy branch
            yield from _walk(original.routes, prefix + route.include_context.prefix)
            continue
        sub = getattr(route, "routes", None)
        if sub is not None and not hasattr(route, "methods"):  # a mounted router
            yield from _walk(sub, prefix + getattr(route, "path", ""))
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                yield method, prefix + route.path


def app_routes(ledger: Ledger) -> set[tuple[str, str]]:
    app = create_app(ledger)
    found = set(_walk(app.routes))
    # Whatever the router internals, the published API must not hold more than was walked.
    published = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert published <= found, published - found
    return found


def test_the_table_covers_every_v1_route(ledger: Ledger) -> None:
    v1 = {r for r in app_routes(ledger) if r[1].startswith("/v1/") or r[1] == "/v1"}
    assert v1 - set(TABLE) == set(), "routes without a row in the permission table"
    assert set(TABLE) - v1 == set(), "rows for routes the app does not have"


# Permissions that guard pages only (tests/web/test_pages.py tries them), no /v1 route.
PAGES_ONLY = {Permission.ADMIN_MANAGE}


def test_every_permission_guards_some_route() -> None:
    used = {c.permission for c in TABLE.values()} | PAGES_ONLY
    assert set(Permission) <= used, set(Permission) - used


def test_roles_are_least_privilege() -> None:
    """What each role can never do, whatever else changes in the table."""
    assert PERMISSIONS[Role.PROVIDER] == {Permission.CHECKS}
    assert PERMISSIONS[Role.SUBJECT] == {
        Permission.SELF_READ,
        Permission.SELF_WRITE,
        Permission.LOG_PROOF,
    }
    assert [r for r in Role if Permission.AUDIT_READ in PERMISSIONS[r]] == [Role.AUDITOR]
    assert [r for r in Role if Permission.RECORDS_WRITE in PERMISSIONS[r]] == [Role.AGENCY]
    for role in Role:
        if role != Role.SUBJECT:
            assert not PERMISSIONS[role] & {Permission.SELF_READ, Permission.SELF_WRITE}


class World:
    """Something for every endpoint to act on: a record, a dispute, a proposal, a repair."""

    def __init__(self, ledger: Ledger, client: TestClient, keys: Keys, day: date) -> None:
        decided = day - days(30)
        self.record, self.undisputed, self.disputed = report(
            client,
            keys.court,
            record("(2026)P1", decided),
            record("(2026)P2", decided),
            record("(2026)P3", decided),
        )
        filed = client.post(
            "/v1/me/disputes",
            json={"record": self.disputed, "grounds": "Not me."},
            headers=keys.person,
        )
        assert filed.status_code == 200, filed.text
        self.dispute = filed.json()["id"]
        asked = client.post(
            "/v1/me/repairs",
            json={"record": self.undisputed, "commitment": "I will pay."},
            headers=keys.person,
        )
        assert asked.status_code == 200, asked.text
        self.repair = asked.json()["id"]
        with ledger.uow() as uow:
            self.proposal = uow.proposals.add(
                subject=PERSON,
                list="credit-watch",
                because="tier:D",
                proposed_on=day,
                status="pending",
            )
            uow.commit()
        act(ledger, commitments.add_body, BUREAU, "City Transport Bureau")
        act(ledger, commitments.add_post, BUREAU, "director", OTHER, day - days(400))
        act(
            ledger,
            commitments.add_commitment,
            "city-court",
            body=BUREAU,
            counterparty=PERSON,
            kind="judgment",
            amount="1000",
            accepted_on=day - days(60),
            due_on=day - days(30),
            post="director",
            reference="(2026)J1",
        )
        self.complaint = act(
            ledger,
            complaints.file,
            PERSON,
            grounds="late",
            statement="Not performed.",
            source="city-court",
            reference="(2026)J1",
        ).id
        self.today = day.isoformat()
        # A leaf of the transparency log about the person (the dispute filed above).
        tlog.integrate(ledger)
        with ledger.engine.connect() as conn:
            self.leaf = conn.execute(
                select(func.min(log_leaves.c.idx)).where(log_leaves.c.subject == PERSON)
            ).scalar_one()

    def fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, str) and "{" in value:
            names = {k: getattr(self, k) for k in vars(self) if not k.startswith("_")}
            if value.startswith("{") and value.endswith("}") and value[1:-1] in names:
                return names[value[1:-1]]  # a whole-value placeholder keeps its type (ids)
            return value.format(**names)
        return value


def send(client: TestClient, method: str, call: Call, world: World, headers: dict[str, str]) -> Any:
    return client.request(
        method,
        world.fill(call.path),
        params=world.fill(call.params),
        json=world.fill(call.body) if call.body is not None else None,
        headers=headers,
    )


@pytest.mark.parametrize(
    ("method", "path"), sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)]
)
def test_every_role_on_every_route(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, method: str, path: str
) -> None:
    """No key -> 401 (unless public); a role without the permission -> 403; with it, success."""
    call = TABLE[(method, path)]
    world = World(ledger, client, keys, day)
    denied = [
        r for r in Role if call.permission != PUBLIC and call.permission not in PERMISSIONS[r]
    ]
    allowed = [r for r in Role if r not in denied]
    outcomes: dict[str, int] = {}

    anonymous = send(client, method, call, world, {})
    outcomes["no key"] = anonymous.status_code
    forged = send(client, method, call, world, {"Authorization": "Bearer tlk_000000000000_forged"})
    outcomes["unknown key"] = forged.status_code
    for role in denied:
        response = send(client, method, call, world, keys.of_role(role))
        outcomes[role.value] = response.status_code
        if response.status_code == 403:
            assert str(call.permission) in response.json()["detail"], response.text
    for role in allowed:  # denied roles first: an allowed call may change the world
        outcomes[role.value] = send(client, method, call, world, keys.of_role(role)).status_code

    expected = {
        "no key": 200 if call.permission == PUBLIC else 401,
        "unknown key": 200 if call.permission == PUBLIC else 401,
        **{r.value: 403 for r in denied},
        **{r.value: 200 for r in allowed},
    }
    assert outcomes == expected


# --- scopes within a permission -----------------------------------------------------------


def test_a_provider_checks_only_its_own_actions(client: TestClient, keys: Keys) -> None:
    one = {"subject": PERSON, "action": "procurement.bid"}
    r = client.get("/v1/checks", params=one, headers=keys.airline)
    assert r.status_code == 403
    assert r.json()["detail"].startswith("action:")
    batch = {"action": "procurement.bid", "subjects": [PERSON]}
    assert client.post("/v1/checks", json=batch, headers=keys.airline).status_code == 403
    assert client.post("/v1/checks", json=batch, headers=keys.portal).status_code == 200
    own = {"subject": PERSON, "action": "travel.flight"}
    assert client.get("/v1/checks", params=own, headers=keys.airline).status_code == 200
    assert client.get("/v1/checks", params=own, headers=keys.portal).status_code == 403
    # An admin is not scoped to actions.
    assert client.get("/v1/checks", params=one, headers=keys.admin).status_code == 200


def test_an_agency_fulfils_and_voids_only_its_own_records(
    client: TestClient, keys: Keys, day: date
) -> None:
    [court_record] = report(client, keys.court, record("(2026)A1", day - days(20)))
    [traffic_record] = report(
        client,
        keys.traffic,
        record("T-1", day - days(20), type="traffic.violation"),
    )
    fulfil = {"fulfilled_on": day.isoformat()}
    void = {"reason": "clerical error"}
    # Another source's record gets the answer of a missing one (404): no probing of ids.
    for rid, key in ((court_record, keys.traffic), (traffic_record, keys.court)):
        assert client.post(f"/v1/records/{rid}/fulfil", json=fulfil, headers=key).status_code == 404
        assert client.post(f"/v1/records/{rid}/void", json=void, headers=key).status_code == 404
    access = me(client, keys.person)
    assert not any(r["voided"] or r["fulfilled_on"] for r in access["records"])
    ok = client.post(f"/v1/records/{court_record}/fulfil", json=fulfil, headers=keys.court)
    assert ok.status_code == 200, ok.text
    ok = client.post(f"/v1/records/{traffic_record}/void", json=void, headers=keys.traffic)
    assert ok.status_code == 200, ok.text


def test_an_agency_sees_only_its_own_records_disputes(
    client: TestClient, keys: Keys, day: date
) -> None:
    [court_record] = report(client, keys.court, record("(2026)A2", day - days(20)))
    [traffic_record] = report(
        client, keys.traffic, record("T-2", day - days(20), type="traffic.violation")
    )
    ids = {}
    for rid in (court_record, traffic_record):
        r = client.post(
            "/v1/me/disputes", json={"record": rid, "grounds": "Not me."}, headers=keys.person
        )
        assert r.status_code == 200, r.text
        ids[rid] = r.json()["id"]

    def seen(key: dict[str, str]) -> set[int]:
        r = client.get("/v1/disputes", headers=key)
        assert r.status_code == 200, r.text
        return {d["id"] for d in r.json()}

    assert seen(keys.court) == {ids[court_record]}
    assert seen(keys.traffic) == {ids[traffic_record]}
    assert seen(keys.tax) == set()
    assert seen(keys.reviewer) == set(ids.values())
    # Agencies read disputes; they do not decide them.
    decide = {"outcome": "upheld", "reason": "x"}
    r = client.post(f"/v1/disputes/{ids[court_record]}/decision", json=decide, headers=keys.court)
    assert r.status_code == 403


def test_a_subject_key_sees_only_its_own_data(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    [theirs] = report(client, keys.court, record("(2026)S1", day - days(20)))
    [mine] = report(client, keys.court, record("(2026)S2", day - days(20), subject=OTHER))
    with ledger.uow() as uow:
        proposal = uow.proposals.add(
            subject=PERSON, list="credit-watch", because="tier:D", proposed_on=day, status="pending"
        )
        uow.commit()

    access = me(client, keys.other)
    assert access["subject"] == OTHER
    assert [r["id"] for r in access["records"]] == [mine]
    assert "(2026)S1" not in str(access)
    exported = client.get("/v1/me/report", params={"format": "json"}, headers=keys.other).json()
    assert [r["id"] for r in exported["records"]] == [mine]
    html = client.get("/v1/me/report", params={"format": "html"}, headers=keys.other).text
    assert "(2026)S2" in html and "(2026)S1" not in html and PERSON not in html

    # Acting on someone else's record or proposal looks exactly like acting on none.
    for path, body, nothing_path, nothing_body in (
        (
            "/v1/me/disputes",
            {"record": theirs, "grounds": "Not me."},
            "/v1/me/disputes",
            {"record": 999999, "grounds": "Not me."},
        ),
        (
            "/v1/me/repairs",
            {"record": theirs, "commitment": "I will pay."},
            "/v1/me/repairs",
            {"record": 999999, "commitment": "I will pay."},
        ),
        (
            f"/v1/me/proposals/{proposal}/statement",
            {"statement": "Leave them alone."},
            "/v1/me/proposals/999999/statement",
            {"statement": "Leave them alone."},
        ),
    ):
        r = client.post(path, json=body, headers=keys.other)
        assert r.status_code == 404, (path, r.text)
        missing = client.post(nothing_path, json=nothing_body, headers=keys.other)
        assert missing.status_code == 404, missing.text
        assert r.json()["detail"].replace(f" {theirs} ", " N ").replace(
            f" {proposal} ", " N "
        ) == missing.json()["detail"].replace(" 999999 ", " N ")
    assert me(client, keys.person)["disputes"] == []
    assert me(client, keys.person)["repairs"] == []
    with ledger.uow() as uow:
        stored = uow.proposals.get(proposal)
    assert stored is not None and stored.statement is None

    # A subject key has no other way in: no one else's score, checks or queues.
    for path in (f"/v1/subjects/{PERSON}/score", "/v1/disputes", "/v1/proposals", "/v1/repairs"):
        assert client.get(path, headers=keys.other).status_code == 403
    params = {"subject": PERSON, "action": "travel.flight"}
    assert client.get("/v1/checks", params=params, headers=keys.other).status_code == 403
