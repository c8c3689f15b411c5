"""The transparency log: integrate the queue (a job on the ledger, each batch its own
transaction), then read checkpoints and proofs and verify the tree in a context.

Entry points whose answer must reflect every event logged before it (the checkpoint, proofs,
`log verify`) call `integrate(ledger)` first, then open their context: so an answer never lags
what was written before the request. See docs/transparency-log.md.
"""

from __future__ import annotations

import threading
from typing import Any

from trustledger.domain import merkle
from trustledger.domain.checkpoint import NoteError, open_checkpoint
from trustledger.services.context import Context, Forbidden, Ledger, NotFound
from trustledger.services.log import witness
from trustledger.store.tlog import LogVerification, StoredCheckpoint


def integrate(ledger: Ledger, max_batch: int = 10_000) -> int:
    """Integrate everything queued now, in batches, each batch its own transaction. Concurrent
    callers (several server processes) take turns on the sequencer's lock; indexes stay
    gapless."""
    total = 0
    while True:
        with ledger.uow() as uow:  # a read first, so an idle sequencer takes no lock
            if not uow.log.pending():
                return total
        with ledger.uow() as uow:
            done = uow.log.integrate(ledger.settings.log_signer_key, max_batch)
            uow.commit()
        witness.record(ledger.settings.witness, done.signed)  # only once committed
        total += done.count
        if done.count < max_batch:
            return total


def checkpoint(ctx: Context) -> StoredCheckpoint:
    found = ctx.uow.log.latest_checkpoint()
    if found is None:  # integrate signs one even for the empty tree
        raise NotFound("the log has no checkpoint yet: run `trustledger init`")
    return found


def vkey(ctx: Context) -> str:
    return ctx.uow.log.verifier_key(ctx.settings.log_signer_key)


def proof(
    ctx: Context, index: int, size: int | None = None, subject: str | None = None
) -> dict[str, Any]:
    """An inclusion proof for leaf `index` in the tree of `size` (default: the latest
    checkpoint's). With `subject`, only a leaf about that subject is shown (Forbidden
    otherwise, so a subject learns nothing about others' events)."""
    latest = checkpoint(ctx)
    size = latest.tree_size if size is None else size
    log = ctx.uow.log
    have = log.size()
    if size > have or size < 1:
        raise NotFound(f"no tree of size {size}: the log has {have} leaves")
    found = log.leaf(index) if index < size else None
    if found is None:
        raise NotFound(f"no leaf {index} in the tree of size {size}")
    if subject is not None and found.subject != subject:
        raise Forbidden(f"leaf {index} is not about {subject}")
    path = log.inclusion_proof(index, size)
    return {
        "leaf_index": index,
        "tree_size": size,
        "leaf": found.leaf,
        "leaf_hash": found.leaf_hash,
        "audit_path": [h.hex() for h in path],
    }


def saved_proof(ctx: Context, index: int) -> dict[str, Any]:
    """A proof against the latest checkpoint, with that checkpoint's signed note: everything
    `log verify-proof` needs offline besides the key."""
    latest = checkpoint(ctx)
    found = proof(ctx, index, latest.tree_size)
    return {**found, "note": latest.note}


def consistency(ctx: Context, first: int, second: int) -> dict[str, Any]:
    size = ctx.uow.log.size()
    if not 0 <= first <= second <= size:
        raise NotFound(f"need 0 <= first <= second <= {size} (the log's size)")
    path = ctx.uow.log.consistency_proof(first, second)
    return {"first": first, "second": second, "proof": [h.hex() for h in path]}


def verify(ctx: Context) -> LogVerification:
    """The tree rebuilt from the leaves against every signed checkpoint: the database's, and
    the witness's when one is set (a checkpoint it holds that the database lost or changed is
    a problem)."""
    path = ctx.settings.witness
    witnessed = witness.read(path) if path is not None else None
    return ctx.uow.log.verify(vkey(ctx), witnessed)


def verify_saved_proof(saved: dict[str, Any], note: str, vkey: str) -> tuple[bool, str]:
    """Check a saved proof offline: the note's signature, then the inclusion in its tree.

    `saved` is what `GET /v1/log/proof` answered; `note` a signed checkpoint of the same size."""
    try:
        cp = open_checkpoint(note, [vkey])
    except NoteError as e:
        return False, f"the checkpoint does not verify: {e}"
    if cp.size != saved["tree_size"]:
        return False, f"the checkpoint is for size {cp.size}, the proof for {saved['tree_size']}"
    leaf_hash = merkle.leaf_hash(saved["leaf"].encode("utf-8"))
    if leaf_hash.hex() != saved["leaf_hash"]:
        return False, "the leaf does not hash to leaf_hash"
    try:
        path = [bytes.fromhex(h) for h in saved["audit_path"]]
    except ValueError:
        return False, "the audit path is not hex"
    if not merkle.verify_inclusion(leaf_hash, saved["leaf_index"], cp.size, path, cp.root):
        return False, "the audit path does not lead to the checkpoint's root"
    return True, f"leaf {saved['leaf_index']} is in {cp.origin} at size {cp.size}"


class Sequencer:
    """Integrates the queue every `interval` seconds from a daemon thread (the server's). Safe
    to run in every server process: sequencers take turns on the log's lock.

    It integrates `batch` events per transaction (each transaction holds the log's lock, and
    on SQLite the database's only write lock, which the requests' log writes wait for): small
    enough that a check never waits long behind it, large enough to keep up with the load."""

    def __init__(self, ledger: Ledger, interval: float = 0.2, batch: int = 1_000) -> None:
        self.ledger = ledger
        self.interval = interval
        self.batch = batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tlog-sequencer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                integrate(self.ledger, self.batch)
            except Exception:  # keep sequencing: the next round retries
                continue
