"""Public bodies, their posts, and their commitments: registered by sources, paid, listed.

A commitment overdue counts for its body as a record from its first overdue day until it is
kept (domain/integrity.py); nothing here writes a record and nothing needs to run for it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from trustledger.domain.identifiers import IdentifierError, SubjectId, SubjectKind
from trustledger.domain.intake import Rejected, subject_name
from trustledger.domain.integrity import (
    COMMITMENT_KINDS,
    Commitment,
    Payment,
    commitment_record,
    due_date,
    kept_on,
    overdue_on,
    owed,
    paid,
)
from trustledger.domain.rulebook import CommitmentRules
from trustledger.services.context import Conflict, Context, Forbidden, NotFound

POST_CODE_LIMIT = 100
_CONTENT = ("body", "counterparty", "kind", "amount", "accepted_on", "due_on", "sme", "post")


def _parse(ctx: Context, text: str, field: str) -> SubjectId:
    try:
        return ctx.registry.parse(text)
    except IdentifierError as exc:
        raise Rejected(field, str(exc)) from None


def body_id(ctx: Context, text: str, field: str = "body") -> SubjectId:
    """A public body's identifier (cn-uscc beginning 11), or a refusal naming the field."""
    subject = _parse(ctx, text, field)
    if subject.kind is not SubjectKind.PUBLIC_BODY:
        raise Rejected(field, f"{subject} is not a public body (a cn-uscc code beginning 11)")
    return subject


def rules(ctx: Context) -> CommitmentRules:
    found = ctx.book.commitments
    if found is None:
        raise Conflict(
            f"rulebook {ctx.book.rulebook} {ctx.book.version} has no `commitments` section"
        )
    return found


