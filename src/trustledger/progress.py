"""One progress convention for long jobs: a callback, whatever shows it.

A job calls `progress(step, done, total)`: `step` names the stage, `done` of `total` (None while
unknown) are finished. The CLI shows a Rich bar per step; the API and tests pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, step: str, done: int, total: int | None) -> None: ...


def no_progress(step: str, done: int, total: int | None) -> None:
    """The progress of a job nobody watches."""
