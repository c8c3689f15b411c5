"""Consent to scoring: persons opt in to points and tiers, and may withdraw at any time.

Without consent there is no score, no tier and no tier measure; records and the lists they
enter apply regardless, because those rest on decisions, not on points.
"""

from __future__ import annotations

from typing import Any

from trustledger.services.context import Ledger


def set_consent(ledger: Ledger, subject: str, grant: bool, *, actor: str) -> dict[str, Any]:
    subject_id = ledger.registry.parse(subject)
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        uow.subjects.set_consent([(str(subject_id), subject_id.kind.value)], grant)
        uow.audit.append(
            actor=actor,
            action="consent.grant" if grant else "consent.withdraw",
            subject=str(subject_id),
            detail={},
        )
        uow.commit()
    return {
        "subject": str(subject_id),
        "consent": grant,
        "required": subject_id.kind in book.score.requires_consent,
    }
