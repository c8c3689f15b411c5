"""Page fixtures: a browser-like client per person (its own cookies) over one app and ledger,
signed in through the sign-in form as a person would, and a page's structure for checking."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.due_process.conftest import Keys
from trustledger.api import create_app
from trustledger.services.context import Ledger, today

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def keys(ledger: Ledger) -> Keys:
    return Keys(ledger)


@pytest.fixture
def day(ledger: Ledger) -> date:
    with ledger.uow() as uow:
        return today(ledger.rulebook(uow))


@pytest.fixture
def app(ledger: Ledger) -> FastAPI:
    return create_app(ledger)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """A new client (a new browser, with its own cookies) each call."""
    opened: list[TestClient] = []

    def new() -> TestClient:
        client = TestClient(app, follow_redirects=False)
        opened.append(client)
        return client

    yield new
    for client in opened:
        client.close()


@pytest.fixture
def client(browser: Callable[[], TestClient]) -> TestClient:
    return browser()


def csrf(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token a page's forms carry (the page also sets the cookie it is bound to)."""
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    found = CSRF.search(r.text)
    assert found, path
    return found.group(1)


def sign_in(client: TestClient, key: str, next: str = "") -> Any:
    return client.post("/signin", data={"key": key, "csrf": csrf(client), "next": next})


def signed_in(browser: Callable[[], TestClient], key: str) -> TestClient:
    client = browser()
    r = sign_in(client, key)
    assert r.status_code == 303, r.text
    return client


class Structure(HTMLParser):
    """What the accessibility tests look at: headings, form controls and their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea"):
            if a.get("type") in ("hidden", "submit", "button"):
                return
            self.controls.append({**a, "tag": tag, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [
            c
            for c in self.controls
            if not c["wrapped"] and c.get("id") not in self.label_for and not c.get("aria-label")
        ]


def structure(html: str) -> Structure:
    parsed = Structure()
    parsed.feed(html)
    return parsed
