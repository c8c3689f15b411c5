"""Write hypothesis populations as Parquet snapshots, and evaluate them with the pure engine."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from tests.unit.strategies import SubjectCase
from trustledger.batch.engines import read_standings
from trustledger.batch.snapshot import (
    CONFIRMATIONS,
    LEDGER_CONFIRMATIONS,
    LEDGER_RECORDS,
    LEDGER_SUBJECTS,
    RECORDS,
    SUBJECTS,
    PartWriter,
)
from trustledger.domain.rulebook import Rulebook
from trustledger.domain.scoring import evaluate

# score, tier, lists, lists awaiting a reviewer's confirmation
Outcome = tuple[int | None, str | None, tuple[str, ...], tuple[str, ...]]


def write_snapshot(directory: Path, population: Sequence[SubjectCase]) -> Path:
    """A snapshot as `trustledger export` writes it, with records split over several parts."""
    records: dict[str, list[Any]] = {name: [] for name in LEDGER_RECORDS.names}
    for case in population:
        for r in case.records:
            records["subject"].append(case.subject)
            records["kind"].append(case.kind.value)
            records["type"].append(r.type)
            records["decided_on"].append(r.decided_on)
            records["fulfilled_on"].append(r.fulfilled_on)
            records["notified_on"].append(r.notified_on)
            records["voided"].append(r.voided)
            records["disputed"].append(r.disputed)
            records["source"].append(r.source)
            records["reference"].append(r.reference)
            records["amount"].append(r.amount)
            records["note"].append(None)
    with PartWriter(directory / RECORDS, LEDGER_RECORDS, rows_per_part=7) as writer:
        writer.write(pa.table(records, schema=LEDGER_RECORDS))
    subjects = {
        "subject": [c.subject for c in population],
        "kind": [c.kind.value for c in population],
        "consent": [c.consent for c in population],
    }
    with PartWriter(directory / SUBJECTS, LEDGER_SUBJECTS) as writer:
        writer.write(pa.table(subjects, schema=LEDGER_SUBJECTS))
    confirmations: dict[str, list[Any]] = {name: [] for name in LEDGER_CONFIRMATIONS.names}
    for case in population:
        for c in case.confirmations:
            confirmations["subject"].append(case.subject)
            confirmations["list"].append(c.list)
            confirmations["confirmed_on"].append(c.confirmed_on)
            confirmations["ended_on"].append(c.ended_on)
    with PartWriter(directory / CONFIRMATIONS, LEDGER_CONFIRMATIONS) as writer:
        writer.write(pa.table(confirmations, schema=LEDGER_CONFIRMATIONS))
    return directory


def expected(book: Rulebook, population: Sequence[SubjectCase], day: date) -> dict[str, Outcome]:
    """What `evaluate` says of each subject."""
    out: dict[str, Outcome] = {}
    for case in population:
        s = evaluate(
            book,
            case.kind,
            case.records,
            day,
            consent=case.consent,
            confirmations=case.confirmations,
        )
        waiting = tuple(m.list for m in s.awaiting_review)
        out[case.subject] = (s.score, s.tier, tuple(m.list for m in s.lists), waiting)
    return out


def outcomes(out: Path) -> dict[str, Outcome]:
    columns = ["subject", "score", "tier", "lists", "awaiting"]
    return outcomes_of(read_standings(out).to_table(columns=columns).to_pylist())


def outcomes_of(rows: Sequence[dict[str, Any]]) -> dict[str, Outcome]:
    return {
        row["subject"]: (
            row["score"],
            row["tier"],
            tuple(json.loads(row["lists"])),
            tuple(json.loads(row["awaiting"])),
        )
        for row in rows
    }
