"""`trustledger db grant ROLE`: the server's least-privilege PostgreSQL role."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from trustledger.cli.app import Db, Json, app, cli_actor, emit, err, opened, out
from trustledger.services.admin import privileges

db_app = typer.Typer(
    help="The database: the server's role and its privileges.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@db_app.command("grant")
def grant(
    role: Annotated[str, typer.Argument(help="An existing PostgreSQL role that owns nothing.")],
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL script instead of running it.")
    ] = False,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Give ROLE exactly what the server needs (PostgreSQL; run as the tables' owner, after
    every `trustledger init`): the log appended and read, never changed; the ledger's DML.
    Then run the server with ROLE in its database URL."""
    with opened(db) as ledger:
        try:
            if sql:
                statements = privileges.script(ledger, role)
            else:
                statements = privileges.grant(ledger, role, cli_actor())
        except privileges.PrivilegeError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None
    if sql and not as_json:
        out.print(
            "\n".join(f"{s};" for s in statements), highlight=False, markup=False, soft_wrap=True
        )
        return

    def human() -> None:
        out.print(
            f"[green]granted[/green] the server's privileges to {escape(role)} "
            f"({len(statements)} statements)",
            highlight=False,
        )

    emit({"role": role, "applied": not sql, "statements": statements}, as_json, human)
