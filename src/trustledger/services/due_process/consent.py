"""Consent to scoring: persons opt in to points and tiers, and may withdraw at any time.

Without consent there is no score, no tier and no tier measure; records and the lists they
enter apply regardless, because those rest on decisions, not on points.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustledger.services.context import Context


@dataclass(frozen=True)
class Consent:
    subject: str
    consent: bool
    required: bool  # whether this kind is scored only with consent


def set_consent(ctx: Context, subject: str, grant: bool) -> Consent:
    subject_id = ctx.registry.parse(subject)
    ctx.uow.subjects.set_consent([(str(subject_id), subject_id.kind.value)], grant)
    ctx.audit("consent.grant" if grant else "consent.withdraw", subject=str(subject_id), detail={})
    return Consent(str(subject_id), grant, subject_id.kind in ctx.book.score.requires_consent)
