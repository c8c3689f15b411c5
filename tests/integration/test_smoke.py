"""The ledger round trip on both stores: import, score, check."""

from tests.conftest import TODAY, act
from trustledger.services.answers import checks
from trustledger.services.context import Ledger
from trustledger.services.intake import ingest
from trustledger.views import json

DEBTOR = "cn-rid:11010519491231002X"


def test_debtor_is_denied_flights_after_notice(ledger: Ledger) -> None:
    rows = [
        {
            "subject": DEBTOR,
            "type": "court.dishonest_debtor",
            "reference": "(2026)京0105执1号",
            "decided_on": "2026-05-01",
            "notified_on": "2026-05-01",
        }
    ]
    report = ingest.import_rows(ledger, "city-court", enumerate(rows, 1), as_of=TODAY, actor="test")
    assert report.as_json() == {"inserted": 1, "duplicates": 0, "fulfilled": 0, "rejected": []}
    again = ingest.import_rows(ledger, "city-court", enumerate(rows, 1), as_of=TODAY, actor="test")
    assert again.as_json() == {"inserted": 0, "duplicates": 1, "fulfilled": 0, "rejected": []}
    from datetime import date

    assert (
        act(ledger, checks.check_one, DEBTOR, "travel.flight", date(2026, 5, 10)).decision
        == "allow"
    )
    denied = act(ledger, checks.check_one, DEBTOR, "travel.flight", date(2026, 5, 11))
    assert json.check(denied) == {
        "decision": "deny",
        "measures": [
            {
                "code": "no-flights",
                "action": "travel.flight",
                "effect": "deny",
                "reason": "list:dishonest-debtors",
                "legal_basis": "SPC Provisions on Restricting High Consumption, art. 3(1)",
                "until": "2028-05-01",
            }
        ],
    }
