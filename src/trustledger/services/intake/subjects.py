"""Subjects' registered names: organizations and public bodies are named on public lists.

A reporting source may give a name with a record (`subject_name`); the first name reported is
kept. An administrator may set or correct it here, and that name is not replaced by later
reports. Persons are never named: no name is kept for one.
"""

from __future__ import annotations

from typing import Any

from trustledger.domain.identifiers import IdentifierError
from trustledger.domain.intake import Rejected, subject_name
from trustledger.services.context import Context


def set_name(ctx: Context, subject: str, name: str) -> dict[str, Any]:
    """Set the registered name of an organization or public body (audited)."""
    try:
        subject_id = ctx.registry.parse(subject)
    except IdentifierError as exc:
        raise Rejected("subject", str(exc)) from None
    checked = subject_name(subject_id.kind, name, field="name")
    ctx.uow.subjects.set_name(str(subject_id), subject_id.kind.value, checked)
    ctx.audit("subject.name", subject=str(subject_id), detail={"name": checked})
    return {"subject": str(subject_id), "kind": subject_id.kind.value, "name": checked}
