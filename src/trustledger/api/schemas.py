"""Request and response bodies, with the examples shown at /docs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

DEBTOR = "cn-rid:11010519491231002X"
# Ledger ids are 64-bit: a larger number names nothing (and must not reach the database).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class RecordIn(BaseModel):
    """One reported record. Values are checked like lines of `trustledger import`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": DEBTOR,
                    "type": "court.dishonest_debtor",
                    "reference": "(2026)京0105执1234号",
                    "decided_on": "2026-03-02",
                    "amount": "125000.00",
                    "note": "Judgment of 2025-11-20 not performed",
                }
            ]
        },
    )

    subject: str
    type: str
    reference: str
    decided_on: str
    amount: str | float | None = None
    note: str | None = None
    fulfilled_on: str | None = None
    notified_on: str | None = Field(
        default=None,
        description="When the source notified the subject; notice periods count from it. "
        "Without it, trustledger notifies the subject on receipt.",
    )


class RecordBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[RecordIn] = Field(max_length=10_000)


class ItemResult(BaseModel):
    index: int
    status: str = Field(description="inserted | duplicate | rejected")
    id: int | None = None
    reference: str | None = None
    reason: str | None = None


class SubmitResult(BaseModel):
    inserted: int
    duplicates: int
    rejected: int
    results: list[ItemResult]


class FulfilIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"fulfilled_on": "2026-04-15", "note": "Paid in full"}]},
    )
    fulfilled_on: date
    note: str | None = None


class VoidIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Wrong subject: clerical error in the identity number"}]
        },
    )
    reason: str = Field(min_length=1)


class MeasureOut(BaseModel):
    code: str
    action: str
    effect: str
    reason: str | None = None
    legal_basis: str | None = None
    until: str | None = None


class CheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "deny",
                    "measures": [
                        {
                            "code": "no-flights",
                            "action": "travel.flight",
                            "effect": "deny",
                            "reason": "list:dishonest-debtors",
                            "legal_basis": "SPC Provisions on Restricting High Consumption, "
                            "art. 3(1)",
                            "until": "2028-03-02",
                        }
                    ],
                }
            ]
        }
    )
    decision: str = Field(description="deny | incentive | allow")
    measures: list[MeasureOut]


class SubjectCheckOut(CheckOut):
    subject: str


class BatchCheckIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "travel.flight", "subjects": [DEBTOR, "cn-uscc:91350100M000100Y43"]}
            ]
        },
    )
    action: str
    subjects: list[str] = Field(min_length=1, max_length=1_000)
    as_of: date | None = None


class BatchCheckOut(BaseModel):
    action: str
    results: list[SubjectCheckOut]


class ContributionOut(BaseModel):
    reference: str
    type: str
    points: int
    counts_until: str


class ScoreOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
                    "measures": [
                        {"code": "no-flights", "action": "travel.flight", "effect": "deny"}
                    ],
                }
            ]
        }
    )
    subject: str
    score: int | None
    tier: str | None
    contributions: list[ContributionOut]
    lists: list[str]
    measures: list[MeasureOut]


class ListEntryOut(BaseModel):
    subject: str = Field(description="masked identifier, e.g. cn-rid:110105********002X")
    kind: str
    since: str | None
    until: str | None


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
