"""A throwaway database for a benchmark: a temporary SQLite file, or a PostgreSQL database
created on the given server and dropped afterwards (even when the benchmark fails)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES = "postgresql://127.0.0.1:5432/test"


@contextmanager
def throwaway(store: str, server: str = POSTGRES, prefix: str = "bench") -> Iterator[str]:
    """The URL of a fresh, empty database of `store` ("sqlite" or "postgresql")."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"trustledger-{prefix}-") as work:
            yield f"sqlite:///{Path(work) / f'{prefix}.db'}"
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
