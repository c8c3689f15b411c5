"""The ledger's commands: init, rulebook, sources, import, score, check, demo."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import open as progress_open
from rich.table import Table
from typer.core import TyperCommand

from trustledger.cli.app import (
    AsOf,
    Db,
    Json,
    SubjectArg,
    app,
    cli_actor,
    emit,
    err,
    opened,
    out,
    rulebook_app,
    sources_app,
    transaction,
)
from trustledger.domain.rulebook import RulebookInvalid, parse_rulebook
from trustledger.services.admin import rulebooks
from trustledger.services.answers import checks, standing
from trustledger.services.intake import ingest
from trustledger.services.intake.sources import add_source, all_sources
from trustledger.views import json


@app.command()
def init(
    rulebook: Annotated[
        Path | None, typer.Option("--rulebook", exists=True, dir_okay=False)
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Create or migrate the schema and make a rulebook the active version."""
    with opened(db) as ledger:
        text = rulebook.read_text() if rulebook else None
        installed = rulebooks.init(ledger, text, actor=cli_actor())
    data = {"rulebook": installed.rulebook, "version": installed.version, "added": installed.added}
    emit(
        data,
        as_json,
        lambda: out.print(
            f"ledger ready; active rulebook {installed.rulebook} {installed.version}"
            + (" (newly stored)" if installed.added else "")
        ),
    )


@rulebook_app.command("validate")
def rulebook_validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Check a rulebook; print every error with its YAML path and exit 1 if there is any."""
    try:
        book = parse_rulebook(file.read_text())
    except RulebookInvalid as exc:
        errors = [{"path": e.path, "line": e.line, "message": e.message} for e in exc.errors]
        if as_json:
            emit({"valid": False, "errors": errors}, True, lambda: None)
        else:
            for e in exc.errors:
                err.print(f"{file}:{e}", highlight=False, markup=False, soft_wrap=True)
            err.print(f"[red]{len(errors)} error(s)[/red]")
        raise typer.Exit(1) from None
    emit(
        {"valid": True, "rulebook": book.rulebook, "version": book.version},
        as_json,
        lambda: out.print(
            f"{file}: valid ({book.rulebook} {book.version}: {len(book.record_types)} record "
            f"types, {len(book.lists)} lists, {len(book.measures)} measures)"
        ),
    )


@sources_app.command("add")
def sources_add(
    code: str,
    kind: Annotated[
        str, typer.Option("--kind", help="Source kind named by the rulebook's reporters.")
    ],
    name: Annotated[str, typer.Option("--name")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Register an authorized source."""
    with transaction(db) as ctx:
        source = add_source(ctx, code, kind, name)
    data = {"code": source.code, "kind": source.kind, "name": source.name}
    emit(data, as_json, lambda: out.print(f"source {source.code} ({source.kind}) registered"))


@sources_app.command("list")
def sources_list(db: Db = None, as_json: Json = False) -> None:
    """List the registered sources."""
    with transaction(db) as ctx:
        found = all_sources(ctx)
    data = [{"code": s.code, "kind": s.kind, "name": s.name} for s in found]

    def human() -> None:
        table = Table("code", "kind", "name")
        for s in found:
            table.add_row(s.code, s.kind, s.name)
        out.print(table)

    emit(data, as_json, human)


class _ExitOneOnUsage(TyperCommand):
    """`import` exits 2 only when lines were refused: its usage errors exit 1, not click's 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except Exception as exc:  # Typer's (vendored) click raises a UsageError, exit code 2
            if getattr(exc, "exit_code", None) == 2:
                exc.exit_code = 1  # type: ignore[attr-defined]
            raise


@app.command("import", cls=_ExitOneOnUsage)
def import_(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines, CSV or Parquet.")
    ],
    source: Annotated[str, typer.Option("--source", help="The reporting source's code.")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Import records from a source's file; valid lines are stored, rejected ones reported.

    Exit status: 0 when every line was stored or was a duplicate (or fulfilled a stored
    record), 2 when any line was rejected or conflicted with a stored record, 1 on a usage or
    system error.
    """
    read = ingest.reader_for(file.name)
    description = f"importing {file.name}"
    source_file: AbstractContextManager[Any] = (
        progress_open(file, "rb", description=description, console=err, transient=as_json)
        if ingest.is_binary(file.name)  # Parquet: bytes, and the reader seeks to its footer
        else progress_open(
            file,
            "r",
            encoding="utf-8",
            newline="",
            description=description,
            console=err,
            transient=as_json,
        )
    )
    with opened(db) as ledger, source_file as stream:
        report = ingest.import_rows(ledger, source, read(stream), actor=cli_actor())

    def human() -> None:
        fulfilled = f", {report.fulfilled} fulfilled" if report.fulfilled else ""
        out.print(
            f"{report.inserted} inserted, {report.duplicates} duplicates{fulfilled}, "
            f"{len(report.rejected)} rejected"
        )
        for r in report.rejected[:50]:
            out.print(f"  line {r['line']}: {r['reason']}", highlight=False, markup=False)
        if len(report.rejected) > 50:
            out.print(f"  ... and {len(report.rejected) - 50} more (use --json for all)")

    emit(report.as_json(), as_json, human)
    if report.rejected:
        raise typer.Exit(2)


