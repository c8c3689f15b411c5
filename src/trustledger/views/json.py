"""JSON renderers: every answer's shape, stated once (the API and `--json` print the same)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from trustledger.domain.cases import Case, Complaint, Dispute, Queued
from trustledger.domain.explain import PathOut
from trustledger.domain.scoring import CheckResult, MeasureInForce, Pending, TierCap
from trustledger.services.admin.rulebooks import Versions
from trustledger.services.answers.checks import Checked
from trustledger.services.answers.lists import ListPage
from trustledger.services.answers.standing import Assessment, Explanation
from trustledger.services.context import plain
from trustledger.services.due_process.access import SubjectAccess
from trustledger.services.due_process.consent import Consent


def day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def measure(m: MeasureInForce) -> dict[str, Any]:
    """A measure as every answer shows it: what, why, on what legal basis, until when."""
    return {
        "code": m.code,
        "action": m.action,
        "effect": m.effect.value,
        "reason": m.because,
        "legal_basis": m.legal_basis,
        "until": day(m.until),
    }


def pending(p: Pending) -> dict[str, Any]:
    """`from` is the day the listing takes effect; null while it awaits a reviewer."""
    return {"list": p.list, "from": day(p.starts_on), "because": p.because}


def tier_cap(cap: TierCap | None) -> dict[str, Any] | None:
    if cap is None:
        return None
    return {
        "tier": cap.tier,
        "uncapped_tier": cap.uncapped_tier,
        "type": cap.type,
        "reference": cap.reference,
        "until": cap.until.isoformat(),
    }


def path(p: PathOut) -> dict[str, Any]:
    return {
        "what": p.what,
        "list": p.list,
        "type": p.type,
        "reference": p.reference,
        "source": p.source,
        "starts_on": day(p.starts_on),
        "ends_on": day(p.ends_on),
        "if_fulfilled": day(p.if_fulfilled),
        "dispute_until": day(p.dispute_until),
        "disputed": p.disputed,
        "explanation": p.explanation,
    }


def score(a: Assessment) -> dict[str, Any]:
    """The CLI's `score --json` and `GET /v1/subjects/{s}/score`."""
    s = a.standing
    return {
        "subject": str(a.subject),
        "score": s.score,
        "tier": s.tier,
        "contributions": [
            {
                "reference": c.reference,
                "type": c.type,
                "points": c.points,
                "counts_until": c.counts_until.isoformat(),
            }
            for c in s.contributions
        ],
        "lists": [m.list for m in s.lists],
        "measures": [measure(m) for m in s.measures],
        "pending": [pending(p) for p in s.pending],
        "tier_cap": tier_cap(s.tier_cap),
    }


def explanation(e: Explanation) -> dict[str, Any]:
    """`trustledger explain --json`: the score and every path out."""
    return {
        **score(e.assessment),
        "as_of": e.assessment.standing.as_of.isoformat(),
        "paths_out": [path(p) for p in e.paths],
    }


def check(result: CheckResult) -> dict[str, Any]:
    """What a provider learns: the decision and, per measure, why and until when."""
    return {"decision": result.decision, "measures": [measure(m) for m in result.measures]}


def checked(item: Checked) -> dict[str, Any]:
    if item.result is None:
        return {"subject": item.subject, "error": item.error}
    return {"subject": item.subject, **check(item.result)}


def list_page(page: ListPage) -> dict[str, Any]:
    return {
        "list": page.spec.code,
        "name": page.spec.name,
        "kind": page.spec.kind.value,
        "as_of": page.as_of.isoformat(),
        "total": page.total,
        "entries": [plain(asdict(e)) for e in page.entries],
    }


def rulebook(v: Versions) -> dict[str, Any]:
    """`GET /v1/rulebook`: the rulebook asked for, in full, and the stored versions."""
    return {
        "rulebook": v.book.rulebook,
        "version": v.book.version,
        "active": v.active,
        "versions": v.versions,
        "content": v.book.model_dump(mode="json", exclude_none=True),
    }


def consent(c: Consent) -> dict[str, Any]:
    return {"subject": c.subject, "consent": c.consent, "required": c.required}


def case(c: Case) -> dict[str, Any]:
    """A dispute, proposal, repair request or complaint: every field as stored, in order, dates
    as ISO text (subject access, a proposal or repair request answered or decided)."""
    shown: dict[str, Any] = plain(asdict(c))
    return shown


def queued(q: Queued[Dispute] | Queued[Complaint]) -> dict[str, Any]:
    """A case with a deadline as its queue (and a decision) shows it: when it was filed by its
    day alone, and whether it is overdue."""
    shown = {k: v for k, v in case(q.case).items() if k != "filed_at"}
    return {**shown, "overdue": q.overdue}


