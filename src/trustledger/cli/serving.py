"""How `trustledger serve` faces slow and greedy clients: uvicorn's limits from the settings,
a higher open-file limit, and logs that repeat a message at most once a minute."""

from __future__ import annotations

import copy
from typing import Any

from trustledger.config import Settings


def log_config(every: float) -> dict[str, Any]:
    """uvicorn's logging, with `RepeatFilter` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["repeat"] = {
        "()": "trustledger.logs.RepeatFilter",
        "every": every,
    }
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("repeat")
    return config


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`: idle keep-alive connections are closed, at most
    `limit_concurrency` requests and connections at once (503 beyond), headers are bounded."""
    return {
        "timeout_keep_alive": settings.timeout_keep_alive_s,
        "limit_concurrency": settings.limit_concurrency or None,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "backlog": settings.backlog,
        "timeout_graceful_shutdown": settings.timeout_graceful_shutdown_s,
        "log_config": log_config(settings.log_repeat_every_s),
    }


def raise_open_files(wanted: int = 65_536) -> tuple[int, int]:
    """Raise the soft limit on open files towards `wanted` (never above the hard limit), as
    far as the system allows: each connection is a file. Returns (before, after)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return (0, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return (soft, soft)
        return (soft, target)
    return (soft, soft)
