"""A Spark standalone cluster on loopback, started from the pyspark installation itself.

A master and N workers, each a separate JVM, exactly as on a real cluster (the driver talks to
the master over RPC, executors are started by the workers and read the snapshot themselves), but
all bound to 127.0.0.1. The tests use it to prove that `rescore --engine spark` works against a
`spark://` master and not only in local mode; `bench/spark_scaling.py` uses it to measure how
the plan scales with workers; an operator can use it to try a cluster before having one:

    python -m trustledger.batch.cluster --workers 2      # prints the master URL; Ctrl-C stops
    TRUSTLEDGER_SPARK_MASTER=spark://127.0.0.1:PORT trustledger rescore --engine spark

Nothing is downloaded: the master and workers are `bin/spark-class` of the pyspark package
(or of SPARK_HOME, which pyspark itself would use too, so driver and cluster are one version).
Every port is a free one chosen at start (no clash with another cluster on the same machine),
logs and the workers' scratch space go to one directory, and every process runs in its own
process group, which `stop()` kills whole (the executors the workers started included).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"


class ClusterError(RuntimeError):
    """The cluster did not come up; the message ends with the tail of the failing log."""


def spark_home() -> Path | None:
    """The Spark distribution pyspark launches its own driver from (None without pyspark)."""
    try:
        from pyspark.find_spark_home import _find_spark_home
    except ImportError:
        return None
    return Path(_find_spark_home())


def java() -> str | None:
    """The `java` spark-class will run: $JAVA_HOME/bin/java, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def missing() -> str | None:
    """Why a cluster cannot start here (no pyspark, no Java), or None when it can."""
    home = spark_home()
    if home is None:
        return "pyspark is not installed (pip install 'trustledger[spark]')"
    if not (home / "bin" / "spark-class").is_file():
        return f"{home} has no bin/spark-class"
    if java() is None:
        return "Java 17+ is not installed (no JAVA_HOME, no java on PATH)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def loopback_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for every JVM of the cluster and for its driver: bind and advertise 127.0.0.1.

    Without it Spark advertises the machine's hostname, which may resolve to an address the
    other processes cannot reach (or to another machine's, in a container).
    """
    env = dict(os.environ if base is None else base)
    env["SPARK_LOCAL_IP"] = HOST
    env["SPARK_LOCAL_HOSTNAME"] = HOST
    return env


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class StandaloneCluster:
    """A master and `workers` workers (each `cores` cores and `memory` for executors).

    Use as a context manager, or call `start()` and `stop()`. `url` is the `spark://` master
    URL for TRUSTLEDGER_SPARK_MASTER; `status()` is the master's JSON (workers, active and
    completed applications); `worker_status()` each worker's (its executors, finished ones
    included), which is how a caller proves a job really ran on the workers.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        cores: int = 1,
        memory: str = "1g",
        directory: Path | None = None,
        timeout: float = 180.0,
    ) -> None:
        reason = missing()
        if reason:
            raise ClusterError(reason)
        home = spark_home()
        assert home is not None
        self.home = home
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.timeout = timeout
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="trustledger-spark-"))
        self.port = free_port()
        self.webui_port = free_port()
        self.url = f"spark://{HOST}:{self.port}"
        self.webui = f"http://{HOST}:{self.webui_port}"
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self._env = loopback_env()
        self._env["SPARK_HOME"] = str(self.home)
        self._env["SPARK_CONF_DIR"] = str(self.directory)  # ignore any conf/ of the installation
        self._env.setdefault("SPARK_DAEMON_MEMORY", "512m")

    def _spawn(self, name: str, *args: str) -> None:
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(self.home / "bin" / "spark-class"), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self.directory,
                start_new_session=True,  # its own process group: stop() kills the executors too
            )
        self.processes.append((process, log))

    def start(self) -> StandaloneCluster:
        self.directory.mkdir(parents=True, exist_ok=True)
        properties = self.directory / "spark-defaults.conf"
        # Spark 4's master also opens a REST submission server on the fixed port 6066, which
        # a second cluster on the machine would clash with; drivers here connect over RPC.
        properties.write_text("spark.master.rest.enabled false\n")
        try:
            self._spawn(
                "master",
                MASTER_CLASS,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--webui-port",
                str(self.webui_port),
                "--properties-file",
                str(properties),
            )
            self._wait(lambda s: s.get("status") == "ALIVE", "the master to be elected")
            for i in range(self.workers):
                work = self.directory / f"worker-{i + 1}"
                work.mkdir(exist_ok=True)
                self._spawn(
                    f"worker-{i + 1}",
                    WORKER_CLASS,
                    self.url,
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--host",
                    HOST,
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(work),
                    "--properties-file",
                    str(properties),
                )
            self._wait(
                lambda s: (
                    sum(w.get("state") == "ALIVE" for w in s.get("workers", [])) >= self.workers
                ),
                f"{self.workers} workers to register",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, ready: Any, what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            for process, log in self.processes:
                if process.poll() is not None:
                    raise ClusterError(
                        f"{log.stem} exited with {process.returncode} while waiting for {what}; "
                        f"{log}:\n{_tail(log)}"
                    )
            try:
                if ready(self.status()):
                    return
            except (OSError, ValueError):  # web UI not up yet, or a partial answer
                pass
            if time.monotonic() > deadline:
                master_log = self.processes[0][1]
                raise ClusterError(
                    f"timed out after {self.timeout:.0f}s waiting for {what}; "
                    f"{master_log}:\n{_tail(master_log)}"
                )
            time.sleep(0.5)

    def status(self) -> dict[str, Any]:
        """The master's state: `workers`, `activeapps`, `completedapps` (its web UI's /json/)."""
        return _get_json(f"{self.webui}/json/")

    def worker_status(self) -> list[dict[str, Any]]:
        """Each alive worker's state, with `executors` and `finishedexecutors` (their `appid`)."""
        return [
            _get_json(f"{w['webuiaddress']}/json/")
            for w in self.status().get("workers", [])
            if w.get("state") == "ALIVE"
        ]

    def applications(self) -> list[dict[str, Any]]:
        """Every application the master has seen, active and completed (id, name, state)."""
        status = self.status()
        return [*status.get("activeapps", []), *status.get("completedapps", [])]

    def stop(self) -> None:
        """Kill every process group (master, workers, their executors); wait for them."""
        for process, _ in reversed(self.processes):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process, _ in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for process, _ in self.processes:
            # The group too: an executor may outlive its worker's shutdown.
            _signal_group(process, signal.SIGKILL)
            process.wait()
        self.processes = []
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()  # whether or not the block raised


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # start_new_session: the group id is the process id


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            data = json.load(answer)
    except urllib.error.URLError as exc:
        raise OSError(f"{url}: {exc.reason}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return data


def main(argv: list[str] | None = None) -> None:
    """Run a loopback cluster in the foreground until interrupted; print its master URL."""
    parser = argparse.ArgumentParser(description="A Spark standalone cluster on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1, help="cores per worker")
    parser.add_argument("--memory", default="1g", help="executor memory per worker")
    parser.add_argument("--dir", type=Path, default=None, help="logs and scratch (default: temp)")
    args = parser.parse_args(argv)
    try:
        cluster = StandaloneCluster(
            args.workers, cores=args.cores, memory=args.memory, directory=args.dir
        ).start()
    except ClusterError as exc:
        sys.exit(f"error: {exc}")
    where = {"master": cluster.url, "webui": cluster.webui, "logs": str(cluster.directory)}
    print(json.dumps(where))
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
