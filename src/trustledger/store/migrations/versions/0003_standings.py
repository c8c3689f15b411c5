"""Standings computed by columnar rescoring, and the log of rescores with their diffs."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import Stamp, id_column

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "standings",
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("rulebook_version", sa.String(100), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("tier", sa.String(100), nullable=True),
        sa.Column("lists", sa.Text, nullable=False),
        sa.Column("computed_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("subject", "rulebook_version", "as_of", name="pk_standings"),
    )
    op.create_index("ix_standings_version_as_of", "standings", ["rulebook_version", "as_of"])
    op.create_table(
        "rescores",
        id_column(),
        sa.Column("rulebook_version", sa.String(100), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("subjects", sa.BigInteger, nullable=False),
        sa.Column("previous_version", sa.String(100), nullable=True),
        sa.Column("previous_as_of", sa.Date, nullable=True),
        sa.Column("diff", sa.Text, nullable=True),
        sa.Column("computed_at", Stamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rescores")
    op.drop_index("ix_standings_version_as_of", table_name="standings")
    op.drop_table("standings")
