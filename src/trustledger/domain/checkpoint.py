"""Signed tree heads in the C2SP formats, so standard tools can check trustledger's log.

A checkpoint (c2sp.org/tlog-checkpoint) is the note text

    <origin>\\n<tree size>\\n<base64 root hash>\\n

signed as a signed note (c2sp.org/signed-note, the format of Go's golang.org/x/mod/sumdb/note):
the text, a blank line, then one line per signature, `— <key name> <base64(key ID || sig)>`.
Keys are Ed25519 (signature type 0x01), written as Go's note package writes them:

    verifier key: <name>+<key ID, 8 hex digits>+<base64(0x01 || 32-byte public key)>
    signer key:   PRIVATE+KEY+<name>+<key ID, 8 hex digits>+<base64(0x01 || 32-byte seed)>

with key ID = the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key).

Timestamps: the checkpoint body carries none. tlog-checkpoint allows extension lines but does
not recommend them (monitors cannot audit them, and cosignature formats do not sign them), so
trustledger emits none. A checkpoint's time travels beside the signed note in the API's JSON,
as information only; what is authoritative is the time inside each leaf (every audit entry
records its own time and the root commits to it). `parse_checkpoint` still accepts extension
lines from other logs and keeps them in `Checkpoint.extensions`.

Pure: no I/O and no clock. `generate_signer` alone draws from the OS random source.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16; Go's package allows 100
_SIG_PREFIX = "\u2014 "  # em dash, space
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = (1 << 63) - 1


class NoteError(ValueError):
    """A note that must not be trusted; the subclasses say why."""


class MalformedNoteError(NoteError):
    """The text is not a signed note (or a checkpoint) at all."""


class UnverifiedNoteError(NoteError):
    """No signature on the note is by a key the caller trusts."""


class InvalidSignatureError(NoteError):
    """A trusted key's signature is on the note but does not verify: reject the whole note."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def _valid_name(name: str) -> bool:
    """Non-empty, no Unicode space, no plus, no control character (the spec's rule, and Go's)."""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """The 32-bit ID naming an Ed25519 key in signature lines: SHA-256(name\\n 0x01 key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _check_key(name: str, key: bytes, what: str) -> None:
    if not _valid_name(name):
        raise ValueError(f"{name!r} is not a key name: non-empty, without spaces or '+'")
    if len(key) != 32:
        raise ValueError(f"an Ed25519 {what} is 32 bytes, got {len(key)}")


def verifier_key(name: str, public_key: bytes) -> str:
    """The public key as text, `<name>+<id>+<base64(0x01 || key)>`, to publish and configure."""
    _check_key(name, public_key, "public key")
    data = _b64(bytes([ALG_ED25519]) + public_key)
    return f"{name}+{key_id(name, public_key):08x}+{data}"


def signer_key(name: str, seed: bytes) -> str:
    """The private key as text, `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`, for settings."""
    _check_key(name, seed, "seed")
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    data = _b64(bytes([ALG_ED25519]) + seed)
    return f"PRIVATE+KEY+{name}+{key_id(name, public):08x}+{data}"


def generate_signer(name: str) -> str:
    """A new random signer key; derive what to publish with `Signer.parse(key).verifier_key`."""
    return signer_key(name, secrets.token_bytes(32))


def _parse_key_data(hex_id: str, data: str, what: str) -> tuple[int, bytes]:
    raw = _unb64(data)
    if not _HEX8.fullmatch(hex_id) or raw is None or len(raw) != 33:
        raise ValueError(f"malformed {what}")
    if raw[0] != ALG_ED25519:
        raise ValueError(f"{what} uses unknown signature type {raw[0]:#04x}, not Ed25519 (0x01)")
    return int(hex_id, 16), raw[1:]


@dataclass(frozen=True, slots=True)
class Verifier:
    """A trusted public key, identified in signature lines by (name, key ID)."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Read `<name>+<id>+<data>`; the ID must match the key, so a typo cannot slip through."""
        name, _, rest = vkey.partition("+")
        hex_id, _, data = rest.partition("+")
        if not _valid_name(name):
            raise ValueError("malformed verifier key")
        ident, public = _parse_key_data(hex_id, data, "verifier key")
        if ident != key_id(name, public):
            raise ValueError(f"verifier key {name}+{hex_id}: the key ID does not match the key")
        return cls(name, ident, public)

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key able to sign notes; its seed never appears in a repr."""

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Read `PRIVATE+KEY+<name>+<id>+<data>`; the ID must match the derived public key."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _valid_name(parts[2]):
            raise ValueError("malformed signer key")
        name, hex_id, data = parts[2:]
        ident, seed = _parse_key_data(hex_id, data, "signer key")
        signer = cls(name, ident, seed)
        if ident != key_id(name, signer.public_key):
            raise ValueError(f"signer key {name}+{hex_id}: the key ID does not match the key")
        return signer

    @property
    def public_key(self) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.public_key)

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


# --- signed notes -------------------------------------------------------------------------------


def _check_chars(text: str) -> bool:
    """Valid UTF-8 (no lone surrogates) and no control character but newline, as the spec asks."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 0x20 and c != "\n" for c in text)


