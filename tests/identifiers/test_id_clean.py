"""``clean``'s shortcut for already clean text gives what the full normalisation gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from stdnum.util import clean as stdnum_clean

from xinyong.identifiers.base import clean

ASCII_ALNUM = st.text(
    alphabet=st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    max_size=40,
)


def full(value: str, deletechars: str) -> str:
    """The normalisation without the shortcut: NFKC, stdnum's clean, no whitespace, upper."""
    text = stdnum_clean(unicodedata.normalize("NFKC", value), deletechars)
    return "".join(text.split()).upper()


@given(ASCII_ALNUM, st.sampled_from([" -", "", " -<", "-"]))
def test_clean_ascii_alnum_is_the_full_normalisation(value: str, deletechars: str) -> None:
    assert clean(value, "test", deletechars) == full(value, deletechars)


@given(st.text(max_size=40), st.sampled_from([" -", "", " -<"]))
def test_clean_of_any_text_is_the_full_normalisation(value: str, deletechars: str) -> None:
    assert clean(value, "test", deletechars) == full(value, deletechars)


def test_a_deletion_set_with_letters_takes_the_full_path() -> None:
    assert clean("AB12", "test", "A") == "B12"
