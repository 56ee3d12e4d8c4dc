"""The registry, ``scheme:value`` parsing, the Identifier type and junk input over all schemes."""

from __future__ import annotations

import contextlib
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from id_strategies import make_ric

from xinyong.errors import XinyongError
from xinyong.identifiers import (
    Identifier,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    Rule,
    UnknownScheme,
    cn_ric,
    get_scheme,
    is_valid,
    parse,
    scheme_names,
    split_text,
    validate,
)

CANONICAL = [
    "cn_ric:11010519491231002X",
    "cn_uscc:91110000600037341L",
    "lei:213800KUD8LAJWSQ9D15",
    "passport:CN:E12345678",
    "company_number:GB:01234567",
]


def test_registry_lists_every_scheme() -> None:
    assert scheme_names() == ("cn_ric", "cn_uscc", "lei", "us_ssn", "passport", "company_number")
    assert get_scheme("cn_ric") is cn_ric


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_text_round_trips(text: str) -> None:
    identifier = parse(text)
    assert str(identifier) == text
    assert parse(str(identifier)) == identifier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CN_RIC : 110105 19491231 002x", Identifier("cn_ric", "11010519491231002X", "CN")),
        ("lei:213800kud8lajwsq9d15", Identifier("lei", "213800KUD8LAJWSQ9D15", None)),
        ("passport:cn:e 1234 5678", Identifier("passport", "E12345678", "CN")),
        ("ｃｎ＿ｕｓｃｃ：91110000600037341L", Identifier("cn_uscc", "91110000600037341L", "CN")),
    ],
)
def test_parse_normalises(text: str, expected: Identifier) -> None:
    assert parse(text) == expected


def test_masked_value_for_the_store() -> None:
    assert parse("cn_ric:11010519491231002X").masked() == "*" * 14 + "002X"
    assert parse("passport:CN:E12345678").masked() == "*****5678"


@pytest.mark.parametrize("text", CANONICAL)
def test_masks_show_at_most_four_characters(text: str) -> None:
    # The store refuses a value_masked with more than 4 visible characters.
    identifier = parse(text)
    scheme_value = text.split(":", 1)[1]
    for masked in (identifier.masked(), get_scheme(identifier.scheme).mask(scheme_value)):
        assert sum(c.isalnum() for c in masked) == 4
        assert masked.endswith(identifier.value[-4:])


def test_validate_keeps_warnings_and_parse_drops_them() -> None:
    text = f"cn_ric:{make_ric('110103', '19800101')}"  # retired area code
    result = validate(*split_text(text))
    assert result.warnings
    assert Identifier.from_validated(result) == parse(text)


def test_country_furnished_beside_the_value() -> None:
    assert validate("passport", "E12345678", country="cn").country == "CN"
    assert validate("cn_ric", "11010519491231002X", country="CN").value == "11010519491231002X"
    assert validate("lei", "213800KUD8LAJWSQ9D15", country="GB").country is None
    for scheme, value, country in [
        ("cn_ric", "11010519491231002X", "HK"),
        ("passport", "CN:E12345678", "GB"),
    ]:
        with pytest.raises(InvalidComponent) as caught:
            validate(scheme, value, country=country)
        assert caught.value.rule == Rule.COUNTRY


@pytest.mark.parametrize(
    ("text", "error", "rule"),
    [
        ("11010519491231002X", InvalidFormat, Rule.SCHEME),
        (":11010519491231002X", InvalidFormat, Rule.SCHEME),
        ("ssn:123-45-6789", UnknownScheme, Rule.SCHEME),
        ("cn_ric:110105194912310021", InvalidChecksum, Rule.CHECKSUM),
    ],
)
def test_parse_rejections(text: str, error: type[InvalidIdentifier], rule: str) -> None:
    with pytest.raises(error) as caught:
        parse(text)
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    ("scheme", "value", "country"),
    [
        ("nope", "X", None),
        ("cn_ric", "11010519491231002x", "CN"),  # not compact
        ("cn_ric", "110105 19491231002X", "CN"),
        ("cn_ric", "11010519491231002X", None),  # CN numbers belong to CN
        ("lei", "213800KUD8LAJWSQ9D15", "GB"),  # LEIs are global
        ("passport", "E12345678", None),
        ("passport", "E12345678", "cn"),
    ],
)
def test_identifier_constructor_refuses_non_canonical_fields(
    scheme: str, value: str, country: str | None
) -> None:
    with pytest.raises(InvalidIdentifier):
        Identifier(scheme, value, country)


def test_exceptions_carry_scheme_and_rule_and_pickle() -> None:
    with pytest.raises(InvalidChecksum) as caught:
        parse("cn_ric:110105194912310021")
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, XinyongError)
    assert (error.scheme, error.rule) == ("cn_ric", "checksum")
    assert "checksum" in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is InvalidChecksum
    assert (copy.scheme, copy.rule, copy.message) == (error.scheme, error.rule, error.message)


JUNK: list[Any] = [
    "",
    " ",
    "\t\n\r",
    "\x00",
    "None",
    "null",
    "NaN",
    "undefined",
    "-",
    ":",
    "::::",
    "CN:",
    ":CN:",
    "🙂" * 18,
    "１" * 18,
    "ß" * 10,
    "\ud800" * 18,
    "\u202e11010519491231002X",
    "\ufdfa" * 200,
    "1" * 10_000,
    "X" * 257,
    "' OR 1=1 --",
    None,
    0,
    12345678901234567,
    1.5,
    b"11010519491231002X",
    ["11010519491231002X"],
    object(),
]


def _assert_only_typed_errors(scheme_name: str, junk: Any) -> None:
    scheme = get_scheme(scheme_name)
    assert isinstance(scheme.is_valid(junk), bool)
    for function in (scheme.compact, scheme.format, scheme.mask, scheme.validate):
        try:
            result = function(junk)
        except InvalidIdentifier:
            continue
        assert isinstance(result, str)
    with contextlib.suppress(InvalidIdentifier):
        scheme.check(junk)
    for text in (junk, f"{scheme_name}:{junk}"):
        with contextlib.suppress(InvalidIdentifier):
            parse(text)
    assert isinstance(is_valid(scheme_name, junk), bool)


@pytest.mark.parametrize("scheme_name", scheme_names())
@pytest.mark.parametrize("junk", JUNK, ids=lambda j: repr(j)[:20])
def test_junk_raises_only_invalid_identifier(scheme_name: str, junk: Any) -> None:
    _assert_only_typed_errors(scheme_name, junk)


@settings(max_examples=200)
@given(st.sampled_from(scheme_names()), st.text(max_size=40))
def test_fuzzed_text_raises_only_invalid_identifier(scheme_name: str, text: str) -> None:
    _assert_only_typed_errors(scheme_name, text)


@pytest.mark.parametrize("junk", JUNK, ids=lambda j: repr(j)[:20])
def test_junk_scheme_names_are_typed_errors(junk: Any) -> None:
    with pytest.raises(InvalidIdentifier):
        validate(junk, "11010519491231002X")
