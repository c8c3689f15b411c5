"""The service's commands: serve the API, manage API keys, and run the demo city."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from trustledger.cli.app import (
    Db,
    Json,
    app,
    bars,
    cli_actor,
    emit,
    keys_app,
    opened,
    out,
    transaction,
)
from trustledger.domain.roles import Role
from trustledger.services.admin import keys
from trustledger.services.answers import standing
from trustledger.services.context import Context, Ledger
from trustledger.services.integrity import reports as integrity_reports
from trustledger.views import json

Host = Annotated[str, typer.Option(help="Address to bind (loopback by default).")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="Server processes (each with its own connections and log sequencer thread).",
    ),
]


def _serve(ledger: Ledger, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from trustledger.api import serving as protocol
    from trustledger.cli import serving

    serving.raise_open_files()
    # Limits and timeouts from the settings (docs/reliability.md); `http`: TCP_NODELAY on
    # every connection, see api/serving.py (Kludex/uvicorn#3149).
    options = {**serving.uvicorn_options(ledger.settings), "http": protocol.PROTOCOL}
    if workers == 1:
        from trustledger.api import create_app

        uvicorn.run(
            create_app(ledger, sequencer=True),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            **options,
        )
        return
    # Worker processes import the app by name and open the ledger from the settings: the
    # database this command was given goes to them through the environment.
    os.environ["TRUSTLEDGER_DATABASE_URL"] = ledger.settings.database_url
    ledger.close()
    uvicorn.run(
        protocol.FACTORY,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **options,
    )


@app.command()
def serve(db: Db = None, host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Serve the HTTP API (/v1, OpenAPI at /docs)."""
    with opened(db) as ledger:
        out.print(
            f"trustledger API on http://{host}:{port} (docs at /docs)"
            + (f", {workers} worker processes" if workers > 1 else "")
        )
        _serve(ledger, host, port, workers)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option("--role", help="agency | provider | admin | ...")],
    name: Annotated[str, typer.Option("--name", help="Who holds the key.")],
    source: Annotated[str | None, typer.Option("--source", help="Agency keys: the source.")] = None,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="Provider keys: an allowed action.")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Subject keys.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Create an API key. The key is shown once; only its hash is stored."""
    with transaction(db) as ctx:
        key, who = keys.create_key(
            ctx, role, name, source=source, actions=action or (), subject=subject
        )
    data = {
        "key": key,
        "key_id": who.key_id,
        "role": who.role.value,
        "name": who.name,
        "source": who.source,
        "actions": list(who.actions),
        "subject": who.subject,
    }
    emit(
        data,
        as_json,
        lambda: out.print(
            f"{who.role} key for {who.name} (id {who.key_id}); shown once:\n{key}", soft_wrap=True
        ),
    )


@keys_app.command("list")
def keys_list(db: Db = None, as_json: Json = False) -> None:
    """List API keys (ids, roles, scopes; never secrets)."""
    with transaction(db) as ctx:
        found = keys.list_keys(ctx)
    data = [
        {
            "key_id": k.key_id,
            "role": k.role,
            "name": k.name,
            "source": k.source,
            "actions": list(k.actions),
            "subject": k.subject,
            "revoked": k.revoked,
        }
        for k in found
    ]

    def human() -> None:
        table = Table("id", "role", "name", "scope", "revoked")
        for k in found:
            scope = k.source or ", ".join(k.actions) or k.subject or ""
            table.add_row(k.key_id, k.role, k.name, scope, "yes" if k.revoked else "")
        out.print(table)

    emit(data, as_json, human)


@keys_app.command("revoke")
def keys_revoke(key_id: str, db: Db = None, as_json: Json = False) -> None:
    """Revoke an API key (takes effect within seconds)."""
    with transaction(db) as ctx:
        revoked = keys.revoke_key(ctx, key_id)
    emit(
        {"key_id": key_id, "revoked": revoked},
        as_json,
        lambda: out.print(
            f"key {key_id} " + ("revoked" if revoked else "not found or already revoked")
        ),
    )


DEMO_KEYS = (
    (Role.AGENCY, "City Intermediate People's Court", "city-court", ()),
    (
        Role.PROVIDER,
        "Example Airlines",
        None,
        ("travel.flight", "travel.rail_g_train", "travel.rail_first_class"),
    ),
    (Role.PROVIDER, "City Procurement Portal", None, ("procurement.bid",)),
    (Role.ADMIN, "Demo administrator", None, ()),
    (Role.REVIEWER, "Credit review office", None, ()),
    (Role.AUDITOR, "Audit office", None, ()),
)


@app.command()
def demo(
    db: Db = None,
    persons: Annotated[int, typer.Option(help="Synthetic persons.")] = 100_000,
    organizations: Annotated[int, typer.Option(help="Synthetic organizations.")] = 10_000,
    public_bodies: Annotated[int, typer.Option(help="Synthetic public bodies.")] = 100,
    seed: int = 2026,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the API.")] = True,
) -> None:
    """A fresh SQLite ledger with a synthetic city, demo keys, and the API on 127.0.0.1:8000."""
    from trustledger.services.admin import demo as demo_service

    started = time.monotonic()
    url = db or "sqlite:///trustledger-demo.db"
    with bars() as progress:
        city = demo_service.build(
            url,
            persons=persons,
            organizations=organizations,
            public_bodies=public_bodies,
            seed=seed,
            actor=cli_actor(),
            progress=progress,
        )
    out.print(
        f"[bold]demo city[/bold] in {url}: {len(city.persons):,} persons, "
        f"{len(city.organizations):,} organizations, {len(city.public_bodies):,} public bodies, "
        f"{city.record_count:,} records",
        highlight=False,
    )
    with opened(url) as ledger:
        made = {}
        with ledger.transaction(cli_actor()) as ctx:
            for role, name, source, actions in DEMO_KEYS:
                made[name] = keys.create_key(ctx, role, name, source=source, actions=actions)[0]
            showcase = demo_service.showcase(city)
            examples = city.examples
            debtor = examples.get("court.dishonest_debtor", showcase[0][1] if showcase else "")
            made["The debtor (subject key)"] = keys.create_key(
                ctx, Role.SUBJECT, "demo subject", subject=debtor
            )[0]
            scores = [(label, json.score(standing.score(ctx, s))) for label, s in showcase[:2]]
            day, starts = _listing_example(ctx)
            body = examples.get("integrity.arrears")
            body_page = integrity_reports.body(ctx, body) if body else None
        for (label, data), (_, subject) in zip(scores, showcase[:2], strict=True):
            out.rule(label)
            out.print(
                f"{subject}: score {data['score']}, tier {data['tier']}, lists: "
                f"{', '.join(data['lists']) or 'none'}",
                soft_wrap=True,
            )
        if body_page is not None:
            out.rule("a public body to look at (the second system)")
            out.print(
                f"{body_page['subject']} {body_page['name']}: score {body_page['score']}, "
                f"tier {body_page['tier']}, {body_page['overdue_count']} overdue "
                f"({body_page['overdue_amount']} owed), on time {body_page['on_time_rate']}, "
                f"lists: {', '.join(body_page['lists']) or 'none'}",
                soft_wrap=True,
                highlight=False,
            )
        base = f"http://{host}:{port}"
        airline, court, admin = (
            made["Example Airlines"],
            made["City Intermediate People's Court"],
            made["Demo administrator"],
        )
        out.rule("demo keys (shown once)")
        for name, key in made.items():
            out.print(f"{name}: {key}", soft_wrap=True, highlight=False)
        out.rule("try")
        for line in (
            f"curl -s '{base}/v1/checks?subject={debtor}&action=travel.flight' "
            f"-H 'Authorization: Bearer {airline}'",
            f"curl -s '{base}/v1/subjects/{debtor}/score' -H 'Authorization: Bearer {admin}'",
            f"# a court reports a new dishonest debtor today; the subject is notified now, so the "
            f"listing (and the flight ban) starts on {starts} after the notice period: the "
            "answer's `listings` and the score's `pending` say so",
            f"curl -s -X POST {base}/v1/records -H 'Authorization: Bearer {court}' "
            '-H \'Content-Type: application/json\' -d \'{"subject": "cn-rid:11010519491231002X", '
            '"type": "court.dishonest_debtor", "reference": "(2026)demo-1", '
            f'"decided_on": "{day}"}}\'',
            f"curl -s '{base}/v1/lists/dishonest-debtors?limit=5'",
            *(
                [
                    f"curl -s {base}/v1/public-bodies/{body}",
                    f"curl -s '{base}/v1/checks?subject={body}&action=gov.new_project_approval' "
                    f"-H 'Authorization: Bearer {admin}'",
                    f"curl -s '{base}/v1/integrity/publication?year={int(day[:4]) - 1}&format=csv'",
                ]
                if body
                else []
            ),
            f"curl -s {base}/v1/me -H 'Authorization: Bearer {made['The debtor (subject key)']}'",
            f"curl -s '{base}/v1/me/report?format=html' "
            f"-H 'Authorization: Bearer {made['The debtor (subject key)']}' > report.html",
            f"curl -s {base}/v1/audit/verify -H 'Authorization: Bearer {made['Audit office']}'",
            f"open {base}/docs",
        ):
            out.print(line, soft_wrap=True, highlight=False, markup=False)
        out.print(f"ready in {time.monotonic() - started:.1f} s", highlight=False)
        if serve_api:
            out.print(f"serving on {base} (Ctrl-C to stop)")
            _serve(ledger, host, port)


def _listing_example(ctx: Context) -> tuple[str, str]:
    """Today, and the day a dishonest-debtor listing reported today would take effect."""
    day = ctx.today
    spec = ctx.book.index.lists.get("dishonest-debtors")
    starts = day + timedelta(days=spec.notice_days if spec else 0)
    return day.isoformat(), starts.isoformat()
