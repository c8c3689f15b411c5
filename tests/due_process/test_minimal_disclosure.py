"""Minimal disclosure: a provider's check answer holds the decision and, per measure, its code,
action, effect, reason code, legal basis and end date -- no score, no tier, no record."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
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
)
from trustledger.domain.identifiers import rid_check_character
from trustledger.domain.rulebook import Rulebook
from trustledger.services.context import Ledger

ANSWER = {"decision", "measures"}
MEASURE = {"code", "action", "effect", "reason", "legal_basis", "until"}
BATCH = {"action", "results"}
BATCH_ITEM = {"subject", "decision", "measures", "error"}  # error: a malformed identifier
UNKNOWN = "cn-rid:11010519900101001" + rid_check_character("11010519900101001")  # never seen


class Population:
    """A consenting listed debtor, a company on the tax blacklist, a consenting clean person."""

    def __init__(self, ledger: Ledger, client: TestClient, keys: Keys, day: date) -> None:
        self.decided = day - days(30)
        for key in (keys.person, keys.other):
            r = client.put("/v1/me/consent", json={"consent": True}, headers=key)
            assert r.status_code == 200, r.text
        report(client, keys.court, record("(2026)M1", self.decided, amount="98765.43", note="n"))
        report(client, keys.traffic, record("T-M1", self.decided, type="traffic.violation"))
        report(
            client,
            keys.tax,
            record("TX-M1", self.decided, subject=COMPANY, type="tax.major_violation"),
        )
        self.person = me(client, keys.person)
        self.company = me(client, keys.company)
        assert (self.person["score"], self.person["tier"]) == (845, "C")
        assert self.company["tier"] == "C"
        with ledger.uow() as uow:
            self.book: Rulebook = ledger.rulebook(uow)
        # What a provider must never learn: the subjects' standing and records.
        self.secrets = [
            "(2026)M1",
            "T-M1",
            "TX-M1",
            "98765.43",
            "city-court",
            "city-traffic",
            "city-tax",
            str(self.person["score"]),
            str(self.company["score"]),
            self.decided.isoformat(),
            "record:",
            "tier:C",
            "judicial",
            "court.dishonest_debtor",
            "tax.major_violation",
        ]

    def reveals(self, answer: Any) -> list[str]:
        text = json.dumps(answer, ensure_ascii=False)
        return [s for s in self.secrets if s in text]

    def measure(self, code: str) -> Any:
        [found] = [m for m in self.book.measures if m.code == code]
        return found


@pytest.fixture
def population(ledger: Ledger, client: TestClient, keys: Keys, day: date) -> Population:
    return Population(ledger, client, keys, day)


def assert_minimal(answer: dict[str, Any], population: Population) -> None:
    assert set(answer) == ANSWER
    assert answer["decision"] in ("deny", "allow", "incentive")
    for m in answer["measures"]:
        assert set(m) == MEASURE, m
        spec = population.measure(m["code"])
        # The reason is the measure's own public rule, nothing derived from the subject's file.
        rule = f"list:{spec.list}" if spec.list else f"tier:{spec.tier}"
        assert m == {
            "code": spec.code,
            "action": spec.action,
            "effect": spec.effect.value,
            "reason": rule,
            "legal_basis": spec.legal_basis,
            "until": m["until"],
        }
    assert population.reveals(answer) == []
    assert not {"score", "tier", "points", "records", "contributions", "lists", "subject"} & set(
        answer
    )


def test_a_denial_names_only_the_measure(
    client: TestClient, keys: Keys, population: Population
) -> None:
    answer = check(client, keys.airline)
    assert_minimal(answer, population)
    [measure] = answer["measures"]
    assert (measure["code"], measure["effect"]) == ("no-flights", "deny")
    until = population.book.record_type("court.dishonest_debtor").counts_for  # type: ignore[union-attr]
    assert measure["until"] == until.after(population.decided).isoformat()
    assert answer["decision"] == "deny"


def test_an_allow_says_nothing_else(client: TestClient, keys: Keys, population: Population) -> None:
    for subject in (OTHER, UNKNOWN):
        assert check(client, keys.airline, subject=subject) == {"decision": "allow", "measures": []}
    company = check(client, keys.portal, "procurement.bid", subject=COMPANY)
    assert_minimal(company, population)
    assert [m["code"] for m in company["measures"]] == ["tax-violators-no-bids"]


def test_an_incentive_names_only_the_measure(
    client: TestClient, keys: Keys, population: Population
) -> None:
    answer = check(client, keys.library, "library.borrow", subject=OTHER)
    assert_minimal(answer, population)
    assert answer["decision"] == "incentive"
    assert [(m["code"], m["effect"], m["until"]) for m in answer["measures"]] == [
        ("a-tier-library-no-deposit", "waive_deposit", None)
    ]
    # The debtor (tier C) gets no incentive, and the answer does not say why.
    assert check(client, keys.library, "library.borrow") == {"decision": "allow", "measures": []}


def test_a_batch_answers_each_subject_minimally(
    client: TestClient, keys: Keys, population: Population
) -> None:
    for key, action in ((keys.airline, "travel.flight"), (keys.portal, "procurement.bid")):
        r = client.post(
            "/v1/checks", json={"action": action, "subjects": [PERSON, OTHER, COMPANY]}, headers=key
        )
        assert r.status_code == 200, r.text
        batch = r.json()
        assert set(batch) == BATCH and batch["action"] == action
        assert [item["subject"] for item in batch["results"]] == [PERSON, OTHER, COMPANY]
        for item in batch["results"]:
            assert set(item) == ANSWER | {"subject"}  # `error` only for a malformed identifier
            assert_minimal({k: v for k, v in item.items() if k != "subject"}, population)
        decisions = [item["decision"] for item in batch["results"]]
        assert decisions == (
            ["deny", "allow", "allow"] if action == "travel.flight" else ["allow", "allow", "deny"]
        )


def test_the_published_schema_promises_no_more(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["CheckOut"]["properties"]) == ANSWER
    assert set(schemas["MeasureOut"]["properties"]) == MEASURE
    assert set(schemas["BatchCheckOut"]["properties"]) == BATCH
    assert set(schemas["SubjectCheckOut"]["properties"]) == BATCH_ITEM
