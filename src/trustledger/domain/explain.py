"""Paths out: for everything that weighs on a subject, how and when it ends.

A standing says what holds today; a subject also needs to know what would change it (the EU
Court of Justice, C-203/22: how other data would change the result). For every list membership,
pending entry, tier cap and negative contribution this says the day it ends by itself, the day
it would end if the record were fulfilled today (under the type's `repair` rule), and until when
the record can be disputed. It is a pure function of the standing, the records and the rulebook,
like the standing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from trustledger.domain.rulebook import Rulebook
from trustledger.domain.scoring import Record, Standing

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PathOut:
    """How one thing that weighs on a subject ends.

    `what` is `list`, `pending`, `tier_cap` or `contribution`. `ends_on` is the first day it no
    longer applies if nothing changes (None: it ends when the tier changes). `if_fulfilled` is
    the first day it would no longer apply if its record were fulfilled today (None when
    fulfilment would change nothing). `dispute_until` is the last day the record can be disputed
    (None when there is no record to dispute, or a dispute is already open).
    """

    what: str
    list: str | None
    type: str | None
    reference: str | None
    source: str | None
    starts_on: date | None
    ends_on: date | None
    if_fulfilled: date | None
    dispute_until: date | None
    disputed: bool
    explanation: str


def paths_out(
    book: Rulebook, standing: Standing, records: Sequence[Record], today: date
) -> tuple[PathOut, ...]:
    """Every path out of the subject's lists, pending entries, tier cap and lost points."""
    index = book.index
    by_key = {(r.source, r.reference): r for r in records if not r.voided}

    def record_for(reference: str, list_code: str) -> Record | None:
        """The record behind `record:REF` on a list (references are unique per source)."""
        entering = [
            r
            for r in by_key.values()
            if r.reference == reference
            and any(spec.code == list_code for spec in index.lists_by_type.get(r.type, ()))
        ]
        return max(entering, key=lambda r: r.decided_on, default=None)

    def path(
        what: str,
        record: Record | None,
        *,
        list_code: str | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
        lead: str,
    ) -> PathOut:
        if record is None:
            return PathOut(
                what, list_code, None, None, None, starts_on, ends_on, None, None, False, lead
            )
        rt = index.types[record.type]
        own_end = rt.end(record.decided_on, record.fulfilled_on)
        end = ends_on if ends_on is not None else own_end
        fulfilled_end = None
        if rt.repair is not None and record.fulfilled_on is None:
            candidate = rt.end(record.decided_on, max(today, record.decided_on))
            if candidate < own_end:
                # A list span merged from several records ends no later than this one would.
                fulfilled_end = candidate if ends_on is None or ends_on == own_end else None
        dispute_until = None if record.disputed else own_end - _DAY
        parts = [lead, f"it ends by itself on {end.isoformat()}"]
        if fulfilled_end is not None:
            parts.append(
                f"if {record.reference} is fulfilled today it ends on {fulfilled_end.isoformat()}"
                f" (repair after {rt.repair.after if rt.repair else ''})"
            )
        elif rt.repair is None:
            parts.append(f"{rt.code} allows no early end by fulfilment")
        elif record.fulfilled_on is not None:
            parts.append(f"{record.reference} was fulfilled on {record.fulfilled_on.isoformat()}")
        if record.disputed:
            parts.append(f"a dispute of {record.reference} is open")
        else:
            parts.append(f"{record.reference} can be disputed until {own_end - _DAY}")
        return PathOut(
            what,
            list_code,
            record.type,
            record.reference,
            record.source,
            starts_on,
            end,
            fulfilled_end,
            dispute_until,
            record.disputed,
            "; ".join(parts),
        )

    out: list[PathOut] = []
    for m in standing.lists:
        kind, _, ref = m.because.partition(":")
        if kind == "record":
            record, ends_on, lead = record_for(ref, m.list), m.until, f"on {m.list}"
        else:
            record, ends_on = None, None
            lead = f"on {m.list} because of tier {ref}: it ends when the tier changes"
        out.append(path("list", record, list_code=m.list, ends_on=ends_on, lead=lead))
    for p in standing.pending:
        kind, _, ref = p.because.partition(":")
        record = record_for(ref, p.list) if kind == "record" else None
        lead = (
            f"{p.list} starts on {p.starts_on.isoformat()} after the notice period"
            if p.starts_on is not None
            else f"{p.list} awaits a reviewer's decision; it starts only if confirmed"
        )
        out.append(path("pending", record, list_code=p.list, starts_on=p.starts_on, lead=lead))
    cap = standing.tier_cap
    if cap is not None:
        record = by_key.get((cap.source, cap.reference))
        out.append(
            path(
                "tier_cap",
                record,
                ends_on=cap.until,
                lead=f"tier {cap.tier} instead of {cap.uncapped_tier}: {cap.type} caps it",
            )
        )
    for c in standing.contributions:
        if c.points >= 0:
            continue
        record = by_key.get((c.source, c.reference))
        out.append(path("contribution", record, lead=f"{c.points} points from {c.type}"))
    return tuple(out)
