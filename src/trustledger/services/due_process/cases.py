"""One decide flow for every case a person decides: disputes, proposals, repair requests,
complaints; and what filing a case with a deadline writes (disputes, complaints).

The decision is a conditional write from the open state (two deciders at once: one wins, the
other is told the case was decided); its effect on the record, the audit event and the notice
to the subject are written in the same transaction, so they exist exactly when the decision does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from trustledger.domain.cases import (
    Case,
    CaseKind,
    Dispute,
    Proposal,
    Repair,
    WithDeadline,
    reason_given,
)
from trustledger.services.context import Conflict, Context, NotFound

C = TypeVar("C", bound=Case)
Read = TypeVar("Read", bound=Case, covariant=True)


class Repository(Protocol[Read]):
    """A case repository of the unit of work, one per kind of case."""

    def get(self, case_id: int) -> Read | None: ...

    def decide(self, case_id: int, open_status: str, **values: Any) -> bool: ...


def decide(
    ctx: Context,
    kind: CaseKind,
    cases: Repository[C],
    case_id: int,
    outcome: str,
    reason: str,
    *,
    effect: Callable[[C, str], None] = lambda case, status: None,
) -> C:
    """Decide an open case: the decision, its `effect`, the audit event and the notice that
    tells the subject the outcome and its reason. The case as decided is answered."""
    status = kind.outcome(outcome)
    reason_given(reason)
    case = cases.get(case_id)
    if case is None:
        raise NotFound(f"{kind.name} {case_id} does not exist")
    # A case is decided once: the write is conditional on the open state, so a case decided
    # before (or by another decider between the read and the write) is refused here alone.
    decided = cases.decide(
        case_id,
        kind.open,
        status=status,
        decided_on=ctx.today,
        decided_by=ctx.actor,
        reason=reason,
    )
    if not decided:
        current = cases.get(case_id)
        assert current is not None
        raise Conflict(f"{kind.name} {case_id} was already decided ({current.status})")
    effect(case, status)
    name = kind.name.split()[0]  # dispute, proposal, repair
    ctx.audit(f"{name}.decide", subject=case.subject, detail={name: case_id, "status": status})
    about: dict[str, Any] = {}  # what the case is about, as the notice names it
    if isinstance(case, Dispute | Repair):
        about["record"] = case.record_id
    elif isinstance(case, Proposal):
        about["list"] = case.list
    notice = {name: case_id, **about, "status": status, "reason": reason}
    ctx.uow.outbox.enqueue([(case.subject, name, notice)])
    row = cases.get(case_id)
    assert row is not None
    return row


def filed(
    ctx: Context,
    kind: CaseKind,
    cases: Repository[WithDeadline],
    case_id: int,
    *,
    about: dict[str, Any],
    notice: dict[str, Any],
) -> WithDeadline:
    """After a case with a deadline (a dispute, a complaint) is filed: its audit event (`about`
    it) and the notice telling the subject it is open and by when it is decided; the case as
    stored is answered."""
    case = cases.get(case_id)
    assert case is not None
    name = kind.name.split()[0]
    ctx.audit(f"{name}.file", subject=case.subject, detail={name: case_id, **about})
    payload = {name: case_id, **notice, "status": str(case.status), "due_on": case.due_on}
    ctx.uow.outbox.enqueue([(case.subject, name, payload)])
    return case
