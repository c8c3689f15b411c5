"""Signed notes and checkpoints: Go's sumdb/note vectors, real sum.golang.org heads, tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.strategies import FEW, PROPERTY
from trustledger.domain.checkpoint import (
    Checkpoint,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    generate_signer,
    key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    signer_key,
    verifier_key,
)
from trustledger.domain.merkle import EMPTY_ROOT, leaf_hash, root

# golang.org/x/mod/sumdb/note, note_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

# Signed tree heads of the Go checksum database (sum.golang.org), as published: the key is the
# one built into the go command, so these are real checkpoints from a production log.
GO_SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
GO_SUMDB_HEADS = [
    (
        "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"
        "— sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8"
        "oW9/C8DJ87F61QqspBYwM=\n",
        31700353,
        "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=",
    ),
    (
        "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
        "— sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVt"
        "Yspg3dxXABkGZZKdsQ8=\n",
        65209736,
        "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=",
    ),
]


def _insert_abcd(sig_line: str) -> str:
    """Go's test inserts "ABCD" at byte 60 of the line; the em dash is 3 bytes in UTF-8."""
    raw = sig_line.encode()
    return (raw[:60] + b"ABCD" + raw[60:]).decode()


# --- keys ---------------------------------------------------------------------------------------


def test_go_key_pair() -> None:
    signer, verifier = Signer.parse(PETER_SKEY), Verifier.parse(PETER_VKEY)
    assert signer.name == verifier.name == "PeterNeumann"
    assert signer.key_id == verifier.key_id == 0xC74F20A3
    assert signer.verifier == verifier
    assert signer.verifier_key == verifier.verifier_key == PETER_VKEY
    assert key_id("PeterNeumann", verifier.public_key) == 0xC74F20A3
    assert verifier_key("PeterNeumann", verifier.public_key) == PETER_VKEY
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]  # after the 0x01 type byte
    assert signer.seed == seed
    assert signer_key("PeterNeumann", seed) == PETER_SKEY
    assert "seed" not in repr(signer) and repr(seed) not in repr(signer)


def test_key_id_is_sha256_of_name_newline_type_key() -> None:
    """Checked independently of the key strings: the spec's formula, done by hand."""
    public = Verifier.parse(PETER_VKEY).public_key
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()
    assert digest[:4].hex() == "c74f20a3"


def _manglings(key: str) -> list[str]:
    """Go's TestNewVerifier/TestNewSigner: every proper substring and every one-byte change."""
    raw = key.encode()
    out = [
        raw[i:j].decode()
        for i in range(len(raw) + 1)
        for j in range(i + 1, len(raw) + 1)
        if (i, j) != (0, len(raw))
    ]
    for i in range(len(raw)):
        changed = bytearray(raw)
        changed[i] += 1
        out.append(changed.decode("utf-8", "replace"))
    return out


def test_mangled_verifier_keys_are_refused() -> None:
    Verifier.parse(PETER_VKEY)
    bad = [
        *_manglings(PETER_VKEY),
        # wrong key length, and unknown algorithm, each with an adjusted key ID
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]
    for key in bad:
        with pytest.raises(ValueError):
            Verifier.parse(key)


def test_mangled_signer_keys_are_refused() -> None:
    Signer.parse(PETER_SKEY)
    for key in _manglings(PETER_SKEY):
        with pytest.raises(ValueError):
            Signer.parse(key)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0", "new\nline"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        signer_key(name, bytes(32))
    with pytest.raises(ValueError, match="key name"):
        verifier_key(name, bytes(32))


def test_key_sizes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signer_key("a", bytes(31))
    with pytest.raises(ValueError, match="32 bytes"):
        verifier_key("a", bytes(33))


def test_generated_keys_work() -> None:
    skey = generate_signer("log.example/audit")
    signer = Signer.parse(skey)
    assert skey.startswith("PRIVATE+KEY+log.example/audit+")
    assert signer.verifier_key.startswith(f"log.example/audit+{signer.key_id:08x}+")
    note = sign_note("hello\n", skey)
    assert open_note(note, [signer.verifier_key]) == "hello\n"
    assert generate_signer("log.example/audit") != skey


# --- signed notes -------------------------------------------------------------------------------


def test_sign_matches_go() -> None:
    assert sign_note(TEXT, PETER_SKEY) == f"{TEXT}\n{PETER_SIG}"
    assert sign_note(TEXT, Signer.parse(PETER_SKEY)) == f"{TEXT}\n{PETER_SIG}"


