"""Alembic environment: runs on the connection trustledger hands it (see store/migrate.py)."""

from alembic import context

from trustledger.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
