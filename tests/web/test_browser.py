"""The pages in a real browser: Debian's Chromium driven by Playwright, with JavaScript off (the
pages must work without it), against a server on a loopback port.

Outside CI a missing /usr/bin/chromium or Playwright skips these tests with the reason; under
CI=true it fails them (`.ci/run` installs Chromium when it is missing).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
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
    court = act(ledger, create_key, Role.AGENCY, "clerk", source="city-court")[0]
    reviewer = act(ledger, create_key, Role.REVIEWER, "reviewer")[0]
    airline = act(ledger, create_key, Role.PROVIDER, "airline", actions=["travel.flight"])[0]
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
        yield {
            "url": f"http://127.0.0.1:{port}",
            "person": person,
            "court": court,
            "reviewer": reviewer,
            "airline": airline,
            "record": stored.id,
            "day": day,
        }
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


def sign_in(page: Any, site: dict[str, Any], key: str, path: str) -> None:
    """Sign in through the form, which then leads to `path` (its `next`)."""
    page.goto(f"{site['url']}/signin?lang=en&next={path}")
    page.get_by_label("Your key").fill(key)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.context.clear_cookies()  # the next person starts from a clean browser


def flight(site: dict[str, Any]) -> str:
    """The airline's check of the person, as its integration would ask (no browser)."""
    answer = httpx.get(
        site["url"] + "/v1/checks",
        params={"subject": PERSON, "action": "travel.flight"},
        headers={"Authorization": f"Bearer {site['airline']}"},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["decision"])


def test_a_citizen_disputes_a_clerk_uploads_a_reviewer_upholds_and_the_flight_is_allowed(
    chromium: Any, site: dict[str, Any], tmp_path: Path
) -> None:
    """The issue's flow in a real browser, JavaScript off: each person uses their own pages."""
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        assert flight(site) == "deny"  # the listing took effect ten days after notification
        # The citizen files a dispute.
        sign_in(page, site, site["person"], "/me")
        page.get_by_role("link", name="Dispute this record").click()
        page.get_by_label("Grounds").fill("Performed on time; the court's receipt is attached.")
        page.get_by_role("button", name="File the dispute").click()
        page.wait_for_url("**/me/disputes/*")
        sign_out(page)
        # A clerk uploads the week's file and reads the result of every line.
        upload = tmp_path / "week.jsonl"
        day = site["day"]
        lines = [
            {
                "subject": "cn-rid:110105198001010016",
                "type": "court.dishonest_debtor",
                "reference": "(2026)B2",
                "decided_on": (day - timedelta(days=3)).isoformat(),
            },
            {"subject": PERSON, "type": "court.no_such_type", "reference": "(2026)B3"},
        ]
        upload.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
        sign_in(page, site, site["court"], "/agency/upload")
        assert page.locator("h1").inner_text() == "Upload records"
        page.get_by_label("File (.csv, .jsonl, .parquet)").set_input_files(str(upload))
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state()
        assert "Result for week.jsonl" in page.content()
        stored = page.locator("tr").filter(has=page.locator("th", has_text="Stored")).first
        assert stored.locator("td").inner_text() == "1"
        rejected = page.get_by_role("table", name="Lines not stored")
        assert "decided_on: is missing" in rejected.inner_text()  # line 2, named field
        sign_out(page)
        # A reviewer upholds the dispute from the one queue.
        sign_in(page, site, site["reviewer"], "/review")
        case = page.locator("section.box").filter(has_text="the court's receipt is attached")
        case.get_by_label("Uphold: void the record").check()
        case.get_by_label("Reason").fill("The court confirmed performance.")
        case.get_by_role("button", name="Decide").click()
        page.wait_for_load_state()
        sign_out(page)
        # The record is voided at once: the next check lets the citizen fly.
        assert flight(site) == "allow"
    finally:
        context.close()


PUBLIC_PAGES = ("/", "/rulebook", "/lists/dishonest-debtors", "/statistics", "/public-bodies")


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
def test_every_public_page_is_accessible_in_both_languages(
    chromium: Any, site: dict[str, Any], lang: str
) -> None:
    """One h1, a language on the page, a label for every input, text for every chart, a skip
    link first: checked in the browser on every public page and the sign-in form."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{site['url']}/?lang={lang}")
        for path in (*PUBLIC_PAGES, "/signin"):
            page.goto(site["url"] + path)
            assert page.locator("html").get_attribute("lang") == lang.replace("_", "-"), path
            assert page.locator("h1").count() == 1, path
            for field in page.locator("input:not([type=hidden]), select, textarea").all():
                ident = field.get_attribute("id")
                labelled = bool(ident) and page.locator(f"label[for='{ident}']").count() == 1
                assert labelled or field.get_attribute("aria-label"), (path, ident)
            for chart in page.locator("svg").all():
                assert chart.get_attribute("role") == "img" and (
                    chart.get_attribute("aria-label") or chart.locator("title").count()
                ), path
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.getAttribute('href')")
            assert focused == "#main", path
    finally:
        context.close()
