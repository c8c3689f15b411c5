"""The server as a PostgreSQL role that owns nothing (`trustledger db grant ROLE`): the log's
tables refuse it UPDATE, DELETE and TRUNCATE, and it cannot drop their triggers, while checks,
ingest over HTTP, a dispute, `log verify` and a file import all work as that role."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _admin_connect, act, example_ledger
from tests.due_process.conftest import PERSON, bearer
from tests.e2e.test_server import cli, start, stop
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger

pytestmark = pytest.mark.postgres

# The log's event tables, each with a column to rewrite.
LOG_EVENTS = {
    "audit_events": "detail",
    "log_leaves": "detail",
    "log_nodes": "hash",
    "log_checkpoints": "note",
}


@pytest.fixture
def owner(postgres_url: str) -> Iterator[Ledger]:
    """A ledger migrated by its owner (the tests' superuser), with the example city's sources."""
    with example_ledger(postgres_url) as ledger:
        yield ledger


@pytest.fixture
def role(postgres_url: str) -> Iterator[str]:
    """A login role that owns nothing, dropped with what it was granted."""
    name = f"tl_server_{uuid.uuid4().hex[:8]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN')
    try:
        yield name
    finally:
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{name}"')  # its privileges in the test's database
        with _admin_connect() as conn:
            conn.execute(f'DROP ROLE "{name}"')


def _libpq(url: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port or 5432} dbname={u.database} user={u.username}"


def trustledger(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustledger", *args], capture_output=True, text=True
    )


def test_the_servers_role_cannot_change_the_log_and_can_serve(
    owner: Ledger, postgres_url: str, role: str, tmp_path: Path
) -> None:
    court = act(owner, create_key, Role.AGENCY, "court", source="city-court")[0]
    airline = act(owner, create_key, Role.PROVIDER, "airline", actions=["travel.flight"])[0]
    person = act(owner, create_key, Role.SUBJECT, "person", subject=PERSON)[0]
    reviewer = act(owner, create_key, Role.REVIEWER, "reviewer")[0]
    cli(postgres_url, "log", "verify")  # integrates: the log has leaves and checkpoints

    script = trustledger("db", "grant", role, "--sql", "--db", postgres_url)
    assert script.returncode == 0, script.stderr
    assert f"GRANT SELECT, INSERT ON public.log_leaves TO {role};" in script.stdout
    granted = cli(postgres_url, "db", "grant", role)
    assert granted["applied"] and granted["statements"] == [
        line.rstrip(";") for line in script.stdout.splitlines()
    ]
    as_role = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)

    with psycopg.connect(_libpq(as_role), autocommit=True) as conn:
        for table, column in LOG_EVENTS.items():
            for statement in (
                f"UPDATE {table} SET {column} = 'x'",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
                f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        for statement in (
            "UPDATE record_events SET note = 'x'",
            "DROP TRIGGER log_leaves_no_change ON log_leaves",
            "TRUNCATE log_queue",
            "UPDATE log_queue SET detail = '{}'",
            "CREATE TABLE mine (id int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # The sequencer's two rights are bounded by migration 0010's triggers.
        conn.execute(
            "INSERT INTO log_queue (at, actor, action, detail) VALUES (now(), 'x', 'x', '{}')"
        )
        with pytest.raises(psycopg.errors.RaiseException, match="only as a leaf"):
            conn.execute("DELETE FROM log_queue")
        with pytest.raises(psycopg.errors.RaiseException, match="only moves forward"):
            conn.execute("UPDATE log_state SET size = 0")
        with pytest.raises(psycopg.errors.RaiseException, match="only moves forward"):
            conn.execute("UPDATE log_state SET signer_key = 'PRIVATE+KEY+other'")

    process, base = start(as_role)
    try:
        record = {
            "subject": PERSON,
            "type": "court.dishonest_debtor",
            "reference": "(2026)role-1",
            "decided_on": "2026-03-02",
            "notified_on": "2026-03-02",
        }
        posted = httpx.post(f"{base}/v1/records", json=record, headers=bearer(court))
        assert posted.status_code == 200, posted.text
        params = {"subject": PERSON, "action": "travel.flight"}
        checked = httpx.get(f"{base}/v1/checks", params=params, headers=bearer(airline))
        assert checked.status_code == 200 and checked.json()["decision"] == "deny"
        batch = {"action": "travel.flight", "subjects": [PERSON, "cn-rid:110105198001010016"]}
        assert httpx.post(f"{base}/v1/checks", json=batch, headers=bearer(airline)).is_success
        filed = httpx.post(
            f"{base}/v1/me/disputes",
            json={"record": posted.json()["results"][0]["id"], "grounds": "Paid."},
            headers=bearer(person),
        )
        assert filed.status_code == 200, filed.text
        decided = httpx.post(
            f"{base}/v1/disputes/{filed.json()['id']}/decision",
            json={"outcome": "upheld", "reason": "Paid on 2026-02-01."},
            headers=bearer(reviewer),
        )
        assert decided.status_code == 200, decided.text
        assert httpx.get(f"{base}/v1/me", headers=bearer(person)).is_success
        assert httpx.get(f"{base}/v1/log/checkpoint").is_success
    finally:
        stop(process)

    lines = tmp_path / "court.jsonl"
    lines.write_text(
        "".join(
            json.dumps({**record, "reference": f"(2026)role-file-{n}"}) + "\n" for n in range(50)
        )
    )
    imported = trustledger(
        "import", str(lines), "--source", "city-court", "--db", as_role, "--json"
    )
    assert imported.returncode == 0, imported.stderr
    verified = cli(as_role, "log", "verify")
    assert verified["ok"] and verified["leaves"] > 0


def test_grant_refuses_a_superuser_and_sqlite(owner: Ledger, postgres_url: str) -> None:
    refused = trustledger("db", "grant", "postgres", "--db", postgres_url)
    assert refused.returncode == 1 and "superuser" in refused.stderr
    missing = trustledger("db", "grant", "nobody_here", "--db", postgres_url)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    sqlite = trustledger("db", "grant", "x", "--db", "sqlite:///unused.db")
    assert sqlite.returncode == 1 and "PostgreSQL" in sqlite.stderr
