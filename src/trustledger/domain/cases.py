"""Cases that people decide: disputes, review proposals and credit repair requests.

Each kind of case has one open state and the outcomes a decision may give it; a case is decided
once. The services write a decision as a conditional update from the open state, so of two
reviewers deciding at the same moment exactly one succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def reason_given(reason: str) -> str:
    """A decision states its reason."""
    if not reason.strip():
        raise Rejected("reason", "a decision states its reason")
    return free_text("reason", reason)
