"""Public lists: who is on a black or red list on a day.

Only lists the rulebook marks `public: true` are shown; membership is computed from the
records, like every other answer, so an entry disappears on the day it ends.

Persons are masked (`cn-rid:110105********002X`) and nothing else is said about them.
Organizations and public bodies are legal persons whose listing is public by law: an entry
names them in full, with their registered name (when a source or an administrator gave one)
and, for a record-based list, the record that lists them (reference and its type's legal basis).

`since` and `until` of a record-based entry are its span: from the first day a listing record
takes effect (after its notice period) to the first day none counts any more. A tier-based
entry (the honor roll: tier AAA) has the span of the tier under this rulebook version: from the
first day of the current unbroken run of days on which the records gave a listed tier, to the
first day they no longer will (a record ending); both assume no further record arrives. `since`
is null when it cannot be determined: for a kind whose tier needs consent (persons), because the
ledger keeps consent, not since when it was given; and when the tier held before any record
(the base score's tier). A list entered by a reviewer's confirmation starts no earlier than it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from trustledger.domain.identifiers import SubjectKind, mask
from trustledger.domain.rulebook import ListSpec, Rulebook
from trustledger.domain.scoring import Membership, Record, evaluate
from trustledger.services.context import Ledger, NotFound, today
from trustledger.store.repository import Subject
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
        held = by_subject.get(subject_id, [])
        standing = evaluate(
            book,
            SubjectKind(stored.kind),
            held,
            day,
            consent=stored.consent,
            confirmations=reviewed.get(subject_id, ()),
        )
        for m in standing.lists:
            if m.list == code:
                entries.append(_entry(book, spec, stored, m, held, day))
    return {
        "list": spec.code,
        "name": spec.name,
        "kind": spec.kind.value,
        "as_of": day.isoformat(),
        "total": len(entries),
        "entries": entries[offset : offset + limit],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _entry(
    book: Rulebook,
    spec: ListSpec,
    subject: Subject,
    m: Membership,
    held: Sequence[Record],
    day: date,
) -> dict[str, Any]:
    since, until = m.since, m.until
    if spec.entry.tiers:
        tier_since, until = tier_span(book, subject, held, day, set(spec.entry.tiers))
        # A reviewer's confirmation (review: required) is when the entry took effect.
        since = tier_since if m.since is None else max(m.since, tier_since or m.since)
    if subject.kind is SubjectKind.PERSON:
        return {
            "subject": mask(subject.id),
            "kind": subject.kind.value,
            "name": None,
            "reference": None,
            "legal_basis": None,
            "since": _iso(since),
            "until": _iso(until),
        }
    reference = legal_basis = None
    if m.because.startswith("record:"):
        reference = m.because.removeprefix("record:")
        types = spec.entry.record_types or ()
        basis = next(
            (
                book.index.types[r.type].legal_basis
                for r in held
                if r.reference == reference and r.type in types and not r.voided
            ),
            None,
        )
        legal_basis = basis
    return {
        "subject": subject.id,
        "kind": subject.kind.value,
        "name": subject.name,
        "reference": reference,
        "legal_basis": legal_basis,
        "since": _iso(since),
        "until": _iso(until),
    }


def tier_span(
    book: Rulebook, subject: Subject, held: Sequence[Record], day: date, tiers: Collection[str]
) -> tuple[date | None, date | None]:
    """The run of days around `day` on which the subject's tier is one of `tiers`.

    A tier changes only on a day a record starts or stops counting, so it is evaluated on
    those days alone. Only records known on `day` are used (later ones could not have been
    known then). `since` is None when it cannot be determined (see the module's docstring).
    """
    kind = SubjectKind(subject.kind)
    known = [r for r in held if r.decided_on <= day and not r.voided]
    changes: set[date] = set()
    for r in known:
        rt = book.index.types.get(r.type)
        if rt is not None:
            changes.update((r.decided_on, rt.end(r.decided_on, r.fulfilled_on)))

    def listed(on: date) -> bool:
        return evaluate(book, kind, known, on, consent=True).tier in tiers

    until = next((d for d in sorted(d for d in changes if d > day) if not listed(d)), None)
    if kind in book.score.requires_consent:
        return None, until  # consent is kept, not since when it was given
    earlier = sorted((d for d in changes if d <= day), reverse=True)
    since: date | None = None
    for start in earlier:  # each is the first day of a run with one tier
        if not listed(start):
            break
        since = start
    else:
        if earlier and listed(earlier[-1] - timedelta(days=1)):
            since = None  # the tier held before any record: since when is not known
    return since, until