def sign_note(text: str, signer: Signer | str) -> str:
    """`text` followed by a blank line and one signature line by `signer` (key or key text)."""
    if isinstance(signer, str):
        signer = Signer.parse(signer)
    if not text.endswith("\n") or not _check_chars(text):
        raise MalformedNoteError(
            "a note text must end in a newline and hold no control character but newlines"
        )
    signature = signer.key_id.to_bytes(4, "big") + signer.sign(text.encode("utf-8"))
    return f"{text}\n{_SIG_PREFIX}{signer.name} {_b64(signature)}\n"


def _verifier_index(vkeys: Iterable[Verifier | str]) -> dict[tuple[str, int], list[Verifier]]:
    index: dict[tuple[str, int], list[Verifier]] = {}
    for vkey in vkeys:
        v = Verifier.parse(vkey) if isinstance(vkey, str) else vkey
        same = index.setdefault((v.name, v.key_id), [])
        if v not in same:
            same.append(v)
    return index


def open_note(note: str | bytes, vkeys: Iterable[Verifier | str]) -> str:
    """The note's text, once a signature by one of `vkeys` verifies; raises NoteError otherwise.

    As the spec and Go's note.Open: signatures by unknown keys are ignored (they may be witness
    cosignatures or a rotated key), a known key whose signature fails rejects the whole note
    (InvalidSignatureError), and a note no known key signed is rejected (UnverifiedNoteError).
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("malformed note: not UTF-8") from None
    if not _check_chars(note):
        raise MalformedNoteError("malformed note: control characters or invalid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("malformed note: the signature lines must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")

    known = _verifier_index(vkeys)
    message = text.encode("utf-8")
    verified: set[tuple[str, int]] = set()
    seen: list[str] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"malformed note: {line!r} is not a signature line")
        name, _, data = line[len(_SIG_PREFIX) :].partition(" ")
        raw = _unb64(data)
        if not _valid_name(name) or not data or raw is None or len(raw) < 5:
            raise MalformedNoteError(f"malformed note: bad signature line {line!r}")
        ident = int.from_bytes(raw[:4], "big")
        seen.append(f"{name}+{ident:08x}")
        candidates = known.get((name, ident))
        if candidates is None or (name, ident) in verified:
            continue  # unknown key, or a repeat of a signature already checked
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {name}+{ident:08x}: several trusted keys share it")
        if not candidates[0].verify(message, raw[4:]):
            raise InvalidSignatureError(f"invalid signature for key {name}+{ident:08x}")
        verified.add((name, ident))
    if not verified:
        trusted = ", ".join(f"{n}+{i:08x}" for n, i in known) or "none"
        raise UnverifiedNoteError(
            f"note has no verifiable signatures: signed by {', '.join(seen)}; trusted: {trusted}"
        )
    return text


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: its origin, the tree size and the RFC 6962 root at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or not _check_chars(self.origin) or "\n" in self.origin:
            raise ValueError(f"{self.origin!r} is not a checkpoint origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= _MAX_SIZE:
            raise ValueError(f"{self.size!r} is not a tree size")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise ValueError("a checkpoint root is a 32-byte SHA-256 hash")
        for line in self.extensions:
            if not line or "\n" in line or not _check_chars(line):
                raise ValueError(f"{line!r} is not an extension line: one non-empty line")

    def body(self) -> str:
        """The note text to sign: origin, size, base64 root, extension lines, each ending \\n."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body, strictly (no leading zeros, canonical base64, 32-byte root).

    `text` is the note text, as `open_note` returns it once verified; parsing unverified text
    tells nothing about the log.
    """
    if not text.endswith("\n"):
        raise MalformedNoteError("malformed checkpoint: the text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedNoteError("malformed checkpoint: needs origin, size and root lines")
    origin, size, root_text, *extensions = lines
    if not _SIZE.fullmatch(size) or int(size) > _MAX_SIZE:
        raise MalformedNoteError(f"malformed checkpoint: {size!r} is not a tree size")
    root = _unb64(root_text)
    if root is None or len(root) != 32 or _b64(root) != root_text:
        raise MalformedNoteError(f"malformed checkpoint: {root_text!r} is not a base64 hash")
    try:
        return Checkpoint(origin, int(size), root, tuple(extensions))
    except ValueError as e:
        raise MalformedNoteError(f"malformed checkpoint: {e}") from None


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer | str) -> str:
    """The checkpoint as a signed note; the key's name should be the log's origin (spec)."""
    return sign_note(checkpoint.body(), signer)


def open_checkpoint(
    note: str | bytes, vkeys: Iterable[Verifier | str], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and read it; with `origin`, refuse another log's checkpoint."""
    checkpoint = parse_checkpoint(open_note(note, vkeys))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
