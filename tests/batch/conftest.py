"""Fixtures for the columnar engines: one local SparkSession and one loopback Spark standalone
cluster (a master and two workers), each started once for the whole test session.

Spark tests are marked `spark`. Without pyspark (or, for the cluster, Java) they skip with the
reason, except under CI=true, where CI installs the `spark` extra and Java, and a missing one
is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trustledger.batch.cluster import StandaloneCluster, missing

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"pyspark is required under CI=true (pip install -e '.[spark]'): {exc}")
        pytest.skip("pyspark is not installed (pip install -e '.[spark]'); CI runs these tests")
    from trustledger.batch.spark import session

    spark = session("local[2]", app_name="trustledger-tests")
    # Tiny inputs: one shuffle partition and no adaptive re-planning keep each query short.
    spark.conf.set("spark.sql.shuffle.partitions", "1")
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """A standalone master and two 1-core workers on 127.0.0.1, separate JVMs, killed at exit.

    Its logs stay in the session's temporary directory, for a failure to be read afterwards.
    """
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"a Spark cluster is required under CI=true: {reason}")
        pytest.skip(f"cannot start a Spark cluster: {reason}; CI runs these tests")
    directory: Path = tmp_path_factory.mktemp("spark-cluster")
    with StandaloneCluster(workers=2, cores=1, memory="1g", directory=directory) as cluster:
        yield cluster
