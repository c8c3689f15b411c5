"""Screenshots of the main pages, in English and in Chinese, for the README.

Builds a small demo ledger (the same synthetic city as `trustledger demo`), serves it on a free
loopback port, and photographs each page with Debian's Chromium driven by Playwright (the
Python package; no `playwright install`), JavaScript off, as the pages need none:

    apt-get install -y chromium fonts-noto-cjk
    PYTHONPATH=src python docs/screenshots/take.py [--db sqlite:////tmp/shots.db] [--out DIR]

The public pages are taken without signing in; `/me` with the demo debtor's subject key (and a
company owed by a body in arrears, with a complaint filed), `/review` with a reviewer's key and
`/agency` with the integrity office's key. PNGs larger than MAX_BYTES are reduced to a palette.
"""

from __future__ import annotations

import argparse
import io
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from PIL import Image
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from trustledger.api import create_app
from trustledger.domain.roles import Role
from trustledger.services.admin import demo
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger
from trustledger.services.integrity import commitments, complaints

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1200, "height": 1100}
MAX_BYTES = 300_000
TIMEOUT_MS = 30_000
LANGUAGES = {"en": "en-GB", "zh": "zh-CN"}
ACTOR = "screenshots"

# (file stem, path, who signs in: None for the public)
SHOTS = (
    ("home", "/", None),
    ("rulebook", "/rulebook", None),
    ("dishonest-debtors", "/lists/dishonest-debtors", None),
    ("public-bodies", "/public-bodies", None),
    ("public-body", "/public-bodies/{body}", None),
    ("statistics", "/statistics", None),
    ("me", "/me", "subject"),
    ("me-company", "/me#commitments", "company"),
    ("review", "/review", "reviewer"),
    ("agency", "/agency#commitments", "office"),
)


def build(url: str, persons: int, organizations: int, bodies: int) -> dict[str, str]:
    """The demo city, and the keys and subjects the signed-in shots need."""
    city = demo.build(
        url,
        persons=persons,
        organizations=organizations,
        public_bodies=bodies,
        seed=2026,
        actor=ACTOR,
    )
    ledger = Ledger.open(url)
    try:
        with ledger.transaction(ACTOR) as ctx:
            debtor = city.examples.get("court.dishonest_debtor") or city.persons[0]
            overdue = commitments.listing(ctx, overdue=True)
            owed = overdue[0] if overdue else commitments.listing(ctx)[0]
            company = owed["counterparty"]
            keys = {
                "subject": create_key(ctx, Role.SUBJECT, "demo subject", subject=debtor)[0],
                "company": create_key(ctx, Role.SUBJECT, "demo company", subject=company)[0],
                "reviewer": create_key(ctx, Role.REVIEWER, "Credit review office")[0],
                "office": create_key(ctx, Role.AGENCY, "Integrity office", source="city-integrity")[
                    0
                ],
            }
            complaints.file(
                ctx,
                company,
                grounds="late",
                statement=f"Invoice {owed['reference']} of {owed['amount']} is unpaid.",
                source=owed["source"],
                reference=owed["reference"],
            )
    finally:
        ledger.close()
    return {**keys, "body": owed["body"]}


@contextmanager
def served(url: str) -> Iterator[str]:
    ledger = Ledger.open(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(ledger), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        ledger.close()


def save(png: bytes, path: Path) -> int:
    """Write the PNG, reduced to a 256-colour palette when it is too large."""
    if len(png) > MAX_BYTES:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        out = io.BytesIO()
        image.quantize(colors=256).save(out, format="PNG", optimize=True)
        png = out.getvalue()
    path.write_bytes(png)
    return len(png)


def take(browser: Browser, base: str, keys: dict[str, str], out: Path) -> list[Path]:
    taken = []
    for suffix, accept in LANGUAGES.items():
        contexts: dict[str | None, Any] = {}
        for stem, path, who in SHOTS:
            if who not in contexts:
                context = browser.new_context(
                    java_script_enabled=False,
                    locale=accept,
                    viewport=VIEWPORT,
                    extra_http_headers={"Accept-Language": accept},
                )
                context.set_default_timeout(TIMEOUT_MS)
                if who is not None:  # through the sign-in form, with its CSRF token
                    form = context.request.get(base + "/signin").text()
                    token = re.search(r'name="csrf" value="([^"]+)"', form)
                    assert token is not None, "no CSRF token on /signin"
                    context.request.post(
                        base + "/signin",
                        form={"key": keys[who], "csrf": token.group(1), "next": ""},
                        max_redirects=0,
                    )
                contexts[who] = context
            page = contexts[who].new_page()
            target = out / f"{stem}-{suffix}.png"
            try:
                page.goto(base + path.replace("{body}", keys["body"]))
                size = save(page.screenshot(full_page=False), target)
            except PlaywrightError as exc:
                print(f"{target}: not taken ({exc})", flush=True)
                continue
            finally:
                page.close()
            print(f"{target} ({size:,} bytes)", flush=True)
            taken.append(target)
        for context in contexts.values():
            context.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:////tmp/trustledger-shots.db")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--public-bodies", type=int, default=20)
    args = parser.parse_args()
    print("building the demo ledger", flush=True)
    keys = build(args.db, args.persons, args.organizations, args.public_bodies)
    print("built", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with served(args.db) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            take(browser, base, keys, args.out)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
