"""The transparency log: a queue, the leaves, the tree's nodes, signed checkpoints.

Every audit event already stored is queued, in id order and with its id, so the first
integration makes them the first leaves (0, 1, ...): the tree covers the whole history. From
here on events are only queued (`store.audit`): `audit_events` and its chain stay as they were,
frozen at the switch, and still verify up to it."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import Id, event_columns, id_column
from trustledger.store.migrations.guards import Guard, Refusal, create_triggers, drop_triggers

revision = "0007"
down_revision = "0006"

APPEND_ONLY = ("log_leaves", "log_nodes", "log_checkpoints")
GUARDS = (
    Guard(
        "log_append_only",
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END",
        {table: f"{table}_no_change" for table in APPEND_ONLY},
    ),
)
REFUSALS = tuple(
    Refusal(f"{table}_no_{event.lower()}", event, table, f"{table} is append-only")
    for table in APPEND_ONLY
    for event in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "log_queue",
        id_column(),
        *event_columns(),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_log_queue_subject", "log_queue", ["subject"])
    op.create_table(
        "log_leaves",
        sa.Column("idx", Id, primary_key=True, autoincrement=False),
        sa.Column("event_id", Id, nullable=False),
        *event_columns(),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_log_leaves_event_id", "log_leaves", ["event_id"], unique=True)
    op.create_index("ix_log_leaves_subject", "log_leaves", ["subject"])
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("idx", Id, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("tree_size", Id, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    state = op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", Id, nullable=False),
        sa.Column("signer_key", sa.Text, nullable=True),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0, "signer_key": None}])
    # The switch: every chained event is queued with its id, and new ids continue after them
    # (on SQLite, AUTOINCREMENT remembers the largest id inserted).
    op.execute(
        "INSERT INTO log_queue (id, at, actor, action, subject, detail) "
        "SELECT id, at, actor, action, subject, detail FROM audit_events ORDER BY id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('log_queue', 'id'), "
            "COALESCE((SELECT max(id) FROM log_queue), 0) + 1, false)"
        )
    create_triggers(GUARDS, REFUSALS)


def downgrade() -> None:
    drop_triggers(GUARDS, REFUSALS)
    op.drop_table("log_state")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_index("ix_log_leaves_subject", table_name="log_leaves")
    op.drop_index("ix_log_leaves_event_id", table_name="log_leaves")
    op.drop_table("log_leaves")
    op.drop_index("ix_log_queue_subject", table_name="log_queue")
    op.drop_table("log_queue")
