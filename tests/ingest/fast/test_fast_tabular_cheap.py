"""Cheaper forms in the tabular fast path that must give exactly what the plain forms give.

A failed ``TRY_CAST`` costs DuckDB its error message (about 0.25 microseconds
a date, and most records leave several dates blank), so blank text is made
NULL before the cast; an identifier's hash message is joined in place where
no part holds the separator; CSV lines are counted with NumPy; a CSV block
without a quote is parsed without looking for line breaks in values. Each is
compared here with the form it replaces, on the inputs where they could
differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from fast_testkit import as_csv, as_jsonl, assert_same
from test_fast_canonical import PERSON

from xinyong.identifiers.hashing import message_bytes
from xinyong.ingest.fast.canonical_sql import StagedField, cast_columns
from xinyong.ingest.fast.id_cache import _message
from xinyong.ingest.fast.outcome import Declined
from xinyong.ingest.fast.sources import _csv_table, _newlines

_TEXTS = [
    None, "", " ", "2024-02-29", "2023-02-30", "0000-01-01", "2024-1-5", "12", "-7", "+3",
    "١٢", "9" * 30, "2024-02-29 ", "x",
]  # fmt: skip


def test_blank_text_is_not_cast_and_every_value_casts_as_before() -> None:
    fields = {
        "date_opened": StagedField(True, frozenset("s")),
        "credit_limit": StagedField(True, frozenset("s")),
    }
    items = cast_columns(fields)
    assert items and all("nullif(" in item for item in items)
    con = duckdb.connect()
    con.register(
        "t", pa.table({"v_date_opened": pa.array(_TEXTS), "v_credit_limit": pa.array(_TEXTS)})
    )
    got = con.execute(f"SELECT {', '.join(items)} FROM t").fetchall()
    plain = con.execute(
        "SELECT TRY_CAST(v_date_opened AS DATE), TRY_CAST(v_credit_limit AS BIGINT) FROM t"
    ).fetchall()
    assert got == plain


@given(st.lists(st.text(alphabet="a|é\ud800Z9", max_size=6), min_size=3, max_size=3))
def test_identifier_message_is_message_bytes(parts: list[str]) -> None:
    scheme, country, value = parts
    assert _message(scheme, country, value) == message_bytes(scheme, country, value)


@given(st.binary(max_size=64).map(lambda b: b.replace(b"\x01", b"\n")), st.data())
def test_newlines_are_counted_as_bytes_count_does(data: bytes, choice: st.DataObject) -> None:
    start = choice.draw(st.integers(0, len(data)))
    end = choice.draw(st.integers(start, len(data)))
    assert _newlines(data, start, end) == data.count(b"\n", start, end)


_CSV_HEADER = ["a", "b", "c"]


@given(
    st.lists(
        st.lists(st.text(alphabet="x é,\t\r\n'\\ ", max_size=4), min_size=3, max_size=3),
        max_size=6,
    )
)
def test_a_block_without_quotes_parses_as_when_line_breaks_in_values_are_looked_for(
    rows: list[list[str]],
) -> None:
    """Only a quoted value holds a line break: without a quote both parsings are one."""
    lines = [",".join(row) for row in rows]
    block = pa.py_buffer(("\n".join(lines) + "\n").encode("utf-8"))
    outcomes = []
    for quoted in (True, False):
        try:
            outcomes.append(_csv_table(block, _CSV_HEADER, quoted=quoted).to_pylist())
        except Declined:
            outcomes.append(None)
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("text", ["10000-01-01", "0001-01-01 (BC)"])
def test_a_date_duckdb_writes_back_as_given_but_not_yyyy_mm_dd_is_rejected(
    fmt: str, text: str
) -> None:
    """DuckDB reads and writes back years past 9999 and BC dates; the schema's pattern does not.

    The cast's round trip stands in for the ``YYYY-MM-DD`` pattern only where
    the text has its ten characters.
    """
    records = [{**PERSON, "account_number": f"62220000{i:08d}"} for i in range(3)]
    records[1]["date_opened"] = text
    data = as_csv(records) if fmt == "csv" else as_jsonl(records)
    collected = assert_same(fmt, data)
    assert collected is not None and collected.rejected["account"] == 1
