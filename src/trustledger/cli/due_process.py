"""Due-process commands: report, consent, disputes, review proposals, repairs, notices."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from trustledger.cli.app import (
    AsOf,
    Db,
    Json,
    app,
    bars,
    cli_actor,
    decision_argument,
    emit,
    err,
    format_option,
    opened,
    out,
    transaction,
)
from trustledger.domain.cases import Proposal, Repair
from trustledger.services.context import Context
from trustledger.services.due_process import access, consent, disputes, notices, repairs, review
from trustledger.views import html
from trustledger.views import json as views

disputes_app = typer.Typer(help="Disputes: list and decide.", no_args_is_help=True)
proposals_app = typer.Typer(
    help="Review proposals for lists with review: required.", no_args_is_help=True
)
repairs_app = typer.Typer(help="Credit repair requests.", no_args_is_help=True)
notices_app = typer.Typer(help="The notice outbox.", no_args_is_help=True)
app.add_typer(disputes_app, name="disputes")
app.add_typer(proposals_app, name="proposals")
app.add_typer(repairs_app, name="repairs")
app.add_typer(notices_app, name="notices")


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row.get(c) if row.get(c) is not None else "") for c in columns))
    out.print(table)


@app.command()
def report(
    subject: str,
    format: Annotated[str, format_option("json", "html")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
    as_of: AsOf = None,
    db: Db = None,
) -> None:
    """A subject's full credit report: everything held, why, until when, and who looked."""
    with transaction(db) as ctx:
        found = access.subject_access(ctx, subject, as_of=as_of, export=True)
    if format == "html":
        text = html.subject_report(found)
    else:
        text = json.dumps(views.subject_access(found), ensure_ascii=False, indent=2)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"report written to {output}")
    else:
        sys.stdout.write(text + "\n")


@app.command("consent")
def consent_command(
    subject: str,
    decision: Annotated[str, decision_argument("grant", "withdraw")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Record a person's consent to scoring, or its withdrawal."""
    with transaction(db) as ctx:
        data = views.consent(consent.set_consent(ctx, subject, decision == "grant"))
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{data['subject']}: consent {'granted' if data['consent'] else 'withdrawn'}"
        ),
    )


@disputes_app.command("list")
def disputes_list(
    status: Annotated[str | None, typer.Option(help="open | upheld | rejected")] = None,
    source: Annotated[
        str | None, typer.Option(help="Only disputes of this source's records.")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Disputes, overdue (escalated) first."""
    with transaction(db) as ctx:
        rows = [views.queued(d) for d in disputes.queue(ctx, status=status, source=source)]
    emit(
        rows,
        as_json,
        lambda: _table(
            rows,
            ("id", "record_id", "subject", "source", "status", "filed_on", "due_on", "overdue"),
        ),
    )


@disputes_app.command("decide")
def disputes_decide(
    dispute_id: int,
    outcome: Annotated[str, typer.Argument(help="upheld | rejected")],
    reason: Annotated[str, typer.Option("--reason", help="Stated to the subject.")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Decide a dispute: upheld voids the record at once; rejected keeps the reason."""
    with transaction(db) as ctx:
        data = views.queued(disputes.decide(ctx, dispute_id, outcome, reason))
    emit(data, as_json, lambda: out.print(f"dispute {dispute_id}: {data['status']}"))


@proposals_app.command("scan")
def proposals_scan(as_of: AsOf = None, db: Db = None, as_json: Json = False) -> None:
    """Propose entries into review-required lists; end confirmed ones that lapsed."""
    with (
        opened(db) as ledger,
        bars(as_json) as progress,
    ):
        data = review.scan(ledger, as_of, actor=cli_actor(), progress=progress)
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{data['subjects']} subjects: {data['proposed']} proposed, {data['ended']} ended"
        ),
    )


def _cases(
    cases: typer.Typer,
    case: tuple[str, str],
    statuses: str,
    queue: Callable[..., list[Proposal] | list[Repair]],
    columns: tuple[str, ...],
    decisions: tuple[str, str],
    decide: Callable[[Context, int, bool, str], Proposal | Repair],
    decide_doc: str,
) -> None:
    """`list` and `decide` for a kind of case decided yes or no (the first of `decisions`);
    `case` is its argument's name and how a line of output names it."""
    metavar, label = case

    # Options built here are defaults, not annotations: annotations are read as strings in
    # the module's namespace, where this function's arguments are not.
    def list_command(
        status: str | None = typer.Option(None, help=statuses),
        db: Db = None,
        as_json: Json = False,
    ) -> None:
        with transaction(db) as ctx:
            rows = [views.case(c) for c in queue(ctx, status=status)]
        emit(rows, as_json, lambda: _table(rows, columns))

    def decide_command(
        case_id: int = typer.Argument(..., metavar=metavar),
        decision: str = decision_argument(*decisions),
        reason: str = typer.Option(..., "--reason"),
        db: Db = None,
        as_json: Json = False,
    ) -> None:
        with transaction(db) as ctx:
            data = views.case(decide(ctx, case_id, decision == decisions[0], reason))
        emit(data, as_json, lambda: out.print(f"{label} {case_id}: {data['status']}"))

    decide_command.__doc__ = decide_doc
    cases.command("list")(list_command)
    cases.command("decide")(decide_command)


_cases(
    proposals_app,
    ("proposal_id", "proposal"),
    "pending | confirmed | rejected | ended",
    review.queue,
    ("id", "subject", "list", "because", "status", "proposed_on", "statement"),
    ("confirm", "reject"),
    review.decide,
    "Confirm (the subject enters the list from today) or reject a proposal.",
)
_cases(
    repairs_app,
    ("repair_id", "repair request"),
    "open | approved | rejected",
    repairs.queue,
    ("id", "record_id", "subject", "status", "requested_on", "commitment"),
    ("approve", "reject"),
    repairs.decide,
    "Approve (the record is fulfilled today; its repair rule applies) or reject.",
)


@notices_app.command("send")
def notices_send(db: Db = None, as_json: Json = False) -> None:
    """Hand unsent notices to the sender (default: the log)."""
    with opened(db) as ledger:
        sent = notices.deliver(ledger)
    emit({"sent": sent}, as_json, lambda: out.print(f"{sent} notices sent"))


@notices_app.command("expiries")
def notices_expiries(as_of: AsOf = None, db: Db = None, as_json: Json = False) -> None:
    """Queue a notice for every record-based listing that ends on the day (run daily)."""
    with transaction(db) as ctx:
        day = as_of or ctx.today
        queued = notices.expiries(ctx, day)
    emit(
        {"queued": queued, "day": day.isoformat()},
        as_json,
        lambda: out.print(f"{queued} expiry notices queued for {day}"),
    )
