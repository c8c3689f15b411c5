"""Tables written by population-scale jobs (migration 0003): standings and the rescore log.

They share `trustledger.store.tables.metadata`, so Alembic and `metadata` see one schema.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from trustledger.store.tables import id_column, metadata


def _rescore() -> tuple[Column[object], ...]:
    """Which rescore a row is of: the rulebook version scored under, and the day scored as of."""
    return (
        Column("rulebook_version", String(100), nullable=False),
        Column("as_of", Date, nullable=False),
    )


# One row per subject for each (rulebook version, day) rescored; a rerun of the same pair
# replaces its rows. `lists` is a JSON array of list codes, sorted.
standings = Table(
    "standings",
    metadata,
    Column("subject", String(120), nullable=False),
    *_rescore(),
    Column("score", Integer, nullable=True),  # NULL without consent
    Column("tier", String(100), nullable=True),
    Column("lists", Text, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("subject", "rulebook_version", "as_of", name="pk_standings"),
    Index("ix_standings_version_as_of", "rulebook_version", "as_of"),
)

# Every rescore, newest last; `diff` (JSON) is set when the version differs from the previous one.
rescores = Table(
    "rescores",
    metadata,
    id_column(),
    *_rescore(),
    Column("engine", String(20), nullable=False),
    Column("subjects", BigInteger, nullable=False),
    Column("previous_version", String(100), nullable=True),
    Column("previous_as_of", Date, nullable=True),
    Column("diff", Text, nullable=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)
