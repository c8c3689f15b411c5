"""Schemathesis drives every operation of the OpenAPI schema: no input may cause a 5xx.

The app runs on a throwaway SQLite ledger; each operation is driven with a key of every role,
so that requests get past authentication to the code behind it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from trustledger.api import create_app
from trustledger.domain.roles import Role
from trustledger.services.admin import rulebooks
from trustledger.services.admin.keys import create_key
from trustledger.services.context import Ledger
from trustledger.services.intake.sources import add_source

_ledger = Ledger.open(f"sqlite:///{Path(tempfile.mkdtemp()) / 'fuzz.db'}")
rulebooks.init(_ledger, actor="test")
with _ledger.transaction("test") as _ctx:
    add_source(_ctx, "city-court", "court", "City Court")
    KEYS = {
        Role.AGENCY: create_key(_ctx, Role.AGENCY, "fuzz", source="city-court")[0],
        Role.PROVIDER: create_key(_ctx, Role.PROVIDER, "fuzz", actions=["travel.flight"])[0],
        Role.SUBJECT: create_key(_ctx, Role.SUBJECT, "fuzz", subject="cn-rid:11010519491231002X")[
            0
        ],
        Role.REVIEWER: create_key(_ctx, Role.REVIEWER, "fuzz")[0],
        Role.ADMIN: create_key(_ctx, Role.ADMIN, "fuzz")[0],
        Role.AUDITOR: create_key(_ctx, Role.AUDITOR, "fuzz")[0],
    }
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_ledger))


@pytest.mark.parametrize("role", list(KEYS))
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: schemathesis.Case, role: Role) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {KEYS[role]}"}, checks=[not_a_server_error]
    )
