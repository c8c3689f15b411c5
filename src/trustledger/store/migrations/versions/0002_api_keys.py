"""API keys: hashed secrets bound to a role and a scope (a source, actions, a subject)."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import id_column, stamp

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        id_column(),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), sa.ForeignKey("sources.code"), nullable=True),
        sa.Column("actions", sa.Text, nullable=True),
        sa.Column("subject", sa.String(120), nullable=True),
        sa.Column("name", sa.Text, nullable=False),
        stamp("created_at"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
