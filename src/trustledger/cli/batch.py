"""Population-scale commands: export (Parquet snapshot), rescore, simulate."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from trustledger.batch.plan import ENGINES
from trustledger.cli.app import AsOf, Db, Json, app, bars, cli_actor, emit, err, opened, out
from trustledger.domain.rulebook import RulebookInvalid, parse_rulebook
from trustledger.services.context import today

# The services behind these commands import DuckDB, Arrow and matplotlib: they are imported
# inside the commands, so that every other `trustledger` command starts as fast as before.


def _engine(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    return value


Engine = Annotated[
    str,
    typer.Option(
        "--engine",
        parser=_engine,
        metavar="duckdb|spark",
        help="duckdb on this machine; spark needs the `spark` extra (local mode, or a master "
        "from TRUSTLEDGER_SPARK_MASTER).",
    ),
]


@app.command("export")
def export(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            file_okay=False,
            metavar="DIR",
            help="Write a Parquet snapshot (records/, subjects/, confirmations/) here.",
        ),
    ],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Snapshot the ledger as Parquet for columnar jobs (rescore, Spark on a cluster)."""
    from trustledger.services import rescore as rescore_service

    with opened(db) as ledger, bars(as_json) as progress:
        result = rescore_service.export_parquet(
            ledger, parquet, actor=cli_actor(), progress=progress
        )
    emit(
        result.as_json(),
        as_json,
        lambda: out.print(
            f"exported {result.records} records, {result.subjects} subjects, "
            f"{result.confirmations} confirmations to {result.directory}",
            highlight=False,
        ),
    )


def print_diff(diff: dict[str, Any]) -> None:
    before, after = diff["from"], diff["to"]
    out.print(
        f"[bold]Changes from {escape(before['version'])} ({before['as_of']}) to "
        f"{escape(after['version'])} ({after['as_of']})[/bold]: "
        f"{diff['tier_changes']} of {diff['subjects']} subjects change tier"
    )
    if diff["transitions"]:
        table = Table("tier before", "tier after", "subjects", "examples", title="Tier changes")
        for t in diff["transitions"]:
            table.add_row(
                escape(str(t["from"] or "-")),
                escape(str(t["to"] or "-")),
                str(t["count"]),
                escape(", ".join(t["examples"])),
            )
        out.print(table)
    table = Table("list", "entered", "left", "examples entering", "examples leaving", title="Lists")
    for entry in diff["lists"]:
        table.add_row(
            escape(entry["list"]),
            str(entry["entered"]),
            str(entry["left"]),
            escape(", ".join(entry["entered_examples"])),
            escape(", ".join(entry["left_examples"])),
        )
    out.print(table)