@pytest.mark.parametrize("text", ["abc", "", "a\x01b\n", "a\rb\n", "lone \ud800 surrogate\n"])
def test_sign_refuses_what_is_not_a_note_text(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note(text, PETER_SKEY)


def test_open_go_vectors() -> None:
    both = f"{TEXT}\n{PETER_SIG}{ENOCH_SIG}"
    assert open_note(both, [PETER_VKEY]) == TEXT  # Enoch's is unknown: ignored
    assert open_note(both, [ENOCH_VKEY]) == TEXT
    assert open_note(both, [PETER_VKEY, ENOCH_VKEY]) == TEXT
    assert open_note(both.encode(), [Verifier.parse(PETER_VKEY)]) == TEXT
    with pytest.raises(UnverifiedNoteError, match="no verifiable signatures"):
        open_note(both, [])
    # Repeated signatures, a bad one by an unknown key among them, are fine.
    repeated = f"{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{_insert_abcd(ENOCH_SIG)}"
    assert open_note(repeated, [PETER_VKEY]) == TEXT


def test_open_rejects_an_invalid_signature_by_a_known_key() -> None:
    with pytest.raises(InvalidSignatureError, match="PeterNeumann\\+c74f20a3"):
        open_note(f"{TEXT}\n{_insert_abcd(PETER_SIG)}", [PETER_VKEY])
    # Even next to a valid signature by another trusted key: the spec says reject the note.
    with pytest.raises(InvalidSignatureError):
        open_note(f"{TEXT}\n{ENOCH_SIG}{_insert_abcd(PETER_SIG)}", [PETER_VKEY, ENOCH_VKEY])


def test_unknown_keys_sharing_a_name_or_an_id_are_ignored() -> None:
    renamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    with pytest.raises(UnverifiedNoteError):
        open_note(f"{TEXT}\n{renamed}", [PETER_VKEY])
    other_id = PETER_SIG.replace("x08g", "xxxx")
    with pytest.raises(UnverifiedNoteError):
        open_note(f"{TEXT}\n{other_id}", [PETER_VKEY])


def test_ambiguous_trusted_keys() -> None:
    peter = Verifier.parse(PETER_VKEY)
    impostor = Verifier(peter.name, peter.key_id, Verifier.parse(ENOCH_VKEY).public_key)
    with pytest.raises(NoteError, match="ambiguous key PeterNeumann\\+c74f20a3"):
        open_note(f"{TEXT}\n{PETER_SIG}", [impostor, peter])
    # Unused, the ambiguity does not matter; the same key listed twice is not ambiguous
    # (Go's package calls that ambiguous too; it is only a repeated configuration line).
    assert open_note(f"{TEXT}\n{ENOCH_SIG}", [impostor, peter, ENOCH_VKEY]) == TEXT
    assert open_note(f"{TEXT}\n{ENOCH_SIG}", [ENOCH_VKEY, PETER_VKEY, ENOCH_VKEY]) == TEXT


def test_too_many_signatures() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(f"{TEXT}\n{PETER_SIG * 101}", [PETER_VKEY])
    with pytest.raises(MalformedNoteError):
        open_note(f"{TEXT}\n{PETER_SIG * 101}", [])
    assert open_note(f"{TEXT}\n{PETER_SIG * 100}", [PETER_VKEY]) == TEXT


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT + "\n" + f"— Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + "— PeterNeumann \n",
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # fewer than 5 bytes
        TEXT + "\n" + "— PeterNeumann not!base64\n",
        TEXT + "\n" + f"- PeterNeumann {PETER_B64}\n",  # hyphen, not em dash
    ],
)
def test_malformed_notes(note: str | bytes) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(note, [PETER_VKEY])


def test_tampered_go_note() -> None:
    note = f"{TEXT}\n{PETER_SIG}"
    with pytest.raises(InvalidSignatureError):
        open_note(note.replace("problem,", "problem;"), [PETER_VKEY])
    with pytest.raises(InvalidSignatureError):
        open_note(note.replace("JnAM=", "JnAA="), [PETER_VKEY])
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [ENOCH_VKEY])


# --- properties ---------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="+"),
    min_size=1,
    max_size=20,
).filter(lambda s: not any(c.isspace() for c in s))
line_chars = st.characters(min_codepoint=0x20, exclude_categories=("Cs",))
texts = st.lists(st.text(alphabet=line_chars, max_size=30), min_size=1, max_size=6).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)
seeds = st.binary(min_size=32, max_size=32)


@PROPERTY
@given(texts, names, seeds)
def test_round_trip(text: str, name: str, seed: bytes) -> None:
    signer = Signer.parse(signer_key(name, seed))
    note = sign_note(text, signer)
    assert open_note(note, [signer.verifier_key]) == text
    assert open_note(note.encode(), [signer.verifier]) == text


