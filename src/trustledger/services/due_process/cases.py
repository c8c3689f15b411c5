"""One decide flow for every case a person decides: disputes, proposals, repair requests,
complaints; and what filing a case with a deadline writes (disputes, complaints).

The decision is a conditional write from the open state (two deciders at once: one wins, the
other is told the case was decided); its effect on the record, the audit event and the notice
to the subject are written in the same transaction, so they exist exactly when the decision does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from trustledger.domain.cases import CaseKind, reason_given
from trustledger.services.context import Conflict, Context, NotFound, plain_row

Repository = Any  # a case repository of the unit of work, one per kind of case


def decide(
    ctx: Context,
    kind: CaseKind,
    cases: Repository,
    case_id: int,
    outcome: str,
    reason: str,
    *,
    effect: Callable[[dict[str, Any], str], None] = lambda case, status: None,
) -> dict[str, Any]:
    """Decide an open case: the decision, its `effect`, the audit event and the notice that
    tells the subject the outcome and its reason."""
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
        raise Conflict(f"{kind.name} {case_id} was already decided ({current['status']})")
    effect(case, status)
    name = kind.name.split()[0]  # dispute, proposal, repair
    ctx.audit(f"{name}.decide", subject=case["subject"], detail={name: case_id, "status": status})
    about = {k: case[k] for k in ("record_id", "list") if k in case}
    if "record_id" in about:
        about["record"] = about.pop("record_id")
    notice = {name: case_id, **about, "status": status, "reason": reason}
    ctx.uow.outbox.enqueue([(case["subject"], name, notice)])
    row = cases.get(case_id)
    assert row is not None
    return plain_row(row)


def filed(
    ctx: Context,
    kind: CaseKind,
    case_id: int,
    subject: str,
    due_on: date,
    *,
    about: dict[str, Any],
    notice: dict[str, Any],
    view: dict[str, Any],
) -> dict[str, Any]:
    """After a case with a deadline (a dispute, a complaint) is filed: its audit event (`about`
    it), the notice telling the subject it is open and due on `due_on`, and what the filer is
    shown (`view`, with the status and the days)."""
    name = kind.name.split()[0]
    ctx.audit(f"{name}.file", subject=subject, detail={name: case_id, **about})
    status = str(kind.open)  # the text, as a stored row reads it back (not the enum member)
    ctx.uow.outbox.enqueue(
        [(subject, name, {name: case_id, **notice, "status": status, "due_on": due_on})]
    )
    return {
        "id": case_id,
        **view,
        "status": status,
        "filed_on": ctx.today.isoformat(),
        "due_on": due_on.isoformat(),
    }


def by_deadline(
    kind: CaseKind, rows: Iterable[dict[str, Any]], day: date, *, hide: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Cases with a deadline as a queue shows them: each marked `overdue` (open past its due
    day); overdue ones first (escalated), then open before decided, then by due date. `hide`
    names columns left out."""
    views = []
    for row in rows:
        view = {k: v for k, v in plain_row(row).items() if k not in hide}
        view["overdue"] = row["status"] == kind.open and row["due_on"] < day
        views.append(view)
    return sorted(views, key=lambda v: (not v["overdue"], v["status"] != "open", v["due_on"]))
