"""Fixtures for the columnar engines: one local SparkSession for the whole test session.

Spark tests are marked `spark`. Without pyspark they skip with the reason, except under
CI=true, where CI installs the `spark` extra and a missing pyspark is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

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
