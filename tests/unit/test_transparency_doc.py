"""The copyable verifier in docs/transparency-log.md works, and agrees with trustledger's own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature

from trustledger.domain import merkle
from trustledger.domain.checkpoint import Checkpoint, Signer, sign_checkpoint, signer_key

DOC = Path(__file__).parents[2] / "docs" / "transparency-log.md"
GO_SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
GO_SUMDB_HEAD = (
    "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"
    "— sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8"
    "oW9/C8DJ87F61QqspBYwM=\n"
)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    section = DOC.read_text().split("## Verifying a proof yourself", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    return [bytes([p[0] ^ 1]) + p[1:] if j == i else p for j, p in enumerate(proof)]


def test_the_documented_proof_checks_agree(doc: dict[str, Any]) -> None:
    assert doc["leaf_hash"](b"x") == merkle.leaf_hash(b"x")
    hashes = [merkle.leaf_hash(b"entry %d" % i) for i in range(20)]
    roots = [merkle.root(hashes[:n]) for n in range(21)]
    for n in range(1, 21):
        for i in range(n):
            proof = merkle.inclusion_proof(hashes, i, n)
            assert doc["verify_inclusion"](hashes[i], i, n, proof, roots[n])
            for j in range(len(proof)):
                assert not doc["verify_inclusion"](hashes[i], i, n, _flip(proof, j), roots[n])
            if n > 1:
                assert not doc["verify_inclusion"](hashes[i], (i + 1) % n, n, proof, roots[n])
        for m in range(n + 1):
            proof = merkle.consistency_proof(hashes, m, n)
            assert doc["verify_consistency"](m, n, roots[m], roots[n], proof)
            for j in range(len(proof)):
                assert not doc["verify_consistency"](m, n, roots[m], roots[n], _flip(proof, j))
            if 0 < m < n:
                assert not doc["verify_consistency"](m, n, roots[m], roots[m], proof)


def test_the_documented_checkpoint_check(doc: dict[str, Any]) -> None:
    open_checkpoint = doc["open_checkpoint"]
    skey = signer_key("trustledger.example/audit", bytes(range(32)))
    vkey = Signer.parse(skey).verifier_key
    cp = Checkpoint("trustledger.example/audit", 3, merkle.root([merkle.leaf_hash(b"e")] * 3))
    note = sign_checkpoint(cp, skey)
    assert open_checkpoint(note, vkey) == (cp.origin, cp.size, cp.root)
    with pytest.raises(InvalidSignature):
        open_checkpoint(note.replace("\n3\n", "\n4\n"), vkey)
    with pytest.raises(ValueError, match="no signature"):
        open_checkpoint(GO_SUMDB_HEAD, vkey)
    origin, size, _ = open_checkpoint(GO_SUMDB_HEAD, GO_SUMDB_VKEY)
    assert (origin, size) == ("go.sum database tree", 31700353)
