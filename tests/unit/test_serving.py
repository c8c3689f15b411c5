"""The pieces of `trustledger serve` that face slow clients and floods."""

from __future__ import annotations

import logging
import logging.config

from trustledger.cli import serving
from trustledger.config import Settings
from trustledger.logs import RepeatFilter


def record(msg: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, __file__, 1, msg, None, None)


def test_a_repeated_message_passes_once_per_interval_and_says_how_many_were_held() -> None:
    now = [0.0]
    f = RepeatFilter(every=60, clock=lambda: now[0])
    assert f.filter(record("database is away"))
    assert not any(f.filter(record("database is away")) for _ in range(999))
    assert f.filter(record("another message"))  # other messages are not held
    now[0] = 61
    again = record("database is away")
    assert f.filter(again)
    assert "999 more like this in the last 60 s" in again.getMessage()


def test_uvicorn_options_come_from_the_settings() -> None:
    settings = Settings(timeout_keep_alive_s=3, limit_concurrency=50, max_header_bytes=8192)
    options = serving.uvicorn_options(settings)
    assert options["timeout_keep_alive"] == 3
    assert options["limit_concurrency"] == 50
    assert options["h11_max_incomplete_event_size"] == 8192
    logging.config.dictConfig(options["log_config"])  # a valid logging configuration
    handler = logging.getLogger("uvicorn").handlers[0]
    assert any(isinstance(f, RepeatFilter) for f in handler.filters)
    assert serving.uvicorn_options(Settings(limit_concurrency=0))["limit_concurrency"] is None


def test_the_open_file_limit_is_raised_where_allowed() -> None:
    import resource

    before, after = serving.raise_open_files()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert after == soft and after >= before
    assert soft == hard or soft >= min(65_536, hard)
