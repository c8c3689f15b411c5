"""Backups and restores of the whole ledger (`trustledger backup`, `trustledger restore`)."""

from __future__ import annotations

from pathlib import Path

from trustledger.services.context import Ledger
from trustledger.store.backup import BackupError


def backup(ledger: Ledger, target: Path) -> Path:
    """A consistent copy of the ledger (records, events, keys, the log) into `target`."""
    ledger.store.backup(target)
    return target


def restore(ledger: Ledger, backup_file: Path) -> None:
    """Replace the ledger's content with a backup's. Verify the log afterwards
    (`trustledger audit verify`)."""
    ledger.store.restore(backup_file)


__all__ = ["BackupError", "backup", "restore"]
