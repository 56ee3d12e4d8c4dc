"""The SQL fragments agree with the Python they stand for, on any text."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from xinyong.identifiers import keyed_hash
from xinyong.identifiers.base import mask_compact
from xinyong.ingest.fast.canonical_sql import StagedField
from xinyong.ingest.fast.prep import prepare
from xinyong.ingest.fast.sqltext import hmac_sha256, literal, mask

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
CON = duckdb.connect()


def sql(expr: str, **params: object) -> object:
    return CON.execute(f"SELECT {expr}", params).fetchall()[0][0]


@given(st.lists(TEXT, min_size=1, max_size=5))
def test_prepared_text_is_python_strip(texts: list[str]) -> None:
    """Arrow's trim with Python's whitespace set, and the control-character flags."""
    table = pa.table({"v_city": pa.array(texts, pa.string())})
    prepared, fields = prepare(table, {"city": StagedField(True, frozenset("s"))})
    # Where no value can need stripping, the values themselves are the stripped text.
    column = "st_city" if fields["city"].stripped else "v_city"
    assert prepared.column(column).to_pylist() == [t.strip() for t in texts]
    # The reference searches the stripped text (a trailing \x1f is whitespace, not kept).
    controls = [bool(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", t.strip())) for t in texts]
    if fields["city"].controls:
        assert prepared.column("ctl_city").to_pylist() == controls
    else:
        assert not any(controls)


@given(TEXT)
def test_mask_is_mask_compact(text: str) -> None:
    assert sql(mask("$t"), t=text) == mask_compact(text)


@given(TEXT)
def test_literal_round_trips(text: str) -> None:
    assert sql(literal(text)) == text


@given(
    st.binary(min_size=1, max_size=100),
    st.lists(TEXT.filter(lambda t: "|" not in t), min_size=1, max_size=4),
)
def test_hmac_is_keyed_hash(key: bytes, parts: list[str]) -> None:
    """Keys longer than the 64-byte block are hashed first, as RFC 2104 says."""
    assert sql(hmac_sha256(key, "$m"), m="|".join(parts)) == keyed_hash(key, *parts)
