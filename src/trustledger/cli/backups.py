"""`trustledger backup FILE` and `trustledger restore FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustledger.cli.app import Db, app, opened, out
from trustledger.services.admin import backups


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="Where to write the backup.")],
    db: Db = None,
) -> None:
    """Back up the whole ledger while it serves (SQLite: online backup; PostgreSQL: pg_dump)."""
    with opened(db, backups.BackupError) as ledger:
        backups.backup(ledger, target)
    out.print(f"backed up to {target}", highlight=False)


@app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A backup made by `trustledger backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the ledger without asking.")] = False,
    db: Db = None,
) -> None:
    """Replace the ledger's content with a backup's; then run `trustledger audit verify`."""
    if not yes:
        typer.confirm(f"Replace the ledger's content with {backup_file}?", abort=True)
    with opened(db, backups.BackupError) as ledger:
        backups.restore(ledger, backup_file)
    out.print(f"restored from {backup_file}", highlight=False)