@FEW
@given(texts, names, seeds, st.data())
def test_tampering_fails(text: str, name: str, seed: bytes, data: st.DataObject) -> None:
    signer = Signer.parse(signer_key(name, seed))
    note = sign_note(text, signer)
    vkey = signer.verifier_key

    # A changed character of the text (never a newline, so the layout stays a note).
    positions = [i for i, c in enumerate(text) if c != "\n"]
    if positions:
        i = data.draw(st.sampled_from(positions), label="position")
        c = data.draw(line_chars.filter(lambda c: c != text[i]), label="character")
        changed = text[:i] + c + text[i + 1 :]
    else:
        changed = "x" + text
    with pytest.raises(InvalidSignatureError):
        open_note(changed + note[len(text) :], [vkey])

    # A changed bit of the signature (the last 64 bytes of the decoded signature line).
    head, b64 = note[: note.rindex(" ") + 1], note[note.rindex(" ") + 1 : -1]
    raw = bytearray(base64.b64decode(b64))
    bit = data.draw(st.integers(32, len(raw) * 8 - 1), label="bit")
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignatureError):
        open_note(f"{head}{base64.b64encode(bytes(raw)).decode()}\n", [vkey])

    # The right name and a key ID, but another key: the key ID does not match, so it is ignored.
    other_seed = data.draw(seeds.filter(lambda s: s != seed), label="other seed")
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [verifier_key(name, Signer(name, 0, other_seed).public_key)])


# --- checkpoints --------------------------------------------------------------------------------


def test_checkpoint_body() -> None:
    head = root([leaf_hash(b"a"), leaf_hash(b"b")])
    cp = Checkpoint("trustledger.example/audit", 2, head)
    assert cp.body() == f"trustledger.example/audit\n2\n{base64.b64encode(head).decode()}\n"
    empty = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert Checkpoint("o", 0, EMPTY_ROOT).body() == empty
    with_ext = Checkpoint("o", 1, head, ("ext one", "ext two"))
    assert with_ext.body().endswith("\next one\next two\n")
    assert parse_checkpoint(with_ext.body()) == with_ext


@pytest.mark.parametrize(
    ("origin", "size", "root_hash", "extensions"),
    [
        ("", 1, EMPTY_ROOT, ()),
        ("a\nb", 1, EMPTY_ROOT, ()),
        ("o", -1, EMPTY_ROOT, ()),
        ("o", 1 << 63, EMPTY_ROOT, ()),
        ("o", True, EMPTY_ROOT, ()),
        ("o", 1, b"short", ()),
        ("o", 1, EMPTY_ROOT, ("",)),
        ("o", 1, EMPTY_ROOT, ("two\nlines",)),
    ],
)
def test_checkpoint_validation(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        Checkpoint(origin, size, root_hash, extensions)


@pytest.mark.parametrize(
    "text",
    [
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",  # no final newline
        "o\n1\n",
        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n\u0661\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",  # Arabic-Indic one
        "o\n9223372036854775808\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",  # non-canonical base64
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",  # padding missing
        "o\n1\nAAAA\n",
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",  # empty extension line
    ],
)
def test_parse_checkpoint_is_strict(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        parse_checkpoint(text)


@PROPERTY
@given(
    st.text(alphabet=line_chars, min_size=1, max_size=30),
    st.integers(0, (1 << 63) - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(st.text(alphabet=line_chars, min_size=1, max_size=20), max_size=3),
)
def test_checkpoint_round_trip(origin: str, size: int, head: bytes, ext: list[str]) -> None:
    cp = Checkpoint(origin, size, head, tuple(ext))
    assert parse_checkpoint(cp.body()) == cp


def test_signed_checkpoint_round_trip() -> None:
    skey = signer_key("trustledger.example/audit", bytes(range(32)))
    vkey = Signer.parse(skey).verifier_key
    cp = Checkpoint("trustledger.example/audit", 5, root([leaf_hash(b"%d" % i) for i in range(5)]))
    note = sign_checkpoint(cp, skey)
    assert note.startswith(cp.body() + "\n— trustledger.example/audit ")
    assert open_checkpoint(note, [vkey]) == cp
    assert open_checkpoint(note, [vkey], origin="trustledger.example/audit") == cp
    with pytest.raises(NoteError, match=r"expected 'other\.example/log'"):
        open_checkpoint(note, [vkey], origin="other.example/log")
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(note.replace("\n5\n", "\n6\n"), [vkey])


@pytest.mark.parametrize(("note", "size", "root_b64"), GO_SUMDB_HEADS)
def test_real_go_checksum_database_heads(note: str, size: int, root_b64: str) -> None:
    cp = open_checkpoint(note, [GO_SUMDB_VKEY], origin="go.sum database tree")
    assert cp == Checkpoint("go.sum database tree", size, base64.b64decode(root_b64))
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(note.replace(f"\n{size}\n", f"\n{size + 1}\n"), [GO_SUMDB_VKEY])
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, [PETER_VKEY])


def test_open_checkpoint_refuses_a_verified_note_that_is_no_checkpoint() -> None:
    with pytest.raises(MalformedNoteError, match="checkpoint"):
        open_checkpoint(f"{TEXT}\n{PETER_SIG}", [PETER_VKEY])
