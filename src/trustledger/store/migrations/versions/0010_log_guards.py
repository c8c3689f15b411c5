"""The log's working tables hold their own rules, for every role that may write them: an event
leaves the queue only once it is a leaf of the tree, a queued event is never changed, and the
log's state row only moves forward (its size never shrinks; the signer key, once stored, stays).

With these, the server's least-privilege role (`trustledger db grant`) needs DELETE on
`log_queue` and UPDATE on `log_state` for the sequencer, and still cannot remove or rewrite an
event, integrated or not. A role that does not own the tables cannot drop these triggers."""

from trustledger.store.migrations.guards import Guard, Refusal, create_triggers, drop_triggers

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
GUARDS = (
    Guard(
        "log_queue_guard",
        f"BEGIN IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{QUEUE}'; "
        f"ELSIF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{QUEUE_FROZEN}'; "
        f"ELSIF {NOT_A_LEAF} THEN RAISE EXCEPTION '{QUEUE}'; END IF; RETURN OLD; END",
        {"log_queue": "log_queue_guard"},
    ),
    Guard(
        "log_state_forward_only",
        f"BEGIN IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION '{STATE}'; "
        f"ELSIF {BACKWARD_PG} THEN RAISE EXCEPTION '{STATE}'; END IF; RETURN NEW; END",
        {"log_state": "log_state_forward_only"},
    ),
)
REFUSALS = (
    Refusal("log_queue_no_update", "UPDATE", "log_queue", QUEUE_FROZEN),
    Refusal("log_queue_guard", "DELETE", "log_queue", QUEUE, when=NOT_A_LEAF),
    Refusal("log_state_no_delete", "DELETE", "log_state", STATE),
    Refusal("log_state_forward_only", "UPDATE", "log_state", STATE, when=BACKWARD),
)


def upgrade() -> None:
    create_triggers(GUARDS, REFUSALS)


def downgrade() -> None:
    drop_triggers(GUARDS, REFUSALS)
