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

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta

from trustledger.domain.identifiers import SubjectKind, mask
from trustledger.domain.rulebook import ListSpec, Rulebook
from trustledger.domain.scoring import Membership, SubjectFile
from trustledger.services.answers.standing import files, standing_of
from trustledger.services.context import Context, NotFound


@dataclass(frozen=True)
class ListEntry:
    """One member of a public list, as the public may see it (persons masked)."""

    subject: str
    kind: str
    name: str | None
    reference: str | None
    legal_basis: str | None
    since: date | None
    until: date | None


@dataclass(frozen=True)
class ListPage:
    spec: ListSpec
    as_of: date
    total: int
    entries: tuple[ListEntry, ...]


def public_list(
    ctx: Context,
    code: str,
    *,
    q: str | None = None,
    as_of: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ListPage:
    """Members of a public list; `q` (a full identifier) asks about one subject only."""
    book = ctx.book
    spec = book.index.lists.get(code)
    if spec is None or not spec.public:
        raise NotFound(f"list {code!r} is not a public list")
    day = as_of or ctx.today
    if q:
        candidates = [str(ctx.registry.parse(q))]
        # A lookup by full identifier is a read about that subject: it is in their access log.
        ctx.audit("list.lookup", subject=candidates[0], detail={"list": code})
    elif spec.entry.record_types:
        candidates = ctx.uow.records.subjects_with(spec.entry.record_types, day)
    else:
        candidates = ctx.uow.subjects.ids()
    ids = [ctx.registry.parse(c) for c in candidates]
    entries = []
    for file in files(ctx, ids).values():
        if not file.known:
            continue
        for m in standing_of(book, file, day).lists:
            if m.list == code:
                entries.append(_entry(book, spec, file, m, day))
    return ListPage(spec, day, len(entries), tuple(entries[offset : offset + limit]))


def _entry(
    book: Rulebook, spec: ListSpec, file: SubjectFile, m: Membership, day: date
) -> ListEntry:
    since, until = m.since, m.until
    if spec.entry.tiers:
        tier_since, until = tier_span(book, file, day, set(spec.entry.tiers))
        # A reviewer's confirmation (review: required) is when the entry took effect.
        since = tier_since if m.since is None else max(m.since, tier_since or m.since)
    if file.kind is SubjectKind.PERSON:
        return ListEntry(mask(file.subject), file.kind.value, None, None, None, since, until)
    reference = legal_basis = None
    if m.because.startswith("record:"):
        reference = m.because.removeprefix("record:")
        types = spec.entry.record_types or ()
        legal_basis = next(
            (
                book.index.types[r.type].legal_basis
                for r in file.records
                if r.reference == reference and r.type in types and not r.voided
            ),
            None,
        )
    return ListEntry(file.subject, file.kind.value, file.name, reference, legal_basis, since, until)


def tier_span(
    book: Rulebook, file: SubjectFile, day: date, tiers: Collection[str]
) -> tuple[date | None, date | None]:
    """The run of days around `day` on which the subject's tier is one of `tiers`.

    A tier changes only on a day a record starts or stops counting, so it is evaluated on
    those days alone. Only records known on `day` are used (later ones could not have been
    known then). `since` is None when it cannot be determined (see the module's docstring).
    """
    known = tuple(r for r in file.records if r.decided_on <= day and not r.voided)
    as_known = replace(file, records=known, consent=True)
    changes: set[date] = set()
    for r in known:
        rt = book.index.types.get(r.type)
        if rt is not None:
            changes.update((r.decided_on, rt.end(r.decided_on, r.fulfilled_on)))

    def listed(on: date) -> bool:
        return standing_of(book, as_known, on).tier in tiers

    until = next((d for d in sorted(d for d in changes if d > day) if not listed(d)), None)
    if file.kind in book.score.requires_consent:
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
