"""Reports of the second system: the ranking of bodies, the annual publication of arrears, a
public body's page, and an official's accountability report (about the office, never points on
the person)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from trustledger.domain.identifiers import SubjectKind
from trustledger.domain.intake import Rejected
from trustledger.domain.integrity import distribution, kept_on, overdue_on, owed, performance
from trustledger.services.answers.standing import parse_subject, standing_of
from trustledger.services.context import Context, NotFound
from trustledger.services.integrity.commitments import body_id, commitment_json

PUBLICATION_FIELDS = ("body", "name", "overdue_count", "overdue_amount")


def _row(ctx: Context, body: dict[str, Any], day: date) -> dict[str, Any]:
    key = body["id"]
    file = ctx.uow.subjects.files({key: SubjectKind.PUBLIC_BODY})[key]
    standing = standing_of(ctx.book, file, day)
    perf = performance(ctx.uow.integrity.of_bodies([key]), day)
    return {
        "subject": key,
        "name": body["name"],
        "parent": body["parent"],
        "score": standing.score,
        "tier": standing.tier,
        "lists": [m.list for m in standing.lists],
        "overdue_count": perf.overdue_count,
        "overdue_amount": str(perf.overdue_amount),
        "on_time_rate": perf.on_time_rate,
        "median_days_to_pay": perf.median_days_to_pay,
        "days_to_pay": distribution(perf.days_to_pay),
        "commitments": perf.commitments,
    }


def ranking(ctx: Context, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every registered public body, best first: score, then fewer and smaller arrears, then
    the on-time rate, then the identifier."""
    day = as_of or ctx.today
    rows = [_row(ctx, b, day) for b in ctx.uow.integrity.bodies()]
    rows.sort(
        key=lambda r: (
            -(r["score"] if r["score"] is not None else -1),
            r["overdue_count"],
            Decimal(r["overdue_amount"]),
            -(r["on_time_rate"] if r["on_time_rate"] is not None else -1),
            r["subject"],
        )
    )
    return rows


def body(ctx: Context, body_text: str, as_of: date | None = None) -> dict[str, Any]:
    """A public body's page: its standing and performance, posts, units, commitments."""
    day = as_of or ctx.today
    key = str(body_id(ctx, body_text, "id"))
    registered = ctx.uow.integrity.body(key)
    if registered is None:
        raise NotFound(f"public body {key} is not registered")
    out = _row(ctx, registered, day)
    out["as_of"] = day.isoformat()
    out["units"] = [b["id"] for b in ctx.uow.integrity.bodies() if b["parent"] == key]
    out["posts"] = [
        {
            "post": p["post"],
            "from": p["from_on"].isoformat(),
            "to": p["to_on"].isoformat() if p["to_on"] else None,
        }
        for p in ctx.uow.integrity.posts_of_body(key)
    ]  # who held a post is in the official's report, for reviewers
    out["commitments_list"] = [
        commitment_json(c, ps, day)
        for c, ps in ctx.uow.integrity.of_bodies([key])
        if c.accepted_on <= day
    ]
    return out


def publication(ctx: Context, year: int) -> list[dict[str, Any]]:
    """Per body, the number and value of commitments overdue and still unpaid at the end of
    `year` (published by 31 March of the next); bodies with none are left out."""
    if not 1900 <= year <= 9998:
        raise Rejected("year", f"{year} is not a year of the ledger (1900 to 9998)")
    end = date(year, 12, 31)
    names = {b["id"]: b["name"] for b in ctx.uow.integrity.bodies()}
    totals: dict[str, tuple[int, Decimal]] = {}
    for c, ps in ctx.uow.integrity.where():
        if overdue_on(c, ps, end):
            count, value = totals.get(c.body, (0, Decimal(0)))
            totals[c.body] = (count + 1, value + owed(c, ps, end))
    return [
        {
            "year": year,
            "body": key,
            "name": names.get(key),
            "overdue_count": count,
            "overdue_amount": str(value),
        }
        for key, (count, value) in sorted(totals.items())
    ]


def publication_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=("year", *PUBLICATION_FIELDS), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def official(ctx: Context, person: str, as_of: date | None = None) -> dict[str, Any]:
    """The posts a person held and the commitments under them during each tenure: a report
    about the office. No points, tier or list ever attaches to the person from it."""
    day = as_of or ctx.today
    holder = str(parse_subject(ctx, person, "person"))
    tenures = []
    for p in ctx.uow.integrity.posts_of_holder(holder):
        start = p["from_on"]
        if start > day:
            continue
        last = min(p["to_on"] or day, day)  # the tenure's last day, or the day of the report
        under = []
        for c, ps in ctx.uow.integrity.of_bodies([p["body"]]):
            kept = kept_on(c, [x for x in ps if x.on <= last])
            # Under the holder: the post's commitments open at any time of the tenure.
            if c.post == p["post"] and c.accepted_on <= last and (kept is None or kept >= start):
                under.append((c, ps))
        perf = performance(under, last)
        tenures.append(
            {
                "body": p["body"],
                "post": p["post"],
                "from": start.isoformat(),
                "to": p["to_on"].isoformat() if p["to_on"] else None,
                "as_of": last.isoformat(),
                "commitments": [
                    {
                        "reference": c.reference,
                        "accepted_on": c.accepted_on.isoformat(),
                        "due_on": c.due_on.isoformat(),
                        "amount": str(c.amount),
                        "overdue": overdue_on(c, ps, last),
                        "owed": str(owed(c, ps, last)),
                    }
                    for c, ps in under
                ],
                "on_time_rate": perf.on_time_rate,
                "overdue_count": perf.overdue_count,
                "overdue_amount": str(perf.overdue_amount),
                "median_days_to_pay": perf.median_days_to_pay,
            }
        )
    ctx.audit("official.read", subject=holder, detail={"as_of": day.isoformat()})
    return {
        "person": holder,
        "as_of": day.isoformat(),
        "posts": tenures,
        "note": "a report about the offices held: it gives the person no points, tier or list",
    }
