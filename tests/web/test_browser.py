"""The pages in a real browser: Debian's Chromium driven by Playwright, with JavaScript off (the
pages must work without it), against a server on a loopback port.

Outside CI a missing /usr/bin/chromium or Playwright skips these tests with the reason; under
CI=true it fails them (`.ci/run` installs Chromium when it is missing).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import IN_CI, act
from trustledger.api import create_app
from trustledger.batch.synthetic import SOURCES
from trustledger.domain.roles import Role
from trustledger.services.admin import rulebooks
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger, today
from trustledger.services.intake import records
from trustledger.services.intake.sources import add_source

pytestmark = pytest.mark.browser
CHROMIUM = Path(os.environ.get("TRUSTLEDGER_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PERSON = "cn-rid:11010519491231002X"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests need {reason} under CI=true")
    pytest.skip(f"{reason} is missing; CI runs these tests")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright (pip install playwright)")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A served ledger (SQLite) with a person's record and keys, on a free loopback port."""
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    rulebooks.init(ledger, actor="test")
    for code, kind, name in SOURCES:
        act(ledger, add_source, code, kind, name)
    with ledger.uow() as uow:
        day = today(ledger.rulebook(uow))
    item = {
        "subject": PERSON,
        "type": "court.dishonest_debtor",
        "reference": "(2026)B1",
        "decided_on": (day - timedelta(days=20)).isoformat(),
        "notified_on": (day - timedelta(days=20)).isoformat(),
    }
    [stored] = act(ledger, records.submit, "city-court", [item])
    person = act(ledger, create_key, Role.SUBJECT, "person", subject=PERSON)[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(ledger), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield {"url": f"http://127.0.0.1:{port}", "person": person, "record": stored.id}
    finally:
        server.should_exit = True
        thread.join(10)
        ledger.close()


def test_keyboard_language_sign_in_and_a_dispute_without_javascript(
    chromium: Any, site: dict[str, Any]
) -> None:
    context = chromium.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(site["url"] + "/")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert page.locator("h1").count() == 1
        # Keyboard: the first Tab reaches the skip link, which leads to the content.
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#main"
        # The language switch, remembered on the next page.
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Rulebook").first.click()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", level=1).inner_text().startswith("Rulebook")
        # Signing in through the labelled form, by keyboard.
        page.goto(site["url"] + "/me")
        assert "/signin" in page.url
        page.get_by_label("Your key").fill(site["person"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/me")
        assert page.get_by_role("heading", level=1).inner_text() == "My file"
        # A person has no score without consent; consenting draws the waterfall.
        assert page.locator("svg[role=img]").count() == 1  # the timeline only
        page.get_by_label("I consent to being scored").check()
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/me*")
        assert page.locator("svg[role=img]").count() == 2  # and the waterfall
        assert "Score 850, tier B" in page.content()
        # Filing a dispute and following it.
        page.get_by_role("link", name="Dispute this record").click()
        page.get_by_label("Grounds").fill("The judgment was performed; receipt attached.")
        page.get_by_role("button", name="File the dispute").click()
        page.wait_for_url("**/me/disputes/*")
        assert "receipt attached" in page.content()
        assert page.get_by_role("cell", name="open").count() == 1
        # Signing out.
        page.get_by_role("button", name="Sign out").click()
        page.goto(site["url"] + "/me")
        assert "/signin" in page.url
    finally:
        context.close()
