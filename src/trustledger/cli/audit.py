"""`trustledger audit verify|list`: check the hash chain, read the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from trustledger.cli.app import Db, Json, app, emit, err, out, progress_bars, transaction
from trustledger.services.log import audit

audit_app = typer.Typer(
    help="The audit log: verify its hash chain, list events.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    id_text, _, digest = value.partition(":")
    if not (
        id_text.isdigit() and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    ):
        raise typer.BadParameter(
            f"{value!r} is not ID:HASH (an event id and its 64-hex SHA-256, as printed by "
            "`audit verify`)",
            param_hint="--anchor",
        )
    return int(id_text), digest


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time (ISO 8601, UTC unless an offset is given)",
            param_hint="--since",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


Anchor = Annotated[
    str | None,
    typer.Option(
        "--anchor",
        metavar="ID:HASH",
        help="A head published by an earlier verify: that event must still be in the log.",
    ),
]


@audit_app.command("verify")
def verify(db: Db = None, anchor: Anchor = None, as_json: Json = False) -> None:
    """Check the hash chain of the events from before the transparency log (frozen since the
    switch); exit 1 naming the first broken link. Events since: `trustledger log verify`."""
    anchored = _anchor(anchor)
    with (
        transaction(db) as ctx,
        progress_bars(as_json, transient=True) as progress,
    ):
        task = progress.add_task("verifying audit log", total=audit.count(ctx))
        result = audit.verify(ctx, anchor=anchored, progress=lambda n: progress.advance(task, n))

    def human() -> None:
        if result.ok:
            out.print(
                f"[green]audit chain intact[/green]: {result.checked:,} events up to the "
                f"switch; head {result.head_id}:{result.head_hash} "
                "(events since: `trustledger log verify`)",
                soft_wrap=True,
                highlight=False,
            )

    emit(result.as_json(), as_json, human)
    if not result.ok:
        where = f" at event {result.broken_id}" if result.broken_id is not None else ""
        err.print(
            f"[red]audit log broken{where}[/red] ({result.problem}): "
            f"{escape(result.message or '')}; {result.checked:,} events before it are intact",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)


@audit_app.command("list")
def list_(
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only events about this subject.")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", parser=_since, metavar="WHEN", help="Only events from then on."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=audit.MAX_LIMIT)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """List events, oldest first. The listing is itself logged (an audit.read event)."""
    with transaction(db) as ctx:
        found = audit.events(ctx, subject, since, limit, offset)

    def human() -> None:
        table = Table("id", "at (UTC)", "actor", "action", "subject", "detail")
        for e in found:
            table.add_row(
                str(e.id),
                e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                escape(e.actor),
                escape(e.action),
                escape(e.subject or ""),
                escape(json.dumps(e.detail, ensure_ascii=False, sort_keys=True)),
            )
        out.print(table)

    emit([e.as_json() for e in found], as_json, human)
