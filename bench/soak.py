"""Soak: minutes of mixed load on PostgreSQL against the real server, watching errors and memory.

Builds a synthetic city in a fresh PostgreSQL database (the demo's services), creates keys
(a provider, an agency, a reviewer, and subject keys for `--subject-keys` persons), and starts
`trustledger serve` in its own process (bench/checks.py's `Server`). Then `--clients` threads,
each with one keep-alive connection, send a mix of requests over loopback for `--seconds`,
paced together to at most `--rate` requests a second (a bounded client: it never opens more
connections or sends faster, however slow the server gets):

- check (50%): GET /v1/checks, one subject of the city;
- batch_check (5%): POST /v1/checks with `--batch` subjects;
- ingest (10%): POST /v1/records, a batch of `--ingest-batch` new records;
- record, dispute, decision (10%, the three in turn): one new record about a subject-key
  holder (POST /v1/records), the subject disputes it (POST /v1/me/disputes), a reviewer
  rejects the dispute (POST /v1/disputes/ID/decision);
- me (25%): GET /v1/me, a subject's access to everything held about it.

Any answer other than 2xx, and any transport error, is an error. The server's resident memory
(VmRSS of its process tree, from /proc) is read after the warm-up (`--warmup`, default a tenth
of the run) and at the end, and sampled every 10 s; throughput and latency percentiles are
counted after the warm-up. At the end, `trustledger log verify` runs on the database.
Prints one JSON line on stdout; progress goes to stderr. Target (issue 14): 0 errors and less
than 10% RSS growth after the warm-up, over the full ten minutes.

    python bench/soak.py [--seconds 600] [--warmup S] [--clients 4] [--rate 100]
                         [--persons 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from checks import BenchError, Server, build_city, free_port, process_tree, say
from ingest import DEFAULT_POSTGRES, _libpq

ACTION = "travel.flight"
KINDS = ("check", "batch_check", "ingest", "record", "dispute", "decision", "me")
SAMPLE_EVERY = 10.0


def rss_kib(root: int) -> int:
    """Resident memory of a process and its descendants, KiB (VmRSS from /proc)."""
    total = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Tally:
    """Latencies and errors per kind, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []
        self.counting = False  # latencies are kept after the warm-up only

    def done(self, kind: str, seconds: float) -> None:
        if self.counting:
            with self.lock:
                self.latency[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {what[:300]}")
                say(f"error: {kind}: {what[:300]}")


class Client(threading.Thread):
    """One keep-alive connection sending the mix, paced to `interval` seconds a request."""

    def __init__(
        self, n: int, base: str, keys: dict[str, Any], pool: list[str], args: Any, tally: Tally
    ) -> None:
        super().__init__(name=f"soak-{n}", daemon=True)
        self.n, self.keys, self.pool, self.args, self.tally = n, keys, pool, args, tally
        self.http = httpx.Client(base_url=base, timeout=60)
        self.rng = random.Random(n)
        self.interval = args.clients / args.rate
        self.stop_at = 0.0
        self.sent = 0
        self.day = (date.today() - timedelta(days=30)).isoformat()

    def call(self, kind: str, method: str, path: str, key: str, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            answer = self.http.request(
                method, path, headers={"Authorization": f"Bearer {key}"}, **kw
            )
        except httpx.HTTPError as exc:
            self.tally.error(kind, f"{type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        if not answer.is_success:
            self.tally.error(kind, f"HTTP {answer.status_code} {method} {path}: {answer.text}")
            return None
        self.tally.done(kind, elapsed)
        return answer.json()

    def record(self, subject: str) -> dict[str, Any]:
        self.sent += 1
        return {
            "subject": subject,
            "type": "court.dishonest_debtor",
            "reference": f"(soak){self.n}-{self.sent}",
            "decided_on": self.day,
            "amount": "1000.00",
        }

    def one(self) -> None:
        keys, rng, pool = self.keys, self.rng, self.pool
        roll = rng.random()
        if roll < 0.50:
            params = {"subject": rng.choice(pool), "action": ACTION}
            self.call("check", "GET", "/v1/checks", keys["provider"], params=params)
        elif roll < 0.55:
            body = {"action": ACTION, "subjects": rng.sample(pool, self.args.batch)}
            self.call("batch_check", "POST", "/v1/checks", keys["provider"], json=body)
        elif roll < 0.65:
            records = [self.record(rng.choice(pool)) for _ in range(self.args.ingest_batch)]
            body = {"records": records}
            self.call("ingest", "POST", "/v1/records", keys["agency"], json=body)
        elif roll < 0.75:
            subject, key = rng.choice(keys["subjects"])
            made = self.call(
                "record", "POST", "/v1/records", keys["agency"], json=self.record(subject)
            )
            if not made:
                return
            grounds = {"record": made["results"][0]["id"], "grounds": "Paid in full (soak)."}
            filed = self.call("dispute", "POST", "/v1/me/disputes", key, json=grounds)
            if not filed:
                return
            decision = {"outcome": "rejected", "reason": "The court confirms the debt (soak)."}
            path = f"/v1/disputes/{filed['id']}/decision"
            self.call("decision", "POST", path, keys["reviewer"], json=decision)
        else:
            _, key = rng.choice(keys["subjects"])
            self.call("me", "GET", "/v1/me", key)

    def run(self) -> None:
        following = time.monotonic() + self.rng.random() * self.interval
        with self.http:
            while True:
                now = time.monotonic()
                if now >= self.stop_at:
                    return
                if following > now:
                    time.sleep(following - now)
                following = max(following + self.interval, now)  # late: no burst to catch up
                self.one()


def make_keys(url: str, city: Any, count: int) -> dict[str, Any]:
    from trustledger.domain.roles import Role
    from trustledger.services.admin.keys import create_key
    from trustledger.services.context import Ledger

    ledger = Ledger.open(url)
    try:
        with ledger.transaction("bench") as ctx:
            made: dict[str, Any] = {
                "provider": create_key(ctx, Role.PROVIDER, "soak airline", actions=[ACTION])[0],
                "agency": create_key(ctx, Role.AGENCY, "soak court", source="city-court")[0],
                "reviewer": create_key(ctx, Role.REVIEWER, "soak reviewer")[0],
            }
            made["subjects"] = [
                (p, create_key(ctx, Role.SUBJECT, f"soak {i}", subject=p)[0])
                for i, p in enumerate(city.persons[:count])
            ]
    finally:
        ledger.close()
    return made


def log_verified(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "trustledger", "log", "verify", "--db", url, "--json"],
        capture_output=True,
        text=True,
    )
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return {"ok": False, "problems": [done.stderr[-500:]]}
    return {k: result[k] for k in ("ok", "leaves", "checkpoints") if k in result}


def soak(args: argparse.Namespace, url: str, work: Path) -> dict[str, Any]:
    say(f"building a city of {args.persons:,} persons in a fresh PostgreSQL database")
    city = build_city(url, args.persons)
    keys = make_keys(url, city, args.subject_keys)
    pool = city.persons + city.organizations
    port = free_port()
    # The client is bounded by --rate; the per-key limit (200/s) is not what is measured.
    env = {**os.environ, "TRUSTLEDGER_RATE_PER_KEY": "0"}
    argv = ["-m", "trustledger", "serve", "--db", url, "--port", str(port)]
    server = Server("trustledger serve", argv, work / "serve.log", port, env)
    try:
        server.wait_ready()
        pid = server.process.pid
        tally = Tally()
        clients = [Client(n, server.base, keys, pool, args, tally) for n in range(args.clients)]
        started = time.monotonic()
        for c in clients:
            c.stop_at = started + args.seconds
            c.start()
        say(f"{args.clients} clients, at most {args.rate}/s, for {args.seconds} s")
        samples: list[tuple[float, int]] = [(0.0, rss_kib(pid))]
        warm_rss: int | None = None
        measured_from = started
        while any(c.is_alive() for c in clients):
            time.sleep(0.5)
            elapsed = time.monotonic() - started
            if warm_rss is None and elapsed >= args.warmup:
                warm_rss, measured_from, tally.counting = rss_kib(pid), time.monotonic(), True
                samples.append((elapsed, warm_rss))
                say(f"warm-up over at {elapsed:.0f} s: RSS {warm_rss / 1024:.1f} MiB")
            elif elapsed - samples[-1][0] >= SAMPLE_EVERY and elapsed < args.seconds:
                samples.append((elapsed, rss_kib(pid)))
                say(f"{elapsed:.0f} s: RSS {samples[-1][1] / 1024:.1f} MiB")
        for c in clients:
            c.join()
        measured = time.monotonic() - measured_from
        end_rss = rss_kib(pid)
        samples.append((time.monotonic() - started, end_rss))
        if server.process.poll() is not None:
            raise BenchError(f"the server exited with {server.process.returncode}")
    finally:
        server.stop()
    say("verifying the log")
    warm = warm_rss or samples[0][1]
    every = [lat for kind in KINDS for lat in tally.latency[kind]]
    return {
        "bench": "soak",
        "store": "postgresql",
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "measured_seconds": round(measured, 1),
        "clients": args.clients,
        "rate_limit_per_s": args.rate,
        "subjects": len(pool),
        "records_at_start": city.record_count,
        "requests": len(every),
        "requests_per_s": round(len(every) / measured, 1),
        "per_s": {k: round(len(tally.latency[k]) / measured, 2) for k in KINDS},
        "p50_ms": {k: _ms(percentile(tally.latency[k], 0.50)) for k in KINDS},
        "p99_ms": {k: _ms(percentile(tally.latency[k], 0.99)) for k in KINDS},
        "p99_ms_all": _ms(percentile(every, 0.99)),
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "error_examples": tally.examples,
        "rss_mib_start": round(samples[0][1] / 1024, 1),
        "rss_mib_after_warmup": round(warm / 1024, 1),
        "rss_mib_end": round(end_rss / 1024, 1),
        "rss_mib_max": round(max(kib for _, kib in samples) / 1024, 1),
        "rss_growth_after_warmup": round(end_rss / warm - 1, 4),
        "rss_mib_samples": [[round(t), round(kib / 1024, 1)] for t, kib in samples],
        "log_verify": log_verified(url),
        "nproc": len(os.sched_getaffinity(0)),
        "loadavg_before": args.loadavg,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--warmup", type=int, help="seconds (default: a tenth of --seconds)")
    parser.add_argument("--clients", type=int, default=4, help="connections (client threads)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second, at most")
    parser.add_argument("--persons", type=int, default=5_000)
    parser.add_argument("--subject-keys", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100, help="subjects per batch check")
    parser.add_argument("--ingest-batch", type=int, default=50, help="records per ingest")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="server URL (TRUSTLEDGER_TEST_POSTGRES)"
    )
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = max(1, args.seconds // 10)
    args.loadavg = [round(v, 2) for v in os.getloadavg()]

    import psycopg
    from sqlalchemy.engine import make_url

    try:
        admin = psycopg.connect(_libpq(args.postgres), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        say(f"PostgreSQL at {args.postgres} is unreachable: {exc}")
        sys.exit(2)
    name = f"trustledger_soak_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="trustledger-soak-"))
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        print(json.dumps(soak(args, url, work)), flush=True)
    except BenchError as exc:
        say(f"soak failed: {exc}")
        sys.exit(1)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