@app.command("rescore")
def rescore(
    rulebook_version: Annotated[
        str | None,
        typer.Option("--rulebook-version", help="A stored version (default: the active one)."),
    ] = None,
    as_of: AsOf = None,
    engine: Engine = "duckdb",
    parquet: Annotated[
        Path | None,
        typer.Option(
            "--parquet",
            exists=True,
            file_okay=False,
            metavar="DIR",
            help="Score this snapshot (from `export`) instead of exporting the ledger now.",
        ),
    ] = None,
    diff_out: Annotated[
        Path | None,
        typer.Option("--diff-out", dir_okay=False, help="Also write the diff as JSON here."),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", file_okay=False, help="Scratch space (default: system temp)."),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Rescore every subject from a Parquet snapshot and write the standings back.

    When the rulebook version differs from the previous rescore's, the changes (tiers, list
    entries and exits, with examples) are printed and saved with the rescore.
    """
    from trustledger.batch import spark
    from trustledger.services import rescore as rescore_service

    if engine == "spark" and not spark.available():
        err.print(f"[red]error:[/red] {spark.MISSING}", highlight=False)
        raise typer.Exit(1)
    with opened(db) as ledger, bars(as_json) as progress:
        if workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
        result = rescore_service.rescore(
            ledger,
            version=rulebook_version,
            as_of=as_of,
            engine=engine,
            snapshot=parquet,
            workdir=workdir,
            actor=cli_actor(),
            progress=progress,
        )
    data = result.as_json()
    if diff_out is not None and result.diff is not None:
        diff_out.write_text(json.dumps(result.diff, indent=2, ensure_ascii=False) + "\n")

    def human() -> None:
        out.print(
            f"rescored {result.subjects} subjects under {escape(result.rulebook)} "
            f"{escape(result.version)} as of {result.as_of} with {result.engine} "
            f"(rescore #{result.rescore_id})"
        )
        table = Table("tier", "subjects", title="Tiers")
        for tier, n in result.tiers.items():
            table.add_row(escape("(no consent)" if tier == "null" else tier), str(n))
        out.print(table)
        table = Table("list", "subjects", title="Lists")
        for code, n in result.lists.items():
            table.add_row(escape(code), str(n))
        out.print(table)
        if result.diff is not None:
            print_diff(result.diff)
            if diff_out is not None:
                out.print(f"diff written to {escape(str(diff_out))}")
        elif result.previous is not None:
            out.print(
                f"same rulebook version as the previous rescore ({result.previous.as_of}): no diff"
            )

    emit(data, as_json, human)


def _rulebook_file(path: Path, option: str) -> Any:
    try:
        return parse_rulebook(path.read_text())
    except RulebookInvalid as exc:
        for e in exc.errors:
            err.print(f"{path}:{e}", highlight=False, markup=False)
        raise typer.BadParameter(f"{path} is not a valid rulebook", param_hint=option) from None


@app.command("simulate")
def simulate(
    population: Annotated[int, typer.Option("--population", min=1, help="Subjects.")],
    rulebook: Annotated[Path, typer.Option("--rulebook", exists=True, dir_okay=False)],
    out_dir: Annotated[Path, typer.Option("--out", file_okay=False, help="Report directory.")],
    compare: Annotated[
        Path | None,
        typer.Option("--compare", exists=True, dir_okay=False, help="A second rulebook."),
    ] = None,
    years: Annotated[int, typer.Option("--years", min=1, max=10)] = 3,
    error_rate: Annotated[
        float,
        typer.Option("--error-rate", min=0.0, max=1.0, help="Share of records that are wrong."),
    ] = 0.01,
    seed: Annotated[int, typer.Option("--seed")] = 2026,
    as_of: AsOf = None,
    reviewers: Annotated[
        int | None,
        typer.Option("--reviewers", min=0, help="Reviewers deciding disputes [default: 50]."),
    ] = None,
    keep_data: Annotated[
        bool, typer.Option("--keep-data", help="Keep the synthetic Parquet data under DIR/data.")
    ] = False,
    chunk: Annotated[
        int,
        typer.Option("--chunk", min=1_000, help="Subjects synthesized per chunk (bounds memory)."),
    ] = 1_000_000,
    as_json: Json = False,
) -> None:
    """Simulate a rulebook (and compare another) on a synthetic population; write report.html."""
    from trustledger.batch import simulate as simulate_service

    book = _rulebook_file(rulebook, "--rulebook")
    other = _rulebook_file(compare, "--compare") if compare else None
    assumptions = simulate_service.Assumptions()
    if reviewers is not None:
        assumptions = replace(assumptions, reviewers=reviewers)
    with bars(as_json) as progress:
        result = simulate_service.simulate(
            book,
            other,
            population=population,
            years=years,
            error_rate=error_rate,
            seed=seed,
            out=out_dir,
            as_of=as_of or today(book),
            assumptions=assumptions,
            chunk=chunk,
            keep_data=keep_data,
            progress=progress,
        )
    data = result.as_json()

    def human() -> None:
        out.print(f"report written to {escape(str(result.report))}")
        for s in result.summaries:
            out.print(
                f"  {escape(s['rulebook'])} {escape(s['version'])}: "
                f"{s['listed_black']} on black lists, "
                f"{s['wrongful_listings']} wrongly listed, "
                f"{s['disputes_per_month']:.0f} disputes/month "
                f"(capacity {s['review_capacity_per_month']})",
                highlight=False,
            )

    emit(data, as_json, human)
