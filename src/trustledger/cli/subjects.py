"""Subject commands: an organization's or public body's registered name."""

from __future__ import annotations

from typing import Annotated

import typer

from trustledger.cli.app import Db, Json, app, emit, out, transaction
from trustledger.services.intake import subjects

subjects_app = typer.Typer(help="Subjects: registered names.", no_args_is_help=True)
app.add_typer(subjects_app, name="subjects")


@subjects_app.command("name")
def subjects_name(
    subject: Annotated[str, typer.Argument(help="scheme:value, e.g. cn-uscc:91350100M000100Y43")],
    name: Annotated[str, typer.Argument(help="The registered name (at most 200 characters).")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Set an organization's or public body's registered name, shown on public lists.

    It replaces any name held and is not replaced by later reports. Persons are never named.
    The change is written to the audit log.
    """
    with transaction(db) as ctx:  # a refused name exits 1 with the reason
        data = subjects.set_name(ctx, subject, name)
    emit(
        data,
        as_json,
        lambda: out.print(f"{data['subject']} is named {data['name']!r}", highlight=False),
    )
