"""Online backups and restores of the ledger's database.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent image page by
page while the ledger keeps serving (writers wait between steps); a restore copies a backup
back over the live database the same way. PostgreSQL: `pg_dump -Fc` and `pg_restore --clean
--if-exists --single-transaction`, which must be on PATH (the PostgreSQL client tools).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that could not be made (the message says why)."""


def backup(engine: Engine, target: Path) -> None:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(engine)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst, pages=1024)
        dst.close()
        src.close()
        return
    _run("pg_dump", "-Fc", "--no-owner", "-f", str(target), "-d", _libpq(engine))


def restore(engine: Engine, backup_file: Path) -> None:
    if not backup_file.is_file():
        raise BackupError(f"{backup_file}: no such backup")
    if engine.url.get_backend_name() == "sqlite":
        target = _sqlite_file(engine)
        engine.dispose()  # no pooled connection keeps the old pages
        with sqlite3.connect(backup_file) as src, sqlite3.connect(target) as dst:
            if src.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{backup_file}: not an intact SQLite database")
            src.backup(dst)
        dst.close()
        src.close()
        return
    engine.dispose()
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "-d",
        _libpq(engine),
        str(backup_file),
    )


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return database


def _libpq(engine: Engine) -> str:
    """The engine's URL as libpq reads it (no SQLAlchemy driver name)."""
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not on PATH: install the PostgreSQL client tools")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")
