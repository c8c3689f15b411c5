"""Run a plan over a Parquet snapshot: DuckDB on this machine, Spark on a cluster.

Both write the standings as a directory of Parquet parts (`subject, kind, score, tier, lists,
list_*`), which `read_standings` and DuckDB read back alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds

from trustledger.batch.plan import ENGINES, NO_CONFIRMATIONS, Dialect, Plan, sql_literal
from trustledger.batch.snapshot import confirmations_glob, records_glob, subjects_glob


def default_memory_limit(share: float = 0.5) -> str:
    """Half the machine's memory (DuckDB spills to disk beyond it), e.g. '11GB' on 24 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: let DuckDB choose
        return "80%"
    return f"{max(1, int(total * share / 2**30))}GB"


class DuckDBEngine:
    """An in-process DuckDB over a snapshot, with a memory limit and a spill directory.

    `records` and `subjects` are views over the snapshot's parts; callers may define more
    views on `connection` (the simulator's "truth" view treats erroneous records as voided).
    """

    def __init__(
        self,
        snapshot: Path,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: Path | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.connection = duckdb.connect()
        c = self.connection
        if memory_limit:
            c.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        if threads:
            c.execute(f"SET threads = {int(threads)}")
        if temp_directory is not None:
            temp_directory.mkdir(parents=True, exist_ok=True)
            c.execute(f"SET temp_directory = {sql_literal(str(temp_directory))}")
        c.execute("SET preserve_insertion_order = false")
        c.execute("SET enable_progress_bar = false")  # the CLI shows its own (rich) progress
        c.execute(
            "CREATE VIEW records AS SELECT * FROM read_parquet("
            f"{sql_literal(records_glob(snapshot))})"
        )
        c.execute(
            "CREATE VIEW subjects AS SELECT * FROM read_parquet("
            f"{sql_literal(subjects_glob(snapshot))})"
        )
        confirmations = confirmations_glob(snapshot)
        if confirmations is None:  # none: an empty table whose subject type follows subjects
            c.execute(f"CREATE VIEW confirmations AS {NO_CONFIRMATIONS}")
        else:
            c.execute(
                "CREATE VIEW confirmations AS SELECT * FROM read_parquet("
                f"{sql_literal(confirmations)})"
            )

    def write(self, plan: Plan, out: Path, *, records: str = "records") -> int:
        """Write the plan's standings to `out/part-00000.parquet`; return the row count."""
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.parquet"):
            stale.unlink()
        target = sql_literal(str(out / "part-00000.parquet"))
        sql = plan.sql(Dialect.DUCKDB, records=records)
        row = self.connection.execute(
            f"COPY ({sql}) TO {target} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_plan(
    plan: Plan,
    snapshot: Path,
    out: Path,
    engine: str = "duckdb",
    *,
    spark: Any = None,
    memory_limit: str | None = None,
    collect: bool | None = None,
) -> int:
    """Compute every subject's standing with `engine`; write it under `out`; count the rows.

    With `engine="spark"` a given SparkSession is used, else one is started (`spark.master`
    from `TRUSTLEDGER_SPARK_MASTER`, default `local[*]`). In local mode Spark writes `out`
    itself; on a cluster (or with `collect=True`) the rows stream back to this process, since
    executors cannot write into its local directory. `snapshot` must then be a path every
    executor reads (shared storage mounted alike), as must the snapshot.
    """
    if engine == "duckdb":
        with DuckDBEngine(
            snapshot, memory_limit=memory_limit, temp_directory=out.parent / ".duckdb-spill"
        ) as duck:
            return duck.write(plan, out)
    if engine == "spark":
        from trustledger.batch import spark as spark_engine  # pyspark is an optional extra

        session = spark or spark_engine.session(os.environ.get("TRUSTLEDGER_SPARK_MASTER"))
        runner = spark_engine.SparkEngine(session, str(snapshot))
        try:
            if collect or (collect is None and not runner.is_local()):
                return runner.collect(plan, out)
            return runner.write(plan, str(out))
        finally:
            runner.close()
    raise ValueError(f"unknown engine {engine!r} (choose one of {', '.join(ENGINES)})")


def read_standings(out: Path) -> ds.Dataset:
    """The standings an engine wrote (Spark's `_SUCCESS` and `.crc` files are skipped)."""
    return ds.dataset(str(out), format="parquet", ignore_prefixes=[".", "_"])
