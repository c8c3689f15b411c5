"""An API client over a ledger on each store, with keys for every role the service uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import act
from trustledger.api import create_app
from trustledger.domain.roles import Role
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger


class Keys:
    def __init__(self, ledger: Ledger) -> None:
        self.court = act(ledger, create_key, Role.AGENCY, "court", source="city-court")[0]
        self.traffic = act(ledger, create_key, Role.AGENCY, "traffic", source="city-traffic")[0]
        self.airline = act(ledger, create_key, Role.PROVIDER, "airline", actions=["travel.flight"])[
            0
        ]
        self.procurement = act(
            ledger, create_key, Role.PROVIDER, "portal", actions=["procurement.bid"]
        )[0]
        self.admin = act(ledger, create_key, Role.ADMIN, "admin")[0]

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(ledger: Ledger) -> Keys:
    return Keys(ledger)


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger)) as client:
        yield client
