"""Commitments of public bodies on both stores: registered, paid, overdue in real time, and
reported (ranking, annual publication, an official's report), and seen by rescoring."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import act
from trustledger.domain.intake import Rejected
from trustledger.services.answers import checks, standing
from trustledger.services.context import Conflict, Forbidden, Ledger
from trustledger.services.integrity import commitments, reports

BUREAU = "cn-uscc:111100000000000030"
DISTRICT = "cn-uscc:111100000000000043"
SUPPLIER = "cn-uscc:91350100M000100Y43"
ALICE = "cn-rid:11010519491231002X"
BOB = "cn-rid:110105198001010016"
SOURCE = "city-integrity"
ACCEPTED = date(2026, 2, 1)
DUE = date(2026, 3, 3)  # 30 days after acceptance
ACTION = "gov.new_project_approval"


def _setup(ledger: Ledger) -> None:
    act(ledger, commitments.add_body, BUREAU, "City Transport Bureau")
    act(ledger, commitments.add_body, DISTRICT, "Transport Bureau, East District", BUREAU)
    act(ledger, commitments.add_post, BUREAU, "director", ALICE, date(2025, 1, 1))


def _add(ledger: Ledger, reference: str = "INV-1", **kw: object) -> dict[str, object]:
    values: dict[str, object] = {
        "body": BUREAU,
        "counterparty": SUPPLIER,
        "kind": "payment",
        "amount": "10000",
        "accepted_on": ACCEPTED,
        "sme": True,
        "post": "director",
        "reference": reference,
    }
    values.update(kw)
    result: dict[str, object] = act(ledger, commitments.add_commitment, SOURCE, **values)
    return result


def _deny(ledger: Ledger, day: date, body: str = BUREAU) -> bool:
    """A check reads only the records that can decide it (overdue commitments among them)."""
    with ledger.transaction("test") as ctx:
        decision = checks.check_one(ctx, body, ACTION, day).decision
    with ledger.transaction("test") as ctx:
        s = standing.assess(ctx, body, day).standing
    assert (decision == "deny") == any(m.action == ACTION for m in s.measures)
    return decision == "deny"


def test_overdue_counts_from_the_first_overdue_day_until_paid(ledger: Ledger) -> None:
    _setup(ledger)
    added = _add(ledger)
    assert added["status"] == "inserted" and added["due_on"] == DUE.isoformat()
    assert not _deny(ledger, DUE)  # the due day itself
    assert _deny(ledger, DUE + timedelta(days=1))  # the first overdue day, no job run
    act(ledger, commitments.pay, SOURCE, "INV-1", date(2026, 3, 10), "4000")
    assert _deny(ledger, date(2026, 3, 11))  # a partial payment: still overdue
    with ledger.transaction("test") as ctx:
        s = standing.assess(ctx, BUREAU, date(2026, 3, 11)).standing
    assert s.on_list("government-arrears")
    assert [c.reference for c in s.contributions] == ["INV-1"]
    assert s.score == 950
    act(ledger, commitments.pay, SOURCE, "INV-1", date(2026, 4, 1), "6000")
    assert _deny(ledger, date(2026, 3, 31))
    assert not _deny(ledger, date(2026, 4, 1))  # kept in full: repair ends it that day
    with pytest.raises(Conflict, match="paid in full"):
        act(ledger, commitments.pay, SOURCE, "INV-1", date(2026, 4, 2), "1")


def test_paid_by_the_due_day_never_counts(ledger: Ledger) -> None:
    _setup(ledger)
    _add(ledger)
    act(ledger, commitments.pay, SOURCE, "INV-1", DUE, "10000")
    assert not _deny(ledger, DUE + timedelta(days=1))
    with ledger.transaction("test") as ctx:
        listed = commitments.listing(ctx, overdue=True, as_of=DUE + timedelta(days=5))
    assert listed == []


def test_refusals_name_the_field(ledger: Ledger) -> None:
    _setup(ledger)
    with pytest.raises(Rejected) as refused:
        _add(ledger, due_on=ACCEPTED + timedelta(days=61))
    assert refused.value.field == "due_on" and "Regulations" in str(refused.value)
    _add(ledger)
    with pytest.raises(Rejected) as before:
        act(ledger, commitments.pay, SOURCE, "INV-1", ACCEPTED - timedelta(days=1), "10")
    assert before.value.field == "on"
    with pytest.raises(Rejected, match="amount"):
        act(ledger, commitments.pay, SOURCE, "INV-1", DUE, "10001")
    with pytest.raises(Forbidden):  # a court does not register payments
        act(
            ledger,
            commitments.add_commitment,
            "city-court",
            body=BUREAU,
            counterparty=SUPPLIER,
            kind="payment",
            amount="1",
            accepted_on=ACCEPTED,
            due_on=DUE,
            reference="X",
        )
    with pytest.raises(Rejected, match="body"):
        _add(ledger, "INV-9", body=SUPPLIER)


def test_resending_is_idempotent_and_other_content_conflicts(ledger: Ledger) -> None:
    _setup(ledger)
    first = _add(ledger)
    again = _add(ledger)
    assert again["status"] == "duplicate" and again["due_on"] == first["due_on"]
    with pytest.raises(Conflict, match="amount"):
        _add(ledger, amount="20000")


def test_reports_ranking_publication_and_a_body_under_a_parent(ledger: Ledger) -> None:
    _setup(ledger)
    _add(ledger)  # overdue at the end of 2026, 6000 still owed
    act(ledger, commitments.pay, SOURCE, "INV-1", date(2026, 3, 10), "4000")
    _add(ledger, "E-1", body=DISTRICT, post=None, amount="500", due_on=date(2026, 2, 20))
    act(ledger, commitments.pay, SOURCE, "E-1", date(2026, 2, 11), "500")
    with ledger.transaction("test") as ctx:
        ranking = reports.ranking(ctx, date(2026, 6, 1))
        published = reports.publication(ctx, 2026)
        before = reports.publication(ctx, 2025)
        page = reports.body(ctx, BUREAU, date(2026, 6, 1))
        csv = reports.publication_csv(published)
    assert [r["subject"] for r in ranking] == [DISTRICT, BUREAU]
    best, worst = ranking
    assert (best["score"], best["tier"], best["overdue_count"]) == (1000, "A", 0)
    assert best["on_time_rate"] == 1.0 and best["median_days_to_pay"] == 10.0
    assert (worst["score"], worst["overdue_count"], worst["overdue_amount"]) == (950, 1, "6000.00")
    assert published == [
        {
            "year": 2026,
            "body": BUREAU,
            "name": "City Transport Bureau",
            "overdue_count": 1,
            "overdue_amount": "6000.00",
        }
    ]
    assert before == []  # not yet overdue at the end of 2025: left out
    assert csv.splitlines()[1] == f"2026,{BUREAU},City Transport Bureau,1,6000.00"
    assert page["units"] == [DISTRICT] and page["parent"] is None
    assert not _deny(ledger, date(2026, 6, 1), DISTRICT)  # the unit's own record is clean


def test_official_report_follows_the_holders_of_a_post(ledger: Ledger) -> None:
    _setup(ledger)
    _add(ledger)  # accepted under Alice, overdue under Bob
    act(ledger, commitments.add_post, BUREAU, "director", BOB, date(2026, 3, 1))
    with ledger.transaction("test") as ctx:
        alice = reports.official(ctx, ALICE, date(2026, 6, 1))
        bob = reports.official(ctx, BOB, date(2026, 6, 1))
        person = standing.assess(ctx, ALICE, date(2026, 6, 1)).standing
    (tenure,) = alice["posts"]
    assert tenure["to"] == "2026-02-28" and tenure["overdue_count"] == 0
    assert [c["reference"] for c in tenure["commitments"]] == ["INV-1"]
    (current,) = bob["posts"]
    assert current["from"] == "2026-03-01" and current["to"] is None
    assert current["overdue_count"] == 1 and current["overdue_amount"] == "10000.00"
    assert current["on_time_rate"] == 0.0
    assert person.contributions == ()  # no points on the person


def test_rescoring_sees_overdue_commitments(ledger: Ledger, tmp_path: Path) -> None:
    from trustledger.services.rescore import rescore

    _setup(ledger)
    _add(ledger)
    day = date(2026, 6, 1)
    rescore(ledger, as_of=day, workdir=tmp_path, actor="test")
    with ledger.transaction("test") as ctx:
        stored = ctx.uow.batch.standing(BUREAU, "2026.1", day)
        online = standing.assess(ctx, BUREAU, day).standing
    assert stored is not None
    assert (
        (stored["score"], stored["tier"], stored["lists"])
        == (
            online.score,
            online.tier,
            [m.list for m in online.lists],
        )
        == (950, "B", ["government-arrears"])
    )
