"""The transparency log over HTTP and the command line: the checkpoint and key are public,
proofs are the caller's own (or any, for auditors), the access log names its leaves, and a
saved proof verifies offline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from tests.due_process.conftest import (
    PERSON,
    Keys,
    check,
    cli_app,
    days,
    me,
    record,
    report,
    run,
    run_json,
    runner,
)
from trustledger.domain import merkle
from trustledger.domain.checkpoint import open_checkpoint
from trustledger.services.context import Ledger


def test_checkpoint_key_proof_and_consistency(
    ledger: Ledger, client: TestClient, keys: Keys, day: date
) -> None:
    report(client, keys.court, record("(2026)TL1", day - days(30)))
    first = client.get("/v1/log/checkpoint").json()
    assert set(first) == {"tree_size", "root_hash", "timestamp", "note"}
    vkey = client.get("/v1/log/key").json()["vkey"]
    name, key_id, _ = vkey.split("+", 2)
    assert name == "trustledger.example/log" and len(key_id) == 8
    opened = open_checkpoint(first["note"], [vkey])
    assert (opened.size, opened.root.hex()) == (first["tree_size"], first["root_hash"])

    check(client, keys.airline)  # a read of the person's data, logged
    queued = me(client, keys.person)["access_log"]
    assert queued[-1]["log_index"] is None  # queued: no sequencer has run yet
    second = client.get("/v1/log/checkpoint").json()  # integrates the queue first
    assert second["tree_size"] > first["tree_size"]
    access = me(client, keys.person)
    # Every access-log entry names its leaf once integrated; the report names its checkpoint.
    assert access["log_checkpoint"]["tree_size"] >= first["tree_size"]
    assert all(e["log_index"] is not None for e in access["access_log"]), access["access_log"]
    [entry] = [e for e in access["access_log"] if e["what"] == "check"]

    proof = client.get(
        "/v1/log/proof",
        params={"index": entry["log_index"], "tree_size": second["tree_size"]},
        headers=keys.person,
    )
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert json.loads(body["leaf"])["subject"] == PERSON
    root = open_checkpoint(second["note"], [vkey]).root
    assert merkle.verify_inclusion(
        merkle.leaf_hash(body["leaf"].encode()),
        body["leaf_index"],
        body["tree_size"],
        [bytes.fromhex(h) for h in body["audit_path"]],
        root,
    )
    # Another subject may not see the person's event; an auditor may.
    params = {"index": entry["log_index"]}
    assert client.get("/v1/log/proof", params=params, headers=keys.other).status_code == 403
    assert client.get("/v1/log/proof", params=params, headers=keys.auditor).status_code == 200
    assert client.get("/v1/log/proof", params=params).status_code == 401
    missing = client.get("/v1/log/proof", params={"index": 10**9}, headers=keys.auditor)
    assert missing.status_code == 404

    answer = client.get(
        "/v1/log/consistency",
        params={"first": first["tree_size"], "second": second["tree_size"]},
    ).json()
    assert merkle.verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root_hash"]),
        root,
        [bytes.fromhex(h) for h in answer["proof"]],
    )


def test_log_verify_and_an_offline_proof(
    ledger: Ledger, client: TestClient, keys: Keys, day: date, database_url: str, tmp_path: Path
) -> None:
    check(client, keys.airline)
    assert run_json("log", "verify", db=database_url)["ok"] is True
    saved = json.loads(run("log", "proof", "0", db=database_url).stdout)
    vkey = client.get("/v1/log/key").json()["vkey"]
    file = tmp_path / "proof.json"
    file.write_text(json.dumps(saved))
    ok = runner.invoke(cli_app, ["log", "verify-proof", str(file), "--vkey", vkey])
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert "proof verified" in ok.stdout
    # An altered leaf, or another key, does not verify.
    forged = saved | {"leaf": saved["leaf"].replace('"actor":"', '"actor":"x')}
    file.write_text(json.dumps(forged))
    bad = runner.invoke(cli_app, ["log", "verify-proof", str(file), "--vkey", vkey])
    assert bad.exit_code == 1
    file.write_text(json.dumps(saved))
    other = "trustledger.example/log+00000000+" + vkey.split("+", 2)[2]
    bad = runner.invoke(cli_app, ["log", "verify-proof", str(file), "--vkey", other])
    assert bad.exit_code == 1
