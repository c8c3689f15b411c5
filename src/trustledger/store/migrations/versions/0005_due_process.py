"""Due process: disputes, review proposals, credit repair requests, the notice outbox."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import (
    Stamp,
    decision,
    filed_case,
    id_column,
    record_ref,
    stamp,
)

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("records", sa.Column("notified_on", sa.Date, nullable=True))
    op.create_table(
        "disputes",
        id_column(),
        record_ref(),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
        *filed_case(),
        stamp("filed_at"),
    )
    op.create_index("ix_disputes_subject", "disputes", ["subject"])
    op.create_index("ix_disputes_status_due", "disputes", ["status", "due_on"])
    op.create_table(
        "proposals",
        id_column(),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("list", sa.String(100), nullable=False),
        sa.Column("because", sa.String(200), nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("statement", sa.Text, nullable=True),
        *decision(),
        sa.Column("ended_on", sa.Date, nullable=True),
    )
    op.create_index("ix_proposals_subject", "proposals", ["subject"])
    op.create_index("ix_proposals_status", "proposals", ["status"])
    op.create_table(
        "repairs",
        id_column(),
        record_ref(),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("commitment", sa.Text, nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        *decision(),
    )
    op.create_index("ix_repairs_subject", "repairs", ["subject"])
    op.create_table(
        "outbox",
        id_column(),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        stamp("created_at"),
        sa.Column("sent_at", Stamp, nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at"])


def downgrade() -> None:
    for table in ("outbox", "repairs", "proposals", "disputes"):
        op.drop_table(table)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("notified_on")
