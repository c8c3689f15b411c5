"""The least-privilege PostgreSQL role the server runs as (`trustledger db grant ROLE`).

Migrations (`trustledger init`) run as the tables' owner. The server, and every command that
only serves, runs as another role that owns nothing and gets, table by table, only the DML its
code issues: the log's tables are appended and read, never changed (`log_queue` also loses the
events the sequencer has made leaves, and `log_state` moves forward: migration 0010's triggers
refuse any other DELETE or UPDATE, and only an owner can drop a trigger). UPDATE, DELETE and
TRUNCATE on `audit_events`, `log_leaves`, `log_nodes` and `log_checkpoints` are then refused by
the database's privileges before any trigger runs.

Every table of the database's schema must appear in `PRIVILEGES`: a table without an entry
stops `grant`, so whoever adds a table decides what the server may do with it.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

READ = "SELECT"
APPEND = "SELECT, INSERT"
WRITE = "SELECT, INSERT, UPDATE"

PRIVILEGES: dict[str, str] = {
    # The log: appended and read. The chain before the switch (0007) is frozen: read only.
    "audit_events": READ,
    "audit_head": READ,
    "log_leaves": APPEND,
    "log_nodes": APPEND,
    "log_checkpoints": APPEND,
    "log_queue": "SELECT, INSERT, DELETE",  # the sequencer deletes what it integrated (0010)
    "log_state": "SELECT, UPDATE",  # the sequencer's lock and size; forward only (0010)
    # Histories and reports: appended.
    "record_events": APPEND,
    "payments": APPEND,
    "commitments": APPEND,
    "sources": APPEND,
    "rescores": APPEND,
    "standings": "SELECT, INSERT, DELETE",  # a rescoring replaces its own day's standings
    # The ledger's state: conditional updates (records voided, fulfilled; cases decided; ...).
    "records": WRITE,
    "subjects": WRITE,
    "rulebooks": WRITE,
    "api_keys": WRITE,
    "outbox": WRITE,
    "public_bodies": WRITE,
    "posts": WRITE,
    "disputes": WRITE,
    "proposals": WRITE,
    "repairs": WRITE,
    "complaints": WRITE,
    # Alembic's revision: read, so that tools can tell the schema's version.
    "alembic_version": READ,
}


class PrivilegeError(RuntimeError):
    """A grant that cannot be made (the message says why)."""


SCHEMA = "public"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)  # quoted only when needed


def _tables(conn: Connection) -> list[str]:
    return list(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
            {"schema": SCHEMA},
        ).scalars()
    )


def _statements(conn: Connection, role: str) -> list[str]:
    if conn.dialect.name != "postgresql":
        raise PrivilegeError("roles are a PostgreSQL feature: SQLite has none (protect the file)")
    tables = _tables(conn)
    if not tables:
        raise PrivilegeError("the database has no tables: run `trustledger init` first")
    undecided = [t for t in tables if t not in PRIVILEGES]
    if undecided:
        raise PrivilegeError(f"no privileges decided for the tables {', '.join(undecided)}")
    who = _quote(conn, role)
    lines = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM {who}",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {who}",
    ]
    lines += [f"GRANT {PRIVILEGES[t]} ON {SCHEMA}.{_quote(conn, t)} TO {who}" for t in tables]
    # Ids come from sequences (identity and serial columns): nextval needs USAGE.
    lines.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {who}")
    return lines


def grant_statements(engine: Engine, role: str) -> list[str]:
    """The SQL that gives `role` exactly the server's privileges on this database's tables, and
    takes away any other: a script to read, or to run as the owner."""
    with engine.connect() as conn:
        return _statements(conn, role)


def grant(engine: Engine, role: str) -> list[str]:
    """Run `grant_statements` as the owner, in one transaction, after checking that `role`
    exists, is no superuser, and owns none of the tables. Returns what was run."""
    with engine.begin() as conn:
        statements = _statements(conn, role)
        found = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
            {"role": role},
        ).first()
        if found is None:
            raise PrivilegeError(f"role {role!r} does not exist: CREATE ROLE it first")
        if found.rolsuper or found.rolbypassrls:
            raise PrivilegeError(f"role {role!r} is a superuser or bypasses row security")
        owned = list(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                    "AND tableowner = :role ORDER BY tablename"
                ),
                {"schema": SCHEMA, "role": role},
            ).scalars()
        )
        if owned:
            raise PrivilegeError(
                f"role {role!r} owns {', '.join(owned[:5])}: the server's role must own "
                "nothing (an owner can drop the log's triggers); give it a role of its own"
            )
        for statement in statements:
            conn.exec_driver_sql(statement)
    return statements