def filed(c: Dispute | Complaint) -> dict[str, Any]:
    """What the filer of a dispute or a complaint is shown: what it is about (for a complaint,
    the body, the grounds and who decides), its status and its days."""
    about: dict[str, Any] = (
        {"record": c.record_id}
        if isinstance(c, Dispute)
        else {"body": c.body, "grounds": c.grounds, "supervisor": c.supervisor}
    )
    days = {"filed_on": c.filed_on.isoformat(), "due_on": c.due_on.isoformat()}
    return {"id": c.id, **about, "status": str(c.status), **days}


def subject_access(a: SubjectAccess) -> dict[str, Any]:
    """`/v1/me`, the report and `trustledger report`: everything held, why, until when."""
    book, assessment = a.book, a.assessment
    standing, subject_id, key = assessment.standing, assessment.subject, str(assessment.subject)
    history = a.history
    counting = {(c.source, c.reference): c for c in standing.contributions}
    records_out = []
    for r in a.records:
        rt = book.record_type(r["type"])
        contribution = counting.get((r["source"], r["reference"]))
        records_out.append(
            {
                "id": r["id"],
                "type": r["type"],
                "label": rt.label if rt else None,
                "category": rt.category.value if rt else None,
                "legal_basis": rt.legal_basis if rt else None,
                "source": r["source"],
                "reference": r["reference"],
                "decided_on": r["decided_on"],
                "notified_on": r["notified_on"],
                "amount": r["amount"],
                "note": r["note"],
                "fulfilled_on": r["fulfilled_on"],
                "voided": bool(r["voided"]),
                "disputed": bool(r["disputed"]),
                "counts_until": rt.end(r["decided_on"], r["fulfilled_on"]) if rt else None,
                "points_now": contribution.points if contribution else 0,
                "history": [
                    {"event": e["event"], "on": e["on_date"], "by": e["actor"], "note": e["note"]}
                    for e in history[r["id"]]
                ],
            }
        )
    label = {t.code: t for t in book.record_types}
    report: dict[str, Any] = plain(
        {
            "subject": key,
            "kind": subject_id.kind.value,
            "as_of": standing.as_of,
            "rulebook": {"name": book.rulebook, "version": book.version},
            "consent": {
                "given": assessment.file.consent,
                "required": subject_id.kind in book.score.requires_consent,
            },
            "score": standing.score,
            "tier": standing.tier,
            "base": book.score.base,
            "contributions": [
                {
                    "reference": c.reference,
                    "source": c.source,
                    "type": c.type,
                    "label": label[c.type].label,
                    "points": c.points,
                    "counts_until": c.counts_until,
                    "legal_basis": label[c.type].legal_basis,
                }
                for c in sorted(standing.contributions, key=lambda c: c.points)
            ],
            "lists": [
                {
                    "list": m.list,
                    "kind": m.kind,
                    "since": m.since,
                    "until": m.until,
                    "because": m.because,
                }
                for m in standing.lists
            ],
            "measures": [measure(m) for m in standing.measures],
            "awaiting_review": [
                {"list": m.list, "because": m.because} for m in standing.awaiting_review
            ],
            "pending": [pending(p) for p in standing.pending],
            "tier_cap": tier_cap(standing.tier_cap),
            "paths_out": [path(p) for p in a.paths],
            "records": records_out,
            "proposals": [case(p) for p in a.proposals],
            "disputes": [case(d) for d in a.disputes],
            "repairs": [case(r) for r in a.repairs],
            "notices": [
                {
                    "kind": n["kind"],
                    "created_at": n["created_at"],
                    "sent_at": n["sent_at"],
                    **n["payload"],
                }
                for n in a.notices
            ],
            # The second system: commitments owed to (and, for a body, by) the subject, and its
            # complaints about them.
            **_with_complaints(a),
            "access_log": a.access_log,
            # The signed checkpoint the access log's indexes can be proven against
            # (GET /v1/log/proof?index=...&tree_size=...): entries with a log_index below its
            # tree_size are in it.
            "log_checkpoint": (
                {
                    "tree_size": a.log_checkpoint.tree_size,
                    "root_hash": a.log_checkpoint.root_hash,
                    "timestamp": a.log_checkpoint.timestamp,
                }
                if a.log_checkpoint
                else None
            ),
        }
    )
    return report


def _with_complaints(a: SubjectAccess) -> dict[str, Any]:
    owed_to_me = "commitments_owed_to_me"
    return {
        owed_to_me: a.commitments[owed_to_me],
        "complaints": [case(c) for c in a.complaints],
        **{k: v for k, v in a.commitments.items() if k != owed_to_me},
    }
