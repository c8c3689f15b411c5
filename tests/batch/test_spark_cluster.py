"""`trustledger rescore --engine spark` against a real Spark standalone cluster.

The `spark_cluster` fixture runs a master and two workers as separate JVMs on loopback; the
command runs as a user would run it (a subprocess, its own driver JVM) with
TRUSTLEDGER_SPARK_MASTER pointing at that master, and must write exactly the standings
`--engine duckdb` writes. A subprocess rather than CliRunner: in this process the local-mode
`spark` fixture may already hold the one SparkContext a JVM can have. The master and the
workers are then asked whether the job really ran there: an application that fell back to
local mode would never have registered with the master nor had executors on the workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from tests.batch.ledgers import populate
from tests.conftest import TODAY, act
from trustledger.batch.cluster import StandaloneCluster, loopback_env
from trustledger.batch.synthetic import SOURCES
from trustledger.services.admin import rulebooks
from trustledger.services.context import Ledger
from trustledger.services.intake.sources import add_source
from trustledger.store.batch_tables import standings

AS_OF = TODAY + timedelta(days=20)


def rescore_cli(db: str, workdir: Path, engine: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustledger",
            "rescore",
            "--as-of",
            AS_OF.isoformat(),
            "--engine",
            engine,
            "--workdir",
            str(workdir),
            "--db",
            db,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def stored(ledger: Ledger) -> dict[str, tuple[Any, ...]]:
    with ledger.uow() as uow:
        rows = uow.connection.execute(
            select(standings.c.subject, standings.c.score, standings.c.tier, standings.c.lists)
        ).all()
    return {r.subject: (r.score, r.tier, json.loads(r.lists)) for r in rows}


def finished_application(cluster: StandaloneCluster, known: set[str]) -> dict[str, Any]:
    """The one application the master saw that is not in `known`, once it has completed.

    The driver unregisters when its process exits; the master records that asynchronously.
    """
    deadline = time.monotonic() + 60
    while True:
        status = cluster.status()
        new = [a for a in status["activeapps"] if a["id"] not in known]
        done = [a for a in status["completedapps"] if a["id"] not in known]
        assert len(new) + len(done) <= 1, (new, done)
        if done:
            return done[0]
        assert new, "no application registered with the master: the job ran elsewhere"
        assert time.monotonic() < deadline, f"the application never completed: {new}"
        time.sleep(0.5)


@pytest.mark.spark
def test_rescore_on_a_standalone_cluster_equals_duckdb(
    spark_cluster: StandaloneCluster, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger.open(db)
    try:
        rulebooks.init(ledger, actor="test")
        for code, kind, name in SOURCES:
            act(ledger, add_source, code, kind, name)
        populate(ledger, TODAY, persons=150)
    finally:
        ledger.close()

    env = dict(os.environ)
    env.pop("TRUSTLEDGER_SPARK_MASTER", None)
    by_duckdb = rescore_cli(db, tmp_path, "duckdb", env)
    ledger = Ledger.open(db)
    try:
        duck = stored(ledger)
        # Start from nothing, so that every standing read back below was written by Spark.
        with ledger.uow() as uow:
            uow.connection.execute(delete(standings))
            uow.commit()
    finally:
        ledger.close()
    assert len(duck) == by_duckdb["subjects"] > 150

    known = {a["id"] for a in spark_cluster.applications()}
    env = loopback_env(env)
    env["TRUSTLEDGER_SPARK_MASTER"] = spark_cluster.url
    # The plan is plain SQL (no Python on the executors); were it not, their Python must be ours.
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    by_spark = rescore_cli(db, tmp_path, "spark", env)

    assert by_spark["engine"] == "spark" and by_spark["id"] == by_duckdb["id"] + 1
    assert by_spark["subjects"] == by_duckdb["subjects"]
    assert by_spark["tiers"] == by_duckdb["tiers"] and by_spark["lists"] == by_duckdb["lists"]
    ledger = Ledger.open(db)
    try:
        assert stored(ledger) == duck
    finally:
        ledger.close()

    # It ran on the cluster: the master saw the application through, and both workers ran one
    # of its executors (it asked for every core: two workers of one core each).
    app = finished_application(spark_cluster, known)
    assert app["name"] == "trustledger" and app["state"] == "FINISHED", app
    ran = [
        [e for e in [*w["executors"], *w["finishedexecutors"]] if e["appid"] == app["id"]]
        for w in spark_cluster.worker_status()
    ]
    assert len(ran) == 2 and all(ran), ran
