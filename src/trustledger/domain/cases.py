"""Cases that people decide: disputes, review proposals, credit repair requests and complaints.

Each kind of case has one open state and the outcomes a decision may give it; a case is decided
once. The services write a decision as a conditional update from the open state, so of two
reviewers deciding at the same moment exactly one succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from trustledger.domain.intake import Rejected, free_text


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the record is voided
    REJECTED = "rejected"  # the record stands; the reason is shown to the subject


class ProposalStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # the subject is on the list from the decision
    REJECTED = "rejected"  # stands until the entry condition lapses
    ENDED = "ended"  # a confirmed entry whose condition lapsed


class RepairStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"  # the record is fulfilled on the day of the decision
    REJECTED = "rejected"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the body's supervisor acts on it (e.g. registers the commitment)
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class CaseKind:
    """A kind of case: its name, its open state and the outcomes a decision may give."""

    name: str
    open: str
    outcomes: tuple[str, ...]

    def outcome(self, value: str) -> str:
        """The decided state for `value`, or a refusal naming `outcome`."""
        if value not in self.outcomes:
            raise Rejected("outcome", f"{value!r} is not one of {', '.join(self.outcomes)}")
        return value


DISPUTE = CaseKind("dispute", DisputeStatus.OPEN, (DisputeStatus.UPHELD, DisputeStatus.REJECTED))
PROPOSAL = CaseKind(
    "proposal", ProposalStatus.PENDING, (ProposalStatus.CONFIRMED, ProposalStatus.REJECTED)
)
REPAIR = CaseKind(
    "repair request", RepairStatus.OPEN, (RepairStatus.APPROVED, RepairStatus.REJECTED)
)

COMPLAINT = CaseKind(
    "complaint", ComplaintStatus.OPEN, (ComplaintStatus.UPHELD, ComplaintStatus.REJECTED)
)


@dataclass(frozen=True, slots=True)
class Dispute:
    """A subject contests a record; its source sees it."""

    id: int
    record_id: int
    subject: str
    source: str  # the record's
    grounds: str
    filed_on: date
    due_on: date
    status: DisputeStatus
    decided_on: date | None
    decided_by: str | None
    reason: str | None
    filed_at: datetime  # when it was stored: shown in subject access, not in the queue


@dataclass(frozen=True, slots=True)
class Proposal:
    """An automated entry into a `review: required` list, awaiting (or given) a decision."""

    id: int
    subject: str
    list: str
    because: str  # e.g. tier:D
    proposed_on: date
    status: ProposalStatus
    statement: str | None  # the subject's, before the decision
    decided_on: date | None
    decided_by: str | None
    reason: str | None
    ended_on: date | None  # the entry condition lapsed


@dataclass(frozen=True, slots=True)
class Repair:
    """A subject's request for credit repair on a record, with a written commitment."""

    id: int
    record_id: int
    subject: str
    commitment: str
    requested_on: date
    status: RepairStatus
    decided_on: date | None
    decided_by: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Complaint:
    """A counterparty's complaint about a public body's payment, to the body's supervisor."""

    id: int
    commitment_id: int | None  # None for an unregistered bill
    subject: str  # the complainant
    body: str
    commitment_source: str | None
    reference: str | None
    supervisor: str  # the source kind that supervises
    grounds: str  # late | unregistered | withheld
    statement: str
    filed_on: date
    due_on: date
    status: ComplaintStatus
    decided_on: date | None
    decided_by: str | None
    reason: str | None


# Each kind's fields are in the order its table stores them: subject access shows them so.
Case = Dispute | Proposal | Repair | Complaint
WithDeadline = TypeVar("WithDeadline", Dispute, Complaint)


@dataclass(frozen=True, slots=True)
class Queued(Generic[WithDeadline]):
    """A case with a deadline as a queue shows it: `overdue` when open past its due day."""

    case: WithDeadline
    overdue: bool


def by_deadline(cases: Iterable[WithDeadline], day: date) -> list[Queued[WithDeadline]]:
    """Cases with a deadline as a queue orders them: overdue ones first (escalated), then open
    before decided, then by due date."""
    views = [Queued(c, c.status == "open" and c.due_on < day) for c in cases]
    return sorted(views, key=lambda v: (not v.overdue, v.case.status != "open", v.case.due_on))


def reason_given(reason: str) -> str:
    """A decision states its reason."""
    if not reason.strip():
        raise Rejected("reason", "a decision states its reason")
    return free_text("reason", reason)
