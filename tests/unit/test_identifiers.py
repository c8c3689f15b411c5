"""Identifiers: only a number an authority could have issued names a subject."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.strategies import PROPERTY, rid_values, uscc_values
from trustledger.domain.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    SchemeRegistry,
    SubjectId,
    SubjectKind,
    mask,
    pattern_scheme,
    rid_check_character,
    uscc_check_character,
    uscc_kind,
    validate_rid,
    validate_uscc,
)

RID = "11010519491231002X"  # Beijing Chaoyang, born 1949-12-31, check character X
RID_DIGIT_CHECK = "110105199003071239"
RID_LEAP_DAY = "11010120000229000X"
USCC = "91350100M000100Y43"
USCC_CHECK_ZERO = "911100000000000250"  # weighted sum divisible by 31: 31 is written as 0
USCC_PUBLIC_BODY = "111100000000000030"


# --- cn-rid --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [RID, RID_DIGIT_CHECK, RID_LEAP_DAY])
def test_valid_rid_is_accepted(value: str) -> None:
    assert validate_rid(value) == value


def test_rid_check_character_is_iso7064_mod11_2() -> None:
    assert rid_check_character(RID[:17]) == "X"
    assert rid_check_character(RID_DIGIT_CHECK[:17]) == "9"


def test_rid_lower_case_x_is_normalized() -> None:
    assert validate_rid(RID.lower()) == RID
    assert validate_rid(f"  {RID[:17]}x ") == RID


@pytest.mark.parametrize("value", [RID[:17], RID + "1", "", RID[:15]])
def test_rid_of_wrong_length_is_rejected(value: str) -> None:
    with pytest.raises(IdentifierError, match=f"18 characters long, got {len(value)}"):
        validate_rid(value)


@pytest.mark.parametrize("position", [1, 5, 9, 17])
def test_rid_with_non_digit_names_the_position(position: int) -> None:
    value = RID[: position - 1] + "A" + RID[position:]
    with pytest.raises(IdentifierError, match=f"position {position} must be a digit, got 'A'"):
        validate_rid(value)


def test_rid_with_non_ascii_digit_is_rejected() -> None:
    value = "１" + RID[1:]  # a full-width digit is a digit to str.isdigit, not to GB 11643
    with pytest.raises(IdentifierError, match="position 1 must be a digit"):
        validate_rid(value)


def test_rid_with_unknown_province_is_rejected() -> None:
    first17 = "99" + RID[2:17]
    with pytest.raises(IdentifierError, match="area code 990105 names no province"):
        validate_rid(first17 + rid_check_character(first17))


@pytest.mark.parametrize("born", ["19491331", "19490230", "20010229", "19490000", "18991231"])
def test_rid_with_bad_birth_date_is_rejected(born: str) -> None:
    first17 = RID[:6] + born + RID[14:17]
    with pytest.raises(IdentifierError, match=f"birth date {born}"):
        validate_rid(first17 + rid_check_character(first17))


def test_rid_with_wrong_check_character_says_expected_and_got() -> None:
    with pytest.raises(IdentifierError, match="check character expected X, got 3"):
        validate_rid(RID[:17] + "3")
    with pytest.raises(IdentifierError, match="check character expected 9, got X"):
        validate_rid(RID_DIGIT_CHECK[:17] + "X")


@given(rid_values())
@settings(PROPERTY, max_examples=150)
def test_generated_rids_are_valid(value: str) -> None:
    assert validate_rid(value) == value
    assert validate_rid(value.lower()) == value


@given(rid_values(), st.integers(0, 17), st.sampled_from("0123456789X"))
@settings(PROPERTY, max_examples=200)
def test_any_single_character_corruption_of_a_rid_is_detected(
    value: str, position: int, replacement: str
) -> None:
    if value[position] == replacement:
        replacement = "0" if replacement != "0" else "1"
    corrupted = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_rid(corrupted)


# --- cn-uscc -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [USCC, USCC_CHECK_ZERO, USCC_PUBLIC_BODY])
def test_valid_uscc_is_accepted(value: str) -> None:
    assert validate_uscc(value) == value


def test_uscc_is_normalized_to_upper_case() -> None:
    assert validate_uscc(USCC.lower()) == USCC


def test_uscc_check_31_is_written_as_0() -> None:
    first17 = USCC_CHECK_ZERO[:17]
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    assert total % 31 == 0
    assert uscc_check_character(first17) == "0"


def test_uscc_alphabet_lacks_i_o_z_s_v() -> None:
    assert len(USCC_ALPHABET) == 31
    for letter in "IOZSV":
        assert letter not in USCC_ALPHABET


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_uscc_with_a_letter_outside_the_alphabet_is_rejected(letter: str) -> None:
    value = USCC[:9] + letter + USCC[10:]
    with pytest.raises(IdentifierError, match=f"position 10 is '{letter}', not in the code"):
        validate_uscc(value)


def test_uscc_area_must_be_digits() -> None:
    first17 = "91A50100M000100Y4"
    with pytest.raises(IdentifierError, match="position 3 must be a digit"):
        validate_uscc(first17 + uscc_check_character(first17))


@pytest.mark.parametrize("value", [USCC[:17], USCC + "0"])
def test_uscc_of_wrong_length_is_rejected(value: str) -> None:
    with pytest.raises(
        IdentifierError, match=f"cn-uscc must be 18 characters long, got {len(value)}"
    ):
        validate_uscc(value)


def test_uscc_with_wrong_check_character_says_expected_and_got() -> None:
    with pytest.raises(IdentifierError, match="check character expected 3, got 4"):
        validate_uscc(USCC[:17] + "4")


def test_legacy_uscc_is_accepted_only_when_listed() -> None:
    legacy = USCC[:17] + "4"
    with pytest.raises(IdentifierError):
        validate_uscc(legacy)
    assert validate_uscc(legacy, frozenset({legacy})) == legacy
    with pytest.raises(IdentifierError):  # a list naming another code does not help
        validate_uscc(legacy, frozenset({USCC[:17] + "5"}))
    # The allow-list never excuses a malformed code.
    with pytest.raises(IdentifierError, match="not in the code alphabet"):
        validate_uscc(USCC[:17] + "I", frozenset({USCC[:17] + "I"}))


def test_registry_accepts_a_legacy_uscc_only_when_configured() -> None:
    legacy = USCC[:17] + "4"
    with pytest.raises(IdentifierError, match="check character"):
        SchemeRegistry.default().parse(f"cn-uscc:{legacy}")
    registry = SchemeRegistry.default(legacy_uscc=[f" {legacy.lower()} "])
    assert registry.parse(f"cn-uscc:{legacy}") == SubjectId(
        "cn-uscc", legacy, SubjectKind.ORGANIZATION
    )


@given(uscc_values())
@settings(PROPERTY, max_examples=150)
def test_generated_usccs_are_valid(value: str) -> None:
    assert validate_uscc(value) == value


@given(uscc_values(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
@settings(PROPERTY, max_examples=200)
def test_single_character_corruption_of_a_uscc_is_detected(
    value: str, position: int, replacement: str
) -> None:
    if value[position] == replacement:
        return
    corrupted = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_uscc(corrupted)


# --- kinds and registry --------------------------------------------------------------------------


def test_uscc_kind_follows_the_registering_authority() -> None:
    assert uscc_kind(USCC_PUBLIC_BODY) == SubjectKind.PUBLIC_BODY
    assert uscc_kind(USCC) == SubjectKind.ORGANIZATION
    assert uscc_kind("12" + USCC[2:]) == SubjectKind.ORGANIZATION  # 12: public institution


def test_registry_infers_the_kind() -> None:
    registry = SchemeRegistry.default()
    assert registry.parse(f"cn-rid:{RID}") == SubjectId("cn-rid", RID, SubjectKind.PERSON)
    assert registry.parse(f"cn-uscc:{USCC}").kind == SubjectKind.ORGANIZATION
    assert registry.parse(f"cn-uscc:{USCC_PUBLIC_BODY}").kind == SubjectKind.PUBLIC_BODY
    assert str(registry.parse(f" cn-rid:{RID.lower()} ")) == f"cn-rid:{RID}"


@given(uscc_values(public_body=True))
@settings(PROPERTY, max_examples=50)
def test_every_uscc_starting_with_11_is_a_public_body(value: str) -> None:
    assert SchemeRegistry.default().parse(f"cn-uscc:{value}").kind == SubjectKind.PUBLIC_BODY


def test_registry_rejects_unknown_scheme_and_missing_scheme() -> None:
    registry = SchemeRegistry.default()
    with pytest.raises(IdentifierError, match=r"unknown identifier scheme 'passport' \(known: "):
        registry.parse("passport:E12345678")
    with pytest.raises(IdentifierError, match="must be written scheme:value"):
        registry.parse(RID)


def test_registry_reports_the_scheme_error() -> None:
    with pytest.raises(IdentifierError, match="cn-rid: check character"):
        SchemeRegistry.default().parse(f"cn-rid:{RID[:17]}1")


def test_registry_with_an_extra_pattern_scheme() -> None:
    passport = pattern_scheme("hk-br", SubjectKind.ORGANIZATION, r"[0-9]{8}")
    registry = SchemeRegistry.default(extra=[passport])
    assert registry.parse("hk-br: 12345678 ") == SubjectId(
        "hk-br", "12345678", SubjectKind.ORGANIZATION
    )
    with pytest.raises(IdentifierError, match="hk-br: '1234567' does not match"):
        registry.parse("hk-br:1234567")
    with pytest.raises(IdentifierError, match="does not match"):
        registry.parse("hk-br:123456789")  # fullmatch, not a prefix
    # The built-in schemes stay.
    assert registry.parse(f"cn-rid:{RID}").kind == SubjectKind.PERSON


def test_registry_refuses_to_shadow_a_builtin_scheme() -> None:
    with pytest.raises(ValueError, match="already registered"):
        SchemeRegistry.default(extra=[pattern_scheme("cn-rid", SubjectKind.PERSON, ".*")])


# --- masking -------------------------------------------------------------------------------------


def test_mask_keeps_area_and_last_four() -> None:
    assert mask(f"cn-rid:{RID}") == "cn-rid:110105********002X"
    assert mask(f"cn-uscc:{USCC}") == "cn-uscc:913501********0Y43"


def test_mask_of_a_short_value() -> None:
    assert mask("x:ABCDEFGH") == "x:AB****GH"
    assert mask("x:ABCDEFGHIJ") == "x:AB******IJ"


@pytest.mark.parametrize("value", ["", "A", "AB", "ABC", "ABCD"])
def test_mask_never_discloses_a_very_short_value(value: str) -> None:
    masked = mask(f"x:{value}")
    assert masked == "x:" + "*" * len(value)


@given(st.text(alphabet="0123456789ABCDEFX", min_size=5, max_size=40))
@settings(PROPERTY, max_examples=100)
def test_mask_keeps_length_and_hides_the_middle(value: str) -> None:
    masked = mask(f"s:{value}")
    assert masked.startswith("s:")
    body = masked[2:]
    assert len(body) == len(value)
    assert "*" in body
