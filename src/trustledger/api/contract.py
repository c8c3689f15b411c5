"""The OpenAPI document as a contract, from one place: the errors every operation can answer
with, and the links between operations.

Errors. Every operation lists each problem it can answer with, as `application/problem+json`
with the `Problem` schema. Most follow from what the operation is, and are computed:

- 401 and 403 for every operation that takes a key (public operations have neither);
- 400 (a body that cannot be read, or a Content-Length that is not a number) and 413 (a body
  above the limit) for every operation that takes a body;
- 422 for every operation that takes parameters or a body;
- 429 (with `Retry-After`) for every operation but the monitors' (`UNLIMITED`);
- 503 (with `Retry-After`: the database is away or stuck) for every operation that reads the
  database, that is all but `/healthz` and `/metrics`.

What an operation may find missing (404) or contradicting the ledger (409) depends on what it
does, and is said in `DOMAIN` below, operation by operation.

Links. `LINKS` names, for an operation's answer, which later operations can use what it
returned (a record's id to void it, a dispute's id to decide it, a checkpoint's size to prove
against it): schemathesis's stateful phase follows them to test real sequences, and a reader
of /docs sees how the operations fit together.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from trustledger.api.problems import Problem, responses
from trustledger.api.quotas import UNLIMITED

# Operations that never touch the database: no 503.
NO_DATABASE = frozenset({("get", "/healthz"), ("get", "/metrics")})

# What each operation may find missing (404) or in conflict with the ledger (409): the writers
# may find both, the readers only something missing.
WRITERS = (
    ("post", "/v1/records"),
    ("post", "/v1/records/{record_id}/fulfil"),
    ("post", "/v1/records/{record_id}/void"),
    ("post", "/v1/me/disputes"),
    ("post", "/v1/me/repairs"),
    ("post", "/v1/me/proposals/{proposal_id}/statement"),
    ("post", "/v1/me/complaints"),
    ("post", "/v1/disputes/{dispute_id}/decision"),
    ("post", "/v1/proposals/{proposal_id}/decision"),
    ("post", "/v1/repairs/{repair_id}/decision"),
    ("post", "/v1/commitments"),
    ("post", "/v1/commitments/{reference}/payments"),
    ("post", "/v1/complaints/{complaint_id}/decision"),
)
READERS = (
    ("get", "/v1/checks"),
    ("post", "/v1/checks"),
    ("get", "/v1/subjects/{subject}/score"),
    ("get", "/v1/log/checkpoint"),
    ("get", "/v1/log/proof"),
    ("get", "/v1/log/consistency"),
    ("get", "/v1/rulebook"),
    ("get", "/v1/lists/{code}"),
    ("get", "/v1/public-bodies/{body}"),
)
DOMAIN: dict[tuple[str, str], tuple[int, ...]] = {
    **dict.fromkeys(WRITERS, (404, 409)),
    **dict.fromkeys(READERS, (404,)),
}

# Answers that are not JSON, besides it where a query parameter chooses (`format`).
TEXT = {"schema": {"type": "string"}}
MEDIA: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/v1/me/report"): {"text/html": TEXT},
    ("get", "/v1/integrity/publication"): {"text/csv": TEXT},
    ("get", "/metrics"): {"text/plain": TEXT},
}


def problems_for(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The statuses of the problems an operation can answer with (see the module's text)."""
    found = set(DOMAIN.get((method, path), ()))
    if operation.get("security"):
        found |= {401, 403}
    if "requestBody" in operation:
        found |= {400, 413, 422}
    if operation.get("parameters"):
        found.add(422)
    if path not in UNLIMITED:
        found.add(429)
    if (method, path) not in NO_DATABASE:
        found.add(503)
    return sorted(found)


