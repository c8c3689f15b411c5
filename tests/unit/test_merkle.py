"""The RFC 6962 tree: published vectors, the RFC 9162 verifiers, and the node-store layout."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.strategies import PROPERTY
from trustledger.domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryNodeStore,
    Node,
    consistency_proof,
    consistency_proof_at,
    consistency_ranges,
    frontier_nodes,
    inclusion_proof,
    inclusion_proof_at,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    proof_nodes,
    root,
    root_at,
    root_nodes,
    subtree_hash,
    subtree_nodes,
    verify_consistency,
    verify_inclusion,
)

# The 8-leaf tree of the RFC 6962 reference tests, as transparency-dev/merkle (proof/
# verify_test.go) and Certificate Transparency's implementations publish it.
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
HASHES = [leaf_hash(d) for d in LEAVES]
# ROOTS[n - 1] is the root of the tree of the first n leaves.
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (leaf index, tree size, audit path); the published vectors count leaves from 1.
INCLUSION_VECTORS = [
    (
        0,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (0, 1, []),
]

CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _flip(proof: list[bytes], i: int, bit: int = 8) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ bit]) + out[i][1:]
    return out


def _recording(
    store: MemoryNodeStore,
) -> tuple[Callable[[int, int], bytes], list[tuple[int, int]]]:
    reads: list[tuple[int, int]] = []

    def node(level: int, index: int) -> bytes:
        reads.append((level, index))
        return store.node(level, index)

    return node, reads


# --- hashing and published vectors ------------------------------------------------------------


def test_hashes_are_domain_separated() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == root([])
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_published_roots(size: int) -> None:
    assert root(HASHES[:size]) == ROOTS[size - 1]
    assert MemoryNodeStore(HASHES).root(size) == ROOTS[size - 1]
    cr = CompactRange()
    cr.extend(HASHES[:size])
    assert cr.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(index: int, size: int, path: list[bytes]) -> None:
    assert inclusion_proof(HASHES, index, size) == path
    assert MemoryNodeStore(HASHES).inclusion_proof(index, size) == path
    assert verify_inclusion(HASHES[index], index, size, path, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(first: int, second: int, path: list[bytes]) -> None:
    assert consistency_proof(HASHES, first, second) == path
    assert MemoryNodeStore(HASHES).consistency_proof(first, second) == path
    assert verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], path)


# The corruptions transparency-dev/merkle checks its verifier against, on the same vectors.
@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS[:4])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[bytes]) -> None:
    good_root, leaf = ROOTS[size - 1], HASHES[index]
    probes = [
        (leaf, index - 1, size, path, good_root),
        (leaf, index + 1, size, path, good_root),
        (leaf, index ^ 2, size, path, good_root),
        (leaf, index, size * 2, path, good_root),
        (leaf, index, size // 2, path, good_root),
        (b"WrongLeaf", index, size, path, good_root),
        (leaf, index, size, path, EMPTY_ROOT),
        (leaf, index, size, path, SOME_HASH),
        (leaf, index, size, [*path, b""], good_root),
        (leaf, index, size, [*path, good_root], good_root),
        (leaf, index, size, [b"", *path], good_root),
        (leaf, index, size, [good_root, *path], good_root),
        (leaf, index, size, path[:-1], good_root),
        (leaf, index, size, [path[0], SOME_HASH, *path[1:]], good_root),
    ]
    probes += [(leaf, index, size, _flip(path, i), good_root) for i in range(len(path))]
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_proofs_fail(first: int, second: int, path: list[bytes]) -> None:
    r1, r2 = ROOTS[first - 1], ROOTS[second - 1]
    probes = [
        (first - 1, second, r1, r2, path),
        (first + 1, second, r1, r2, path),
        (first ^ 2, second, r1, r2, path),
        (first, second * 2, r1, r2, path),
        (first, second // 2, r1, r2, path),
        (first, second, b"WrongRoot", r2, path),
        (first, second, r1, b"WrongRoot", path),
        (first, second, r2, r1, path),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*path, b""]),
        (first, second, r1, r2, [*path, r1]),
        (first, second, r1, r2, [*path, r2]),
        (first, second, r1, r2, [b"", *path]),
        (first, second, r1, r2, [r1, *path]),
        (first, second, r1, r2, [r2, *path]),
        (first, second, r1, r2, [path[0], *path]),
        (first, second, r1, r2, path[:-1]),
    ]
    probes += [(first, second, r1, r2, _flip(path, i, 16)) for i in range(len(path))]
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_single_entry_tree() -> None:
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 1), (1, 1)])
def test_inclusion_outside_the_tree_is_false(index: int, size: int) -> None:
    for leaf, r in [(SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT), (b"", b"")]:
        assert not verify_inclusion(leaf, index, size, [], r)


def test_consistency_edge_cases() -> None:
    a, b = ROOTS[0], ROOTS[1]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])  # every tree extends the empty one
    assert verify_consistency(1, 1, a, a, [])
    assert not verify_consistency(0, 0, a, a, [])  # a size-0 tree has exactly one root
    assert not verify_consistency(0, 5, a, ROOTS[4], [])
    assert not verify_consistency(1, 1, a, b, [])
    assert not verify_consistency(1, 0, a, b, [])  # time travel
    assert not verify_consistency(2, 1, b, a, [])
    assert not verify_consistency(-1, 1, a, a, [])
    assert not verify_consistency(1, 2, a, b, [])  # proof missing
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, a, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, a, a, [EMPTY_ROOT])


def test_generators_reject_impossible_arguments() -> None:
    for index, size in [(0, 0), (3, 3), (-1, 2), (0, 9)]:
        with pytest.raises(ValueError):
            inclusion_proof(HASHES, index, size)
    for first, second in [(3, 2), (-1, 2), (2, 9)]:
        with pytest.raises(ValueError):
            consistency_proof(HASHES, first, second)
    for index, size in [(0, 0), (3, 3), (-1, 2)]:
        with pytest.raises(ValueError):
            inclusion_ranges(index, size)
    with pytest.raises(ValueError):
        consistency_ranges(3, 2)
    with pytest.raises(ValueError, match="exceeds"):
        MemoryNodeStore(HASHES[:3]).root(4)


# --- exhaustive small trees ---------------------------------------------------------------------


def test_every_proof_of_every_small_tree() -> None:
    """All (index, size) and (first, second) up to 33 leaves: generated, stored, verified."""
    hashes = [leaf_hash(i.to_bytes(2, "big")) for i in range(33)]
    store = MemoryNodeStore(hashes)
    roots = [root(hashes[:n]) for n in range(34)]
    for n in range(34):
        assert store.root(n) == roots[n]
        for i in range(n):
            proof = inclusion_proof(hashes, i, n)
            assert store.inclusion_proof(i, n) == proof
            assert verify_inclusion(hashes[i], i, n, proof, roots[n])
        for m in range(n + 1):
            proof = consistency_proof(hashes, m, n)
            assert store.consistency_proof(m, n) == proof
            assert verify_consistency(m, n, roots[m], roots[n], proof)


# --- properties ---------------------------------------------------------------------------------

# Leaves may repeat: every valid proof must still verify.
any_leaves = st.lists(st.binary(max_size=3), min_size=1, max_size=80).map(
    lambda data: [leaf_hash(d) for d in data]
)
# Distinct leaves: then no two nodes collide, so any change to a proof must be caught.
distinct_leaves = st.tuples(st.integers(1, 80), st.binary(max_size=8)).map(
    lambda ns: [leaf_hash(ns[1] + i.to_bytes(4, "big")) for i in range(ns[0])]
)


@PROPERTY
@given(any_leaves, st.data())
def test_every_inclusion_proof_verifies(hashes: list[bytes], data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(hashes, index, size)
    assert verify_inclusion(hashes[index], index, size, proof, root(hashes[:size]))
    assert MemoryNodeStore(hashes).inclusion_proof(index, size) == proof


@PROPERTY
@given(any_leaves, st.data())
def test_every_consistency_proof_verifies(hashes: list[bytes], data: st.DataObject) -> None:
    second = data.draw(st.integers(0, len(hashes)), label="second")
    first = data.draw(st.integers(0, second), label="first")
    proof = consistency_proof(hashes, first, second)
    assert verify_consistency(first, second, root(hashes[:first]), root(hashes[:second]), proof)
    assert MemoryNodeStore(hashes).consistency_proof(first, second) == proof


@PROPERTY
@given(distinct_leaves, st.data())
def test_a_changed_inclusion_claim_fails(hashes: list[bytes], data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof, good = inclusion_proof(hashes, index, size), root(hashes[:size])
    leaf = hashes[index]
    other = data.draw(st.integers(0, len(hashes) - 1).filter(lambda j: j != index), label="j")
    assume(size > 1 or other != index)
    assert not verify_inclusion(hashes[other], index, size, proof, good)
    if other < size:
        assert not verify_inclusion(leaf, other, size, proof, good)
    assert not verify_inclusion(leaf, index, size, proof, SOME_HASH)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        changed = list(proof)
        changed[i] = changed[i][: bit // 8] + bytes([changed[i][bit // 8] ^ (1 << bit % 8)])
        changed[i] += proof[i][bit // 8 + 1 :]
        assert not verify_inclusion(leaf, index, size, changed, good)
        assert not verify_inclusion(leaf, index, size, proof[:-1], good)
    assert not verify_inclusion(leaf, index, size, [*proof, SOME_HASH], good)


@PROPERTY
@given(distinct_leaves, st.data())
def test_a_changed_consistency_claim_fails(hashes: list[bytes], data: st.DataObject) -> None:
    assume(len(hashes) >= 2)
    second = data.draw(st.integers(2, len(hashes)), label="second")
    first = data.draw(st.integers(1, second - 1), label="first")
    r1, r2 = root(hashes[:first]), root(hashes[:second])
    proof = consistency_proof(hashes, first, second)
    other = root(hashes[: data.draw(st.integers(1, len(hashes)), label="other size")])
    if other != r1:
        assert not verify_consistency(first, second, other, r2, proof)
    if other != r2:
        assert not verify_consistency(first, second, r1, other, proof)
    i = data.draw(st.integers(0, len(proof) - 1), label="element")
    assert not verify_consistency(first, second, r1, r2, _flip(proof, i, 1))
    assert not verify_consistency(first, second, r1, r2, proof[:-1])
    assert not verify_consistency(first, second, r1, r2, [*proof, SOME_HASH])
    # A changed leaf anywhere in the old tree makes it inconsistent with the new one.
    j = data.draw(st.integers(0, first - 1), label="changed leaf")
    forked = [*hashes[:j], leaf_hash(b"forged"), *hashes[j + 1 : second]]
    assert not verify_consistency(first, second, root(forked[:first]), r2, proof)
    # Nor can the forked log prove its new head extends the real old one.
    forked_proof = consistency_proof(forked, first, second)
    assert not verify_consistency(first, second, r1, root(forked), forked_proof)


@PROPERTY
@given(any_leaves, st.lists(st.integers(1, 9), max_size=12))
def test_compact_range_matches_root(hashes: list[bytes], batches: list[int]) -> None:
    """Batches of any size: the frontier's root is the tree's root after each one."""
    cr, done = CompactRange(), 0
    for n in [*batches, len(hashes)]:
        batch = hashes[done : done + n]
        cr.extend(batch)
        done += len(batch)
        assert cr.size == done
        assert cr.root() == root(hashes[:done])
        assert len(cr.hashes) == len(frontier_nodes(done)) == done.bit_count()


@PROPERTY
@given(any_leaves)
def test_appends_write_the_documented_layout(hashes: list[bytes]) -> None:
    """Leaf n writes (0, n) and (L, (n+1)/2^L - 1) for each 2^L dividing n+1, each once."""
    cr, written = CompactRange(), {}
    for n, h in enumerate(hashes):
        new = cr.append(h)
        expected = [(0, n)] + [
            (level, (n + 1 >> level) - 1)
            for level in range(1, (n + 1).bit_length())
            if (n + 1) % (1 << level) == 0
        ]
        assert [(x.level, x.index) for x in new] == expected
        for x in new:
            assert x.hash == root(hashes[x.index << x.level : (x.index + 1) << x.level])
            assert (x.level, x.index) not in written
            written[(x.level, x.index)] = x.hash
    size = len(hashes)
    assert len(written) == 2 * size - size.bit_count()
    assert len(MemoryNodeStore(hashes)) == len(written)


@PROPERTY
@given(any_leaves, st.data())
def test_frontier_restores_from_the_store(hashes: list[bytes], data: st.DataObject) -> None:
    """A sequencer restarting at any size rebuilds its frontier from O(log n) stored nodes."""
    store = MemoryNodeStore(hashes)
    size = data.draw(st.integers(0, len(hashes)), label="size")
    restored = CompactRange.from_store(store.node, size)
    fresh = CompactRange()
    fresh.extend(hashes[:size])
    assert restored == fresh
    restored.extend(hashes[size:])
    assert restored.root() == store.root() == root(hashes)


@PROPERTY
@given(any_leaves, st.data())
def test_proof_nodes_name_every_read(hashes: list[bytes], data: st.DataObject) -> None:
    """A store can fetch a proof's nodes in one query: proof_nodes lists exactly what is read."""
    store = MemoryNodeStore(hashes)
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(0, size), label="first")
    bound = 2 * size.bit_length() + 1  # O(log n): at most one ragged range per proof

    node, reads = _recording(store)
    inclusion_proof_at(node, index, size)
    assert set(reads) == set(proof_nodes(inclusion_ranges(index, size)))
    assert len(reads) <= bound

    node, reads = _recording(store)
    consistency_proof_at(node, first, size)
    assert set(reads) == set(proof_nodes(consistency_ranges(first, size)))
    assert len(reads) <= bound

    node, reads = _recording(store)
    assert root_at(node, size) == root(hashes[:size])
    assert reads == root_nodes(size) == frontier_nodes(size)


