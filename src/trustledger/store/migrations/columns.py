"""Column groups several migrations create. The migrations are applied history: what these
return must never change (a later migration that wants another shape writes its own columns);
`tests/integration/test_migrations.py` compares the result with `store.tables.metadata`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for the ledger.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def id_column() -> sa.Column[Any]:
    """The autoincrementing surrogate key."""
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def record_ref() -> sa.Column[Any]:
    """The record a row is about."""
    return sa.Column("record_id", Id, sa.ForeignKey("records.id"), nullable=False)


def stamp(name: str) -> sa.Column[Any]:
    """When the row was stored, by the database's clock."""
    return sa.Column(name, Stamp, nullable=False, server_default=sa.func.now())


def decision() -> tuple[sa.Column[Any], ...]:
    """Who decided a case, on what day, and why."""
    return (
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )


def event_columns() -> tuple[sa.Column[Any], ...]:
    """An audit event: when, who, what, about whom, and the detail as canonical JSON."""
    return (
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(120), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )


def filed_case() -> tuple[sa.Column[Any], ...]:
    """A case filed on a day, due by another, its status and decision."""
    return (
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        *decision(),
    )
