"""The `trustledger` Typer app and what every command shares: --db, --json, --as-of, errors."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected
from trustledger.domain.rulebook import RulebookInvalid
from trustledger.progress import Progress
from trustledger.services.context import (
    Conflict,
    Context,
    Forbidden,
    Ledger,
    NotFound,
)

app = typer.Typer(
    help="trustledger: records, not surveillance; every point explained; nothing permanent.",
    no_args_is_help=True,
    add_completion=False,
)
rulebook_app = typer.Typer(help="Validate and inspect rulebooks.", no_args_is_help=True)
sources_app = typer.Typer(help="Authorized sources.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(rulebook_app, name="rulebook")
app.add_typer(sources_app, name="sources")
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error is one line, whatever its length

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TRUSTLEDGER_DATABASE_URL",
        help="Database URL (default sqlite:///trustledger.db).",
        show_envvar=True,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# The subject or public body a command is about, as its first argument.
SubjectArg = Annotated[str, typer.Argument(help="scheme:value, e.g. cn-rid:11010519491231002X")]
BodyArg = Annotated[str, typer.Argument(help="cn-uscc:11... of the body")]


def date_parser(option: str) -> Callable[[str | None], date | None]:
    """The parser of a date option (YYYY-MM-DD); a bad value is an error naming the option."""

    def parse(value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(
                f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
            ) from None

    return parse


def choice_parser(hint: str, *choices: str) -> Callable[[str], str]:
    """The parser of an option or argument that takes one of `choices`; another value is an
    error naming them (`grant or withdraw`) and the option or argument (`hint`)."""

    def parse(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(" or ".join(choices), param_hint=hint)
        return value

    return parse


def format_option(*formats: str) -> Any:
    """`--format`, taking one of `formats` (its help lists them: `json | html`)."""
    return typer.Option(
        "--format", parser=choice_parser("--format", *formats), help=" | ".join(formats)
    )


def decision_argument(*decisions: str) -> Any:
    """DECISION, taking one of `decisions` (its help lists them: `grant | withdraw`)."""
    return typer.Argument(
        ..., parser=choice_parser("DECISION", *decisions), help=" | ".join(decisions)
    )


AsOf = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=date_parser("--as-of"),
        metavar="DATE",
        help="Evaluate on this day (default today).",
    ),
]


def cli_actor() -> str:
    """Who acts from the command line, as the audit log names them: `TRUSTLEDGER_ACTOR` (e.g.
    an operator's name under sudo or in a job), else the login name, else the user id."""
    named = os.environ.get("TRUSTLEDGER_ACTOR", "").strip()
    if named:
        return f"cli:{named}"
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (e.g. a container user without a passwd entry)
        return f"cli:uid-{os.getuid()}"


REFUSALS: tuple[type[Exception], ...] = (
    NotFound,
    Conflict,
    Forbidden,
    IdentifierError,
    Rejected,
    RulebookInvalid,
)


@contextmanager
def opened(db: str | None, *also: type[Exception]) -> Iterator[Ledger]:
    """Open the ledger and turn the services' refusals (and the errors `also` names) into
    one-line errors with exit code 1."""
    refusals: tuple[type[Exception], ...] = (*REFUSALS, *also)
    ledger = Ledger.open(db)
    try:
        yield ledger
    except refusals as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        ledger.close()


@contextmanager
def transaction(db: str | None) -> Iterator[Context]:
    """One context for one command, acting as the CLI's user: committed when the command's
    work ends without an error."""
    with opened(db) as ledger, ledger.transaction(cli_actor()) as ctx:
        yield ctx


def progress_bars(quiet: bool = False, *, transient: bool = False) -> RichProgress:
    """The CLI's progress display on stderr: a bar per step (nothing with `--json`); a
    transient one is gone when the work ends."""
    return RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=quiet or transient,
        disable=quiet,
    )


@contextmanager
def bars(quiet: bool = False) -> Iterator[Progress]:
    """The services' progress callback for a long job, shown while the block runs as one Rich
    bar per step on stderr (`progress_bars`; nothing with `--json`)."""
    tasks: dict[str, TaskID] = {}
    with progress_bars(quiet) as progress:

        def report(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done, total=total)

        yield report


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        human()
