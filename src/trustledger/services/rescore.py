"""Columnar rescoring: snapshot the ledger as Parquet, score everyone with one plan, write back.

`export_parquet` writes the snapshot (`trustledger export --parquet DIR`); `rescore` computes
every subject's score, tier and lists with DuckDB or Spark from such a snapshot, replaces the
`standings` of that (rulebook version, day), and, when the version differs from the previous
rescore's, records what changed (tiers, list entries and exits, with examples) in `rescores`.
Both are reads of all personal data, so each leaves one event in the audit log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from trustledger.batch.diff import standings_diff
from trustledger.batch.engines import read_standings, run_plan
from trustledger.batch.plan import compile_plan, list_columns
from trustledger.batch.snapshot import (
    CONFIRMATIONS,
    LEDGER_CONFIRMATIONS,
    LEDGER_RECORDS,
    LEDGER_SUBJECTS,
    RECORDS,
    SUBJECTS,
    Manifest,
    PartWriter,
    is_snapshot,
)
from trustledger.domain.rulebook import Rulebook
from trustledger.progress import Progress, no_progress
from trustledger.services.context import (
    Context,
    Ledger,
    NotFound,
    today,
)
from trustledger.store.batch_repository import BatchRepository, Rescore

BATCH_ROWS = 100_000


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    records: int
    subjects: int
    confirmations: int

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "directory": str(self.directory)}


def _columns(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    arrays = [pa.array([row[i] for row in rows], type=f.type) for i, f in enumerate(schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


class _Steps:
    """Steps of a job reported through one Progress callback (a bar per step in the CLI)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.done: dict[str, int] = {}
        self.total: dict[str, int | None] = {}

    def start(self, step: str, total: int | None = None) -> str:
        self.done[step], self.total[step] = 0, total
        self.progress(step, 0, total)
        return step

    def advance(self, step: str, n: int) -> None:
        self.done[step] += n
        self.progress(step, self.done[step], self.total[step])

    def finish(self, step: str) -> None:
        done = self.total[step] or self.done[step] or 1
        self.done[step] = done
        self.progress(step, done, done)


def _write_snapshot(
    repo: BatchRepository, directory: Path, steps: _Steps, batch_rows: int
) -> ExportResult:
    n_records, n_subjects = repo.counts()
    directory.mkdir(parents=True, exist_ok=True)
    parts = (  # (file, schema, rows, step shown or None, its total)
        (SUBJECTS, LEDGER_SUBJECTS, repo.subject_rows, "exporting subjects", n_subjects),
        (RECORDS, LEDGER_RECORDS, repo.record_rows, "exporting records", n_records),
        (CONFIRMATIONS, LEDGER_CONFIRMATIONS, repo.confirmation_rows, None, None),
    )
    written = []
    for name, schema, batches, step, total in parts:
        task = steps.start(step, total) if step else None
        with PartWriter(directory / name, schema) as writer:
            for rows in batches(batch_rows):
                writer.write(_columns(rows, schema))
                if task:
                    steps.advance(task, len(rows))
            written.append(writer.rows)
    subjects_written, records_written, confirmations_written = written
    Manifest(
        "trustledger export",
        records_written,
        subjects_written,
        extra={"confirmations": confirmations_written},
    ).save(directory)
    return ExportResult(directory, records_written, subjects_written, confirmations_written)


def export_parquet(
    ledger: Ledger,
    directory: Path,
    *,
    actor: str,
    progress: Progress = no_progress,
    batch_rows: int = BATCH_ROWS,
) -> ExportResult:
    """Write a Parquet snapshot of records, subjects and confirmations (see batch.snapshot)."""
    with ledger.store.snapshot() as repo:
        result = _write_snapshot(repo, directory, _Steps(progress), batch_rows)
    # A read of all personal data: one event in the log.
    with ledger.uow() as uow:
        uow.audit.append(actor=actor, action="batch.export", subject=None, detail=result.as_json())
        uow.commit()
    return result


@dataclass
class RescoreResult:
    rulebook: str
    version: str
    as_of: date
    engine: str
    subjects: int
    records: int | None
    tiers: dict[str, int]
    lists: dict[str, int]
    previous: Rescore | None
    diff: dict[str, Any] | None
    rescore_id: int
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        previous = None
        if self.previous is not None:
            previous = {
                "version": self.previous.rulebook_version,
                "as_of": self.previous.as_of.isoformat(),
            }
        return {
            "id": self.rescore_id,
            "rulebook": self.rulebook,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "subjects": self.subjects,
            "records": self.records,
            "tiers": self.tiers,
            "lists": self.lists,
            "previous": previous,
            "diff": self.diff,
        }


def _summary(out: Path, book: Rulebook) -> tuple[dict[str, int], dict[str, int]]:
    """Subjects per tier (`null`: unscored without consent) and per list, from the standings."""
    con = duckdb.connect()
    try:
        con.register("standings", read_standings(out))
        tiers = {
            (t if t is not None else "null"): int(n)
            for t, n in con.execute(
                "SELECT tier, count(*) FROM standings GROUP BY tier ORDER BY tier NULLS LAST"
            ).fetchall()
        }
        lists: dict[str, int] = {}
        for code, column in list_columns(book).items():
            row = con.execute(f"SELECT count(*) FROM standings WHERE {column}").fetchone()
            lists[code] = int(row[0]) if row else 0
    finally:
        con.close()
    order = {t.code: i for i, t in enumerate(book.tiers)}
    ordered = dict(sorted(tiers.items(), key=lambda kv: order.get(kv[0], len(order))))
    return ordered, lists


