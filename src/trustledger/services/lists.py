"""Public lists: who is on a black or red list today, identifiers masked.

Only lists the rulebook marks `public: true` are shown; membership is computed from the
records, like every other answer, so an entry disappears on the day it ends.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from trustledger.domain.identifiers import SubjectKind, mask
from trustledger.domain.scoring import evaluate
from trustledger.services.ledger import Ledger, NotFound, today
from trustledger.store.tables import records, subjects


def public_list(
    ledger: Ledger,
    code: str,
    *,
    q: str | None = None,
    as_of: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Members of a public list; `q` (a full identifier) asks about one subject only."""
    with ledger.uow() as uow:
        book = ledger.rulebook(uow)
        spec = book.index.lists.get(code)
        if spec is None or not spec.public:
            raise NotFound(f"list {code!r} is not a public list")
        day = as_of or today(book)
        if q:
            candidates = [str(ledger.registry.parse(q))]
        elif spec.entry.record_types:
            c = records.c
            candidates = list(
                uow.connection.execute(
                    select(c.subject)
                    .distinct()
                    .where(
                        c.type.in_(spec.entry.record_types),
                        c.voided.is_(False),
                        c.decided_on <= day,
                    )
                    .order_by(c.subject)
                ).scalars()
            )
        else:
            candidates = list(
                uow.connection.execute(select(subjects.c.id).order_by(subjects.c.id)).scalars()
            )
        known = uow.subjects.get_many(candidates)
        by_subject = uow.records.of_subjects(list(known))
        reviewed = uow.proposals.confirmations(list(known))
    entries = []
    for subject_id in candidates:
        stored = known.get(subject_id)
        if stored is None:
            continue
        standing = evaluate(
            book,
            SubjectKind(stored.kind),
            by_subject.get(subject_id, []),
            day,
            consent=stored.consent,
            confirmations=reviewed.get(subject_id, ()),
        )
        for m in standing.lists:
            if m.list == code:
                entries.append(
                    {
                        "subject": mask(subject_id),
                        "kind": stored.kind.value,
                        "since": m.since.isoformat() if m.since else None,
                        "until": m.until.isoformat() if m.until else None,
                    }
                )
    return {
        "list": spec.code,
        "name": spec.name,
        "kind": spec.kind.value,
        "as_of": day.isoformat(),
        "total": len(entries),
        "entries": entries[offset : offset + limit],
    }
