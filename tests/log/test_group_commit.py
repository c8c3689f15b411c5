"""Read answers' events go through one group commit per process: many requests share one
transaction, yet no answer leaves before its events are committed, none is lost or logged
twice, and a failed commit is an error for every request in it (never an unlogged answer)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.log.conftest import DEBTOR
from trustledger.services.answers import checks
from trustledger.services.context import Ledger, StoreUnavailable
from trustledger.store import tlog
from trustledger.store.audit import canonical
from trustledger.store.group_commit import GroupCommit
from trustledger.store.tlog import log_leaves, log_queue


def _logged_checks(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        queued = conn.execute(
            select(func.count()).select_from(log_queue).where(log_queue.c.action == "check")
        ).scalar_one()
        integrated = conn.execute(
            select(func.count()).select_from(log_leaves).where(log_leaves.c.action == "check")
        ).scalar_one()
    return int(queued) + int(integrated)


def test_concurrent_checks_are_each_logged_once_before_they_answer(ledger: Ledger) -> None:
    threads, each = 8, 12
    answered: list[int] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        for _ in range(each):
            with ledger.transaction("provider:test", snapshot=True) as ctx:
                checks.check_one(ctx, DEBTOR, "travel.flight")
            # The context has committed: this answer's event is in the database now.
            answered.append(_logged_checks(ledger))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert _logged_checks(ledger) == threads * each
    # Each answer came after its own event: the n-th answer saw at least n events.
    assert all(seen >= n for n, seen in enumerate(sorted(answered), start=1))


def test_a_failed_group_commit_fails_every_request_in_it(ledger: Ledger) -> None:
    group = GroupCommit(ledger.engine)
    row = {
        "at": datetime.now(UTC),
        "actor": "provider:test",
        "action": "check",
        "subject": DEBTOR,
        "detail": "{}",
    }
    bad = {**row, "actor": None}  # NOT NULL: the database refuses the whole transaction
    errors: list[BaseException] = []

    def send(rows: list[dict[str, object]]) -> None:
        try:
            group.commit(rows)
        except Exception as exc:  # what the waiter hears
            errors.append(exc)

    before = _logged_checks(ledger)
    send([bad])
    assert len(errors) == 1
    assert _logged_checks(ledger) == before
    send([row])  # the writer goes on serving after a failure
    assert len(errors) == 1
    assert _logged_checks(ledger) == before + 1


def test_a_check_whose_events_cannot_be_committed_is_not_answered(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(self: GroupCommit, rows: list[dict[str, object]]) -> None:
        raise StoreUnavailable("the database is unavailable: connection refused")

    monkeypatch.setattr(GroupCommit, "commit", away)
    with (
        pytest.raises(StoreUnavailable),
        ledger.transaction("provider:test", snapshot=True) as ctx,
    ):
        checks.check_one(ctx, DEBTOR, "travel.flight")


_scalars = st.none() | st.booleans() | st.integers() | st.text()
_json = st.recursive(
    _scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    event_id=st.integers(min_value=1, max_value=2**62),
    actor=st.text(max_size=30),
    action=st.text(min_size=1, max_size=20),
    subject=st.none() | st.text(max_size=30),
    detail=st.dictionaries(st.text(max_size=10), _json, max_size=5),
    micro=st.integers(min_value=0, max_value=999_999),
)
def test_a_leaf_put_together_is_the_canonical_json_of_its_event(
    event_id: int,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, object],
    micro: int,
) -> None:
    at = datetime(2026, 12, 1, 17, 30, 5, micro, tzinfo=UTC)
    stored = canonical(detail)
    event = {
        "id": event_id,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": json.loads(stored),
    }
    expected = json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    sqlite_form = at.strftime("%Y-%m-%d %H:%M:%S.%f")
    for stamp in (at, sqlite_form):
        built = tlog.leaf_text(event_id, tlog._stored_iso(stamp), actor, action, subject, stored)
        assert built == expected


def test_closing_the_store_stops_its_writer_after_what_it_was_given(ledger: Ledger) -> None:
    with ledger.transaction("provider:test", snapshot=True) as ctx:
        checks.check_one(ctx, DEBTOR, "travel.flight")
    writer = ledger.store.group._thread
    assert writer is not None and writer.is_alive()
    ledger.store.group.close()
    assert not writer.is_alive()
    assert _logged_checks(ledger) == 1
    with ledger.transaction("provider:test", snapshot=True) as ctx:  # a new writer starts
        checks.check_one(ctx, DEBTOR, "travel.flight")
    assert _logged_checks(ledger) == 2
