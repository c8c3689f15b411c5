"""The Merkle tree of RFC 6962 / RFC 9162 that turns the audit log into a transparency log.

Anyone holding a signed tree head (size, root) can check, without trusting the server, that an
entry is in the log (inclusion proof) and that a later tree extends an earlier one without
rewriting it (consistency proof). Hashing is SHA-256 with the RFC's domain separation:
`leaf_hash(d) = SHA-256(0x00 || d)`, `node_hash(l, r) = SHA-256(0x01 || l || r)`, and the empty
tree's root is SHA-256 of nothing.

Three layers, pure (no I/O, no clock):

- Direct functions over a list of leaf hashes (`root`, `inclusion_proof`, `consistency_proof`)
  are the RFC 6962 definitions (MTH, PATH, SUBPROOF) written out. They cost O(n) and are the
  reference the faster code is tested against.
- Verifiers (`verify_inclusion`, `verify_consistency`) are the RFC 9162 §2.1.3.2 / §2.1.4.2
  algorithms. They never raise on bad input: a malformed or wrong proof is just False.
- Incremental pieces for a database: `CompactRange` (the O(log n) frontier a sequencer keeps to
  append a batch in O(batch + log n) and produce the new root), and the `*_at` functions that
  build roots and proofs from a `NodeReader`, a callback `node(level, index)`, in O(log n)
  lookups.

Storage layout for the node store (the contract between `CompactRange` and the `*_at` readers):

    node (level L, index i) = the root of the perfect subtree over leaves [i*2^L, (i+1)*2^L).

Level 0 holds the leaf hashes. When leaf number `n` (0-based) is appended, the store writes
`(0, n)` and, for every L >= 1 such that 2^L divides n + 1, the node `(L, (n + 1) / 2^L - 1)`:
each perfect subtree the new leaf completes. `CompactRange.append` returns exactly those nodes
(fewer than two per leaf on average, at most 1 + log2(n + 1)). A node is written once and never
changes, so the same rows answer for every past tree size: a proof or root at size `s` only
reads nodes lying wholly inside [0, s). This is the node numbering of Trillian and C2SP
tlog-tiles; a tile store that keeps only every eighth level may serve `node()` by hashing up
from the level below, since `node()` is the only access path.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]
"""`node(level, index)`: the stored hash of a perfect subtree (see the module's layout)."""


NodeId = tuple[int, int]
"""(level, index): the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level)."""


@dataclass(frozen=True, slots=True)
class Node:
    """A node to store: what `CompactRange.append` hands to the store to write."""

    level: int
    index: int
    hash: bytes


# --- hashing ------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """The 0x00 prefix keeps a leaf from ever being passed off as an interior node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The 0x01 prefix is the interior side of the leaf/node domain separation."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --- direct definitions (RFC 6962 §2.1) ---------------------------------------------------------


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the tree head over all the given leaf hashes, O(n)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def _mth(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH over leaves[start:end] without copying slices (recursion depth is log n)."""
    if end - start == 1:
        return leaves[start]
    k = _split(end - start)
    return node_hash(_mth(leaves, start, start + k), _mth(leaves, start + k, end))


def _check_index(index: int, size: int, available: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    if size > available:
        raise ValueError(f"tree size {size} exceeds the {available} leaves given")


def _check_sizes(first: int, second: int, available: int) -> None:
    if not 0 <= first <= second:
        raise ValueError(f"sizes must satisfy 0 <= first <= second, got {first} and {second}")
    if second > available:
        raise ValueError(f"tree size {second} exceeds the {available} leaves given")


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]): the audit path, from the leaf's sibling up to the root's child.

    Raises ValueError unless 0 <= index < size <= len(leaf_hashes).
    """
    _check_index(index, size, len(leaf_hashes))
    return _path(leaf_hashes, index, 0, size)


def _path(leaves: Sequence[bytes], m: int, start: int, end: int) -> list[bytes]:
    if end - start == 1:
        return []
    k = _split(end - start)
    if m < k:
        return [*_path(leaves, m, start, start + k), _mth(leaves, start + k, end)]
    return [*_path(leaves, m - k, start + k, end), _mth(leaves, start, start + k)]


def consistency_proof(leaf_hashes: Sequence[bytes], first: int, second: int) -> list[bytes]:
    """PROOF(first, D[0:second]): shows the tree of size `first` is a prefix of `second`'s.

    Empty when first is 0 or first == second (nothing to prove). Raises ValueError unless
    0 <= first <= second <= len(leaf_hashes).
    """
    _check_sizes(first, second, len(leaf_hashes))
    if first in (0, second):
        return []
    return _subproof(leaf_hashes, first, 0, second, True)


def _subproof(leaves: Sequence[bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [_mth(leaves, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, m, start, start + k, whole), _mth(leaves, start + k, end)]
    return [*_subproof(leaves, m - k, start + k, end, False), _mth(leaves, start, start + k)]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ----------------------------------------------


def _well_formed(proof: Sequence[bytes]) -> bool:
    return all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in proof)


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _sides(fn: int, sn: int, proof: Sequence[bytes]) -> list[bool] | None:
    """The walk up the tree both verifications share (the loops of RFC 9162 §2.1.3.2 and
    §2.1.4.2), from node `fn` with last node `sn`: for each hash of `proof`, whether it is the
    left sibling (hashed first). None when the proof's length does not fit the tree."""
    sides: list[bool] = []
    for _ in proof:
        if sn == 0:
            return None
        left = bool(fn & 1) or fn == sn
        sides.append(left)
        if left:
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    return sides if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf with hash `leaf_hash` at `index` in the tree (size, root).

    Never raises: an index outside the tree, a proof of the wrong length, or any hash that is
    not 32 bytes is False, like any proof that does not lead to `root`.
    """
    if not 0 <= index < size or not _well_formed([leaf_hash, root, *proof]):
        return False
    sides = _sides(index, size - 1, proof)
    if sides is None:
        return False
    r = leaf_hash
    for p, left in zip(proof, sides, strict=True):
        r = node_hash(p, r) if left else node_hash(r, p)
    return _equal(r, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (second, second_root) extends (first, first_root).

    Never raises; any hash that is not 32 bytes is False. first == second needs an empty proof
    and equal roots; first == 0 needs an
    empty proof and `first_root` equal to the empty tree's root (any tree extends the empty
    one); first > second is False.
    """
    if not 0 <= first <= second or not _well_formed([first_root, second_root, *proof]):
        return False
    if first == second:
        same = _equal(first_root, second_root)
        return not proof and same and (first > 0 or _equal(first_root, EMPTY_ROOT))
    if first == 0:
        return not proof and _equal(first_root, EMPTY_ROOT)
    if not proof:
        return False
    path = [first_root, *proof] if _is_power_of_two(first) else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    sides = _sides(fn, sn, path[1:])
    if sides is None:
        return False
    fr = sr = path[0]
    for c, left in zip(path[1:], sides, strict=True):
        if left:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
    return _equal(fr, first_root) and _equal(sr, second_root)


# --- which subtrees a proof needs ---------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) whose subtree hashes make PATH(index, size), in proof order.

    Each range is a node of the tree of that size: perfect and aligned, or the right edge.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    out: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) whose subtree hashes make PROOF(first, second), in order."""
    if not 0 <= first <= second:
        raise ValueError(f"sizes must satisfy 0 <= first <= second, got {first} and {second}")
    if first in (0, second):
        return []
    out: list[tuple[int, int]] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        out.append((start, end))
    out.reverse()
    return out


def subtree_nodes(start: int, end: int) -> list[NodeId]:
    """The stored perfect subtrees, left to right, that make up MTH(D[start:end]).

    Their hashes folded from the right (`node_hash(a, node_hash(b, c))`) give that MTH. Every
    node of an RFC 6962 tree, hence every range a root or proof needs, is such a range; one
    whose MTH would need an unaligned subtree (e.g. [1, 4)) raises ValueError.
    """
    if not 0 <= start < end:
        raise ValueError(f"[{start}, {end}) is not a non-empty leaf range")
    out: list[NodeId] = []
    n = end - start
    while True:
        if _is_power_of_two(n) and start % n == 0:
            out.append((n.bit_length() - 1, start // n))
            return out
        k = _split(n)  # n >= 2 here: a single leaf is a power of two
        if start % k:
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 6962 tree")
        out.append((k.bit_length() - 1, start // k))
        start += k
        n -= k


def proof_nodes(ranges: Iterable[tuple[int, int]]) -> list[NodeId]:
    """Every node the given ranges read, without repeats: one batched fetch for a whole proof."""
    seen: dict[NodeId, None] = {}
    for start, end in ranges:
        for node in subtree_nodes(start, end):
            seen.setdefault(node)
    return list(seen)


def root_nodes(size: int) -> list[NodeId]:
    """The nodes the root at `size` reads: its frontier (one perfect subtree per bit of size)."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return [] if size == 0 else subtree_nodes(0, size)


# --- roots and proofs from a node store ---------------------------------------------------------


def _fold(hashes: Sequence[bytes]) -> bytes:
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def subtree_hash(node: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from stored nodes, O(log n) lookups (see `subtree_nodes`)."""
    return _fold([node(level, index) for level, index in subtree_nodes(start, end)])


def root_at(node: NodeReader, size: int) -> bytes:
    """The tree head at `size` (any past size too), from at most log2(size) + 1 lookups."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return EMPTY_ROOT if size == 0 else subtree_hash(node, 0, size)


def inclusion_proof_at(node: NodeReader, index: int, size: int) -> list[bytes]:
    """`inclusion_proof` from a node store: O(log n) lookups (one range at most is ragged)."""
    return [subtree_hash(node, s, e) for s, e in inclusion_ranges(index, size)]


def consistency_proof_at(node: NodeReader, first: int, second: int) -> list[bytes]:
    """`consistency_proof` from a node store: O(log n) lookups (one range at most is ragged)."""
    return [subtree_hash(node, s, e) for s, e in consistency_ranges(first, second)]


# --- incremental appends ------------------------------------------------------------------------


def frontier_nodes(size: int) -> list[NodeId]:
    """The perfect subtrees a `CompactRange` of `size` holds, left to right: one per set bit."""
    return root_nodes(size)


class CompactRange:
    """The frontier of a tree: the roots of its maximal perfect subtrees, O(log n) hashes.

    A sequencer keeps one (or rebuilds it from the store with `frontier_nodes`) to integrate a
    batch of new leaves in O(batch + log n) and to compute the new root without reading the
    rest of the tree. Each append returns the nodes the store must write.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self._size = size
        self._hashes = list(hashes)
        if size < 0 or len(self._hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has a frontier of {max(size, 0).bit_count()} hashes, "
                f"got {len(self._hashes)}"
            )
        if not _well_formed(self._hashes):
            raise ValueError("every frontier hash must be 32 bytes")

    @classmethod
    def from_store(cls, node: NodeReader, size: int) -> CompactRange:
        """The frontier at `size` read back from a store that follows the module's layout."""
        return cls(size, [node(level, index) for level, index in frontier_nodes(size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The frontier hashes, matching `frontier_nodes(size)` one for one."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Add one leaf; return the leaf and every perfect subtree it completes, to store."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
            raise ValueError("a leaf hash must be 32 bytes")
        index = self._size
        new = [Node(0, index, leaf_hash)]
        h, level = leaf_hash, 0
        while index & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            index >>= 1
            new.append(Node(level, index, h))
        self._hashes.append(h)
        self._size += 1
        return new

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[Node]:
        """Append a batch; amortised O(1) hashes per leaf."""
        new: list[Node] = []
        for h in leaf_hashes:
            new.extend(self.append(h))
        return new

    def root(self) -> bytes:
        """The tree head now, O(log n): the frontier folded from the right."""
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


class MemoryNodeStore:
    """The storage layout held in a dict: the reference the database store must behave like."""

    __slots__ = ("_nodes", "_range")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[NodeId, bytes] = {}
        self._range = CompactRange()
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return self._range.size

    def __len__(self) -> int:
        """How many nodes are stored (about twice the leaves)."""
        return len(self._nodes)

    def append(self, leaf_hash: bytes) -> int:
        """Store a leaf and the subtrees it completes; return the leaf's index."""
        self._store(self._range.append(leaf_hash))
        return self._range.size - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        self._store(self._range.extend(leaf_hashes))

    def _store(self, nodes: Iterable[Node]) -> None:
        for n in nodes:
            key = (n.level, n.index)
            if key in self._nodes:
                raise AssertionError(f"node {key} written twice")  # the layout is write-once
            self._nodes[key] = n.hash

    def node(self, level: int, index: int) -> bytes:
        """The `NodeReader`: KeyError for a subtree that is not complete yet."""
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no node at level {level}, index {index} (size {self.size})") from None

    def root(self, size: int | None = None) -> bytes:
        """The root now, or at any past size."""
        return root_at(self.node, self.size if size is None else self._check(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else self._check(size)
        return inclusion_proof_at(self.node, index, size)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else self._check(second)
        return consistency_proof_at(self.node, first, second)

    def _check(self, size: int) -> int:
        if size > self.size:
            raise ValueError(f"tree size {size} exceeds the {self.size} leaves stored")
        return size
