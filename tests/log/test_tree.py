"""The transparency log on both stores: proofs verify, checkpoints are signed and consistent,
and every kind of tampering with the stored events is detected by `verify`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.log.conftest import DEBTOR, append, logged, tamper
from trustledger.domain import merkle
from trustledger.domain.checkpoint import open_checkpoint
from trustledger.services.context import Forbidden, Ledger
from trustledger.services.log import tlog
from trustledger.store.tlog import log_leaves, log_queue


def _root(ledger: Ledger, size: int) -> bytes:
    from trustledger.store import tlog as store

    with ledger.engine.connect() as conn:
        return store.root_at(conn, size)


def test_the_tree_holds_every_event_and_its_proofs_verify(ledger: Ledger) -> None:
    append(ledger, 37)
    cp = logged(ledger, tlog.checkpoint)
    opened = open_checkpoint(cp.note, [logged(ledger, tlog.vkey)], origin="trustledger.example/log")
    assert opened.size == cp.tree_size
    assert opened.root.hex() == cp.root_hash
    with ledger.engine.connect() as conn:
        assert conn.execute(select(log_queue)).all() == []
        leaves = conn.execute(select(log_leaves).order_by(log_leaves.c.idx)).all()
    assert [r.idx for r in leaves] == list(range(cp.tree_size))
    # The tree in the database is the reference tree over the leaf hashes.
    reference = merkle.MemoryNodeStore(bytes.fromhex(r.leaf_hash) for r in leaves)
    assert reference.root() == opened.root
    for index in (0, 1, cp.tree_size // 2, cp.tree_size - 1):
        proof = logged(ledger, tlog.proof, index)
        event = json.loads(proof["leaf"])
        assert set(event) == {"id", "at", "actor", "action", "subject", "detail"}
        leaf_hash = merkle.leaf_hash(proof["leaf"].encode())
        assert leaf_hash.hex() == proof["leaf_hash"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert path == reference.inclusion_proof(index)
        assert merkle.verify_inclusion(leaf_hash, index, cp.tree_size, path, opened.root)
    assert logged(ledger, tlog.verify).ok


def test_events_carry_their_log_index_once_integrated(ledger: Ledger) -> None:
    append(ledger, 3)
    with ledger.uow() as uow:
        assert uow.audit.events(subject=DEBTOR)[-1].log_index is None  # still queued
    tlog.integrate(ledger)
    with ledger.uow() as uow:
        found = uow.audit.events(limit=10_000)
    assert [e.log_index for e in found] == list(range(len(found)))


def test_consistency_between_two_checkpoints(ledger: Ledger) -> None:
    append(ledger, 5)
    first = logged(ledger, tlog.checkpoint)
    append(ledger, 20)
    second = logged(ledger, tlog.checkpoint)
    assert second.tree_size == first.tree_size + 20
    key = logged(ledger, tlog.vkey)
    old, new = open_checkpoint(first.note, [key]), open_checkpoint(second.note, [key])
    answer = logged(ledger, tlog.consistency, first.tree_size, second.tree_size)
    proof = [bytes.fromhex(h) for h in answer["proof"]]
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    # Every size in between is consistent too, with roots from the stored nodes.
    for m in range(1, second.tree_size):
        p = [
            bytes.fromhex(h) for h in logged(ledger, tlog.consistency, m, second.tree_size)["proof"]
        ]
        assert merkle.verify_consistency(m, new.size, _root(ledger, m), new.root, p)
    # An old proof asked at an old size still leads to the old checkpoint.
    proof_then = logged(ledger, tlog.proof, 1, first.tree_size)
    assert merkle.verify_inclusion(
        bytes.fromhex(proof_then["leaf_hash"]),
        1,
        old.size,
        [bytes.fromhex(h) for h in proof_then["audit_path"]],
        old.root,
    )


def test_a_subject_proves_only_its_own_events(ledger: Ledger) -> None:
    append(ledger, 1, subject=DEBTOR)
    append(ledger, 1, subject="cn-rid:110105194912310029")
    size = logged(ledger, tlog.checkpoint).tree_size
    assert logged(ledger, tlog.proof, size - 2, subject=DEBTOR)["leaf_index"] == size - 2
    with pytest.raises(Forbidden):
        logged(ledger, tlog.proof, size - 1, subject=DEBTOR)


@pytest.mark.parametrize(
    "statement", ["UPDATE log_leaves SET actor = 'x'", "DELETE FROM log_leaves"]
)
def test_the_database_refuses_changes_to_leaves(ledger: Ledger, statement: str) -> None:
    append(ledger, 2)
    tlog.integrate(ledger)
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(text(statement))


def _problems(ledger: Ledger) -> list[str]:
    result = logged(ledger, tlog.verify)
    assert not result.ok
    return result.problems


def test_an_altered_event_is_detected(ledger: Ledger) -> None:
    append(ledger, 10)
    size = logged(ledger, tlog.checkpoint).tree_size
    tamper(ledger, "UPDATE log_leaves SET actor = 'someone else' WHERE idx = :i", i=size - 4)
    assert any(f"leaf {size - 4}" in p and "altered" in p for p in _problems(ledger))


def test_an_altered_event_with_a_recomputed_leaf_hash_is_detected(ledger: Ledger) -> None:
    append(ledger, 10)
    size = logged(ledger, tlog.checkpoint).tree_size
    with ledger.engine.connect() as conn:
        row = conn.execute(select(log_leaves).where(log_leaves.c.idx == size - 3)).one()
    from trustledger.store.tlog import leaf_bytes

    forged = row._asdict() | {"actor": "someone else"}
    digest = merkle.leaf_hash(leaf_bytes(type("Row", (), forged))).hex()
    tamper(
        ledger,
        "UPDATE log_leaves SET actor = 'someone else', leaf_hash = :h WHERE idx = :i",
        h=digest,
        i=size - 3,
    )
    assert any("do not hash to its root" in p for p in _problems(ledger))


def test_a_deleted_event_is_detected(ledger: Ledger) -> None:
    append(ledger, 10)
    size = logged(ledger, tlog.checkpoint).tree_size
    tamper(ledger, "DELETE FROM log_leaves WHERE idx = :i", i=size - 5)
    assert any(f"leaf {size - 5} is missing" in p for p in _problems(ledger))


def test_reordered_events_are_detected(ledger: Ledger) -> None:
    append(ledger, 10)
    size = logged(ledger, tlog.checkpoint).tree_size
    a, b = size - 6, size - 2
    tamper(
        ledger,
        "UPDATE log_leaves SET idx = -1 WHERE idx = :a",
        "UPDATE log_leaves SET idx = :a WHERE idx = :b",
        "UPDATE log_leaves SET idx = :b WHERE idx = -1",
        a=a,
        b=b,
    )
    assert any("do not hash to its root" in p for p in _problems(ledger))


def test_a_truncated_log_is_detected(ledger: Ledger) -> None:
    append(ledger, 10)
    size = logged(ledger, tlog.checkpoint).tree_size
    tamper(ledger, "DELETE FROM log_leaves WHERE idx >= :i", i=size - 3)
    assert any("truncated" in p for p in _problems(ledger))


def test_a_forged_checkpoint_is_detected(ledger: Ledger) -> None:
    append(ledger, 4)
    size = logged(ledger, tlog.checkpoint).tree_size
    tamper(
        ledger, "UPDATE log_checkpoints SET root_hash = :h WHERE tree_size = :s", h="0" * 64, s=size
    )
    assert any(f"checkpoint {size}" in p for p in _problems(ledger))


def test_the_background_sequencer_integrates_and_signs(ledger: Ledger) -> None:
    import time

    from trustledger.services.log.tlog import Sequencer
    from trustledger.store.tlog import log_checkpoints

    sequencer = Sequencer(ledger, interval=0.05)
    sequencer.start()
    try:
        append(ledger, 5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with ledger.engine.connect() as conn:
                if not conn.execute(select(log_queue)).first():
                    break
            time.sleep(0.05)
    finally:
        sequencer.stop()
    with ledger.engine.connect() as conn:
        assert conn.execute(select(log_queue)).all() == []
        sizes = conn.execute(select(log_checkpoints.c.tree_size)).scalars().all()
        total = conn.execute(select(log_leaves.c.idx)).scalars().all()
    assert max(sizes) == len(total)
