"""The transparency log: how fast the sequencer integrates, and how fast a proof is served.

In a temporary ledger (SQLite, or a throwaway PostgreSQL database with `--store postgresql`):

1. queues `--events` check events as the API's group commit does (10,000 per transaction);
2. integrates them with the sequencer (`services.log.tlog.integrate`: leaves, tree nodes,
   queue deletions, one signed checkpoint per batch of 10,000), timed: events/s;
3. the bare baseline, in the same run and the same database: read the same queued rows,
   SHA-256 each event's canonical bytes, and executemany one (index, hash) row per event into
   a bare table, 10,000 per transaction: the least any tree over these events must do;
4. serves `--proofs` inclusion proofs of random leaves against the latest checkpoint, each in
   its own transaction as `GET /v1/log/proof` does, and as many consistency proofs: p50/p99 ms.

Prints one JSON line on stdout; progress goes to stderr.

    python bench/tlog.py [--events 200000] [--store sqlite|postgresql] [--proofs 1000]
                         [--server postgresql://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from databases import POSTGRES, throwaway

BATCH = 10_000


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def events(n: int, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Check events as a provider's checks write them, in batches."""
    for start in range(0, n, BATCH):
        yield [
            {
                "actor": "provider:k1 airline",
                "action": "check",
                "subject": f"cn-rid:{rng.randrange(10**17):017d}X",
                "detail": {"action": "travel.flight", "as_of": "2026-12-01", "decision": "allow"},
            }
            for _ in range(min(BATCH, n - start))
        ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--server", default=POSTGRES)
    parser.add_argument("--proofs", type=int, default=1_000)
    args = parser.parse_args()
    loadavg = [round(v, 2) for v in os.getloadavg()]

    from trustledger.services.admin import rulebooks
    from trustledger.services.context import Ledger
    from trustledger.services.log import tlog
    from trustledger.store import tlog as log_store
    from trustledger.store.audit import queue_rows

    rng = random.Random(2026)
    with throwaway(args.store, args.server, prefix="tlog") as url:
        ledger = Ledger.open(url)
        rulebooks.init(ledger, actor="bench")
        tlog.integrate(ledger)
        engine = ledger.engine

        say(f"queueing {args.events:,} events")
        started = time.perf_counter()
        for batch in events(args.events, rng):
            with engine.begin() as conn:
                log_store.queue(conn, queue_rows(batch))
        queued_s = time.perf_counter() - started

        # The bare baseline first, over the same queued rows (the sequencer deletes them), in
        # the driver's own terms: no SQLAlchemy, no tree.
        say("bare: read, hash, insert (index, hash)")
        raw = engine.raw_connection()
        p = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        cursor = raw.cursor()
        cursor.execute("CREATE TABLE bare_leaves (idx BIGINT PRIMARY KEY, hash TEXT)")
        raw.commit()
        started = time.perf_counter()
        last, index = 0, 0
        while True:
            cursor.execute(
                "SELECT id, at, actor, action, subject, detail FROM log_queue"
                f" WHERE id > {p} ORDER BY id LIMIT {p}",
                (last, BATCH),
            )
            rows = cursor.fetchall()
            if not rows:
                break
            out = []
            for row in rows:
                leaf = json.dumps(
                    [row[0], str(row[1]), row[2], row[3], row[4], row[5]],
                    separators=(",", ":"),
                    ensure_ascii=False,
                ).encode()
                out.append((index, hashlib.sha256(b"\0" + leaf).hexdigest()))
                index += 1
            cursor.executemany(f"INSERT INTO bare_leaves VALUES ({p}, {p})", out)
            raw.commit()
            last = rows[-1][0]
        bare_s = time.perf_counter() - started
        raw.close()

        say("integrating")
        started = time.perf_counter()
        integrated = tlog.integrate(ledger)
        integrate_s = time.perf_counter() - started
        if integrated != args.events:
            raise SystemExit(f"integrated {integrated} events, queued {args.events}")

        say(f"{args.proofs} inclusion and consistency proofs")
        inclusion, consistency = [], []
        for _ in range(args.proofs):
            i = rng.randrange(args.events)
            started = time.perf_counter()
            with ledger.transaction("auditor:bench") as ctx:
                tlog.proof(ctx, i)
            inclusion.append((time.perf_counter() - started) * 1000)
            first = rng.randrange(1, args.events)
            started = time.perf_counter()
            with ledger.transaction("public:bench") as ctx:
                tlog.consistency(ctx, first, ctx.uow.log.size())
            consistency.append((time.perf_counter() - started) * 1000)
        ledger.close()

    print(
        json.dumps(
            {
                "bench": "tlog",
                "store": args.store,
                "events": args.events,
                "queue_events_per_s": round(args.events / queued_s),
                "integrate_events_per_s": round(args.events / integrate_s),
                "bare_events_per_s": round(args.events / bare_s),
                "ratio": round(bare_s / integrate_s, 3),
                "proof_ms": {
                    "p50": round(statistics.median(inclusion), 2),
                    "p99": round(percentile(inclusion, 0.99), 2),
                },
                "consistency_ms": {
                    "p50": round(statistics.median(consistency), 2),
                    "p99": round(percentile(consistency, 0.99), 2),
                },
                "loadavg_before": loadavg,
                "nproc": len(os.sched_getaffinity(0)),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
