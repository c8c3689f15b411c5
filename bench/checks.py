"""Joint checks over loopback, driven by wrk: trustledger's server against a bare endpoint.

Builds a synthetic city in a temporary ledger (SQLite, or a throwaway PostgreSQL database with
`--store postgresql`) and a provider key, then starts two servers side by side, each in its own
process:

- `trustledger serve` itself (the real command, with `uvicorn.run` wrapped only to record the
  keyword arguments the command passes to it);
- `bench/bare_app.py`, a Starlette app answering a constant check, started by `uvicorn.run`
  with exactly those recorded arguments (host, workers, loop, http, log level, access log).

Both are driven by the same `wrk` client and the same Lua script (the Authorization header,
the `subject` parameter rotating over 1,000 real subjects of the city):

- peak: single checks with `--connections` (16) over `--threads` (2), for each server; ratio
  = trustledger / bare;
- half load: trustledger paced to half of its peak by a Lua `delay()` (each connection waits a
  random think time before each request, corrected by up to three short runs), p50 and p99;
- batch: POST /v1/checks with 1,000 subjects per request (8 different bodies in turn).

Then the same again with `--workers 2` for both, if `trustledger serve --help` offers
`--workers`. Any socket error or non-2xx answer fails the run. Each peak run reports the CPU
cores used by wrk, by the server and by everything else on the machine. Prints one JSON line
on stdout; progress goes to stderr. Without wrk it says how to install it and exits: it prints
no ratio measured by a client slower than the server.

    python bench/checks.py [--persons 20000] [--seconds 10] [--connections 16] [--threads 2]
                           [--batch-connections 4] [--no-workers-2] [--wrk PATH]
                           [--store sqlite|postgresql] [--server postgresql://...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from databases import POSTGRES, throwaway

ACTION = "travel.flight"
ROTATED = 1_000  # subjects in the GET script
BATCH = 1_000  # subjects per POST body
BODIES = 8  # different POST bodies in turn
HERE = Path(__file__).resolve().parent

# `trustledger serve` as the console script runs it, with uvicorn.run wrapped to write down the
# keyword arguments the command passes (the bare app is started with the same ones).
SERVE = """
import json, os, sys
import uvicorn
_run = uvicorn.run
def run(app, **settings):
    with open(os.environ["TRUSTLEDGER_BENCH_SETTINGS"], "w") as out:
        json.dump(settings, out)
    _run(app, **settings)
uvicorn.run = run
sys.argv[0] = "trustledger"
from trustledger.cli import main
main()
"""

LUA = """\
-- Written by bench/checks.py.
local specs = {{
{specs}
}}
local requests, n, i, think, threads = {{}}, #specs, 0, {think}, 0
wrk.headers["Authorization"] = {authorization}
{content_type}
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  for k, spec in ipairs(specs) do
    requests[k] = wrk.format(spec[1], spec[2], nil, spec[3])
  end
  i = offset or 0
  math.randomseed(1 + i)
end

function request()
  i = i + 1
  return requests[i % n + 1]
end
{delay}
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.1f %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
"""
DELAY = """
function delay()
  return math.floor(think * (0.5 + math.random()) + 0.5)
end
"""


class BenchError(RuntimeError):
    pass


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def write_script(
    path: Path, key: str, specs: list[tuple[str, str, str | None]], think: float
) -> Path:
    """A wrk script sending `specs` (method, path, body) in turn; `think` ms > 0 paces it."""
    rows = ",\n".join(
        "  {" + ", ".join("nil" if part is None else lua_string(part) for part in spec) + "}"
        for spec in specs
    )
    path.write_text(
        LUA.format(
            specs=rows,
            think=f"{think:.3f}",
            authorization=lua_string(f"Bearer {key}"),
            content_type=(
                'wrk.headers["Content-Type"] = "application/json"\n'
                if any(body is not None for _, _, body in specs)
                else ""
            ),
            delay=DELAY if think > 0 else "",
        )
    )
    return path


# --- CPU accounting (/proc): who used the machine during a run -----------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU seconds so far)} of every live process."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return table


def process_tree(root: int, table: dict[int, tuple[int, float]] | None = None) -> set[int]:
    """A process and its live descendants."""
    table = _proc_table() if table is None else table
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in table.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree & set(table)


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by a live process and its live descendants."""
    table = _proc_table()
    return sum(table[pid][1] for pid in process_tree(root, table))


def machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the two servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> Any:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise BenchError(f"{url}: HTTP {exc.code}: {exc.read()[:300]!r}") from None


class Server:
    """A server process in its own process group (so that its workers stop with it)."""

    def __init__(self, name: str, argv: list[str], log: Path, port: int, env: dict[str, str]):
        self.name, self.log, self.base = name, log, f"http://127.0.0.1:{port}"
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, *argv],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{tail}")
            try:
                fetch(f"{self.base}/healthz")
                return
            except (OSError, BenchError):
                time.sleep(0.1)
        raise BenchError(f"{self.name} did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@contextlib.contextmanager
def servers(work: Path, url: str, workers: int) -> Iterator[tuple[Server, Server, dict[str, Any]]]:
    """trustledger serve, then the bare app with the uvicorn settings trustledger used."""
    settings_file = work / f"uvicorn-{workers}.json"
    settings_file.unlink(missing_ok=True)
    port = free_port()
    argv = ["-c", SERVE, "serve", "--db", url, "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    # The bench measures throughput: the per-key rate limit (docs/reliability.md) is off.
    env = {
        **os.environ,
        "TRUSTLEDGER_BENCH_SETTINGS": str(settings_file),
        "TRUSTLEDGER_RATE_PER_KEY": "0",
    }
    with contextlib.ExitStack() as stack:
        server = Server("trustledger serve", argv, work / f"serve-{workers}.log", port, env)
        stack.callback(server.stop)
        server.wait_ready()
        if not settings_file.exists():
            raise BenchError("trustledger serve did not go through uvicorn.run: settings unknown")
        settings = json.loads(settings_file.read_text())
        bare_settings = {k: v for k, v in settings.items() if k not in ("factory", "app_dir")}
        bare_settings["port"] = free_port()
        bare = Server(
            "bare app",
            [str(HERE / "bare_app.py"), json.dumps(bare_settings)],
            work / f"bare-{workers}.log",
            bare_settings["port"],
            dict(os.environ),
        )
        stack.callback(bare.stop)
        bare.wait_ready()
        yield server, bare, {k: v for k, v in settings.items() if k != "port"}


# --- wrk --------------------------------------------------------------------------------------


@dataclass
class Run:
    per_s: float
    requests: int
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_cores: float
    server_cores: float
    other_cores: float

    def cpu(self) -> dict[str, float]:
        return {
            "client": round(self.client_cores, 2),
            "server": round(self.server_cores, 2),
            "other": round(self.other_cores, 2),
        }


def wrk(
    binary: str,
    server: Server,
    path: str,
    script: Path,
    *,
    connections: int,
    threads: int,
    seconds: int,
    timeout: int = 10,
) -> Run:
    """One wrk run; fails on any socket error or non-2xx answer (they would flatter the figures)."""
    command = [binary, "-t", str(min(threads, connections)), "-c", str(connections)]
    command += ["-d", f"{seconds}s", "--timeout", f"{timeout}s", "--latency", "-s", str(script)]
    command.append(server.base + path)
    started, busy, client, served = (
        time.perf_counter(),
        machine_busy(),
        children_cpu(),
        tree_cpu(server.process.pid),
    )
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    client = children_cpu() - client
    served = tree_cpu(server.process.pid) - served
    busy = machine_busy() - busy
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    values = [float(v) for v in lines[-1].split()[1:]]
    requests, duration_us, connect, read, write, status, timeouts = (int(v) for v in values[:7])
    mean, p50, p99, worst = (v / 1000 for v in values[7:])
    errors = {"connect": connect, "read": read, "write": write, "status": status}
    errors["timeout"] = timeouts
    if any(errors.values()) or not requests:
        raise BenchError(f"wrk against {server.name} {path[:40]}: {requests} requests, {errors}")
    return Run(
        per_s=requests / (duration_us / 1e6),
        requests=requests,
        mean_ms=mean,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=worst,
        client_cores=client / wall,
        server_cores=served / wall,
        other_cores=max(0.0, (busy - client - served) / wall),
    )


def wrk_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).split()
    return first[1] if len(first) > 1 else "unknown"


# --- the measurements -------------------------------------------------------------------------


@dataclass
class Load:
    """What wrk sends: GET checks over rotated subjects, and POST bodies of BATCH subjects."""

    work: Path
    key: str
    subjects: list[str]
    bodies: list[str]

    @classmethod
    def of(cls, work: Path, key: str, pool: list[str], seed: int = 1) -> Load:
        rng = random.Random(seed)
        pick = rng.sample if len(pool) >= BATCH else lambda p, k: rng.choices(p, k=k)
        bodies = [
            json.dumps({"action": ACTION, "subjects": pick(pool, BATCH)}) for _ in range(BODIES)
        ]
        return cls(work, key, rng.sample(pool, min(ROTATED, len(pool))), bodies)

    def single(self, think: float = 0.0) -> Path:
        """The GET script; `think` > 0: each connection waits ~think ms before each request."""
        specs: list[tuple[str, str, str | None]] = [
            ("GET", f"/v1/checks?subject={quote(s, safe='')}&action={ACTION}", None)
            for s in self.subjects
        ]
        return write_script(self.work / f"single-{think:.3f}.lua", self.key, specs, think)

    def batch(self) -> Path:
        specs: list[tuple[str, str, str | None]] = [("POST", "/v1/checks", b) for b in self.bodies]
        return write_script(self.work / "batch.lua", self.key, specs, 0.0)

    def check_answers(self, server: Server, bare: Server) -> None:
        """The requests wrk will send get real answers (and the bare one the same shape)."""
        auth = {"Authorization": f"Bearer {self.key}"}
        query = f"/v1/checks?subject={quote(self.subjects[0], safe='')}&action={ACTION}"
        real, constant = fetch(server.base + query, auth), fetch(bare.base + query, auth)
        if set(real) != {"decision", "measures"} or set(constant) != set(real):
            raise BenchError(f"unexpected answers: trustledger {real}, bare {constant}")
        body = self.bodies[0].encode()
        json_auth = {**auth, "Content-Type": "application/json"}
        answered = fetch(server.base + "/v1/checks", json_auth, body)["results"]
        if len(answered) != BATCH:
            raise BenchError(f"a batch of {BATCH} subjects got {len(answered)} results")


def half_load(
    args: argparse.Namespace, server: Server, load: Load, target: float
) -> tuple[int, float, Run]:
    """Single checks paced to `target`/s by wrk's delay(): (connections, think ms, the run).

    Enough connections that each waits >= ~50 ms between requests (delay() counts whole
    milliseconds, and the answer's own time is then a small part of the cycle); the think time
    is corrected by up to three short runs for the time each request takes besides it.
    """
    threads = args.threads
    connections = max(threads, math.ceil(target * 0.05))
    connections = -(-connections // threads) * threads
    cycle_ms = connections * 1000 / target
    think, short = cycle_ms, max(2, args.seconds // 4)
    paced = {"connections": connections, "threads": threads}
    for _ in range(3):
        trial = wrk(args.wrk, server, "/v1/checks", load.single(think), seconds=short, **paced)
        say(f"  half load, {think:.1f} ms think time: {trial.per_s:,.0f}/s of {target:,.0f}/s")
        if abs(trial.per_s / target - 1) <= 0.05:
            break
        besides = connections * 1000 / trial.per_s - think  # answer, client scheduling
        think = max(0.0, cycle_ms - besides)
    half = wrk(args.wrk, server, "/v1/checks", load.single(think), seconds=args.seconds, **paced)
    return connections, think, half


def measure(args: argparse.Namespace, url: str, load: Load, workers: int) -> dict[str, Any]:
    path, threads = "/v1/checks", args.threads
    peak_script, batch_script = load.single(), load.batch()
    go = {"connections": args.connections, "threads": threads}
    with servers(load.work, url, workers) as (server, bare, settings):
        load.check_answers(server, bare)
        say(f"workers={workers}: warming up both servers")
        for each in (server, bare):
            wrk(args.wrk, each, path, peak_script, seconds=2, **go)
        # One connection to the constant endpoint answers in well under a millisecond, unless
        # the accepted sockets lack TCP_NODELAY: then each keep-alive answer waits ~40 ms for a
        # delayed ACK (uvicorn --workers N on Linux: Kludex/uvicorn#3149) and every figure
        # below measures that wait for both servers, not their work.
        probe = wrk(args.wrk, bare, path, peak_script, connections=1, threads=1, seconds=1)
        nagle = probe.p50_ms >= 30
        if nagle:
            say(
                f"workers={workers}: the bare app takes {probe.p50_ms:.0f} ms on one connection:"
                " accepted sockets without TCP_NODELAY (Nagle x delayed ACK), see"
                " https://github.com/Kludex/uvicorn/issues/3149"
            )
        say(f"workers={workers}: peak single checks, {args.connections} connections")
        peak = wrk(args.wrk, server, path, peak_script, seconds=args.seconds, **go)
        say(f"  trustledger {peak.per_s:,.0f}/s  cpu cores {peak.cpu()}")
        bare_peak = wrk(args.wrk, bare, path, peak_script, seconds=args.seconds, **go)
        say(f"  bare        {bare_peak.per_s:,.0f}/s  cpu cores {bare_peak.cpu()}")

        target = peak.per_s / 2
        say(f"workers={workers}: half load, {target:,.0f}/s paced by wrk's delay()")
        connections, think, half = half_load(args, server, load, target)
        say(
            f"  {half.per_s:,.0f}/s ({connections} connections, {think:.1f} ms mean think time)"
            f"  p50 {half.p50_ms:.2f} ms  p99 {half.p99_ms:.2f} ms"
        )

        say(f"workers={workers}: batch checks, {BATCH} subjects a request")
        batched = wrk(
            args.wrk,
            server,
            path,
            batch_script,
            connections=args.batch_connections,
            threads=threads,
            seconds=args.seconds,
            timeout=60,
        )
        say(f"  {batched.per_s * BATCH:,.0f} subjects/s")

    bound = []
    if bare_peak.per_s <= peak.per_s:
        bound.append("the bare endpoint was not faster than trustledger")
    for name, run in (("trustledger", peak), ("bare", bare_peak)):
        if run.client_cores >= 0.9 * min(threads, args.connections):
            bound.append(f"wrk used {run.client_cores:.2f} cores for {threads} threads ({name})")
    for reason in bound:
        say(f"workers={workers}: CLIENT-BOUND, no ratio: {reason}")
    busy = max(peak.other_cores, bare_peak.other_cores)
    if busy > 0.2:
        say(f"workers={workers}: other processes used up to {busy:.2f} cores: figures are low")
    return {
        "checks_per_s": round(peak.per_s, 1),
        "bare_per_s": round(bare_peak.per_s, 1),
        "ratio": None if bound else round(peak.per_s / bare_peak.per_s, 3),
        "client_bound": bool(bound),
        "p50_ms_at_peak": round(peak.p50_ms, 2),
        "p99_ms_at_peak": round(peak.p99_ms, 2),
        "half_load_method": (
            f"wrk Lua delay(): {connections} connections, each waiting a random 0.5-1.5 x"
            f" {think:.1f} ms before each request"
        ),
        "half_load_target_per_s": round(target, 1),
        "half_load_per_s": round(half.per_s, 1),
        "p50_ms_at_half_load": round(half.p50_ms, 2),
        "p99_ms_at_half_load": round(half.p99_ms, 2),
        "batch_connections": args.batch_connections,
        "batch_subjects_per_s": round(batched.per_s * BATCH, 1),
        "cpu_cores_at_peak": {"trustledger": peak.cpu(), "bare": bare_peak.cpu()},
        "bare_p50_ms_one_connection": round(probe.p50_ms, 2),
        "nagle_delay_suspected": nagle,
        "uvicorn": settings,
    }


def build_city(url: str, persons: int) -> Any:
    """The demo's synthetic city in a fresh ledger (a new SQLite file, or an empty PostgreSQL
    database): `persons` persons, a tenth as many organizations, a public body per thousand."""
    from trustledger.services.admin import demo

    return demo.build(
        url,
        persons=persons,
        organizations=persons // 10,
        public_bodies=max(persons // 1000, 1),
        seed=1,
        actor="bench",
    )


def serve_has_workers() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "trustledger", "serve", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    return "--workers" in done.stdout


def resolved(settings: dict[str, Any]) -> dict[str, str]:
    """What uvicorn's "auto" loop and http pick in this interpreter (the same for both)."""
    loop, http = settings.get("loop", "auto"), settings.get("http", "auto")
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {"loop": str(loop), "http": str(http)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run (whole seconds)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections at peak")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--batch-connections", type=int, default=4)
    parser.add_argument(
        "--workers-2",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure both servers with --workers 2 (when trustledger serve has it)",
    )
    parser.add_argument("--wrk", default="wrk", help="the wrk binary")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--server", default=POSTGRES, help="PostgreSQL server for --store")
    args = parser.parse_args()

    binary = shutil.which(args.wrk)
    if binary is None:
        say(
            f"{args.wrk}: not found. This benchmark needs the wrk HTTP client, which is faster"
            " than the servers it measures (a Python client is not, and its ratio would say"
            " more about the client than the server). Install it with:\n"
            "    apt-get install wrk        (Debian, Ubuntu)\n"
            "No figures printed."
        )
        sys.exit(2)
    args.wrk = binary
    loadavg = [round(v, 2) for v in os.getloadavg()]

    from trustledger.domain.roles import Role
    from trustledger.services.admin.keys import create_key
    from trustledger.services.context import Ledger

    work = Path(tempfile.mkdtemp(prefix="trustledger-bench-"))
    stack = contextlib.ExitStack()
    try:
        url = stack.enter_context(throwaway(args.store, args.server, prefix="checks"))
        say(f"building a city of {args.persons:,} persons in {url}")
        city = build_city(url, args.persons)
        ledger = Ledger.open(url)
        with ledger.transaction("bench") as ctx:
            key = create_key(ctx, Role.PROVIDER, "bench", actions=[ACTION])[0]
        ledger.close()
        pool = city.persons + city.organizations
        load = Load.of(work, key, pool)

        one = measure(args, url, load, 1)
        workers_2: dict[str, Any] | None = None
        note = None
        if not args.workers_2:
            note = "not measured (--no-workers-2)"
        elif not serve_has_workers():
            note = "trustledger serve has no --workers option (see trustledger serve --help)"
        else:
            try:
                workers_2 = measure(args, url, load, 2)
            except BenchError as exc:
                note = f"failed: {exc}"
        if note:
            say(f"workers=2: {note}")
        print(
            json.dumps(
                {
                    "bench": "checks",
                    "client": "wrk",
                    "wrk_version": wrk_version(binary),
                    "store": args.store,
                    "subjects": len(pool),
                    "rotated_subjects": len(load.subjects),
                    "records": city.record_count,
                    "connections": args.connections,
                    "threads": args.threads,
                    "seconds": args.seconds,
                    **one,
                    **resolved(one["uvicorn"]),
                    "workers_2": workers_2,
                    "workers_2_note": note,
                    "nproc": len(os.sched_getaffinity(0)),
                    "loadavg_before": loadavg,
                }
            ),
            flush=True,
        )
    except BenchError as exc:
        say(f"benchmark failed: {exc}")
        sys.exit(1)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
