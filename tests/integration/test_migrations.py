"""Migrations, on SQLite and on PostgreSQL: Alembic builds exactly the schema the code declares.

The tables in `trustledger.store` (one `metadata`) are what the repositories read and write;
the migrations are what a deployment runs. They must agree table by table, column by column,
index by index, or a fresh install and an upgraded one behave differently.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

import trustledger.store
from tests.conftest import _admin_connect
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
from trustledger.store import migrate
from trustledger.store.database import make_engine
from trustledger.store.tables import metadata


def _import_every_table() -> None:
    """Tables are declared across the store's modules: load them all into `metadata`."""
    for module in pkgutil.iter_modules(trustledger.store.__path__, "trustledger.store."):
        if not module.name.endswith(".migrations"):
            importlib.import_module(module.name)


_import_every_table()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    return config


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def reference_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A second empty database of the same kind, for `metadata.create_all`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
        yield engine
        engine.dispose()
        return
    name = f"trustledger_ref_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema(engine: Engine) -> dict[str, dict[str, Any]]:
    """Everything `inspect` reports about each table, in a form that compares across DBs."""
    found: dict[str, dict[str, Any]] = {}
    inspector = inspect(engine)
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        columns = {
            c["name"]: (
                str(c["type"]),
                c["nullable"],
                str(c.get("default")),
                bool(c.get("autoincrement") is True),
            )
            for c in inspector.get_columns(table)
        }
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        foreign_keys = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(table)
        )
        uniques = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table))
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table)
            # PostgreSQL backs each unique constraint with an index of the constraint's name.
            if not i.get("duplicates_constraint")
        )
        found[table] = {
            "columns": columns,
            "primary_key": pk,
            "foreign_keys": foreign_keys,
            "unique": uniques,
            "indexes": indexes,
        }
    return found


def test_upgrade_from_empty_builds_the_declared_schema(
    engine: Engine, reference_engine: Engine
) -> None:
    migrate.upgrade(engine)
    metadata.create_all(reference_engine)
    migrated, declared = schema(engine), schema(reference_engine)
    assert sorted(migrated) == sorted(metadata.tables)
    for table in declared:
        assert migrated[table] == declared[table], table
    # And Alembic's own comparison finds nothing to autogenerate.
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_upgrade_is_at_head_and_repeatable(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # nothing left to do
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_every_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    _alembic(engine, "downgrade", "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrading_keeps_the_records(engine: Engine, database_url: str) -> None:
    """A ledger created at the first revision keeps its rows through every later migration."""
    _alembic(engine, "upgrade", "0001")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (code, kind, name) VALUES ('city-court', 'court', 'Court')")
        )
        conn.execute(text("INSERT INTO subjects (id, kind) VALUES ('cn-rid:X', 'person')"))
        conn.execute(
            text(
                "INSERT INTO records (subject, type, source, reference, decided_on) "
                "VALUES ('cn-rid:X', 'court.dishonest_debtor', 'city-court', 'R-1', '2026-05-01')"
            )
        )
    ledger = Ledger.open(database_url)
    try:
        rulebooks.init(ledger, actor="test")  # what a deployment runs: migrate to head
        with ledger.uow() as uow:
            assert uow.records.count() == 1
            [record] = uow.records.of_subject("cn-rid:X")
            assert (record.reference, str(record.decided_on)) == ("R-1", "2026-05-01")
            assert (record.voided, record.disputed) == (False, False)
            subject = uow.subjects.get("cn-rid:X")
            assert subject is not None and subject.consent is False
    finally:
        ledger.close()


def test_subject_names_are_added_and_removed_keeping_the_subjects(engine: Engine) -> None:
    """0006 adds `subjects.name` (null for the subjects already held); its downgrade drops the
    column and keeps every subject, even with records pointing at them, on both stores."""
    _alembic(engine, "upgrade", "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subjects (id, kind, consent) VALUES "
                "('cn-uscc:91350100M000100Y43', 'organization', false), "
                "('cn-rid:11010519491231002X', 'person', true)"
            )
        )
        conn.execute(
            text("INSERT INTO sources (code, kind, name) VALUES ('city-court', 'court', 'Court')")
        )
        conn.execute(
            text(
                "INSERT INTO records (subject, type, source, reference, decided_on) VALUES "
                "('cn-uscc:91350100M000100Y43', 'court.dishonest_debtor', 'city-court', 'R-1', "
                "'2026-05-01')"
            )
        )
    assert "name" not in {c["name"] for c in inspect(engine).get_columns("subjects")}
    _alembic(engine, "upgrade", "0006")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, name FROM subjects ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            ("cn-rid:11010519491231002X", None),
            ("cn-uscc:91350100M000100Y43", None),
        ]
        conn.execute(
            text("UPDATE subjects SET name = :name WHERE kind = 'organization'"),
            {"name": "Example Construction Co., Ltd."},
        )
    _alembic(engine, "downgrade", "0005")
    assert "name" not in {c["name"] for c in inspect(engine).get_columns("subjects")}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, kind, consent FROM subjects ORDER BY id")).all()
        assert conn.execute(text("SELECT count(*) FROM records")).scalar() == 1
    assert [(r.id, r.kind, bool(r.consent)) for r in rows] == [
        ("cn-rid:11010519491231002X", "person", True),
        ("cn-uscc:91350100M000100Y43", "organization", False),
    ]
    migrate.upgrade(engine)
    assert "name" in {c["name"] for c in inspect(engine).get_columns("subjects")}


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = Ledger.open(f"sqlite:///{path}")
    try:
        rulebooks.init(ledger, actor="test")
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL (reliability.md)
    finally:
        ledger.close()
    # WAL is a property of the file: any later connection, even a bare one, finds it.
    bare = sqlite3.connect(path)
    try:
        assert bare.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        bare.close()
