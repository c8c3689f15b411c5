"""Government integrity: public bodies, posts, commitments, and the reports on them."""

from __future__ import annotations

import json as jsonlib
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from trustledger.cli.app import (
    AsOf,
    BodyArg,
    Db,
    Json,
    app,
    date_parser,
    emit,
    format_option,
    out,
    transaction,
)
from trustledger.services.integrity import commitments, reports

bodies_app = typer.Typer(help="Public bodies (cn-uscc codes beginning 11).", no_args_is_help=True)
posts_app = typer.Typer(help="Posts in public bodies and who holds them.", no_args_is_help=True)
commitments_app = typer.Typer(
    help="Commitments of public bodies: registered, paid, listed.", no_args_is_help=True
)
integrity_app = typer.Typer(
    help="Reports: ranking, annual publication, an official's report.", no_args_is_help=True
)
app.add_typer(bodies_app, name="bodies")
app.add_typer(posts_app, name="posts")
app.add_typer(commitments_app, name="commitments")
app.add_typer(integrity_app, name="integrity")


def _DateOption(option: str, help_text: str) -> Any:
    return typer.Option(option, parser=date_parser(option), metavar="DATE", help=help_text)


def _print(data: Any) -> None:
    out.print_json(jsonlib.dumps(data, ensure_ascii=False, default=str))


@bodies_app.command("add")
def bodies_add(
    body: BodyArg,
    name: Annotated[str, typer.Option("--name", help="The registered name.")],
    parent: Annotated[str | None, typer.Option("--parent", help="The parent body.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Register a public body (its name is its registered name on public lists)."""
    with transaction(db) as ctx:
        data = commitments.add_body(ctx, body, name, parent)
    emit(data, as_json, lambda: out.print(f"{data['id']} {data['name']}", highlight=False))


@bodies_app.command("show")
def bodies_show(
    body: BodyArg,
    as_of: AsOf = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """A public body: score, tier, arrears, on-time rate, posts, units and commitments."""
    with transaction(db) as ctx:
        data = reports.body(ctx, body, as_of)
    emit(data, as_json, lambda: _print(data))


@posts_app.command("add")
def posts_add(
    body: Annotated[str, typer.Option("--body", help="The public body.")],
    post: Annotated[str, typer.Option("--post", help="director, finance-chief, ...")],
    holder: Annotated[str, typer.Option("--holder", help="The person (cn-rid:...).")],
    from_on: Annotated[date, _DateOption("--from", "First day held.")],
    to_on: Annotated[date | None, _DateOption("--to", "Last day held.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """A person holds a post from a day (to a day). A new holder ends the open tenure the day
    before their first."""
    with transaction(db) as ctx:
        data = commitments.add_post(ctx, body, post, holder, from_on, to_on)
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{data['post']} of {data['body']}: {data['holder']} from {data['from']}",
            highlight=False,
        ),
    )


@commitments_app.command("add")
def commitments_add(
    source: Annotated[str, typer.Option("--source", help="The registering source.")],
    body: Annotated[str, typer.Option("--body", help="The public body that owes.")],
    counterparty: Annotated[str, typer.Option("--counterparty", help="To whom it is owed.")],
    kind: Annotated[str, typer.Option("--kind", help="payment | contract | judgment | ...")],
    amount: Annotated[str, typer.Option("--amount", help="The amount owed.")],
    accepted_on: Annotated[date, _DateOption("--accepted-on", "Goods or service accepted.")],
    reference: Annotated[str, typer.Option("--reference", help="Unique per source.")],
    due_on: Annotated[date | None, _DateOption("--due-on", "Due day.")] = None,
    sme: Annotated[bool, typer.Option("--sme", help="Owed to an SME: 30 days, 60 at most.")] = (
        False
    ),
    post: Annotated[str | None, typer.Option("--post", help="The responsible post.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Register a commitment of a public body; overdue, it counts as a record from the day after
    `due_on` until paid in full."""
    with transaction(db) as ctx:
        data = commitments.add_commitment(
            ctx,
            source,
            body=body,
            counterparty=counterparty,
            kind=kind,
            amount=amount,
            accepted_on=accepted_on,
            due_on=due_on,
            sme=sme,
            post=post,
            reference=reference,
        )
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{data['status']}: {data['reference']} due on {data['due_on']}", highlight=False
        ),
    )


@commitments_app.command("pay")
def commitments_pay(
    reference: Annotated[str, typer.Argument(help="The commitment's reference.")],
    source: Annotated[str, typer.Option("--source", help="The source that registered it.")],
    on: Annotated[date, _DateOption("--on", "Day paid.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount paid.")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Record a payment; partial payments add up, payment in full keeps the commitment."""
    with transaction(db) as ctx:
        data = commitments.pay(ctx, source, reference, on, amount)
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{data['reference']}: paid {data['paid']}, owed {data['owed']}", highlight=False
        ),
    )


@commitments_app.command("list")
def commitments_list(
    body: Annotated[str | None, typer.Option("--body", help="Only this body's.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those overdue.")] = False,
    as_of: AsOf = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Commitments (of a body), overdue ones only with --overdue, on a day."""
    with transaction(db) as ctx:
        data = commitments.listing(ctx, body=body, overdue=overdue, as_of=as_of)

    def human() -> None:
        table = Table("reference", "body", "kind", "amount", "due_on", "owed", "overdue")
        for c in data:
            table.add_row(
                c["reference"],
                c.get("body_name") or c["body"],
                c["kind"],
                c["amount"],
                c["due_on"],
                c["owed"],
                "yes" if c["overdue"] else "",
            )
        out.print(table)

    emit(data, as_json, human)


@integrity_app.command("ranking")
def integrity_ranking(as_of: AsOf = None, db: Db = None, as_json: Json = False) -> None:
    """Public bodies, best first: score, tier, arrears, on-time rate, median days to pay."""
    with transaction(db) as ctx:
        data = reports.ranking(ctx, as_of)
    fields = (
        "subject",
        "name",
        "score",
        "tier",
        "overdue_count",
        "overdue_amount",
        "on_time_rate",
        "median_days_to_pay",
    )

    def human() -> None:
        table = Table(*fields)
        for r in data:
            table.add_row(*("" if r[f] is None else str(r[f]) for f in fields))
        out.print(table)

    emit(data, as_json, human)


@integrity_app.command("publication")
def integrity_publication(
    year: Annotated[int, typer.Option("--year", help="The year ended.")],
    output: Annotated[str, format_option("csv", "json")] = "csv",
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Per body, the number and value of commitments overdue and unpaid at the end of the year
    (bodies with none left out)."""
    with transaction(db) as ctx:
        data = reports.publication(ctx, year)
    if as_json or output == "json":
        sys.stdout.write(jsonlib.dumps(data, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(reports.publication_csv(data))


@integrity_app.command("official")
def integrity_official(
    person: Annotated[str, typer.Argument(help="The person (cn-rid:...).")],
    as_of: AsOf = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """An official's accountability report: posts held, commitments under them, on-time rate
    and arrears. A report about the office: it gives the person no points."""
    with transaction(db) as ctx:
        data = reports.official(ctx, person, as_of)
    emit(data, as_json, lambda: _print(data))