def _print_score(data: dict[str, Any], as_of: date | None) -> None:
    when = as_of.isoformat() if as_of else "today"
    if data["score"] is None:
        out.print(f"{data['subject']}: no score or tier on {when} (no consent to scoring)")
    else:
        out.print(
            f"{data['subject']}: score [bold]{data['score']}[/bold], tier "
            f"[bold]{data['tier']}[/bold] on {when}"
        )
        table = Table("reference", "type", "points", "counts until", title="contributions")
        for c in data["contributions"]:
            table.add_row(c["reference"], c["type"], f"{c['points']:+d}", c["counts_until"])
        if data["contributions"]:
            out.print(table)
    cap = data["tier_cap"]
    if cap is not None:
        out.print(
            f"tier capped at {cap['tier']} (the score alone gives {cap['uncapped_tier']}) by "
            f"{cap['type']} {cap['reference']} until {cap['until']}",
            highlight=False,
        )
    out.print("lists: " + (", ".join(data["lists"]) or "none"))
    for p in data["pending"]:
        when = f"from {p['from']}" if p["from"] else "if a reviewer confirms it"
        out.print(f"pending: {p['list']} {when} ({p['because']})", highlight=False)
    for m in data["measures"]:
        until = f" until {m['until']}" if m["until"] else ""
        out.print(f"  measure {m['code']}: {m['action']} -> {m['effect']} ({m['reason']}{until})")


@app.command()
def score(
    subject: SubjectArg,
    as_of: AsOf = None,
    rulebook_version: Annotated[str | None, typer.Option("--rulebook-version")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """A subject's score, tier, contributions, lists and measures, every point explained."""
    with transaction(db) as ctx:
        data = json.score(standing.score(ctx, subject, as_of, rulebook_version))
    emit(data, as_json, lambda: _print_score(data, as_of))


@app.command()
def explain(
    subject: SubjectArg,
    as_of: AsOf = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """How each list, pending entry, tier cap and lost point ends: by itself on a date, earlier
    if the record is fulfilled, or by a dispute (and until when one can be filed)."""
    with transaction(db) as ctx:
        data = json.explanation(standing.explain(ctx, subject, as_of))

    def human() -> None:
        _print_score(data, as_of)
        if not data["paths_out"]:
            out.print("nothing weighs on this subject")
        table = Table("about", "ends on", "if fulfilled today", "dispute until", title="paths out")
        for p in data["paths_out"]:
            about = p["list"] or f"{p['type']} {p['reference']}"
            table.add_row(
                f"{p['what']}: {about}",
                p["ends_on"] or "when the tier changes",
                p["if_fulfilled"] or "-",
                "open dispute" if p["disputed"] else (p["dispute_until"] or "-"),
            )
        if data["paths_out"]:
            out.print(table)

    emit(data, as_json, human)


@app.command()
def check(
    subject: str,
    action: str,
    as_of: AsOf = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Whether a restriction or incentive applies to SUBJECT for ACTION (e.g. travel.flight)."""
    with transaction(db) as ctx:
        data = json.check(checks.check_one(ctx, subject, action, as_of))

    def human() -> None:
        out.print(f"{subject} {action}: [bold]{data['decision']}[/bold]")
        for m in data["measures"]:
            out.print(f"  {m['code']} ({m['effect']})")

    emit(data, as_json, human)
