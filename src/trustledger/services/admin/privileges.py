"""The server's least-privilege PostgreSQL role (`trustledger db grant ROLE`): see
docs/reliability.md and `store.privileges`."""

from __future__ import annotations

from trustledger.services.context import Ledger
from trustledger.store.privileges import PRIVILEGES, PrivilegeError


def script(ledger: Ledger, role: str) -> list[str]:
    """The SQL statements that give `role` the server's privileges, to read or run by hand."""
    return ledger.store.grant_statements(role)


def grant(ledger: Ledger, role: str, actor: str) -> list[str]:
    """Give `role` the server's privileges, then log it (who granted what to whom)."""
    statements = ledger.store.grant(role)
    with ledger.transaction(actor) as ctx:
        ctx.audit("db.grant", subject=None, detail={"role": role, "privileges": PRIVILEGES})
    return statements


__all__ = ["PrivilegeError", "grant", "script"]
