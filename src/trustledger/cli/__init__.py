"""trustledger: a thin command line over the services; --json for machines, tables for people.

Each module registers its commands on the one Typer app in `cli.app`.
"""

from trustledger.cli import audit as _audit  # noqa: F401
from trustledger.cli import backups as _backups  # noqa: F401
from trustledger.cli import batch as _batch  # noqa: F401
from trustledger.cli import database as _database  # noqa: F401
from trustledger.cli import due_process as _due_process  # noqa: F401
from trustledger.cli import integrity as _integrity  # noqa: F401
from trustledger.cli import ledger as _ledger  # noqa: F401  (registers commands)
from trustledger.cli import log as _log  # noqa: F401
from trustledger.cli import service as _service  # noqa: F401
from trustledger.cli import subjects as _subjects  # noqa: F401
from trustledger.cli.app import app


def main() -> None:
    app()
