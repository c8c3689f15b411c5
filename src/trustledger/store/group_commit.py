"""Group commit for the events of read answers: many requests' events, one transaction.

Every check is a logged read, and its answer must not leave before its event is committed.
Committing each request's events in a transaction of its own costs one fsync (SQLite's WAL
at `synchronous=FULL`, PostgreSQL's WAL flush) and one turn on the database's write lock per
check, and under load requests queue for both. Here a request hands its events to one writer
thread per process and waits; the writer takes everything handed over meanwhile and queues it
in one transaction (one INSERT, one commit), then releases every waiter. So a request is still
answered only after its events are durable, but many requests share one commit, as
PostgreSQL's own group commit shares one WAL flush.

Only events with nothing else to commit come here (a snapshot unit of work's: a read answer).
An event that records a change is queued in the change's own transaction, so that both commit
or neither does (`store.audit`).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine

from trustledger.store import tlog

# At most this many events in one transaction: a burst is split into several commits.
MAX_EVENTS = 5_000


class GroupCommit:
    """The writer thread of one engine (one per process: started at the first commit)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[list[dict[str, Any]], Future[None]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def commit(self, rows: list[dict[str, Any]]) -> None:
        """Queue `rows` (log queue rows: at, actor, action, subject, detail) and return once
        they are committed; raise what the commit raised if it failed (nothing is then
        logged, and the caller must not answer)."""
        if not rows:
            return
        done: Future[None] = Future()
        self._start()
        self._queue.put((rows, done))
        done.result()

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="log-group-commit", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Stop the writer once it has written what was handed to it (the store is closing);
        a later commit starts a new one."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            waiting, count, stopping = [first], len(first[0]), False
            while count < MAX_EVENTS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                waiting.append(item)
                count += len(item[0])
            self._write(waiting)
            if stopping:
                return

    def _write(self, waiting: list[tuple[list[dict[str, Any]], Future[None]]]) -> None:
        rows = [row for batch, _ in waiting for row in batch]
        try:
            with self.engine.begin() as conn:
                tlog.queue(conn, rows)
        except BaseException as exc:  # every waiter hears it; the thread keeps serving
            for _, done in waiting:
                done.set_exception(exc)
            return
        for _, done in waiting:
            done.set_result(None)
