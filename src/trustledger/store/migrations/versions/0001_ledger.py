"""The ledger: rulebook versions, sources, subjects, records and their events."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import id_column, record_ref, stamp

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "rulebooks",
        id_column(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        stamp("loaded_at"),
        sa.UniqueConstraint("name", "version", name="uq_rulebooks_name_version"),
    )
    op.create_table(
        "sources",
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        stamp("created_at"),
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False, server_default="0"),
        stamp("created_at"),
    )
    op.create_table(
        "records",
        id_column(),
        sa.Column("subject", sa.String(120), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), sa.ForeignKey("sources.code"), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("fulfilled_on", sa.Date, nullable=True),
        sa.Column("voided", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("disputed", sa.Boolean, nullable=False, server_default="0"),
        stamp("received_at"),
        sa.UniqueConstraint("source", "reference", name="uq_records_source_reference"),
    )
    op.create_index("ix_records_subject", "records", ["subject"])
    op.create_table(
        "record_events",
        id_column(),
        record_ref(),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        stamp("recorded_at"),
    )
    op.create_index("ix_record_events_record", "record_events", ["record_id"])


def downgrade() -> None:
    for table in ("record_events", "records", "subjects", "sources", "rulebooks"):
        op.drop_table(table)
