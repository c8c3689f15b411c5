"""The audit log: hash-chained events, the head anchoring the newest one, append-only triggers."""

import sqlalchemy as sa
from alembic import op

from trustledger.store.migrations.columns import Id, event_columns
from trustledger.store.migrations.guards import Guard, Refusal, create_triggers, drop_triggers

revision = "0004"
down_revision = "0003"

GENESIS = "0" * 64
MESSAGE = "audit_events is append-only"
HEAD_MESSAGE = "audit_head only moves forward"
# A head update that is not allowed (for the SQLite trigger's WHEN and the function's IF).
REWIND = "NEW.id <> OLD.id OR NEW.last_id < OLD.last_id"
GUARDS = (
    Guard(
        "audit_events_append_only",
        f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END",
        {"audit_events": "audit_events_no_change"},
    ),
    Guard(
        "audit_head_forward_only",
        f"BEGIN IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION '{HEAD_MESSAGE}'; "
        f"ELSIF {REWIND} THEN RAISE EXCEPTION '{HEAD_MESSAGE}'; END IF; RETURN NEW; END",
        {"audit_head": "audit_head_no_change"},
    ),
)
REFUSALS = (
    *(
        Refusal(f"audit_events_no_{event.lower()}", event, "audit_events", MESSAGE)
        for event in ("UPDATE", "DELETE")
    ),
    Refusal("audit_head_no_delete", "DELETE", "audit_head", HEAD_MESSAGE),
    Refusal("audit_head_no_rewind", "UPDATE", "audit_head", HEAD_MESSAGE, when=REWIND),
)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True, autoincrement=False),
        *event_columns(),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_id", Id, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "hash": GENESIS}])
    create_triggers(GUARDS, REFUSALS)


def downgrade() -> None:
    drop_triggers(GUARDS, REFUSALS)
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.drop_table("audit_events")