def _amount(value: Any, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Rejected(field, f"{value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal(10) ** 16:
        raise Rejected(field, "must be a positive amount below 10^16")
    return amount.quantize(Decimal("0.01"))


# -- bodies and posts ------------------------------------------------------------------------


def add_body(ctx: Context, body: str, name: str, parent: str | None = None) -> dict[str, Any]:
    """Register (or rename) a public body and its parent body; its name is its registered name."""
    subject = body_id(ctx, body, "id")
    checked = subject_name(subject.kind, name, field="name")
    parent_key = None
    if parent is not None:
        parent_key = str(body_id(ctx, parent, "parent"))
        if parent_key == str(subject):
            raise Rejected("parent", "a body is not its own parent")
        if ctx.uow.integrity.body(parent_key) is None:
            raise NotFound(f"parent: public body {parent_key} is not registered")
    key = str(subject)
    ctx.uow.subjects.set_name(key, subject.kind.value, checked)
    ctx.uow.integrity.put_body(key, checked, parent_key)
    ctx.audit("body.add", subject=key, detail={"name": checked, "parent": parent_key})
    return {"id": key, "name": checked, "parent": parent_key}


def _registered(ctx: Context, body: str, field: str = "body") -> str:
    key = str(body_id(ctx, body, field))
    if ctx.uow.integrity.body(key) is None:
        raise NotFound(f"{field}: public body {key} is not registered (`bodies add`)")
    return key


def add_post(
    ctx: Context, body: str, post: str, holder: str, from_on: date, to_on: date | None = None
) -> dict[str, Any]:
    """A person holds a post in a body from a day (to a day); holders change, posts stay."""
    key = _registered(ctx, body)
    code = post.strip()
    if not code or len(code) > POST_CODE_LIMIT:
        raise Rejected("post", "a post code of 1 to 100 characters (e.g. director)")
    person = _parse(ctx, holder, "holder")
    if person.kind is not SubjectKind.PERSON:
        raise Rejected("holder", f"{person} is not a person")
    if to_on is not None and to_on < from_on:
        raise Rejected("to", f"{to_on} is before from ({from_on})")
    closing = None
    for held in ctx.uow.integrity.posts_of_body(key):
        if held["post"] != code:
            continue
        if (held["holder"], held["from_on"], held["to_on"]) == (str(person), from_on, to_on):
            return _post(held)  # sent again
        if held["to_on"] is None and held["from_on"] < from_on:
            closing = held  # the next holder ends the open tenure the day before
            continue
        if from_on <= (held["to_on"] or date.max) and held["from_on"] <= (to_on or date.max):
            raise Conflict(
                f"post: {code} of {key} is held by {held['holder']} from {held['from_on']}"
                f" to {held['to_on'] or 'now'}"
            )
    if closing is not None:
        ctx.uow.integrity.close_post(closing["id"], from_on - timedelta(days=1))
    post_id = ctx.uow.integrity.add_post(key, code, str(person), from_on, to_on)
    ctx.audit(
        "post.add",
        subject=key,
        detail={"post": code, "holder": str(person), "from": from_on.isoformat()},
    )
    return {
        "id": post_id,
        "body": key,
        "post": code,
        "holder": str(person),
        "from": from_on.isoformat(),
        "to": to_on.isoformat() if to_on else None,
    }


def _post(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "body": row["body"],
        "post": row["post"],
        "holder": row["holder"],
        "from": row["from_on"].isoformat(),
        "to": row["to_on"].isoformat() if row["to_on"] else None,
    }


# -- commitments -----------------------------------------------------------------------------


def commitment_json(
    c: Commitment, payments: list[Payment], day: date, *, name: str | None = None
) -> dict[str, Any]:
    kept = kept_on(c, payments)
    record = commitment_record(c, payments, day)
    out: dict[str, Any] = {
        "reference": c.reference,
        "source": c.source,
        "body": c.body,
        "counterparty": c.counterparty,
        "kind": c.kind,
        "amount": str(c.amount),
        "accepted_on": c.accepted_on.isoformat(),
        "due_on": c.due_on.isoformat(),
        "sme": c.sme,
        "post": c.post,
        "record_type": c.record_type,
        "paid": str(paid(payments, day)),
        "owed": str(owed(c, payments, day)),
        "kept_on": kept.isoformat() if kept else None,
        "overdue": overdue_on(c, payments, day),
        "overdue_from": record.decided_on.isoformat() if record else None,
        "payments": [{"on": p.on.isoformat(), "amount": str(p.amount)} for p in payments],
    }
    if name is not None:
        out["body_name"] = name
    return out


def add_commitment(
    ctx: Context,
    source_code: str,
    *,
    body: str,
    counterparty: str,
    kind: str,
    amount: Any,
    accepted_on: date,
    due_on: date | None = None,
    sme: bool = False,
    post: str | None = None,
    reference: str,
) -> dict[str, Any]:
    """Register a commitment of a public body; re-sending it is idempotent, other content under
    the same reference is a conflict naming the fields that differ."""
    book_rules = rules(ctx)
    source = ctx.uow.sources.get(source_code)
    if source is None:
        raise NotFound(f"source {source_code!r} is not registered")
    if kind not in COMMITMENT_KINDS:
        raise Rejected("kind", f"{kind!r} is not a commitment kind ({', '.join(COMMITMENT_KINDS)})")
    record_type = book_rules.kinds.get(kind)
    if record_type is None:
        raise Rejected("kind", f"rulebook {ctx.book.version} maps no record type to {kind!r}")
    rt = ctx.book.record_type(record_type)
    if rt is None or source.kind not in rt.reporters:
        raise Forbidden(
            f"source: {source_code} ({source.kind}) may not report {record_type}, "
            f"so it may not register {kind} commitments"
        )
    ref = reference.strip()
    if not ref or len(ref) > 200:
        raise Rejected("reference", "a reference of 1 to 200 characters")
    key = _registered(ctx, body)
    party = _parse(ctx, counterparty, "counterparty")
    if str(party) == key:
        raise Rejected("counterparty", "a body owes nothing to itself")
    if sme and party.kind is SubjectKind.PERSON:
        raise Rejected("sme", "an SME is an enterprise, not a person")
    if accepted_on > ctx.today:
        raise Rejected("accepted_on", f"{accepted_on} is in the future (today is {ctx.today})")
    due = due_date(book_rules, accepted_on, due_on, sme=sme, kind=kind)
    post_code = post.strip() if post else None
    if post_code is not None and not any(
        p["post"] == post_code for p in ctx.uow.integrity.posts_of_body(key)
    ):
        raise Rejected("post", f"{key} has no post {post_code!r} (`posts add`)")
    new = Commitment(
        source=source_code,
        reference=ref,
        body=key,
        counterparty=str(party),
        kind=kind,
        amount=_amount(amount),
        accepted_on=accepted_on,
        due_on=due,
        record_type=record_type,
        sme=sme,
        post=post_code,
    )
    stored = ctx.uow.integrity.commitment(source_code, ref)
    if stored is not None:
        differ = [f for f in _CONTENT if getattr(stored, f) != getattr(new, f)]
        if differ:
            raise Conflict(
                f"reference: {ref} of {source_code} is registered with other {', '.join(differ)}"
            )
        payments = ctx.uow.integrity.payments([stored.id or 0]).get(stored.id or 0, [])
        return {"status": "duplicate", **commitment_json(stored, payments, ctx.today)}
    ctx.uow.subjects.ensure([(str(party), party.kind.value)])
    commitment_id = ctx.uow.integrity.add_commitment(new)
    ctx.audit(
        "commitment.add",
        subject=key,
        detail={"source": source_code, "reference": ref, "due_on": due.isoformat()},
    )
    return {
        "status": "inserted",
        **commitment_json(replace(new, id=commitment_id), [], ctx.today),
    }


def pay(ctx: Context, source_code: str, reference: str, on: date, amount: Any) -> dict[str, Any]:
    """A payment (or the performance) of a commitment, in part or in full; parts add up."""
    stored = ctx.uow.integrity.commitment(source_code, reference)
    if stored is None or stored.id is None:
        raise NotFound(f"reference: no commitment {reference!r} of source {source_code}")
    value = _amount(amount)
    if on < stored.accepted_on:
        raise Rejected("on", f"{on} is before accepted_on ({stored.accepted_on})")
    if on > ctx.today:
        raise Rejected("on", f"{on} is in the future (today is {ctx.today})")
    payments = ctx.uow.integrity.payments([stored.id]).get(stored.id, [])
    left = owed(stored, payments)
    if left == 0:
        raise Conflict(f"reference: commitment {reference} is paid in full")
    if value > left:
        raise Rejected("amount", f"{value} is more than what is owed ({left})")
    ctx.uow.integrity.add_payment(stored.id, on, value)
    ctx.audit(
        "commitment.pay",
        subject=stored.body,
        detail={
            "source": source_code,
            "reference": reference,
            "on": on.isoformat(),
            "amount": str(value),
        },
    )
    payments = [*payments, Payment(on, value)]
    payments.sort(key=lambda p: p.on)
    return commitment_json(stored, payments, max(on, ctx.today))


def listing(
    ctx: Context,
    *,
    body: str | None = None,
    counterparty: str | None = None,
    overdue: bool = False,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    day = as_of or ctx.today
    key = str(body_id(ctx, body)) if body else None
    names = {b["id"]: b["name"] for b in ctx.uow.integrity.bodies()}
    out = []
    for c, ps in ctx.uow.integrity.where(body=key, counterparty=counterparty):
        if c.accepted_on > day:
            continue
        if overdue and not overdue_on(c, ps, day):
            continue
        out.append(commitment_json(c, ps, day, name=names.get(c.body)))
    return out


def of_subject(ctx: Context, subject: str, as_of: date | None = None) -> dict[str, Any]:
    """For subject access: the commitments owed to a subject, and for a public body the
    commitments it owes (overdue ones count as its records). Its complaints are cases, read
    with the others."""
    day = as_of or ctx.today
    out: dict[str, Any] = {
        "commitments_owed_to_me": listing(ctx, counterparty=subject, as_of=day),
    }
    if subject.startswith("cn-uscc:11"):
        out["commitments_owed_by_me"] = [
            commitment_json(c, ps, day)
            for c, ps in ctx.uow.integrity.where(body=subject)
            if c.accepted_on <= day
        ]
    return out
