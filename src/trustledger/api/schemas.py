"""Request and response bodies, with the examples shown at /docs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from trustledger.domain.intake import MIN_DAY, TEXT_LIMIT
from trustledger.services.answers.checks import MAX_SUBJECTS
from trustledger.services.intake.records import MAX_BATCH

DEBTOR = "cn-rid:11010519491231002X"
NO_FLIGHTS = {
    "code": "no-flights",
    "action": "travel.flight",
    "effect": "deny",
    "reason": "list:dishonest-debtors",
    "legal_basis": "SPC Provisions on Restricting High Consumption, art. 3(1)",
    "until": "2028-03-02",
}
# Ledger ids are 64-bit: a larger number names nothing (and must not reach the database).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def examples(*shown: dict[str, Any], forbid: bool = False) -> ConfigDict:
    """A model's configuration with the examples shown at /docs; `forbid`: a request body,
    whose unknown fields are refused."""
    if forbid:
        return ConfigDict(extra="forbid", json_schema_extra={"examples": list(shown)})
    return ConfigDict(json_schema_extra={"examples": list(shown)})


# One rule for text at the edge: no string of a request holds a NUL (the path and the query
# are checked by `api.limits.NulGuard`), and free text is at most TEXT_LIMIT characters.
def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: `as_of=0` is not 1970-01-01, and no day is before MIN_DAY."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    day = date.fromisoformat(value)
    if day < MIN_DAY:
        raise ValueError(f"must not be before {MIN_DAY.isoformat()}")
    return day


def sane_instant(value: datetime) -> datetime:
    """A moment the databases can compare: from MIN_DAY on, and convertible to UTC."""
    try:
        if value.tzinfo is not None:
            value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if value.date() < MIN_DAY:
        raise ValueError(f"must not be before {MIN_DAY.isoformat()}")
    return value


Plain = Annotated[str, AfterValidator(no_nul)]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_LIMIT), AfterValidator(no_nul)]
Note = Annotated[str, Field(max_length=TEXT_LIMIT), AfterValidator(no_nul)]
Day = Annotated[date, BeforeValidator(iso_day)]
Instant = Annotated[datetime, AfterValidator(sane_instant)]


class RecordIn(BaseModel):
    """One reported record. Values are checked like lines of `trustledger import`."""

    model_config = examples(
        {
            "subject": DEBTOR,
            "type": "court.dishonest_debtor",
            "reference": "(2026)京0105执1234号",
            "decided_on": "2026-03-02",
            "amount": "125000.00",
            "note": "Judgment of 2025-11-20 not performed",
        },
        forbid=True,
    )

    subject: Plain
    type: Plain
    reference: Plain
    decided_on: Plain
    # Strict: JSON `true` is not an amount of 1 (and "1_000" is refused by intake).
    amount: StrictStr | StrictInt | StrictFloat | None = None
    note: Note | None = None
    fulfilled_on: Plain | None = None
    notified_on: Plain | None = Field(
        default=None,
        description="When the source notified the subject; notice periods count from it. "
        "Without it, trustledger notifies the subject on receipt.",
    )
    subject_name: Plain | None = Field(
        default=None,
        description="The registered name of an organization or public body (at most 200 "
        "characters), shown with it on public lists; kept if the subject has none yet. Refused "
        "for a person: persons are never named publicly.",
    )


class RecordBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[RecordIn] = Field(max_length=MAX_BATCH)


class ListingOut(BaseModel):
    list: str
    from_: str = Field(alias="from", description="the day the listing takes effect")


class ItemOut(BaseModel):
    """The published shape of `services.intake.records.ItemResult.as_json()`."""

    index: int
    status: str = Field(description="inserted | duplicate | fulfilled | conflict | rejected")
    id: int | None = Field(default=None, description="the stored record (also for a conflict)")
    reference: str | None = None
    reason: str | None = None
    fields: list[str] | None = Field(default=None, description="conflict: the fields that differ")
    listings: list[ListingOut] | None = Field(
        default=None, description="inserted: the lists the record enters, and from when"
    )


class SubmitResult(BaseModel):
    inserted: int
    duplicates: int
    fulfilled: int
    conflicts: int
    rejected: int
    results: list[ItemOut]


class FulfilIn(BaseModel):
    model_config = examples({"fulfilled_on": "2026-04-15", "note": "Paid in full"}, forbid=True)
    fulfilled_on: Day
    note: Note | None = None


class VoidIn(BaseModel):
    model_config = examples(
        {"reason": "Wrong subject: clerical error in the identity number"}, forbid=True
    )
    reason: Text


class MeasureOut(BaseModel):
    """One shape for a measure in every answer (check, score, subject access)."""

    code: str
    action: str
    effect: str
    reason: str = Field(description="list:CODE or tier:CODE")
    legal_basis: str
    until: str | None = Field(description="the day it ends; null while the tier holds")


class CheckOut(BaseModel):
    model_config = examples(
        {
            "decision": "deny",
            "measures": [NO_FLIGHTS],
        }
    )
    decision: str = Field(description="deny | incentive | allow")
    measures: list[MeasureOut]


class SubjectCheckOut(BaseModel):
    """A decision for one subject of a batch, or (`error`) why its identifier was refused."""

    subject: str
    decision: str | None = Field(default=None, description="deny | incentive | allow")
    measures: list[MeasureOut] | None = None
    error: str | None = Field(default=None, description="a malformed identifier, per item")


class BatchCheckIn(BaseModel):
    model_config = examples(
        {"action": "travel.flight", "subjects": [DEBTOR, "cn-uscc:91350100M000100Y43"]}, forbid=True
    )
    action: Plain
    subjects: list[Plain] = Field(min_length=1, max_length=MAX_SUBJECTS)
    as_of: Day | None = None


class BatchCheckOut(BaseModel):
    action: str
    results: list[SubjectCheckOut]


class ContributionOut(BaseModel):
    reference: str
    type: str
    points: int
    counts_until: str


class PendingOut(BaseModel):
    list: str
    from_: str | None = Field(
        alias="from", description="the day the listing takes effect; null: awaits a reviewer"
    )
    because: str


class TierCapOut(BaseModel):
    tier: str = Field(description="the tier shown")
    uncapped_tier: str = Field(description="the tier the score alone would give")
    type: str
    reference: str
    until: str = Field(description="the first day this record no longer caps the tier")


class ScoreOut(BaseModel):
    model_config = examples(
        {
            "subject": DEBTOR,
            "score": 850,
            "tier": "B",
            "contributions": [
                {
                    "reference": "(2026)京0105执1234号",
                    "type": "court.dishonest_debtor",
                    "points": -150,
                    "counts_until": "2028-03-02",
                }
            ],
            "lists": ["dishonest-debtors"],
            "measures": [NO_FLIGHTS],
            "pending": [],
            "tier_cap": None,
        }
    )
    subject: str
    score: int | None
    tier: str | None
    contributions: list[ContributionOut]
    lists: list[str]
    measures: list[MeasureOut]
    pending: list[PendingOut] = Field(
        description="list entries whose notice period runs, or that await a reviewer"
    )
    tier_cap: TierCapOut | None = Field(description="why the tier is worse than the score's")


class ListEntryOut(BaseModel):
    """A person is masked and nothing else is said about them; an organization or public body
    is a legal person whose listing is public by law, and is named in full."""

    model_config = examples(
        {
            "subject": "cn-rid:110105********002X",
            "kind": "person",
            "name": None,
            "reference": None,
            "legal_basis": None,
            "since": "2026-03-12",
            "until": "2028-03-02",
        },
        {
            "subject": "cn-uscc:91350100M000100Y43",
            "kind": "organization",
            "name": "Example Construction Co., Ltd.",
            "reference": "(2026)京0105执1234号",
            "legal_basis": "SPC Provisions on Publishing the List of Dishonest "
            "Judgment Debtors (2017), arts. 1, 6, 10",
            "since": "2026-03-12",
            "until": "2028-03-02",
        },
    )

    subject: str = Field(
        description="A person's identifier masked (cn-rid:110105********002X); an "
        "organization's or public body's in full."
    )
    kind: str = Field(description="person | organization | public_body")
    name: str | None = Field(
        description="An organization's or public body's registered name, when its source or an "
        "administrator gave one; always null for a person."
    )
    reference: str | None = Field(
        description="The decision number of the record that lists an organization or public "
        "body; null for a person and for a tier-based list (the honor roll)."
    )
    legal_basis: str | None = Field(
        description="The legal basis of that record's type; null when `reference` is."
    )
    since: str | None = Field(
        description="The first day of the listing: for a record-based list, when the record "
        "took effect (after its notice period); for a tier-based list, the first day of the "
        "current run of days in a listed tier. Null only for a tier-based entry whose start "
        "cannot be known: a person's (the tier needs their consent, and the ledger keeps "
        "consent, not since when), or a tier held before any record."
    )
    until: str | None = Field(
        description="The first day the subject is no longer listed, from the records held "
        "today (credit repair or a correction may bring it earlier, a new record may move "
        "it); null when the listed tier holds with no record counting."
    )


class ListOut(BaseModel):
    code: str = Field(alias="list")
    name: str | None
    kind: str
    as_of: str
    total: int
    entries: list[ListEntryOut]


class RulebookOut(BaseModel):
    rulebook: str
    version: str
    active: bool
    versions: list[str]
    content: dict[str, Any]
