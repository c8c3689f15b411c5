"""Joint checks over loopback: trustledger's server against a bare Starlette endpoint.

Builds a synthetic city in a temporary SQLite ledger, starts `trustledger serve`, and drives
it with a bounded async client for a fixed time: single checks at peak, then at half of that
rate for latency, then batch checks. The same client and server settings then drive a bare
Starlette app that returns a constant JSON body. Prints one JSON line.

    python bench/checks.py [--persons 20000] [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def bare_app():  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    body = {"decision": "allow", "measures": []}

    async def constant(_request):  # type: ignore[no-untyped-def]
        return JSONResponse(body)

    return Starlette(routes=[Route("/v1/checks", constant), Route("/healthz", constant)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL)


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


async def closed_loop(
    base: str, headers: dict[str, str], subjects: list[str], seconds: float, concurrency: int
) -> tuple[int, list[float]]:
    """As fast as `concurrency` workers go: the peak throughput."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                params = {"subject": rng.choice(subjects), "action": "travel.flight"}
                t = time.perf_counter()
                r = await client.get("/v1/checks", params=params)
                latencies.append(time.perf_counter() - t)
                r.raise_for_status()

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), latencies


async def open_loop(
    base: str,
    headers: dict[str, str],
    subjects: list[str],
    seconds: float,
    rate: float,
    concurrency: int,
) -> list[float]:
    """Requests sent at a fixed rate whatever the answers do: latency at a given load."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency * 4, max_keepalive_connections=concurrency)
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def one(subject: str) -> None:
            t = time.perf_counter()
            r = await client.get(
                "/v1/checks", params={"subject": subject, "action": "travel.flight"}
            )
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(rng.choice(subjects))))
        await asyncio.gather(*tasks)
    return latencies


async def batches(base: str, headers: dict[str, str], subjects: list[str], seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def worker(seed: int) -> None:
            nonlocal done
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                chunk = rng.sample(subjects, 1000)
                r = await client.post(
                    "/v1/checks", json={"action": "travel.flight", "subjects": chunk}
                )
                r.raise_for_status()
                done += len(r.json()["results"])

        await asyncio.gather(*(worker(i) for i in range(2)))
    return done / (time.perf_counter() - start)


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(
            bare_app(),
            host="127.0.0.1",
            port=args.serve_bare,
            log_level="warning",
            access_log=False,
        )
        return

    from trustledger.domain.roles import Role
    from trustledger.services import demo
    from trustledger.services.keys import create_key
    from trustledger.services.ledger import Ledger

    workdir = Path(tempfile.mkdtemp(prefix="trustledger-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    city = demo.build(
        url,
        persons=args.persons,
        organizations=args.persons // 10,
        public_bodies=max(args.persons // 1000, 1),
        seed=1,
    )
    ledger = Ledger.open(url)
    key = create_key(ledger, Role.PROVIDER, "bench", actions=["travel.flight"])[0]
    ledger.close()
    subjects = city.persons + city.organizations
    headers = {"Authorization": f"Bearer {key}"}

    port = free_port()
    server = start(["-m", "trustledger", "serve", "--db", url, "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        asyncio.run(closed_loop(base, headers, subjects, 2, args.concurrency))  # warm up
        count, _ = asyncio.run(closed_loop(base, headers, subjects, args.seconds, args.concurrency))
        peak = count / args.seconds
        half = asyncio.run(
            open_loop(base, headers, subjects, args.seconds, peak / 2, args.concurrency)
        )
        batch_rate = asyncio.run(batches(base, headers, subjects, args.seconds))
    finally:
        server.terminate()
        server.wait()

    bare_port = free_port()
    bare = start([__file__, "--serve-bare", str(bare_port)])
    bare_base = f"http://127.0.0.1:{bare_port}"
    try:
        wait_ready(bare_base)
        asyncio.run(closed_loop(bare_base, headers, subjects, 2, args.concurrency))
        bare_count, _ = asyncio.run(
            closed_loop(bare_base, headers, subjects, args.seconds, args.concurrency)
        )
    finally:
        bare.terminate()
        bare.wait()
    bare_peak = bare_count / args.seconds

    print(
        json.dumps(
            {
                "bench": "checks",
                "store": "sqlite",
                "subjects": len(subjects),
                "records": city.record_count,
                "concurrency": args.concurrency,
                "checks_per_s": round(peak, 1),
                "bare_per_s": round(bare_peak, 1),
                "ratio": round(peak / bare_peak, 3),
                "half_load_per_s": round(peak / 2, 1),
                "p50_ms_at_half_load": round(quantile(half, 0.50) * 1000, 2),
                "p99_ms_at_half_load": round(quantile(half, 0.99) * 1000, 2),
                "batch_subjects_per_s": round(batch_rate, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
