"""The OpenAPI document as a contract: each operation lists the problems it can answer with,
as sent (problem+json, `Problem`, Retry-After on 429 and 503), and its links lead somewhere.

The answers schemathesis rarely provokes are provoked here and held to the document: the
database away (503 on every operation that reads it), a rate limit (429), a body above the
limit (413) and a malformed Content-Length (400).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import Keys
from tests.api.test_fuzz import CHECKS, CONFORMANCE
from trustledger.api import create_app
from trustledger.api.contract import DOMAIN, LINKS, MEDIA, NO_DATABASE
from trustledger.api.problems import PROBLEM_JSON
from trustledger.api.quotas import UNLIMITED
from trustledger.config import Settings
from trustledger.services.context import Ledger

# Nothing listens there: every read of the database fails at once.
AWAY = Ledger.open(
    "postgresql://postgres@127.0.0.1:9/none",
    Settings(statement_timeout_ms=300, lock_timeout_ms=300, rate_per_key=0, rate_per_address=0),
)
AWAY_APP = create_app(AWAY)
away = schemathesis.openapi.from_asgi(
    "/openapi.json",
    AWAY_APP,
    config=SchemathesisConfig.from_dict(
        {"phases": {"enabled": False, "examples": {"enabled": True, "fill-missing": True}}}
    ),
)
DOCUMENT: dict[str, Any] = AWAY_APP.openapi()
OPERATIONS = [
    (method, path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
KEY = {"Authorization": "Bearer tlk_abcdefgh_0123456789"}


def declared(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def test_every_error_is_a_problem_as_sent() -> None:
    for method, path, operation in OPERATIONS:
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = answer["content"]
                assert list(content) == [PROBLEM_JSON], (method, path, status)
                assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
            if status in ("429", "503"):
                assert "Retry-After" in answer["headers"], (method, path, status)
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]


def test_each_operation_lists_what_it_can_answer() -> None:
    for method, path, operation in OPERATIONS:
        statuses = declared(operation)
        keyed = bool(operation.get("security"))
        assert ({401, 403} <= statuses) == keyed, (method, path)  # public: neither
        assert (401 in statuses or 403 in statuses) == keyed, (method, path)
        body = "requestBody" in operation
        assert ({400, 413} <= statuses) == body, (method, path)  # GET: no 413
        assert (413 in statuses) == body, (method, path)
        assert (429 in statuses) == (path not in UNLIMITED), (method, path)
        assert (503 in statuses) == ((method, path) not in NO_DATABASE), (method, path)
    # The readers of the ledger may find nothing; the writers also a contradiction.
    assert {404, 409} <= declared(DOCUMENT["paths"]["/v1/records/{record_id}/void"]["post"])
    assert 409 not in declared(DOCUMENT["paths"]["/v1/rulebook"]["get"])


def test_the_tables_name_only_operations_that_exist() -> None:
    for table in (DOMAIN, LINKS, MEDIA):
        for method, path in table:
            assert method in DOCUMENT["paths"].get(path, {}), (method, path)
    for (method, path), links in LINKS.items():
        assert links, (method, path)
        for _name, target_method, target_path, _params, _body in links:
            assert target_method in DOCUMENT["paths"][target_path]


def test_links_name_operations_and_parameters_of_their_targets() -> None:
    ids = {op["operationId"]: op for _m, _p, op in OPERATIONS}
    count = 0
    for _method, _path, operation in OPERATIONS:
        for link in operation["responses"]["200"].get("links", {}).values():
            target = ids[link["operationId"]]
            names = {p["name"] for p in target.get("parameters", [])}
            assert set(link.get("parameters", {})) <= names, link
            if "requestBody" in link:
                assert "requestBody" in target, link
            count += 1
    assert count >= 25


@away.parametrize()
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
def test_with_the_database_away_every_operation_answers_as_documented(
    case: schemathesis.Case,
) -> None:
    response = case.call(headers=KEY)
    case.validate_response(response, checks=CONFORMANCE)  # a 503 here is the right answer
    key = (case.operation.method.lower(), case.operation.path)
    if key in NO_DATABASE:
        assert response.status_code == 200
    elif response.status_code not in (400, 413, 422):  # refused before reading anything
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"][0]) > 0


def _validated(operation: schemathesis.Case, response: Any) -> None:
    operation.validate_response(response, checks=CHECKS)


def test_a_rate_limit_a_large_body_and_a_bad_length_answer_as_documented(
    ledger: Ledger,
) -> None:
    strict = Ledger.open(
        ledger.engine.url.render_as_string(hide_password=False),
        Settings(rate_per_address=0.001, burst_per_address=1, max_body_bytes=64),
    )
    app = create_app(strict)
    contract = schemathesis.openapi.from_dict(app.openapi())  # no request: the limit is 1
    rulebook = contract["/v1/rulebook"]["GET"].Case()
    records = contract["/v1/records"]["POST"].Case(body={"records": []})
    with TestClient(app) as client:
        assert client.get("/v1/rulebook").status_code == 200
        limited = client.get("/v1/rulebook")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        _validated(rulebook, limited)
        large = client.post("/v1/records", content=b"{" + b" " * 100 + b"}", headers=KEY)
        assert large.status_code == 413
        _validated(records, large)
        bad = client.post("/v1/records", content=b"{}", headers={**KEY, "Content-Length": "ten"})
        assert bad.status_code == 400
        _validated(records, bad)
    strict.close()


def test_a_body_that_is_not_utf8_is_a_400_naming_the_body(client: TestClient, keys: Keys) -> None:
    contract = schemathesis.openapi.from_dict(client.app.openapi())  # type: ignore[attr-defined]
    answer = client.post(
        "/v1/records",
        content=b'{"subject": "\xff"}',
        headers={**keys.auth(keys.court), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "body", "message": "not UTF-8 text (byte 14)"}]
    _validated(contract["/v1/records"]["POST"].Case(body={}), answer)
