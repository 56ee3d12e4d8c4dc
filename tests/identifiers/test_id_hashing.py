"""Keyed hashes of identifiers: stable across spellings, keyed, scheme-separated."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from id_strategies import cn_rics

from xinyong.identifiers import (
    Identifier,
    canonical_string,
    identifier_hash,
    keyed_hash,
    parse,
)

KEY = b"test-key-not-for-production"


def test_hash_is_hmac_sha256_over_the_canonical_string() -> None:
    identifier = parse("cn_ric:11010519491231002X")
    assert canonical_string(identifier) == "cn_ric|CN|11010519491231002X"
    expected = hmac.new(KEY, b"cn_ric|CN|11010519491231002X", hashlib.sha256).hexdigest()
    assert identifier_hash(KEY, identifier) == expected
    assert len(expected) == 64
    lei = parse("lei:213800KUD8LAJWSQ9D15")
    assert canonical_string(lei) == "lei||213800KUD8LAJWSQ9D15"


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "cn_ric:11010519491231002X",
            "CN_RIC: 110105-19491231-002x",
            "cn_ric:１１０１０５１９４９１２３１００２ｘ",
        ],
        ["passport:CN:E12345678", "passport: cn :e 1234 5678<<"],
        ["company_number:GB:01234567", "company_number:gb:1234567"],
        ["lei:213800KUD8LAJWSQ9D15", "lei:2138 00KU D8LA JWSQ 9D15"],
    ],
)
def test_different_spellings_hash_the_same(spellings: list[str]) -> None:
    hashes = {identifier_hash(KEY, parse(text)) for text in spellings}
    assert len(hashes) == 1


@settings(max_examples=30)
@given(cn_rics())
def test_lowercase_and_spaced_spellings_hash_the_same(number: str) -> None:
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert identifier_hash(KEY, parse(f"cn_ric:{spaced}")) == identifier_hash(
        KEY, parse(f"cn_ric:{number}")
    )


def test_different_key_gives_different_hash() -> None:
    identifier = parse("cn_ric:11010519491231002X")
    assert identifier_hash(KEY, identifier) != identifier_hash(KEY + b"2", identifier)


def test_scheme_is_part_of_the_hash() -> None:
    passport = Identifier("passport", "E12345678", "CN")
    company = Identifier("company_number", "E12345678", "CN")
    assert identifier_hash(KEY, passport) != identifier_hash(KEY, company)


def test_country_is_part_of_the_hash() -> None:
    assert identifier_hash(KEY, Identifier("passport", "E12345678", "CN")) != identifier_hash(
        KEY, Identifier("passport", "E12345678", "HK")
    )


def test_keyed_hash_for_account_numbers() -> None:
    a = keyed_hash(KEY, "account", "furnisher-1", "6222021234567890")
    assert a == keyed_hash(KEY, "account", "furnisher-1", "6222021234567890")
    assert a != keyed_hash(KEY, "account", "furnisher-2", "6222021234567890")
    assert identifier_hash(KEY, parse("lei:213800KUD8LAJWSQ9D15")) == keyed_hash(
        KEY, "lei", "", "213800KUD8LAJWSQ9D15"
    )


@pytest.mark.parametrize(
    ("key", "parts", "error"),
    [
        (b"", ("a",), ValueError),
        ("text-key", ("a",), ValueError),
        (KEY, (), ValueError),
        (KEY, ("a", 1), TypeError),
    ],
)
def test_keyed_hash_refuses_unkeyed_or_non_text_input(
    key: bytes, parts: tuple[str, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        keyed_hash(key, *parts)


def test_parts_without_the_separator_keep_their_hash() -> None:
    """Hashes already in ledgers were taken over ``|``-joined UTF-8: those must not change."""
    want = hmac.new(KEY, b"account|bank-1|6222 0001", hashlib.sha256).hexdigest()
    assert keyed_hash(KEY, "account", "bank-1", "6222 0001") == want


def test_parts_with_the_separator_are_hashed_unambiguously() -> None:
    """``|`` in a part is accepted (never a crash), and no two part lists share a hash."""
    part_lists = [
        ("a|b", "c"),
        ("a", "b|c"),
        ("a", "b", "c"),
        ("a|b|c",),
        ("account", "bank", "12|34"),
        ("account", "bank|12", "34"),
        ("account|bank|12|34",),
    ]
    hashes = {keyed_hash(KEY, *parts) for parts in part_lists}
    assert len(hashes) == len(part_lists)
    message = b"\xff" + b"".join(
        len(p.encode()).to_bytes(8, "big") + p.encode() for p in ("account", "bank", "12|34")
    )
    assert keyed_hash(KEY, "account", "bank", "12|34") == (
        hmac.new(KEY, message, hashlib.sha256).hexdigest()
    )


def test_a_lone_surrogate_is_hashed_not_raised() -> None:
    assert len(keyed_hash(KEY, "account", "bank", "\ud800")) == 64
