"""The ledger's tables, repositories and migrations (SQLite or PostgreSQL via SQLAlchemy)."""
