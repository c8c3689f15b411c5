"""Rescoring a city: `rescore --engine duckdb` against a bare DuckDB GROUP BY on the same files.

Builds a Parquet ledger snapshot (the layout `trustledger export --parquet` writes) of N
subjects and M records with DuckDB itself (string identifiers, 90% persons, record types drawn
with the example city's base rates, decided over three years, some fulfilled, a few voided),
then, on the same files and with the same DuckDB settings, times:

- rescore: the plan `trustledger rescore --engine duckdb` runs (`batch.engines.run_plan`),
  every subject's score, tier and lists written as Parquet;
- bare:    `SELECT subject, SUM(points) ... JOIN (VALUES type, points) GROUP BY subject`,
  written as Parquet too: the least work that turns records into per-subject points.

The two alternate for `--rounds` rounds (default 2) after the files are synced to disk, and
each keeps its fastest round: on a shared machine the fastest run is the one least disturbed.
Prints one JSON line (wall-clock seconds; ratio = rescore / bare):

    python bench/rescore.py [--subjects 22000000] [--records 200000000] [--rounds 2]
                            [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from trustledger.batch.engines import DuckDBEngine, default_memory_limit, run_plan, sql_literal
from trustledger.batch.plan import compile_plan
from trustledger.batch.snapshot import RECORDS, SUBJECTS
from trustledger.batch.synthetic import RATES
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

AS_OF = date(2026, 6, 1)
KIND_SHARES = (("person", 0.90), ("organization", 0.0995), ("public_body", 0.0005))


def _weighted(kind: str, slots: int = 1000) -> list[str]:
    """The kind's record types repeated in proportion to their base rates (a lookup list)."""
    rates = {t: r for k, by_type in RATES.items() if k.value == kind for t, r in by_type.items()}
    total = sum(rates.values())
    out: list[str] = []
    for t, r in sorted(rates.items()):
        out += [t] * max(1, round(slots * r / total))
    return out


def _list(values: list[str]) -> str:
    return "[" + ", ".join(sql_literal(v) for v in values) + "]"


def pick(values: str) -> str:
    """One element of a SQL list literal, drawn by the hash of the record's row number."""
    return f"{values}[1 + CAST(hash(i, 2) % len({values}) AS BIGINT)]"


def build(directory: Path, subjects: int, records: int) -> None:
    """Subjects `cn-x:%018d`; each record names a uniformly drawn subject (hash of its row)."""
    (directory / SUBJECTS).mkdir(parents=True, exist_ok=True)
    (directory / RECORDS).mkdir(parents=True, exist_ok=True)
    person_end = int(subjects * KIND_SHARES[0][1])
    org_end = person_end + int(subjects * KIND_SHARES[1][1])
    kind = (
        f"CASE WHEN n < {person_end} THEN 'person' "
        f"WHEN n < {org_end} THEN 'organization' ELSE 'public_body' END"
    )
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {sql_literal(default_memory_limit())}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    subjects_file = sql_literal(str(directory / SUBJECTS / "part-00000.parquet"))
    con.execute(
        f"""COPY (
            SELECT printf('cn-x:%018d', n) AS subject, {kind} AS kind,
                   hash(n, 7) % 10 < 6 AS consent
            FROM range({subjects}) AS t(n)
        ) TO {subjects_file} (FORMAT parquet, COMPRESSION zstd)"""
    )
    person, org, body = (_list(_weighted(k)) for k, _ in KIND_SHARES)
    parts = max(1, records // 20_000_000)
    per_part = -(-records // parts)
    for part in range(parts):
        first, last = part * per_part, min(records, (part + 1) * per_part)
        target = sql_literal(str(directory / RECORDS / f"part-{part:05d}.parquet"))
        con.execute(
            f"""COPY (
                SELECT printf('cn-x:%018d', n) AS subject, {kind} AS kind,
                    CASE WHEN n < {person_end} THEN {pick(person)}
                         WHEN n < {org_end} THEN {pick(org)}
                         ELSE {pick(body)} END AS type,
                    DATE '{AS_OF}' - CAST(hash(i, 3) % 1096 AS INTEGER) AS decided_on,
                    CASE WHEN hash(i, 4) % 10 < 2
                         THEN LEAST(DATE '{AS_OF}', DATE '{AS_OF}'
                              - CAST(hash(i, 3) % 1096 AS INTEGER)
                              + CAST(1 + hash(i, 5) % 400 AS INTEGER)) END AS fulfilled_on,
                    CAST(NULL AS DATE) AS notified_on,
                    hash(i, 6) % 200 = 0 AS voided,
                    FALSE AS disputed
                FROM (SELECT i, CAST(hash(i, 1) % {subjects} AS BIGINT) AS n
                      FROM range({first}, {last}) AS t(i))
            ) TO {target} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"""
        )
        print(f"built records part {part + 1}/{parts}", file=sys.stderr)
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=22_000_000)
    parser.add_argument("--records", type=int, default=200_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the built files")
    args = parser.parse_args()

    work = args.dir or Path(tempfile.mkdtemp(prefix="trustledger-bench-"))
    snapshot = work / "snapshot"
    try:
        started = time.perf_counter()
        build(snapshot, args.subjects, args.records)
        print(f"built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        os.sync()  # no write-back of the freshly built files during the timings
        book = parse_rulebook(example_rulebook_text())
        plan = compile_plan(book, AS_OF)
        points = ", ".join(f"({sql_literal(t.code)}, {t.points})" for t in book.record_types)
        bare_sql = f"""COPY (
            SELECT r.subject, SUM(t.points) AS points
            FROM records AS r JOIN (VALUES {points}) AS t(type, points) ON r.type = t.type
            GROUP BY r.subject
        ) TO {sql_literal(str(work / "bare.parquet"))} (FORMAT parquet, COMPRESSION zstd)"""
        timings: dict[str, list[float]] = {"rescore": [], "bare": []}
        for round_ in range(args.rounds):
            started = time.perf_counter()
            rescored = run_plan(
                plan, snapshot, work / "standings", "duckdb", memory_limit=default_memory_limit()
            )
            timings["rescore"].append(time.perf_counter() - started)
            assert rescored == args.subjects, (rescored, args.subjects)
            with DuckDBEngine(
                snapshot, memory_limit=default_memory_limit(), temp_directory=work / ".spill"
            ) as duck:
                started = time.perf_counter()
                duck.connection.execute(bare_sql)
                timings["bare"].append(time.perf_counter() - started)
            print(
                f"round {round_ + 1}: rescore {timings['rescore'][-1]:.1f}s, "
                f"bare {timings['bare'][-1]:.1f}s",
                file=sys.stderr,
            )
        seconds, bare = min(timings["rescore"]), min(timings["bare"])
        print(
            json.dumps(
                {
                    "bench": "rescore",
                    "subjects": args.subjects,
                    "records": args.records,
                    "seconds": round(seconds, 2),
                    "records_per_s": round(args.records / seconds),
                    "bare_seconds": round(bare, 2),
                    "ratio": round(seconds / bare, 2),
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work if args.dir is None else snapshot, ignore_errors=True)
            if args.dir is not None:
                shutil.rmtree(work / "standings", ignore_errors=True)
                (work / "bare.parquet").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
