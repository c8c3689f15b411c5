"""Rescoring on Spark: local mode against a standalone cluster of 1 and of 2 workers.

Builds three Parquet ledger snapshots with `bench/rescore.py`'s generator (10 records per
subject), then times the plan on each with Spark in three configurations, each in a fresh
driver process of its own (so no configuration inherits another's warmed-up JVM):

- `local[2]`:  local mode, one JVM with 2 task threads: as many cores as the 2-worker cluster
               (and what `rescore --engine spark` uses without a master on a 2-core machine);
- `workers_1`: a standalone master and 1 worker of 1 core (`trustledger.batch.cluster`);
- `workers_2`: the same with 2 workers of 1 core each, separate JVMs.

Each worker offers 1 core and `--memory` (default 1g) to executors; local mode runs in the
driver's JVM (Spark's default 1g heap). What is timed is `batch.engines.run_plan(...,
collect=False)`: the snapshot's views registered, the plan run and the standings written as
Parquet by the executors themselves (on loopback they share this machine's disk), then counted;
this is the `spark-submit` job of docs/population-scale.md. Each driver first runs the smallest
size once untimed (JIT, executor start), then keeps each size's fastest of `--rounds` rounds.
DuckDB on the same files is given for reference. Prints one JSON line: wall-clock seconds per
size and configuration, the machine, and the 1-minute load average before and after each
configuration (on a shared machine, the figures to distrust are those measured under load):

    python bench/spark_scaling.py [--records 250000,2000000,16000000] [--rounds 2]
                                  [--memory 1g] [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rescore import AS_OF, build
from trustledger.batch.cluster import StandaloneCluster, java, loopback_env
from trustledger.batch.engines import run_plan
from trustledger.batch.plan import compile_plan
from trustledger.domain.rulebook import parse_rulebook
from trustledger.services.admin.rulebooks import example_rulebook_text

RECORDS_PER_SUBJECT = 10


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, memory, CPU model, Java and Spark versions."""
    model = platform.processor() or "unknown"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line),
            model,
        )
    except (OSError, subprocess.CalledProcessError):
        pass
    java_version = "unknown"
    executable = java()
    if executable:
        done = subprocess.run([executable, "-version"], capture_output=True, text=True)
        java_version = (done.stderr or done.stdout).splitlines()[0].strip()
    import pyspark

    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "cpu": model,
        "java": java_version,
        "pyspark": pyspark.__version__,
        "python": platform.python_version(),
    }


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def fastest(rounds: int, run: Any) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def measure(master: str, snapshots: list[Path], out: Path, rounds: int) -> dict[str, float]:
    """In this (child) process: one Spark session on `master`; each snapshot's fastest round."""
    from trustledger.batch.spark import session

    plan = compile_plan(parse_rulebook(example_rulebook_text()), AS_OF)
    spark = session(master, app_name=f"trustledger spark_scaling {master}")
    try:
        run_plan(plan, snapshots[0], out, "spark", spark=spark, collect=False)  # warm-up
        seconds = {}
        for snapshot in snapshots:
            seconds[snapshot.name] = fastest(
                rounds,
                lambda s=snapshot: run_plan(plan, s, out, "spark", spark=spark, collect=False),
            )
            print(f"  {master} {snapshot.name}: {seconds[snapshot.name]:.1f}s", file=sys.stderr)
        return seconds
    finally:
        spark.stop()


def in_child(master: str, snapshots: list[Path], out: Path, rounds: int) -> dict[str, float]:
    """`measure` in a fresh Python process (its own driver JVM), bound to loopback."""
    env = loopback_env()
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.pop("TRUSTLEDGER_SPARK_MASTER", None)
    env["PYSPARK_SUBMIT_ARGS"] = "--conf spark.ui.showConsoleProgress=false pyspark-shell"
    args = [sys.executable, __file__, "--measure", master, "--out", str(out)]
    args += ["--rounds", str(rounds), *(f"--snapshot={s}" for s in snapshots)]
    done = subprocess.run(args, stdout=subprocess.PIPE, text=True, env=env, check=True)
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="250000,2000000,16000000", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory", default="1g", help="executor memory per worker")
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the built files")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--snapshot", action="append", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.snapshot, args.out, args.rounds)))
        return

    sizes = [int(n) for n in args.records.split(",")]
    work = args.dir or Path(tempfile.mkdtemp(prefix="trustledger-spark-bench-"))
    snapshots = [work / f"snapshot-{n}" for n in sizes]
    load_before = os.getloadavg()
    try:
        for n, snapshot in zip(sizes, snapshots, strict=True):
            if not (snapshot / "records").is_dir():
                build(snapshot, n // RECORDS_PER_SUBJECT, n)
        os.sync()
        plan = compile_plan(parse_rulebook(example_rulebook_text()), AS_OF)
        seconds: dict[str, dict[str, float]] = {"duckdb": {}}
        for snapshot in snapshots:
            seconds["duckdb"][snapshot.name] = fastest(
                args.rounds, lambda s=snapshot: run_plan(plan, s, work / "standings", "duckdb")
            )
        print(f"duckdb: {seconds['duckdb']}", file=sys.stderr)
        # The 1-minute load average before and after each configuration: on a shared machine,
        # the reader's way to tell a slow configuration from a disturbed one.
        load: dict[str, list[float]] = {"duckdb": [round(load_before[0], 1), _load()]}
        seconds["local[2]"] = in_child("local[2]", snapshots, work / "standings", args.rounds)
        load["local[2]"] = [load["duckdb"][1], _load()]
        for workers in (1, 2):
            started = time.perf_counter()
            with StandaloneCluster(workers, cores=1, memory=args.memory) as cluster:
                print(
                    f"{workers} worker(s) up in {time.perf_counter() - started:.0f}s",
                    file=sys.stderr,
                )
                before = _load()
                seconds[f"workers_{workers}"] = in_child(
                    cluster.url, snapshots, work / "standings", args.rounds
                )
                load[f"workers_{workers}"] = [before, _load()]
        rows = [
            {
                "records": n,
                "subjects": n // RECORDS_PER_SUBJECT,
                **{config: round(by[s.name], 2) for config, by in seconds.items()},
            }
            for n, s in zip(sizes, snapshots, strict=True)
        ]
        print(
            json.dumps(
                {
                    "bench": "spark_scaling",
                    "rounds": args.rounds,
                    "worker_cores": 1,
                    "worker_memory": args.memory,
                    "sizes": rows,
                    "machine": machine(),
                    "load_average": load,
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work if args.dir is None else work / "standings", ignore_errors=True)
            if args.dir is not None:
                for snapshot in snapshots:
                    shutil.rmtree(snapshot, ignore_errors=True)


if __name__ == "__main__":
    main()
