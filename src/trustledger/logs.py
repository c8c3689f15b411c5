"""Logging that a flood cannot flood: the same message passes once per interval.

`RepeatFilter` lets a record through the first time its (logger, level, message template)
is seen and then at most once per `every` seconds; the next one that passes says how many
were held back. Install it on handlers (see `trustledger.cli.serving.log_config`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RepeatFilter(logging.Filter):
    def __init__(
        self, every: float = 60.0, clock: Callable[[], float] = time.monotonic, name: str = ""
    ) -> None:
        super().__init__(name)
        self.every = every
        self.clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.every:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        held = last[1] if last is not None else 0
        if len(self._seen) > 10_000:  # bounded: distinct messages are not a memory leak
            self._seen.clear()
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like this in the last {self.every:g} s)"
        return True
