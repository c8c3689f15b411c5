"""Ingest: `trustledger import` of a court's JSON Lines file against a bare executemany.

Generates N valid synthetic records (real identifiers with check characters, several record
types, subjects of all three kinds, some amounts, notes and fulfilments) into a JSONL file.
Then, for each store, in one fresh database:

- `trustledger init`, `trustledger sources add`, and the timed `trustledger import FILE
  --source city-court --json` in a subprocess: the real command, from reading the file to the
  last commit, interpreter start-up included;
- the same import again (it must insert nothing), timed;
- a bare baseline: the same rows, already parsed into tuples, written into a bare table with
  the same columns and the same unique key (source, reference), in one transaction: on SQLite
  one DBAPI `executemany` (sqlite3 with the ledger's pragmas); on PostgreSQL one psycopg
  `COPY` (the fastest bare load, and what the ratio is taken against), and for reference one
  `executemany` into a second bare table (`bare_executemany_records_per_s`).

Prints one JSON line per store (SQLite, then PostgreSQL when reachable):

    python bench/ingest.py [--records 1000000] [--postgres URL|auto|none]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from trustledger.batch.synthetic import organization_id, person_id

DEFAULT_POSTGRES = os.environ.get(
    "TRUSTLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SOURCE = ("city-court", "court", "City Intermediate People's Court")
TODAY = date.today() - timedelta(days=2)  # safely in the past in every time zone
COLUMNS = ("subject", "type", "reference", "decided_on", "amount", "note", "fulfilled_on")
BARE_DDL = """
CREATE TABLE bare (
    id {id_type} PRIMARY KEY,
    subject VARCHAR(120) NOT NULL,
    type VARCHAR(100) NOT NULL,
    source VARCHAR(100) NOT NULL,
    reference VARCHAR(200) NOT NULL,
    decided_on DATE NOT NULL,
    amount NUMERIC(18, 2),
    note TEXT,
    fulfilled_on DATE,
    voided BOOLEAN NOT NULL DEFAULT false,
    disputed BOOLEAN NOT NULL DEFAULT false,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_bare_source_reference UNIQUE (source, reference)
)
"""
INSERT = (
    "INSERT INTO bare (subject, type, source, reference, decided_on, amount, note, fulfilled_on)"
    " VALUES ({})"
)


def generate(path: Path, n: int, seed: int = 2026) -> list[tuple[Any, ...]]:
    """Write n valid court records to `path`; return them as bare-table tuples."""
    rng = random.Random(seed)
    persons = [person_id(rng) for _ in range(max(1, n // 4))]
    organizations = [organization_id(rng, False) for _ in range(max(1, n // 40))]
    bodies = [organization_id(rng, True) for _ in range(max(1, n // 400))]
    pools = [
        (persons, ("court.dishonest_debtor", "court.defamation", "traffic.drunk_driving")),
        (organizations, ("court.dishonest_debtor", "court.dishonest_debtor_extended")),
        (bodies, ("gov.judgment_unperformed",)),
    ]
    weights = [0.55, 0.35, 0.10]
    span = 3 * 365
    rows: list[tuple[Any, ...]] = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            subjects, types = rng.choices(pools, weights)[0]
            decided = TODAY - timedelta(days=rng.randrange(span))
            record: dict[str, Any] = {
                "subject": rng.choice(subjects),
                "type": rng.choice(types),
                "reference": f"({decided.year})京0105执{i + 1}号",
                "decided_on": decided.isoformat(),
            }
            if rng.random() < 0.3:
                record["amount"] = f"{rng.randrange(100, 10_000_000)}.{rng.randrange(100):02d}"
            if rng.random() < 0.2:
                record["note"] = "performed in part; remainder under enforcement"
            if rng.random() < 0.25:
                done = decided + timedelta(days=rng.randrange(0, 400))
                if done <= TODAY:
                    record["fulfilled_on"] = done.isoformat()
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            rows.append(
                (
                    record["subject"],
                    record["type"],
                    SOURCE[0],
                    record["reference"],
                    record["decided_on"],
                    record.get("amount"),
                    record.get("note"),
                    record.get("fulfilled_on"),
                )
            )
    return rows


def trustledger(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "trustledger", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(path: Path, url: str) -> tuple[float, float, dict[str, Any]]:
    """Wall-clock and CPU seconds of one `trustledger import`, and its JSON report."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = trustledger("import", str(path), "--source", SOURCE[0], "--db", url, "--json")
    elapsed = time.perf_counter() - started
    return elapsed, _children_cpu() - cpu, json.loads(done.stdout)