def test_subtree_nodes() -> None:
    assert subtree_nodes(0, 8) == [(3, 0)]
    assert subtree_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert subtree_nodes(4, 7) == [(1, 2), (0, 6)]
    assert subtree_nodes(2, 6) == [(1, 1), (1, 2)]  # MTH of 4 leaves split into two pairs
    assert subtree_nodes(5, 6) == [(0, 5)]
    assert subtree_nodes(1, 3) == [(0, 1), (0, 2)]  # two leaves always split evenly
    for start, end in [(1, 4), (3, 6), (1, 5), (2, 2), (3, 1), (-1, 1)]:
        with pytest.raises(ValueError):
            subtree_nodes(start, end)
    store = MemoryNodeStore(HASHES)
    assert subtree_hash(store.node, 4, 7) == root(HASHES[4:7])
    assert subtree_hash(store.node, 2, 6) == root(HASHES[2:6])


def test_compact_range_api() -> None:
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT and cr.size == 0 and cr.hashes == ()
    assert cr.append(HASHES[0]) == [Node(0, 0, HASHES[0])]
    new = cr.append(HASHES[1])
    assert new == [Node(0, 1, HASHES[1]), Node(1, 0, ROOTS[1])]
    copy = cr.copy()
    cr.append(HASHES[2])
    assert copy.size == 2 and copy != cr and cr.root() == ROOTS[2]
    assert "size=3" in repr(cr)
    assert hash(copy) == hash(CompactRange(2, [ROOTS[1]]))
    with pytest.raises(ValueError, match="frontier"):
        CompactRange(3, [ROOTS[1]])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        cr.append(b"short")
    with pytest.raises(KeyError, match="level 1, index 1"):
        MemoryNodeStore(HASHES[:3]).node(1, 1)  # leaves [2, 4) are not complete yet


def test_a_large_tree_from_the_store() -> None:
    """10,000 leaves: the stored nodes serve proofs identical to the direct definitions."""
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(10_000)]
    store = MemoryNodeStore(hashes)
    head = root(hashes)
    assert store.root() == head
    for index in (0, 1, 4095, 4096, 6789, 9998, 9999):
        proof = store.inclusion_proof(index)
        assert proof == inclusion_proof(hashes, index, len(hashes))
        assert verify_inclusion(hashes[index], index, len(hashes), proof, head)
    for first in (1, 1024, 5000, 8191, 9999):
        proof = store.consistency_proof(first)
        assert proof == consistency_proof(hashes, first, len(hashes))
        assert verify_consistency(first, len(hashes), store.root(first), head, proof)
