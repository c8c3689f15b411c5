"""Aggregate figures for the public: how many subjects in each tier and on each list, checks per
day, and how many disputes were decided within the rulebook's deadline.

Only counts leave this module, never a subject. Standings are computed from the records like
every other answer (one pass over the subjects, in chunks); a deployment with a large population
would read the `standings` table a rescore writes instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from trustledger.domain.cases import DisputeStatus
from trustledger.services.answers.standing import files, standing_of
from trustledger.services.context import Context

CHUNK = 1_000
LOG_PAGE = 10_000
CHECK_DAYS = 30


@dataclass(frozen=True)
class Statistics:
    as_of: date
    subjects: int
    scored: int
    tiers: dict[str, int]  # tier code -> subjects, in the rulebook's order (best first)
    lists: dict[str, int]  # public list code -> members
    checks_per_day: dict[date, int]  # the last CHECK_DAYS days, oldest first
    disputes_decided: int
    disputes_in_time: int
    disputes_open: int
    disputes_overdue: int


def statistics(ctx: Context) -> Statistics:
    book, day, uow = ctx.book, ctx.today, ctx.uow
    ids = uow.subjects.ids()
    tiers: Counter[str] = Counter()
    lists: Counter[str] = Counter()
    public = [spec.code for spec in book.lists if spec.public]
    scored = 0
    for start in range(0, len(ids), CHUNK):
        parsed = [ctx.registry.parse(i) for i in ids[start : start + CHUNK]]
        for file in files(ctx, parsed).values():
            if not file.known:
                continue
            standing = standing_of(book, file, day)
            if standing.tier is not None:
                scored += 1
                tiers[standing.tier] += 1
            lists.update(m.list for m in standing.lists if m.list in public)
    first = day - timedelta(days=CHECK_DAYS - 1)
    checks: Counter[date] = Counter()
    since = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=1)
    offset = 0
    while True:
        events = uow.audit.events(since=since, limit=LOG_PAGE, offset=offset)
        for e in events:
            on = e.at.date()
            if e.action == "check" and first <= on <= day:
                checks[on] += 1
        if len(events) < LOG_PAGE:
            break
        offset += LOG_PAGE
    decided = in_time = still_open = overdue = 0
    for d in uow.disputes.find():
        if d.status == DisputeStatus.OPEN:
            still_open += 1
            overdue += d.due_on < day
        else:
            decided += 1
            in_time += d.decided_on is not None and d.decided_on <= d.due_on
    return Statistics(
        as_of=day,
        subjects=len(ids),
        scored=scored,
        tiers={t.code: tiers[t.code] for t in book.tiers},
        lists={code: lists[code] for code in public},
        checks_per_day={
            first + timedelta(days=i): checks[first + timedelta(days=i)] for i in range(CHECK_DAYS)
        },
        disputes_decided=decided,
        disputes_in_time=in_time,
        disputes_open=still_open,
        disputes_overdue=overdue,
    )