# Links: (source method, source path) -> [(name, target method, target path, parameters,
# request body)], for the source's 200 answer. Expressions are OpenAPI runtime expressions.
Link = tuple[str, str, str, dict[str, str], dict[str, Any] | None]
RECORD_ID = "$response.body#/results/0/id"
LINKS: dict[tuple[str, str], list[Link]] = {
    ("post", "/v1/records"): [
        ("FulfilIt", "post", "/v1/records/{record_id}/fulfil", {"record_id": RECORD_ID}, None),
        ("VoidIt", "post", "/v1/records/{record_id}/void", {"record_id": RECORD_ID}, None),
        ("DisputeIt", "post", "/v1/me/disputes", {}, {"record": RECORD_ID}),
        ("AskForRepair", "post", "/v1/me/repairs", {}, {"record": RECORD_ID}),
        (
            "ScoreItsSubject",
            "get",
            "/v1/subjects/{subject}/score",
            {"subject": "$request.body#/subject"},
            None,
        ),
        (
            "CheckItsSubject",
            "get",
            "/v1/checks",
            {"subject": "$request.body#/subject"},
            None,
        ),
    ],
    ("get", "/v1/me"): [
        (
            "DisputeMyRecord",
            "post",
            "/v1/me/disputes",
            {},
            {"record": "$response.body#/records/0/id"},
        ),
        (
            "RepairMyRecord",
            "post",
            "/v1/me/repairs",
            {},
            {"record": "$response.body#/records/0/id"},
        ),
    ],
    ("post", "/v1/me/disputes"): [
        (
            "DecideIt",
            "post",
            "/v1/disputes/{dispute_id}/decision",
            {"dispute_id": "$response.body#/id"},
            None,
        ),
    ],
    ("get", "/v1/disputes"): [
        (
            "DecideTheFirst",
            "post",
            "/v1/disputes/{dispute_id}/decision",
            {"dispute_id": "$response.body#/0/id"},
            None,
        ),
    ],
    ("post", "/v1/me/repairs"): [
        (
            "DecideIt",
            "post",
            "/v1/repairs/{repair_id}/decision",
            {"repair_id": "$response.body#/id"},
            None,
        ),
    ],
    ("get", "/v1/repairs"): [
        (
            "DecideTheFirst",
            "post",
            "/v1/repairs/{repair_id}/decision",
            {"repair_id": "$response.body#/0/id"},
            None,
        ),
    ],
    ("get", "/v1/proposals"): [
        (
            "DecideTheFirst",
            "post",
            "/v1/proposals/{proposal_id}/decision",
            {"proposal_id": "$response.body#/0/id"},
            None,
        ),
        (
            "AnswerTheFirst",
            "post",
            "/v1/me/proposals/{proposal_id}/statement",
            {"proposal_id": "$response.body#/0/id"},
            None,
        ),
    ],
    ("post", "/v1/me/complaints"): [
        (
            "DecideIt",
            "post",
            "/v1/complaints/{complaint_id}/decision",
            {"complaint_id": "$response.body#/id"},
            None,
        ),
        ("ItsBody", "get", "/v1/public-bodies/{body}", {"body": "$response.body#/body"}, None),
    ],
    ("get", "/v1/complaints"): [
        (
            "DecideTheFirst",
            "post",
            "/v1/complaints/{complaint_id}/decision",
            {"complaint_id": "$response.body#/0/id"},
            None,
        ),
    ],
    ("post", "/v1/commitments"): [
        (
            "PayIt",
            "post",
            "/v1/commitments/{reference}/payments",
            {"reference": "$request.body#/reference"},
            None,
        ),
        ("ItsBody", "get", "/v1/public-bodies/{body}", {"body": "$request.body#/body"}, None),
        (
            "ComplainAboutIt",
            "post",
            "/v1/me/complaints",
            {},
            {"reference": "$request.body#/reference", "body": "$request.body#/body"},
        ),
    ],
    ("get", "/v1/commitments"): [
        (
            "PayTheFirst",
            "post",
            "/v1/commitments/{reference}/payments",
            {"reference": "$response.body#/0/reference"},
            None,
        ),
    ],
    ("get", "/v1/public-bodies"): [
        (
            "TheFirst",
            "get",
            "/v1/public-bodies/{body}",
            {"body": "$response.body#/0/subject"},
            None,
        ),
    ],
    ("get", "/v1/log/checkpoint"): [
        (
            "ProveAgainstIt",
            "get",
            "/v1/log/proof",
            {"tree_size": "$response.body#/tree_size"},
            None,
        ),
        (
            "ConsistentWithIt",
            "get",
            "/v1/log/consistency",
            {"second": "$response.body#/tree_size"},
            None,
        ),
    ],
    ("get", "/v1/audit"): [
        (
            "ProveTheFirst",
            "get",
            "/v1/log/proof",
            {"index": "$response.body#/events/0/log_index"},
            None,
        ),
    ],
    ("get", "/v1/audit/verify"): [
        (
            "VerifyFromItsHead",
            "get",
            "/v1/audit/verify",
            {"anchor_id": "$response.body#/head/id", "anchor_hash": "$response.body#/head/hash"},
            None,
        ),
    ],
    ("get", "/v1/rulebook"): [
        (
            "AnEarlierVersion",
            "get",
            "/v1/rulebook",
            {"version": "$response.body#/versions/0"},
            None,
        ),
        (
            "ScoreUnderIt",
            "get",
            "/v1/subjects/{subject}/score",
            {"rulebook_version": "$response.body#/version"},
            None,
        ),
    ],
    ("put", "/v1/subjects/{subject}/name"): [
        (
            "ScoreIt",
            "get",
            "/v1/subjects/{subject}/score",
            {"subject": "$request.path.subject"},
            None,
        ),
    ],
}


def _link(document: dict[str, Any], method: str, path: str, params: dict[str, str],
          body: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    target = document["paths"][path][method]
    link: dict[str, Any] = {"operationId": target["operationId"]}
    if params:
        link["parameters"] = params
    if body is not None:
        link["requestBody"] = body
    return link


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite each operation's error answers from the rules above and add the links."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    model = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(model.pop("$defs", {}))
    components["Problem"] = model
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            for status in [s for s in answers if s[:1] in "45"]:
                del answers[status]
            for status in problems_for(method, path, operation):
                answers[str(status)] = responses(status)[status]
            if (method, path) in MEDIA:
                answers["200"].setdefault("content", {}).update(MEDIA[method, path])
    for (method, path), links in LINKS.items():
        ok = document["paths"][path][method]["responses"]["200"]
        ok["links"] = {
            name: _link(document, t_method, t_path, params, body)
            for name, t_method, t_path, params, body in links
        }
    return document


def install(app: FastAPI) -> None:
    """Serve the document as `describe` makes it (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
