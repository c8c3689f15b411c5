"""The Parquet layout of a ledger snapshot, shared by export, rescoring, simulator and bench.

    DIR/records/part-00000.parquet ...   subject, kind, type, decided_on, fulfilled_on,
                                         notified_on, voided, disputed (export adds source,
                                         reference, amount, note)
    DIR/subjects/part-00000.parquet ...  subject, kind, consent
    DIR/confirmations/part-00000.parquet subject, list, confirmed_on, ended_on (reviewers'
                                         confirmations of `review: required` lists; optional)
    DIR/manifest.json                    what wrote it, when, and how many rows

A directory of parts reads the same in DuckDB (`DIR/records/*.parquet`) and in Spark
(`spark.read.parquet("DIR/records")`, local paths or shared storage: HDFS, S3, GCS).
The plan reads only the columns it needs, so the extra export columns cost nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

RECORDS = "records"
SUBJECTS = "subjects"
CONFIRMATIONS = "confirmations"
MANIFEST = "manifest.json"

# The columns every snapshot has (the plan's input); `subject` may be a string or an integer.
RECORD_COLUMNS = (
    "subject",
    "kind",
    "type",
    "decided_on",
    "fulfilled_on",
    "notified_on",
    "voided",
    "disputed",
)
SUBJECT_COLUMNS = ("subject", "kind", "consent")
CONFIRMATION_COLUMNS = ("subject", "list", "confirmed_on", "ended_on")

# The typed columns of RECORD_COLUMNS after subject, kind and type: the same in every snapshot.
RECORD_FACTS = [
    ("decided_on", pa.date32()),
    ("fulfilled_on", pa.date32()),
    ("notified_on", pa.date32()),
    ("voided", pa.bool_()),
    ("disputed", pa.bool_()),
]
LEDGER_RECORDS = pa.schema(
    [
        ("subject", pa.string()),
        ("kind", pa.string()),
        ("type", pa.string()),
        *RECORD_FACTS,
        ("source", pa.string()),
        ("reference", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("note", pa.string()),
    ]
)
LEDGER_SUBJECTS = pa.schema(
    [("subject", pa.string()), ("kind", pa.string()), ("consent", pa.bool_())]
)
LEDGER_CONFIRMATIONS = pa.schema(
    [
        ("subject", pa.string()),
        ("list", pa.string()),
        ("confirmed_on", pa.date32()),
        ("ended_on", pa.date32()),
    ]
)


def records_glob(directory: Path) -> str:
    return str(directory / RECORDS / "*.parquet")


def subjects_glob(directory: Path) -> str:
    return str(directory / SUBJECTS / "*.parquet")


class PartWriter:
    """Writes a table as numbered Parquet parts of bounded size (one row group per part)."""

    def __init__(self, directory: Path, schema: pa.Schema, rows_per_part: int = 2_000_000):
        self.directory = directory
        self.schema = schema
        self.rows_per_part = rows_per_part
        self.parts = 0
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._in_part = 0
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.parquet"):
            stale.unlink()

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        table = table.cast(self.schema) if table.schema != self.schema else table
        offset = 0
        while offset < table.num_rows:
            if self._writer is None:
                path = self.directory / f"part-{self.parts:05d}.parquet"
                self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.parts += 1
                self._in_part = 0
            take = min(table.num_rows - offset, self.rows_per_part - self._in_part)
            self._writer.write_table(table.slice(offset, take), row_group_size=1_000_000)
            offset += take
            self._in_part += take
            self.rows += take
            if self._in_part >= self.rows_per_part:
                self._writer.close()
                self._writer = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.parts == 0:  # an empty table still has a (typed) part, so readers find it
            pq.write_table(self.schema.empty_table(), self.directory / "part-00000.parquet")
            self.parts = 1

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Manifest:
    written_by: str
    records: int
    subjects: int
    written_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: Path) -> None:
        data = {
            "written_by": self.written_by,
            "written_at": self.written_at,
            "records": self.records,
            "subjects": self.subjects,
            **self.extra,
        }
        (directory / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")


def confirmations_glob(directory: Path) -> str | None:
    """The confirmations' parts, or None when the snapshot has none (simulated populations)."""
    parts = directory / CONFIRMATIONS
    return str(parts / "*.parquet") if parts.is_dir() and any(parts.glob("*.parquet")) else None


def is_snapshot(directory: Path) -> bool:
    return (directory / RECORDS).is_dir() and (directory / SUBJECTS).is_dir()
