"""Rate limits: a token bucket per API key and one per address (for callers without a key, and
for failed authentications), in memory, per process. Beyond them: 429 with Retry-After.

Failed authentications are counted in /metrics (`trustledger_auth_failures_total`) and written
to the audit log as `auth.failed`, at most once per address per `auth_log_every_s` with the
number of failures since, so a flood of bad keys does not flood the log.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request
from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from trustledger.api.limits import send_problem
from trustledger.services.admin.keys import log_failed_authentication
from trustledger.services.context import Ledger


class Buckets:
    """Token buckets by name: `rate` tokens a second up to `burst`; 0 means no limit."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        most: int = 100_000,
    ) -> None:
        self.rate, self.burst, self.clock, self.most = rate, burst, clock, most
        self._held: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, name: str) -> float:
        """Take one token: 0.0 if granted, else the seconds until one is there."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, then = self._held.pop(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._held[name] = (tokens, now)
            while len(self._held) > self.most:  # bounded memory: forget the least recent
                self._held.popitem(last=False)
            return wait


def too_many(wait: float, who: str) -> HTTPException:
    return HTTPException(
        429,
        f"too many requests from this {who}: try again in {math.ceil(wait)} s",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


@dataclass
class Quotas:
    keys: Buckets
    addresses: Buckets
    failures: Counter
    log_every: float
    _logged: dict[str, tuple[float, int]]
    _lock: threading.Lock

    @classmethod
    def from_settings(cls, ledger: Ledger, registry: CollectorRegistry) -> Quotas:
        s = ledger.settings
        return cls(
            keys=Buckets(s.rate_per_key, s.burst_per_key),
            addresses=Buckets(s.rate_per_address, s.burst_per_address),
            failures=Counter(
                "trustledger_auth_failures", "Failed authentications", registry=registry
            ),
            log_every=s.auth_log_every_s,
            _logged={},
            _lock=threading.Lock(),
        )

    def key(self, key_id: str) -> None:
        wait = self.keys.take(key_id)
        if wait:
            raise too_many(wait, "key")

    def address(self, request: Request) -> None:
        wait = self.addresses.take(address(request))
        if wait:
            raise too_many(wait, "address")

    def failed(self, request: Request, ledger: Ledger, presented: str) -> None:
        """Count a failed authentication; log it, at most once per address per interval."""
        self.failures.inc()
        where = address(request)
        now = time.monotonic()
        with self._lock:
            last, held = self._logged.get(where, (-math.inf, 0))
            if now - last < self.log_every:
                self._logged[where] = (last, held + 1)
                return
            self._logged[where] = (now, 0)
            if len(self._logged) > 100_000:
                self._logged.clear()
        key_id = presented.split("_")[1] if presented.count("_") >= 2 else None
        log_failed_authentication(ledger, f"public:{where}", key_id, held + 1)


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# Operations endpoints are never limited: a monitor must always get through.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


class AddressLimit:
    """The per-address bucket for requests without a key (checked before anything else;
    requests with a key are limited per key once it is authenticated)."""

    def __init__(self, app: ASGIApp, quotas: Quotas) -> None:
        self.app = app
        self.quotas = quotas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] not in UNLIMITED
            and not any(name == b"authorization" for name, _ in scope["headers"])
        ):
            client = scope.get("client")
            wait = self.quotas.addresses.take(client[0] if client else "unknown")
            if wait:
                seconds = str(max(1, math.ceil(wait))).encode()
                detail = str(too_many(wait, "address").detail)
                await send_problem(
                    send, 429, "Too Many Requests", detail, extra=[(b"retry-after", seconds)]
                )
                return
        await self.app(scope, receive, send)
