"""Government integrity: public bodies, posts, commitments, payments, complaints."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import Id, filed_case, id_column, stamp

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "public_bodies",
        sa.Column("id", sa.String(120), sa.ForeignKey("subjects.id"), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent", sa.String(120), nullable=True),
    )
    op.create_table(
        "posts",
        id_column(),
        sa.Column("body", sa.String(120), nullable=False),
        sa.Column("post", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("from_on", sa.Date, nullable=False),
        sa.Column("to_on", sa.Date, nullable=True),
    )
    op.create_index("ix_posts_body", "posts", ["body"])
    op.create_index("ix_posts_holder", "posts", ["holder"])
    op.create_table(
        "commitments",
        id_column(),
        sa.Column("source", sa.String(100), sa.ForeignKey("sources.code"), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("body", sa.String(120), nullable=False),
        sa.Column("counterparty", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_type", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("accepted_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("sme", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("post", sa.String(100), nullable=True),
        stamp("received_at"),
        sa.UniqueConstraint("source", "reference", name="uq_commitments_source_reference"),
    )
    op.create_index("ix_commitments_body", "commitments", ["body"])
    op.create_index("ix_commitments_counterparty", "commitments", ["counterparty"])
    op.create_table(
        "payments",
        id_column(),
        sa.Column("commitment_id", Id, sa.ForeignKey("commitments.id"), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    )
    op.create_index("ix_payments_commitment", "payments", ["commitment_id"])
    op.create_table(
        "complaints",
        id_column(),
        sa.Column("commitment_id", Id, sa.ForeignKey("commitments.id"), nullable=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("body", sa.String(120), nullable=False),
        sa.Column("commitment_source", sa.String(100), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("supervisor", sa.String(100), nullable=False),
        sa.Column("grounds", sa.String(20), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        *filed_case(),
    )
    op.create_index("ix_complaints_status_due", "complaints", ["status", "due_on"])


def downgrade() -> None:
    op.drop_table("complaints")
    op.drop_table("payments")
    op.drop_table("commitments")
    op.drop_table("posts")
    op.drop_table("public_bodies")