def _standing_rows(
    out: Path, version: str, as_of: date, computed_at: datetime, steps: _Steps, task: str
) -> Iterator[list[dict[str, Any]]]:
    for batch in read_standings(out).to_batches(
        columns=["subject", "score", "tier", "lists"], batch_size=10_000
    ):
        rows = [
            {
                "subject": str(r["subject"]),
                "rulebook_version": version,
                "as_of": as_of,
                "score": r["score"],
                "tier": r["tier"],
                "lists": r["lists"],
                "computed_at": computed_at,
            }
            for r in batch.to_pylist()
        ]
        yield rows
        steps.advance(task, len(rows))


def _previous_standings(repo: BatchRepository, previous: Rescore) -> pa.Table:
    schema = pa.schema(
        [
            ("subject", pa.string()),
            ("score", pa.int64()),
            ("tier", pa.string()),
            ("lists", pa.string()),
        ]
    )
    tables = [
        _columns(rows, schema)
        for rows in repo.standings_of(previous.rulebook_version, previous.as_of)
    ]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def rescore(
    ledger: Ledger,
    *,
    version: str | None = None,
    as_of: date | None = None,
    engine: str = "duckdb",
    snapshot: Path | None = None,
    workdir: Path | None = None,
    actor: str,
    progress: Progress = no_progress,
    spark: Any = None,
) -> RescoreResult:
    """Rescore every subject under a rulebook version on a day; write back; diff if changed.

    Without `snapshot` the ledger is exported first (into a temporary directory under
    `workdir`); with one, that snapshot is scored as it is (e.g. one on shared storage).
    Nothing is written to the ledger unless the whole job succeeds.
    """
    steps = _Steps(progress)
    with ledger.uow() as uow:
        book = ledger.rulebook(uow, version)
        previous = uow.batch.last_rescore()
        previous_codes: list[str] = []
        if previous is not None and previous.rulebook_version != book.version:
            try:
                old = ledger.rulebook(uow, previous.rulebook_version)
                previous_codes = [s.code for s in old.lists]
            except NotFound:
                previous_codes = []
    day = as_of or today(book)
    with tempfile.TemporaryDirectory(prefix="trustledger-rescore-", dir=workdir) as tmp:
        work = Path(tmp)
        records: int | None = None
        if snapshot is None:
            snapshot = work / "snapshot"
            with ledger.store.snapshot() as repo:
                exported = _write_snapshot(repo, snapshot, steps, BATCH_ROWS)
            records = exported.records
        elif not is_snapshot(snapshot):
            raise NotFound(f"{snapshot} is not a snapshot (no records/ and subjects/ inside)")
        out = work / "standings"
        task = steps.start(f"scoring with {engine}", None)
        subjects = run_plan(compile_plan(book, day), snapshot, out, engine, spark=spark)
        steps.finish(task)
        tiers, lists = _summary(out, book)
        computed_at = datetime.now(UTC)
        with ledger.uow() as uow:
            uow.lift_timeouts()  # writes a whole population's standings
            repo = uow.batch
            diff = None
            if previous is not None and previous.rulebook_version != book.version:
                task = steps.start("comparing with the previous rescore", None)
                before = _previous_standings(repo, previous)
                diff = standings_diff(
                    before,
                    str(out / "*.parquet"),
                    sorted({*previous_codes, *(s.code for s in book.lists)}),
                )
                diff = {
                    "from": {
                        "version": previous.rulebook_version,
                        "as_of": previous.as_of.isoformat(),
                    },
                    "to": {"version": book.version, "as_of": day.isoformat()},
                    **diff,
                }
                steps.finish(task)
            task = steps.start("writing standings", subjects)
            repo.replace_standings(
                book.version, day, _standing_rows(out, book.version, day, computed_at, steps, task)
            )
            # What the rescore's row keeps, the result reports too.
            kept: dict[str, Any] = {
                "version": book.version,
                "as_of": day,
                "engine": engine,
                "subjects": subjects,
                "previous": previous,
                "diff": diff,
                "computed_at": computed_at,
            }
            rescore_id = repo.add_rescore(**kept)
            detail: dict[str, Any] = {
                "rescore": rescore_id,
                "version": book.version,
                "as_of": day.isoformat(),
                "engine": engine,
                "subjects": subjects,
            }
            if diff is not None:
                detail["tier_changes"] = diff["tier_changes"]
            uow.audit.append(actor=actor, action="batch.rescore", subject=None, detail=detail)
            uow.commit()
    return RescoreResult(
        rulebook=book.rulebook,
        records=records,
        tiers=tiers,
        lists=lists,
        rescore_id=rescore_id,
        **kept,
    )


def stored_standing(ctx: Context, subject: str, version: str, as_of: date) -> dict[str, Any] | None:
    """One subject's stored standing from a rescore (None if that rescore did not include it)."""
    return ctx.uow.batch.standing(subject, version, as_of)
