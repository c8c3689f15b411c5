"""The Spark engine: the same plan text, run by Spark SQL (local mode or a cluster).

PySpark is the optional extra `trustledger[spark]` and is imported only here, only when used.
Only the driver needs trustledger: the plan is compiled there, and the executors run plain
Spark SQL over Parquet (no Python UDFs), so a cluster needs nothing installed.

On a cluster (see docs/population-scale.md):

    spark-submit --master yarn --deploy-mode client \\
        "$(python -c 'import trustledger.batch.spark as m; print(m.__file__)')" \\
        --snapshot hdfs:///trustledger/snapshot-2026-06-01 \\
        --rulebook rulebooks/example-city.yaml --as-of 2026-06-01 \\
        --out hdfs:///trustledger/standings/2026.1/2026-06-01
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from trustledger.batch.plan import NO_CONFIRMATIONS, Dialect, Plan, compile_plan
from trustledger.batch.snapshot import CONFIRMATIONS, RECORDS, SUBJECTS, PartWriter
from trustledger.domain.rulebook import parse_rulebook

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

MISSING = (
    "the Spark engine needs PySpark and Java 17+: pip install 'trustledger[spark]' "
    "(or choose --engine duckdb)"
)


def available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def session(master: str | None = None, app_name: str = "trustledger") -> SparkSession:
    """A SparkSession; `local[*]` unless a master is given or spark-submit provided one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(MISSING) from exc
    builder = SparkSession.builder.appName(app_name)
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    master = master or os.environ.get("TRUSTLEDGER_SPARK_MASTER")
    requested = master
    # Under spark-submit the JVM starts first and hands Python its gateway: keep its master.
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    if master or not submitted:
        master = master or "local[*]"
        builder = builder.master(master)
    if master and master.startswith("local"):
        # A laptop-sized job: few shuffle partitions, no web UI.
        cores = os.cpu_count() or 2
        builder = builder.config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
        builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    spark = builder.getOrCreate()
    # getOrCreate hands back a session already running in this process whatever master it was
    # given: a job meant for a cluster must not run quietly in an earlier local session.
    if requested and spark.sparkContext.master != requested:
        raise RuntimeError(
            f"a Spark session on {spark.sparkContext.master} is already running in this "
            f"process; stop it before starting one on {requested}"
        )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine:
    """Registers a snapshot's `records` and `subjects` as temporary views, runs plans on them.

    `snapshot` is a path or URI Spark can read (local, hdfs://, s3a://, gs://).
    """

    def __init__(self, spark: SparkSession, snapshot: str) -> None:
        self.spark = spark
        tag = uuid.uuid4().hex[:8]
        self.records = f"records_{tag}"
        self.subjects = f"subjects_{tag}"
        self.confirmations = f"confirmations_{tag}"
        base = snapshot.rstrip("/")
        spark.read.parquet(f"{base}/{RECORDS}").createOrReplaceTempView(self.records)
        spark.read.parquet(f"{base}/{SUBJECTS}").createOrReplaceTempView(self.subjects)
        try:
            found = spark.read.parquet(f"{base}/{CONFIRMATIONS}")
        except Exception:  # no confirmations in this snapshot (AnalysisException: path absent)
            found = spark.sql(NO_CONFIRMATIONS.replace("FROM subjects", f"FROM {self.subjects}"))
        found.createOrReplaceTempView(self.confirmations)

    def dataframe(self, plan: Plan) -> Any:
        sql = plan.sql(
            Dialect.SPARK,
            records=self.records,
            subjects=self.subjects,
            confirmations=self.confirmations,
        )
        return self.spark.sql(sql)

    def write(self, plan: Plan, out: str) -> int:
        """Write the standings as Parquet parts under `out` (replacing them); count the rows.

        `out` is written by the executors: on a cluster it must be shared storage.
        """
        self.dataframe(plan).write.mode("overwrite").parquet(out)
        return int(self.spark.read.parquet(out).count())

    def collect(self, plan: Plan, out: Path, batch_rows: int = 100_000) -> int:
        """Stream the standings to the driver and write them as local Parquet parts.

        For a cluster whose executors cannot write where the driver reads (the driver's
        temporary directory): rows come back one partition at a time, so the driver holds
        one batch, never the whole result.
        """
        frame = self.dataframe(plan)
        schema = _arrow_schema(frame.schema)
        batch: list[dict[str, Any]] = []
        with PartWriter(out, schema) as writer:
            for row in frame.toLocalIterator(prefetchPartitions=True):
                batch.append(row.asDict())
                if len(batch) >= batch_rows:
                    writer.write(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            if batch:
                writer.write(pa.Table.from_pylist(batch, schema=schema))
            return writer.rows

    def is_local(self) -> bool:
        return str(self.spark.sparkContext.master).startswith("local")

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.records)
        self.spark.catalog.dropTempView(self.subjects)
        self.spark.catalog.dropTempView(self.confirmations)


def _arrow_schema(schema: Any) -> pa.Schema:
    """The Arrow schema of a plan's output (strings, integers, booleans)."""
    types = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    return pa.schema(
        [(f.name, types.get(f.dataType.simpleString(), pa.string())) for f in schema.fields]
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point for spark-submit: rescore a snapshot on shared storage, print a JSON line."""
    parser = argparse.ArgumentParser(description="trustledger rescoring on Spark")
    parser.add_argument("--snapshot", required=True, help="snapshot directory or URI")
    parser.add_argument("--rulebook", required=True, type=Path, help="rulebook YAML file")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--out", required=True, help="output directory or URI for standings")
    parser.add_argument("--master", default=None, help="Spark master (spark-submit sets it)")
    args = parser.parse_args(argv)
    book = parse_rulebook(args.rulebook.read_text())
    spark = session(args.master, app_name=f"trustledger rescore {book.version}")
    engine = SparkEngine(spark, args.snapshot)
    rows = engine.write(compile_plan(book, args.as_of), args.out)
    print(
        json.dumps(
            {
                "rulebook": book.rulebook,
                "version": book.version,
                "as_of": args.as_of.isoformat(),
                "subjects": rows,
                "out": args.out,
            }
        )
    )
    spark.stop()


if __name__ == "__main__":
    main()
