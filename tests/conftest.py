"""Shared fixtures: a ledger on SQLite and on PostgreSQL, each test with its own database.

PostgreSQL comes from TRUSTLEDGER_TEST_POSTGRES (default: the local server, database `test`).
Outside CI an unreachable server skips those tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from trustledger.batch.synthetic import SOURCES
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
from trustledger.services.intake.sources import add_source

POSTGRES = os.environ.get("TRUSTLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# A fixed "today" for tests: records are dated before it, checks travel in time around it.
TODAY = date(2026, 6, 1)


def _admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    url = make_url(POSTGRES)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def postgres_available() -> None:
    try:
        _admin_connect().close()
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES} is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES} is unreachable ({exc}); CI runs these tests")


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    name = f"trustledger_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """Each test that takes this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")


@contextmanager
def example_ledger(url: str) -> Iterator[Ledger]:
    """A migrated ledger with the example rulebook active and the example city's sources."""
    ledger = Ledger.open(url)
    try:
        rulebooks.init(ledger, actor="test")
        for code, kind, name in SOURCES:
            act(ledger, add_source, code, kind, name)
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    """A migrated ledger with the example rulebook active and the example city's sources."""
    with example_ledger(database_url) as ledger:
        yield ledger


def act(ledger: Ledger, use_case: Any, *args: Any, actor: str = "test", **kwargs: Any) -> Any:
    """Run one use case in its own context, committed, as an entry point would."""
    with ledger.transaction(actor) as ctx:
        return use_case(ctx, *args, **kwargs)
