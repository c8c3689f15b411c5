"""The log's working tables hold their own rules, for every role that may write them: an event
leaves the queue only once it is a leaf of the tree, a queued event is never changed, and the
log's state row only moves forward (its size never shrinks; the signer key, once stored, stays).

With these, the server's least-privilege role (`trustledger db grant`) needs DELETE on
`log_queue` and UPDATE on `log_state` for the sequencer, and still cannot remove or rewrite an
event, integrated or not. A role that does not own the tables cannot drop these triggers.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"

QUEUE = "log_queue: an event leaves the queue only as a leaf of the tree"
QUEUE_FROZEN = "log_queue: a queued event is never changed"
STATE = "log_state only moves forward (size never shrinks, the signer key stays)"
# A state update that is not allowed (for the SQLite trigger's WHEN and the function's IF).
BACKWARD = (
    "NEW.id <> OLD.id OR NEW.size < OLD.size "
    "OR (OLD.signer_key IS NOT NULL AND NEW.signer_key IS NOT OLD.signer_key)"
)
BACKWARD_PG = BACKWARD.replace("IS NOT OLD", "IS DISTINCT FROM OLD")
NOT_A_LEAF = "NOT EXISTS (SELECT 1 FROM log_leaves WHERE event_id = OLD.id)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION log_queue_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{QUEUE}'; "
            f"ELSIF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{QUEUE_FROZEN}'; "
            f"ELSIF {NOT_A_LEAF} THEN RAISE EXCEPTION '{QUEUE}'; END IF; "
            "RETURN OLD; END $$"
        )
        op.execute(
            "CREATE TRIGGER log_queue_guard BEFORE UPDATE OR DELETE ON log_queue "
            "FOR EACH ROW EXECUTE FUNCTION log_queue_guard()"
        )
        op.execute(
            "CREATE TRIGGER log_queue_no_truncate BEFORE TRUNCATE ON log_queue "
            "FOR EACH STATEMENT EXECUTE FUNCTION log_queue_guard()"
        )
        op.execute(
            "CREATE FUNCTION log_state_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION '{STATE}'; "
            f"ELSIF {BACKWARD_PG} THEN RAISE EXCEPTION '{STATE}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER log_state_forward_only BEFORE UPDATE OR DELETE ON log_state "
            "FOR EACH ROW EXECUTE FUNCTION log_state_forward_only()"
        )
        op.execute(
            "CREATE TRIGGER log_state_no_truncate BEFORE TRUNCATE ON log_state "
            "FOR EACH STATEMENT EXECUTE FUNCTION log_state_forward_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER log_queue_no_update BEFORE UPDATE ON log_queue "
            f"BEGIN SELECT RAISE(ABORT, '{QUEUE_FROZEN}'); END"
        )
        op.execute(
            f"CREATE TRIGGER log_queue_guard BEFORE DELETE ON log_queue WHEN {NOT_A_LEAF} "
            f"BEGIN SELECT RAISE(ABORT, '{QUEUE}'); END"
        )
        op.execute(
            "CREATE TRIGGER log_state_no_delete BEFORE DELETE ON log_state "
            f"BEGIN SELECT RAISE(ABORT, '{STATE}'); END"
        )
        op.execute(
            f"CREATE TRIGGER log_state_forward_only BEFORE UPDATE ON log_state WHEN {BACKWARD} "
            f"BEGIN SELECT RAISE(ABORT, '{STATE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER log_state_no_truncate ON log_state")
        op.execute("DROP TRIGGER log_state_forward_only ON log_state")
        op.execute("DROP FUNCTION log_state_forward_only()")
        op.execute("DROP TRIGGER log_queue_no_truncate ON log_queue")
        op.execute("DROP TRIGGER log_queue_guard ON log_queue")
        op.execute("DROP FUNCTION log_queue_guard()")
    else:
        for trigger in (
            "log_state_forward_only",
            "log_state_no_delete",
            "log_queue_guard",
            "log_queue_no_update",
        ):
            op.execute(f"DROP TRIGGER {trigger}")
