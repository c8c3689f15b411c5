"""Due process: disputes, review proposals, credit repair requests, the notice outbox.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("records", sa.Column("notified_on", sa.Date, nullable=True))
    op.create_table(
        "disputes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("record_id", Id, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("filed_at", Stamp, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_disputes_subject", "disputes", ["subject"])
    op.create_index("ix_disputes_status_due", "disputes", ["status", "due_on"])
    op.create_table(
        "proposals",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("list", sa.String(100), nullable=False),
        sa.Column("because", sa.String(200), nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("statement", sa.Text, nullable=True),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
    )
    op.create_index("ix_proposals_subject", "proposals", ["subject"])
    op.create_index("ix_proposals_status", "proposals", ["status"])
    op.create_table(
        "repairs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("record_id", Id, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("commitment", sa.Text, nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_repairs_subject", "repairs", ["subject"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", Stamp, nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at"])


def downgrade() -> None:
    for table in ("outbox", "repairs", "proposals", "disputes"):
        op.drop_table(table)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("notified_on")
