"""Subject names: the registered name of an organization or public body, for public lists."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("subjects", sa.Column("name", sa.String(200), nullable=True))


def downgrade() -> None:
    # In place on both stores (SQLite 3.35+ drops a plain column): a batch copy would have to
    # drop `subjects`, which the records' foreign keys refuse while any record exists.
    op.drop_column("subjects", "name")
