"""Reliability: at most one open dispute and one open repair request per record, held by the
database (partial unique indexes, on SQLite and PostgreSQL alike)."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    for table in ("disputes", "repairs"):
        op.create_index(
            f"uq_{table}_open_record",
            table,
            ["record_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    for table in ("disputes", "repairs"):
        op.drop_index(f"uq_{table}_open_record", table_name=table)
