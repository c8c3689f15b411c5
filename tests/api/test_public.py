"""What anyone sees without a key: the front door, the docs (served offline), the public lists
(persons masked, legal persons named), and errors that say where the request went wrong."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.conftest import act
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.admin.rulebooks import example_rulebook_text
from trustledger.services.context import Ledger

PERSON = "cn-rid:11010519491231002X"
HERO = "cn-rid:110105198001010016"
COMPANY = "cn-uscc:91350100M000100Y43"
BUREAU = "cn-uscc:111100000000000030"  # a public body (codes starting 11)
DEBTOR_BASIS = (
    "SPC Provisions on Publishing the List of Dishonest Judgment Debtors (2017), arts. 1, 6, 10"
)


def key(ledger: Ledger, role: Role, **scope: Any) -> dict[str, str]:
    return Keys.auth(act(ledger, create_key, role, f"test {role}", **scope)[0])


def report(client: TestClient, auth: dict[str, str], *items: dict[str, Any]) -> list[dict]:
    r = client.post("/v1/records", json={"records": list(items)}, headers=auth)
    assert r.status_code == 200, r.text
    results: list[dict] = r.json()["results"]
    return results


def rec(subject: str, type: str, reference: str, decided_on: str, **more: str) -> dict[str, str]:
    """A record notified on its decision day, so notice periods count from the decision."""
    return {
        "subject": subject,
        "type": type,
        "reference": reference,
        "decided_on": decided_on,
        "notified_on": decided_on,
        **more,
    }


def entries(client: TestClient, code: str, as_of: str, **params: str) -> list[dict[str, Any]]:
    r = client.get(f"/v1/lists/{code}", params={"as_of": as_of, **params})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return list(body["entries"])


# --- public lists ---------------------------------------------------------------------------


def test_legal_persons_are_named_and_persons_masked(
    ledger: Ledger, client: TestClient, keys: Keys
) -> None:
    court = keys.auth(keys.court)
    integrity = key(ledger, Role.AGENCY, source="city-integrity")
    results = report(
        client,
        court,
        rec(PERSON, "court.dishonest_debtor", "(2026)P-1", "2026-03-02"),
        rec(
            COMPANY,
            "court.dishonest_debtor",
            "(2026)C-1",
            "2026-03-02",
            subject_name="Example Construction Co., Ltd.",
        ),
    )
    assert [x["status"] for x in results] == ["inserted", "inserted"]
    report(
        client,
        integrity,
        rec(
            BUREAU,
            "gov.overdue_commitment",
            "GOV-1",
            "2026-03-05",
            subject_name="City Housing Bureau",
        ),
    )

    listed = entries(client, "dishonest-debtors", "2026-04-01")
    assert listed == [
        {
            "subject": "cn-rid:110105********002X",
            "kind": "person",
            "name": None,
            "reference": None,
            "legal_basis": None,
            "since": "2026-03-12",  # after the 10-day notice period
            "until": "2028-03-02",
        },
        {
            "subject": COMPANY,
            "kind": "organization",
            "name": "Example Construction Co., Ltd.",
            "reference": "(2026)C-1",
            "legal_basis": DEBTOR_BASIS,
            "since": "2026-03-12",
            "until": "2028-03-02",
        },
    ]
    r = client.get("/v1/lists/dishonest-debtors", params={"as_of": "2026-04-01"})
    assert PERSON not in r.text and "(2026)P-1" not in r.text

    [body] = entries(client, "government-arrears", "2026-04-01")
    assert body == {
        "subject": BUREAU,
        "kind": "public_body",
        "name": "City Housing Bureau",
        "reference": "GOV-1",
        "legal_basis": body["legal_basis"],
        "since": "2026-03-05",  # no notice period on this list
        "until": "2028-03-05",
    }
    assert body["legal_basis"]  # the record type's, as the rulebook states it
    # Asking about one subject answers the same entry.
    assert entries(client, "dishonest-debtors", "2026-04-01", q=COMPANY) == listed[1:]


def test_a_person_is_never_named(ledger: Ledger, client: TestClient, keys: Keys) -> None:
    [result] = report(
        client,
        keys.auth(keys.court),
        rec(PERSON, "court.dishonest_debtor", "(2026)N-1", "2026-03-02", subject_name="Zhang San"),
    )
    assert result["status"] == "rejected"
    assert result["reason"].startswith("subject_name: persons are never named")
    r = client.put(
        f"/v1/subjects/{PERSON}/name", json={"name": "Zhang San"}, headers=keys.auth(keys.admin)
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith("name: persons are never named")
    with ledger.uow() as uow:
        assert uow.subjects.get(PERSON) is None  # nothing was written
        assert [e.action for e in uow.audit.events(subject=PERSON)] == []


def test_the_first_reported_name_is_kept_and_an_administrators_wins(
    ledger: Ledger, client: TestClient, keys: Keys
) -> None:
    court, admin = keys.auth(keys.court), keys.auth(keys.admin)

    def name() -> str | None:
        with ledger.uow() as uow:
            subject = uow.subjects.get(COMPANY)
        assert subject is not None
        return subject.name

    report(client, court, rec(COMPANY, "court.dishonest_debtor", "(2026)K-1", "2026-03-02"))
    assert name() is None
    report(
        client,
        court,
        rec(COMPANY, "court.dishonest_debtor", "(2026)K-2", "2026-03-03", subject_name="First"),
    )
    assert name() == "First"  # fills in a missing name
    report(
        client,
        court,
        rec(COMPANY, "court.dishonest_debtor", "(2026)K-3", "2026-03-04", subject_name="Second"),
    )
    assert name() == "First"  # a later report does not replace it

    r = client.put(f"/v1/subjects/{COMPANY}/name", json={"name": " Registered Co. "}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"subject": COMPANY, "kind": "organization", "name": "Registered Co."}
    report(
        client,
        court,
        rec(COMPANY, "court.dishonest_debtor", "(2026)K-4", "2026-03-05", subject_name="Third"),
    )
    assert name() == "Registered Co."
    with ledger.uow() as uow:
        [event] = [e for e in uow.audit.events(subject=COMPANY) if e.action == "subject.name"]
    assert event.detail == {"name": "Registered Co."}
    assert event.actor.startswith("admin:")
    [entry] = entries(client, "dishonest-debtors", "2026-04-01")
    assert entry["name"] == "Registered Co."

    # Only administrators name subjects; bad names and identifiers name the field.
    assert client.put(f"/v1/subjects/{COMPANY}/name", json={"name": "X"}).status_code == 401
    r = client.put(f"/v1/subjects/{COMPANY}/name", json={"name": "X"}, headers=court)
    assert r.status_code == 403
    assert r.json()["detail"] == "an agency key may not do this (subjects:write)"
    r = client.put(f"/v1/subjects/{COMPANY}/name", json={"name": "x" * 201}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"].startswith("name: must be at most 200")
    r = client.put("/v1/subjects/cn-uscc:1/name", json={"name": "X"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"].startswith("subject: ")
    assert name() == "Registered Co."


def test_the_honor_roll_says_since_and_until(
    ledger: Ledger, client: TestClient, keys: Keys
) -> None:
    """A tier-based list: the run of days in tier AAA (1050 and up), from the records."""
    tax = key(ledger, Role.AGENCY, source="city-tax")
    civil = key(ledger, Role.AGENCY, source="city-civil-affairs")
    market = key(ledger, Role.AGENCY, source="city-market")
    blood = key(ledger, Role.AGENCY, source="city-blood-center")
    charity = "civic.charity_donation"  # +10 for a year, at most +30 together
    report(
        client,
        civil,
        rec(COMPANY, charity, "D-1", "2026-01-10", subject_name="Example Construction Co., Ltd."),
        rec(COMPANY, charity, "D-2", "2026-01-20"),
        rec(COMPANY, charity, "D-3", "2026-02-01"),
        rec(HERO, "civic.heroic_act", "H-1", "2026-01-05"),  # +30 for 3 years
    )
    report(client, tax, rec(COMPANY, "tax.a_grade", "A-1", "2026-02-15"))  # +30 for a year
    # Three minor penalties (-5 each, for 3 months) break the run: 1045 from 03-01 to 06-01.
    report(
        client,
        market,
        *(rec(COMPANY, "admin.penalty_minor", f"M-{i}", "2026-03-01") for i in range(3)),
    )
    report(client, blood, rec(HERO, "civic.blood_donation", "B-1", "2026-02-01"))  # +20, 2 years

    # 2026-02-15: 1060, AAA. Until the first charity record ends (2027-01-10) it is 1050, still
    # AAA; when the second ends (2027-01-20) it is 1040, tier A. On 2026-02-20 the penalties
    # of 2026-03-01 are not known yet: `until` speaks of the records held on the day.
    assert entries(client, "honor-roll", "2026-02-20") == [
        {
            "subject": COMPANY,
            "kind": "organization",
            "name": "Example Construction Co., Ltd.",
            "reference": None,
            "legal_basis": None,
            "since": "2026-02-15",
            "until": "2027-01-20",
        }
    ]
    assert entries(client, "honor-roll", "2026-04-01") == []  # 1045 during the penalties
    [company] = entries(client, "honor-roll", "2026-07-01")
    assert (company["since"], company["until"]) == ("2026-06-01", "2027-01-20")

    # A person has a tier only with consent; the ledger keeps consent but not since when, so
    # a person's `since` on a tier-based list cannot be known and is null.
    subject_key = key(ledger, Role.SUBJECT, subject=HERO)
    assert client.put("/v1/me/consent", json={"consent": True}, headers=subject_key).is_success
    hero = [e for e in entries(client, "honor-roll", "2026-07-01") if e["kind"] == "person"]
    assert hero == [
        {
            "subject": "cn-rid:110105********0016",
            "kind": "person",
            "name": None,
            "reference": None,
            "legal_basis": None,
            "since": None,
            "until": "2028-02-01",  # the blood donation ends: 1030, tier A
        }
    ]

    # The record-based red list names the record and its legal basis.
    [graded] = entries(client, "a-grade-taxpayers", "2026-07-01")
    assert graded["reference"] == "A-1" and graded["legal_basis"].startswith("SAT")
    assert (graded["since"], graded["until"]) == ("2026-02-15", "2027-02-15")


# --- the front door and the docs --------------------------------------------------------------


def test_the_front_door_links_the_docs_the_rulebook_and_the_public_lists(
    client: TestClient,
) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', r.text))
    assert {"/docs", "/v1/rulebook"} <= links
    book = client.get("/v1/rulebook").json()["content"]
    public = {f"/v1/lists/{spec['code']}" for spec in book["lists"] if spec["public"]}
    assert public and public <= links
    assert "/v1/lists/credit-watch" not in links  # not a public list
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_docs_load_nothing_from_another_host(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    hosts = {urlsplit(u).hostname for u in re.findall(r"https?://[^\s\"'<>)]+", r.text)}
    assert hosts <= {"testserver"}, hosts
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.content, asset
    assert "url: '/openapi.json'" in r.text
    assert client.get("/redoc").status_code == 404  # no packaged ReDoc: off, not from a CDN


def test_openapi_documents_errors_as_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert set(spec["components"]["schemas"]["ProblemError"]["properties"]) == {"field", "message"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    assert set(answer["content"]) == {"application/problem+json"}, (path, status)

    def statuses(method: str, path: str) -> set[str]:
        return set(spec["paths"][path][method]["responses"])

    assert {"401", "403", "404", "409", "422"} <= statuses("post", "/v1/records")
    assert {"401", "403", "422"} <= statuses("put", "/v1/subjects/{subject}/name")
    assert {"401", "403"} <= statuses("get", "/v1/audit")
    public = statuses("get", "/v1/lists/{code}")
    assert "404" in public and "401" not in public and "403" not in public
    entry = spec["components"]["schemas"]["ListEntryOut"]["properties"]
    for field in ("subject", "name", "reference", "legal_basis", "since", "until"):
        assert entry[field].get("description"), field
    assert "subject_name" in spec["components"]["schemas"]["RecordIn"]["properties"]


# --- errors that say where ---------------------------------------------------------------------


def test_a_single_record_error_names_the_field_once(client: TestClient, keys: Keys) -> None:
    court = keys.auth(keys.court)
    one = {"subject": PERSON, "type": "court.dishonest_debtor", "reference": "(2026)E-1"}
    r = client.post("/v1/records", json=one, headers=court)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "decided_on", "message": "Field required"}]
    assert r.json()["detail"] == "decided_on: Field required"
    # A batch hears about the batch only.
    r = client.post("/v1/records", json={"records": [{**one, "colour": "red"}]}, headers=court)
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == ["records[0].decided_on", "records[0].colour"]
    r = client.post("/v1/records", json={"records": "all of them"}, headers=court)
    assert r.json()["errors"] == [{"field": "records", "message": "Input should be a valid list"}]
    r = client.post("/v1/records", json=[one], headers=court)
    assert [e["field"] for e in r.json()["errors"]] == ["body"]
    assert "RecordIn" not in r.text and "RecordBatch" not in r.text


def test_malformed_json_says_line_and_column(client: TestClient, keys: Keys) -> None:
    body = '{\n  "subject": "cn-rid:11010519491231002X",\n  "type": ,\n}'
    r = client.post(
        "/v1/records",
        content=body.encode(),
        headers={**keys.auth(keys.court), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    [error] = r.json()["errors"]
    assert error["field"] == "body"
    assert error["message"] == "not valid JSON: Expecting value (line 3, column 11)"


def test_a_refusal_names_the_role_with_the_right_article(client: TestClient, keys: Keys) -> None:
    for auth, role in ((keys.court, "an agency"), (keys.airline, "a provider")):
        r = client.get("/v1/audit", headers=keys.auth(auth))
        assert r.status_code == 403
        assert r.json()["detail"] == f"{role} key may not do this (audit:read)"


def test_the_example_rulebook_has_a_public_tier_list() -> None:
    """The honor roll test above relies on it: tier AAA at 1050, a public red list."""
    assert "entry: {tiers: [AAA]}" in example_rulebook_text()
