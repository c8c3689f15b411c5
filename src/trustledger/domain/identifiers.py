"""Subject identifiers: who a record is about, written `scheme:value`.

A record may only name a subject by an identifier an authority issued, and only one whose
check character holds, so a typo can never attach a record to somebody else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from operator import mul


class SubjectKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    PUBLIC_BODY = "public_body"


class IdentifierError(ValueError):
    """An identifier that names nobody; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class SubjectId:
    scheme: str
    value: str
    kind: SubjectKind

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


RID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RID_CHECK = "10X98765432"
# Province-level prefixes of GB/T 2260 area codes (71 Taiwan, 81-83 HK, Macao, and
# the 83 used on residence permits).
RID_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "  # noqa: SIM905
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def rid_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident identity number."""
    if len(first17) != len(RID_WEIGHTS):
        raise ValueError(f"a check character is computed from 17 digits, got {len(first17)}")
    total = sum(map(mul, map(int, first17), RID_WEIGHTS))  # (an import computes thousands)
    return RID_CHECK[total % 11]


def uscc_check_character(first17: str) -> str:
    """GB 32100 check character: 31 - (weighted sum mod 31), with 31 written as 0."""
    total = sum(USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _expect_length(value: str, n: int, what: str) -> None:
    if len(value) != n:
        raise IdentifierError(f"{what} must be {n} characters long, got {len(value)}")


def validate_rid(value: str) -> str:
    """Normalize and check a GB 11643 resident identity number; return it upper-cased."""
    value = value.strip().upper()
    _expect_length(value, 18, "cn-rid")
    if not (value[:17].isascii() and value[:17].isdigit()):  # which one, then
        for i, c in enumerate(value[:17], start=1):
            if not c.isdigit() or not c.isascii():
                raise IdentifierError(
                    f"cn-rid: character at position {i} must be a digit, got {c!r}"
                )
    if value[0:2] not in RID_PROVINCES:
        raise IdentifierError(f"cn-rid: area code {value[0:6]} names no province")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdentifierError(
            f"cn-rid: birth date {value[6:14]} at positions 7-14 is not a valid date"
        ) from None
    if born.year < 1900:
        raise IdentifierError(f"cn-rid: birth date {value[6:14]} is before 1900")
    expected = rid_check_character(value[:17])
    if value[17] != expected:
        raise IdentifierError(f"cn-rid: check character expected {expected}, got {value[17]}")
    return value


def validate_uscc(value: str, legacy: frozenset[str] = frozenset()) -> str:
    """Normalize and check a GB 32100 Unified Social Credit Code.

    A few early codes were issued with a wrong check character and are still legally valid;
    they pass only when the deployment lists them in `legacy`.
    """
    value = value.strip().upper()
    _expect_length(value, 18, "cn-uscc")
    for i, c in enumerate(value, start=1):
        if c not in USCC_VALUE:
            raise IdentifierError(
                f"cn-uscc: character at position {i} is {c!r}, not in the code alphabet "
                "(digits and capitals without I, O, Z, S, V)"
            )
    for i in range(3, 9):
        if not value[i - 1].isdigit():
            raise IdentifierError(f"cn-uscc: character at position {i} must be a digit (area)")
    expected = uscc_check_character(value[:17])
    if value[17] != expected and value not in legacy:
        raise IdentifierError(f"cn-uscc: check character expected {expected}, got {value[17]}")
    return value


def uscc_kind(value: str) -> SubjectKind:
    """Codes registered by the staffing office (1) as organs (1) belong to public bodies."""
    return SubjectKind.PUBLIC_BODY if value.startswith("11") else SubjectKind.ORGANIZATION


@dataclass(frozen=True, slots=True)
class Scheme:
    """How one identifier scheme checks its values and which kind of subject they name."""

    name: str
    validate: Callable[[str], str]
    kind_of: Callable[[str], SubjectKind]


def pattern_scheme(name: str, kind: SubjectKind, pattern: str) -> Scheme:
    """A deployment's own scheme (a passport series, a foreign register): a regex and a kind."""
    compiled = re.compile(pattern)

    def validate(value: str) -> str:
        value = value.strip()
        if not compiled.fullmatch(value):
            raise IdentifierError(f"{name}: {value!r} does not match {pattern}")
        return value

    return Scheme(name, validate, lambda _value: kind)


@dataclass(frozen=True)
class SchemeRegistry:
    """The identifier schemes a deployment accepts; `cn-rid` and `cn-uscc` are always there."""

    schemes: Mapping[str, Scheme] = field(default_factory=dict)
    # Parsed identifiers and refusals: a ledger sees the same subjects again and again.
    _seen: dict[str, SubjectId | str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def default(
        cls, legacy_uscc: Iterable[str] = (), extra: Iterable[Scheme] = ()
    ) -> SchemeRegistry:
        legacy = frozenset(code.strip().upper() for code in legacy_uscc)
        schemes = {
            "cn-rid": Scheme("cn-rid", validate_rid, lambda _v: SubjectKind.PERSON),
            "cn-uscc": Scheme("cn-uscc", lambda v: validate_uscc(v, legacy), uscc_kind),
        }
        for scheme in extra:
            if scheme.name in schemes:
                raise ValueError(f"scheme {scheme.name!r} is already registered")
            schemes[scheme.name] = scheme
        return cls(schemes)

    def parse(self, text: str) -> SubjectId:
        seen = self._seen.get(text)
        if seen is None:
            try:
                seen = self._parse(text)
            except IdentifierError as exc:
                seen = str(exc)
            if len(self._seen) >= 1_000_000:
                self._seen.clear()
            self._seen[text] = seen
        if isinstance(seen, str):
            raise IdentifierError(seen)
        return seen

    def _parse(self, text: str) -> SubjectId:
        scheme_name, sep, raw = text.strip().partition(":")
        if not sep:
            raise IdentifierError(f"identifier {text!r} must be written scheme:value")
        scheme = self.schemes.get(scheme_name)
        if scheme is None:
            known = ", ".join(sorted(self.schemes))
            raise IdentifierError(f"unknown identifier scheme {scheme_name!r} (known: {known})")
        value = scheme.validate(raw)
        return SubjectId(scheme_name, value, scheme.kind_of(value))


def mask(identifier: str) -> str:
    """Mask the middle of an identifier for public lists: 110105********002X."""
    scheme, _, value = identifier.partition(":")
    if len(value) <= 4:  # too short to show both ends without showing it all
        return f"{scheme}:{'*' * len(value)}"
    if len(value) <= 10:
        return f"{scheme}:{value[:2]}{'*' * max(len(value) - 4, 0)}{value[-2:]}"
    return f"{scheme}:{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"