def bench_import(path: Path, url: str, n: int) -> dict[str, Any]:
    trustledger("init", "--db", url)
    trustledger("sources", "add", SOURCE[0], "--kind", SOURCE[1], "--name", SOURCE[2], "--db", url)
    seconds, cpu, report = timed_import(path, url)
    if report["inserted"] != n or report["rejected"]:
        raise RuntimeError(f"import stored {report['inserted']} of {n}: {report['rejected'][:3]}")
    again_seconds, _, again = timed_import(path, url)
    return {
        "import_seconds": round(seconds, 3),
        "import_cpu_seconds": round(cpu, 3),
        "import_records_per_s": round(n / seconds),
        "reimport_inserted": again["inserted"],
        "reimport_duplicates": again["duplicates"],
        "reimport_records_per_s": round(n / again_seconds),
    }


def bare_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_DDL.format(id_type="INTEGER"))
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(INSERT.format(", ".join("?" * 8)), rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def bare_postgres(url: str, rows: list[tuple[Any, ...]], *, copy: bool) -> float:
    """Seconds to load the rows into a fresh bare table: one COPY, or one executemany."""
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bare")
        conn.execute(BARE_DDL.format(id_type="BIGINT GENERATED BY DEFAULT AS IDENTITY"))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            if copy:
                names = "subject, type, source, reference, decided_on, amount, note, fulfilled_on"
                with cursor.copy(f"COPY bare ({names}) FROM STDIN") as load:
                    for row in rows:
                        load.write_row(row)
            else:
                cursor.executemany(INSERT.format(", ".join(["%s"] * 8)), rows)
        conn.commit()
        return time.perf_counter() - started


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}", f"dbname={u.database}"]
    if u.username:
        parts.append(f"user={u.username}")
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


def line(store: str, n: int, imported: dict[str, Any], bare_seconds: float, **also: Any) -> str:
    """`bare_records_per_s` and `ratio`: against executemany on SQLite, COPY on PostgreSQL."""
    bare_rate = n / bare_seconds
    return json.dumps(
        {
            "bench": "ingest",
            "store": store,
            "records": n,
            "import_records_per_s": imported["import_records_per_s"],
            "bare_records_per_s": round(bare_rate),
            "ratio": round(imported["import_records_per_s"] / bare_rate, 3),
            **imported,
            "bare_seconds": round(bare_seconds, 3),
            **also,
        }
    )


def run_sqlite(work: Path, path: Path, rows: list[tuple[Any, ...]]) -> str:
    imported = bench_import(path, f"sqlite:///{work / 'ledger.db'}", len(rows))
    bare_seconds = bare_sqlite(work / "bare.db", rows)
    return line("sqlite", len(rows), imported, bare_seconds, bare_baseline="executemany")


def run_postgres(server: str, path: Path, rows: list[tuple[Any, ...]]) -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        admin = psycopg.connect(_libpq(server), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL at {server} unreachable, skipped: {exc}", file=sys.stderr)
        return None
    names = [f"trustledger_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        ledger_url, bare_url = (
            make_url(server).set(database=name).render_as_string(hide_password=False)
            for name in names
        )
        imported = bench_import(path, ledger_url, len(rows))
        copy_seconds = bare_postgres(bare_url, rows, copy=True)
        many_seconds = bare_postgres(bare_url, rows, copy=False)
        return line(
            "postgresql",
            len(rows),
            imported,
            copy_seconds,
            bare_baseline="COPY",
            bare_executemany_records_per_s=round(len(rows) / many_seconds),
            ratio_executemany=round(imported["import_records_per_s"] * many_seconds / len(rows), 3),
        )
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default="auto",
        help="server URL, 'auto' (TRUSTLEDGER_TEST_POSTGRES or the local server) or 'none'",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trustledger-bench-"))
    try:
        path = work / "court.jsonl"
        rows = generate(path, args.records)
        print(run_sqlite(work, path, rows), flush=True)
        if args.postgres != "none":
            server = DEFAULT_POSTGRES if args.postgres == "auto" else args.postgres
            result = run_postgres(server, path, rows)
            if result:
                print(result, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
