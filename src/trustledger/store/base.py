"""What every repository in a unit of work is (`uow.records`, `uow.log`, ...)."""

from __future__ import annotations

from sqlalchemy import Connection


class Repository:
    """Reads and writes over the unit of work's one connection, inside its transaction: a
    repository never commits; the unit of work does, or rolls back."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
