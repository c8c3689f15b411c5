"""Triggers by which the database itself refuses a change, as several migrations create them
(0004, 0007, 0010). Like `columns`, these are applied history: the SQL they run must never
change (a later migration that wants other triggers writes its own).

On PostgreSQL a `Guard` is a trigger function run before every UPDATE or DELETE of a row of its
tables and before a TRUNCATE of them (which row triggers do not see). SQLite has no trigger
functions and no TRUNCATE: there a `Refusal` aborts one kind of statement on a table, always or
when a condition on the row holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alembic import op


@dataclass(frozen=True)
class Guard:
    """PostgreSQL: `function` (PL/pgSQL, `body` between its `$$`), run on each table by the row
    trigger named for it in `triggers` and by `<table>_no_truncate`."""

    function: str
    body: str
    triggers: dict[str, str]  # table -> its row trigger


@dataclass(frozen=True)
class Refusal:
    """SQLite: `trigger` aborts with `message` every `event` (UPDATE or DELETE) on `table`, or only
    those where `when` holds."""

    trigger: str
    event: str
    table: str
    message: str
    when: str | None = None


def create_triggers(guards: Sequence[Guard], refusals: Sequence[Refusal]) -> None:
    """The guards on PostgreSQL, the refusals on SQLite, in order."""
    if op.get_bind().dialect.name == "postgresql":
        for guard in guards:
            function = f"{guard.function}()"
            op.execute(
                f"CREATE FUNCTION {function} RETURNS trigger LANGUAGE plpgsql AS $$ {guard.body} $$"
            )
            for table, trigger in guard.triggers.items():
                op.execute(
                    f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {function}"
                )
                op.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}"
                )
    else:
        for refusal in refusals:
            when = f"WHEN {refusal.when} " if refusal.when else ""
            op.execute(
                f"CREATE TRIGGER {refusal.trigger} BEFORE {refusal.event} ON {refusal.table} "
                f"{when}BEGIN SELECT RAISE(ABORT, '{refusal.message}'); END"
            )


def drop_triggers(guards: Sequence[Guard], refusals: Sequence[Refusal]) -> None:
    """Undo `create_triggers`, the last trigger first."""
    if op.get_bind().dialect.name == "postgresql":
        for guard in reversed(guards):
            for table, trigger in reversed(guard.triggers.items()):
                op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
                op.execute(f"DROP TRIGGER {trigger} ON {table}")
            op.execute(f"DROP FUNCTION {guard.function}()")
    else:
        for refusal in reversed(refusals):
            op.execute(f"DROP TRIGGER {refusal.trigger}")
