"""Fields outside a record's kind, in files of both kinds: the reference's outcome exactly.

The fast path lists a record's unknown fields for its own kind only, and
searches a JSON line for a lenient number (``NaN``, ``Infinity``, which
Python's ``json`` reads as floats and DuckDB's parser may take) only where
the line has a key that no kind knows. These files put every such case next
to the others, on records of both kinds, so that a record judged by the
other kind's list, or a lenient number left unsearched, shows as a
difference from the reference path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fast_testkit import as_csv, as_jsonl, as_parquet, assert_same, reference

PERSON: dict[str, Any] = {
    "record_kind": "account",
    "account_number": "6222000011112222",
    "subject_kind": "person",
    "family_name": "王",
    "given_names": "小明",
    "id_scheme": "cn_ric",
    "id_value": "11010519491231002X",
    "portfolio_type": "R",
    "account_type": "18",
    "ecoa_code": "1",
    "date_opened": "2020-01-15",
    "date_reported": "2026-05-31",
    "currency": "CNY",
    "current_balance": 120000,
    "account_status": "11",
}
PENALTY: dict[str, Any] = {
    "record_kind": "public_record",
    "record_ref": "SAMR-2025-001",
    "subject_kind": "enterprise",
    "legal_name": "北京示例科技有限公司",
    "id_scheme": "cn_uscc",
    "id_value": "91110108551385082Q",
    "kind": "administrative_penalty",
    "authority": "北京市海淀区市场监督管理局",
    "event_date": "2025-03-01",
    "currency": "CNY",
    "amount": 5000000,
    "status": "active",
}


def _line(record: dict[str, Any], extra: str = "") -> str:
    text = json.dumps(record, ensure_ascii=False)
    return text[:-1] + extra + "}" if extra else text


LENIENT = ["NaN", "-Infinity", "Infinity", "nan", "inf", " -inf"]


def test_json_lines_of_both_kinds_with_fields_outside_their_kind() -> None:
    lines = []
    for base, other_field in ((PERSON, "document_number"), (PENALTY, "account_status")):
        lines += [
            _line(base),
            _line(base, ', "colour": "red"'),  # a field no kind knows
            _line(base, f', "{other_field}": "X1"'),  # the other kind's field
            _line(base, ', "colour": null, "size": 3'),
        ]
        for number in LENIENT:
            lines += [
                _line(base, f', "colour": {number}'),  # may hide only in a field no kind knows
                _line(base, f', "{other_field}": {number}'),
                _line(base, f', "colour": [1, {number}]'),
            ]
    data = ("\n".join(lines) + "\n").encode()
    collected = assert_same("jsonl", data)
    assert collected is not None
    want = reference("jsonl", data)
    assert want.rules["unknown_field"] > 0  # the file does exercise the unknown-field rule


@pytest.mark.parametrize("encode", [as_csv, as_parquet], ids=["csv", "parquet"])
def test_columns_of_the_other_kind_in_a_file_of_both_kinds(encode: Any) -> None:
    """Every column is known to some kind; on a record of the other kind, a value is unknown."""
    rows = [
        PERSON,
        PENALTY,
        {**PERSON, "document_number": "京海市监罚〔2025〕1号", "authority": "x"},
        {**PENALTY, "account_status": "11", "portfolio_type": ""},
        {**PERSON, "record_kind": "loan", "amount": 5},  # an unknown kind is judged as an account
        {**PENALTY, "payment_rating": "   "},  # blank text is no value: not an unknown field
    ]
    data = encode(rows)
    collected = assert_same("csv" if encode is as_csv else "parquet", data)
    assert collected is not None
    assert reference("csv" if encode is as_csv else "parquet", data).rules["unknown_field"] > 0


def test_a_file_with_no_unknown_field_at_all() -> None:
    assert_same("jsonl", as_jsonl([PERSON, PENALTY, PERSON]))
