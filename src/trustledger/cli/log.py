"""`trustledger log verify|proof|verify-proof`: the transparency log from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from trustledger.cli.app import Db, Json, app, cli_actor, emit, err, opened, out
from trustledger.services.log import tlog

log_app = typer.Typer(
    help="The transparency log: verify the tree and its checkpoints, save and check proofs.",
    no_args_is_help=True,
)
app.add_typer(log_app, name="log")


@log_app.command("verify")
def verify(db: Db = None, as_json: Json = False) -> None:
    """Integrate the queue, rebuild the tree from the stored events and check every signed
    checkpoint against it, and against the witness file (TRUSTLEDGER_WITNESS) when one is
    set; exit 1 naming what does not match."""
    with opened(db) as ledger:
        tlog.integrate(ledger)
        with ledger.transaction(cli_actor()) as ctx:
            result = tlog.verify(ctx)

    def human() -> None:
        if result.ok:
            witness = (
                ""
                if result.witnessed is None
                else f"; the witness's {result.witnessed:,} checkpoints agree"
            )
            out.print(
                f"[green]transparency log intact[/green]: {result.leaves:,} leaves, "
                f"{result.checkpoints:,} signed checkpoints verified{witness}",
                highlight=False,
            )

    emit(result.as_json(), as_json, human)
    if not result.ok:
        for problem in result.problems[:20]:
            err.print(f"[red]log broken[/red]: {escape(problem)}", soft_wrap=True, highlight=False)
        raise typer.Exit(1)


@log_app.command("proof")
def proof(
    index: Annotated[int, typer.Argument(min=0, help="The leaf index (an event's log_index).")],
    db: Db = None,
) -> None:
    """Print an inclusion proof with the signed checkpoint it leads to, as JSON to save and
    check later with `log verify-proof` (auditor's tool: any event)."""
    with opened(db) as ledger:
        tlog.integrate(ledger)
        with ledger.transaction(cli_actor()) as ctx:
            saved = tlog.saved_proof(ctx, index)
    out.print_json(json.dumps(saved, ensure_ascii=False))


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path}: expected a JSON object")
    return data


@log_app.command("verify-proof")
def verify_proof(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON: the answer of GET /v1/log/proof plus `note`, the signed checkpoint "
            "(or `checkpoint`: the answer of GET /v1/log/checkpoint), as `log proof` prints."
        ),
    ],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key (GET /v1/log/key).")],
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A JSON file with the signed checkpoint, if apart."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check a saved inclusion proof offline: the checkpoint's signature, then the path."""
    saved = _load(file)
    note = saved.get("note") or (saved.get("checkpoint") or {}).get("note")
    if checkpoint is not None:
        note = _load(checkpoint).get("note")
    if not isinstance(note, str):
        raise typer.BadParameter("no signed checkpoint: give `note` in FILE or --checkpoint")
    try:
        ok, message = tlog.verify_saved_proof(saved, note, vkey)
    except (KeyError, TypeError, ValueError) as exc:
        ok, message = False, f"malformed proof: {exc}"
    emit({"ok": ok, "message": message}, as_json, lambda: None)
    if ok:
        if not as_json:
            out.print(f"[green]proof verified[/green]: {escape(message)}", highlight=False)
        return
    if not as_json:
        err.print(f"[red]proof does not verify[/red]: {escape(message)}", highlight=False)
    raise typer.Exit(1)
