"""The fast path gives canonical records (CSV, JSON Lines, Parquet) the reference's outcome.

Every record below breaks the rules in its own way (or none); each file mixes
them with clean records and is checked by both paths, which must agree on
every ledger row and every reject row, message included.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fast_testkit import (
    ENCODERS,
    FURNISHER,
    KEY,
    as_csv,
    as_jsonl,
    as_parquet,
    assert_same,
    fast_path,
    reference,
)

from xinyong.identifiers import keyed_hash

RIC = "11010519491231002X"  # born 1949-12-31
RETIRED_RIC = "110103198001011235"  # area code retired after 2010: accepted with a warning
USCC = "91110108551385082Q"

PERSON: dict[str, Any] = {
    "record_kind": "account",
    "account_number": "6222000011112222",
    "subject_kind": "person",
    "family_name": "王",
    "given_names": "小明",
    "birth_date": "1949-12-31",
    "id_scheme": "cn_ric",
    "id_value": RIC,
    "portfolio_type": "R",
    "account_type": "18",
    "ecoa_code": "1",
    "date_opened": "2020-01-15",
    "date_reported": "2026-05-31",
    "currency": "CNY",
    "current_balance": 120000,
    "credit_limit": 500000,
    "account_status": "11",
    "payment_history_profile": "000000000000",
}
PENALTY: dict[str, Any] = {
    "record_kind": "public_record",
    "record_ref": "SAMR-2025-001",
    "subject_kind": "enterprise",
    "legal_name": "北京示例科技有限公司",
    "id_scheme": "cn_uscc",
    "id_value": USCC,
    "kind": "administrative_penalty",
    "authority": "北京市海淀区市场监督管理局",
    "document_number": "京海市监罚〔2025〕1号",
    "event_date": "2025-03-01",
    "currency": "CNY",
    "amount": 5000000,
    "status": "active",
    "expires_on": "2028-03-01",
}


def person(**changes: Any) -> dict[str, Any]:
    record = {**PERSON, **changes}
    return {k: v for k, v in record.items() if v is not DROP}


def penalty(**changes: Any) -> dict[str, Any]:
    record = {**PENALTY, **changes}
    return {k: v for k, v in record.items() if v is not DROP}


DROP = object()

# Every kind of error the canonical checks know, one (or a few) per record.
VARIANTS: dict[str, dict[str, Any]] = {
    "clean person": person(),
    "clean penalty": penalty(),
    "three faults": person(
        account_number="A-BAD", id_value=RIC[:-1] + "Y", current_balance=-5, account_status="13"
    ),
    "bad dates": person(
        date_opened="2023-02-30", account_status="97", id_scheme=None, id_value=None
    ),
    "year zero": person(date_opened="0000-01-01"),
    "date shape": person(date_reported="31/05/2026"),
    "date with blanks": person(date_opened=" 2020-01-15 "),
    "full-width date digits": person(date_opened="２０２０-01-15"),
    "no record kind": person(record_kind=""),
    "padded record kind": person(record_kind=" account"),
    "unknown record kind": person(record_kind="loan"),
    "public kind on an account": person(record_kind="public_record"),
    "unknown field": {**person(), "colour": "red"},
    "missing required": person(account_number=DROP, currency=DROP),
    "blank required": person(portfolio_type="   "),
    "enum": person(portfolio_type="X", ecoa_code="9", subject_kind="robot"),
    "pattern": person(account_type="1", currency="cny", country="China", id_country="cn"),
    "history": person(payment_history_profile="000X00"),
    "max length": person(family_name="王" * 101, account_number="9" * 31),
    "control characters": person(given_names="小\x00明", city="上\x01海"),
    "quotes and backslashes": person(
        portfolio_type="it's", ecoa_code='say "x"', account_type="a'b\"c\\"
    ),
    "tab in a code": person(portfolio_type="R\tX"),
    "unicode blanks": person(family_name="\u3000王\u3000", city="\xa0北京"),
    "emoji": person(portfolio_type="\U0001f600"),
    "integer text": person(current_balance="12,000"),
    "integer with sign": person(current_balance="+120", credit_limit="-0"),
    "integer leading zeros": person(current_balance="000120"),
    "integer with blanks": person(current_balance=" 120 "),
    "negative amounts": person(credit_limit=-1, actual_payment="-7"),
    "huge integer": person(current_balance="1" * 25, credit_limit=-(10**30)),
    "full-width integer": person(current_balance="１２０"),
    "opened after reported": person(date_opened="2027-01-01"),
    "closed before opened": person(date_closed="2019-01-01"),
    "closed after reported": person(date_closed="2026-06-30", last_payment_date="2026-07-01"),
    "born after reported": person(birth_date="2027-01-01", id_scheme=None, id_value=None),
    "rating required": person(account_status="05"),
    "rating forbidden": person(payment_rating="0"),
    "dofd required": person(account_status="71"),
    "dofd for 13 rated 2": person(account_status="13", payment_rating="2"),
    "dofd given": person(account_status="71", first_delinquency_date="2025-01-01"),
    "bad rating": person(account_status="13", payment_rating="9"),
    "no names": person(family_name=None, given_names=None),
    "full name": person(family_name=None, given_names=None, full_name="王小明"),
    "id without scheme": person(id_scheme=None),
    "scheme without id": person(id_value=None),
    "enterprise scheme for a person": person(id_scheme="cn_uscc", id_value=USCC),
    "unknown scheme": person(id_scheme="ssn_cn"),
    "bad checksum": person(id_value=RIC[:-1] + "1"),
    "birth mismatch": person(birth_date="1950-01-01"),
    "birth from the resident number": person(birth_date=None),
    "retired area code": person(id_value=RETIRED_RIC, birth_date="1980-01-01"),
    "retired area code, rejected": person(
        id_value=RETIRED_RIC, birth_date="1980-01-01", current_balance=-1
    ),
    "spaced resident number": person(id_value="110105 19491231 002x"),
    "passport": person(id_scheme="passport", id_value="E12345678", id_country="CN"),
    "passport without country": person(id_scheme="passport", id_value="E12345678"),
    "company number": penalty(id_scheme="company_number", id_value="1234567", id_country="GB"),
    "lei": penalty(id_scheme="lei", id_value="5493001KJTIIGC8Y1R12"),
    "bad lei": penalty(id_scheme="lei", id_value="5493001KJTIIGC8Y1R13"),
    "enterprise without legal name": penalty(legal_name=None),
    "listing on a person": penalty(
        subject_kind="person",
        family_name="李",
        given_names="四",
        kind="abnormal_operations_listing",
        id_scheme="cn_ric",
        id_value=RIC,
        legal_name=None,
    ),
    "removed without date": penalty(status="removed"),
    "removed with date": penalty(status="removed", removed_date="2026-01-01"),
    "amount without currency": penalty(currency=None),
    "expires before event": penalty(
        expires_on="2024-01-01", removed_date="2020-01-01", status="satisfied"
    ),
    "person field on a penalty": penalty(account_status="11"),
    "separator in account number, rejected": person(account_number="12|34", current_balance=-1),
}


def records() -> list[dict[str, Any]]:
    return list(VARIANTS.values())


@pytest.mark.parametrize("fmt", sorted(ENCODERS))
def test_every_kind_of_error_has_the_same_outcome(fmt: str) -> None:
    # A CSV header naming an unknown column refuses the whole file: that case is its own test.
    rows = [r for r in records() if fmt != "csv" or "colour" not in r]
    collected = assert_same(fmt, ENCODERS[fmt](rows))
    # Only the exotic values (Unicode digits, huge numbers, '|') are left to the reference.
    assert collected is not None and collected.by_reference <= 5


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_variant_alone(name: str) -> None:
    """One record a file (JSON Lines, which keeps value types): a disagreement names its variant."""
    assert_same("jsonl", as_jsonl([PERSON, VARIANTS[name]]))


def test_typed_parquet_columns() -> None:
    """Integers as int64, dates as date32, nulls as null columns: Python values in the reference."""
    import datetime as dt

    rows = [
        person(
            current_balance=120,
            birth_date=dt.date(1949, 12, 31),
            date_opened=dt.date(2020, 1, 1),
            date_reported=dt.date(2026, 5, 31),
        ),
        person(
            current_balance=-3,
            birth_date=dt.date(1950, 1, 1),
            date_opened=dt.date(2021, 1, 1),
            date_reported=dt.date(2020, 5, 31),
        ),
    ]
    assert_same("parquet", as_parquet(rows, typed=True))


def test_unusual_parquet_columns_go_to_the_reference() -> None:
    """A float amount is read as Python floats by the reference: not translated, so declined."""
    rows = [person(current_balance=1.5), person(current_balance=2.0)]
    assert_same("parquet", as_parquet(rows, typed=True), fast_expected=False)


def test_unknown_parquet_columns_of_any_type() -> None:
    rows = [{**person(), "extra": [1, 2]}, {**person(), "extra": None}]
    assert_same("parquet", as_parquet(rows, typed=True))


def test_separator_in_an_accepted_account_number_is_stored_by_both_paths() -> None:
    """An account number holding '|' is hashed unambiguously: accepted, never a crash."""
    data = as_jsonl([person(account_number="12|34"), person()])
    collected = assert_same("jsonl", data)
    assert collected is not None
    rows = collected.tables()["accounts"].to_pylist()
    assert rows[0]["account_key"] == keyed_hash(KEY, "account", FURNISHER, "12|34")
    assert rows[0]["account_key"] != keyed_hash(KEY, "account", FURNISHER + "|12", "34")
    assert rows[0]["account_number_masked"] == "***34"


def test_separator_in_the_furnisher_id_leaves_the_file_to_the_reference() -> None:
    assert fast_path("jsonl", as_jsonl([person()]), furnisher="bank|a") is None
    rows = reference("jsonl", as_jsonl([person()]), furnisher="bank|a").tables()["accounts"]
    assert rows.column("account_key")[0].as_py() == keyed_hash(
        KEY, "account", "bank|a", PERSON["account_number"]
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("amount", [10**20, -(10**20), 2**63, -(2**63) - 1, int("9" * 40)], ids=str)
def test_amount_beyond_int64_is_a_record_reject(fmt: str, amount: int) -> None:
    """An amount that cannot be stored is a reject naming field and rule, not a crash."""
    data = ENCODERS[fmt]([person(current_balance=amount), person()])
    collected = assert_same(fmt, data, fast_expected=None)
    want = reference(fmt, data)
    assert want.rules == {"range": 1}
    (reject,) = want.tables()["rejects"].to_pylist()
    assert (reject["record_no"], reject["field"], reject["rule"]) == (1, "current_balance", "range")
    assert collected is None or collected.rules == {"range": 1}


def test_amount_at_the_int64_limit_is_stored() -> None:
    data = as_jsonl([person(current_balance=2**63 - 1)])
    assert_same("jsonl", data, fast_expected=None)
    rows = reference("jsonl", data).tables()["accounts"]
    assert rows.column("current_balance_minor")[0].as_py() == 2**63 - 1


def test_json_integer_of_thousands_of_digits_is_a_record_reject() -> None:
    """``json.loads`` raises a bare ValueError beyond 4300 digits: a reject, not a crash."""
    line = json.dumps(person()).replace(
        '"current_balance": 120000', '"current_balance": ' + "7" * 5000
    )
    data = (line + "\n" + json.dumps(person()) + "\n").encode()
    assert_same("jsonl", data, fast_expected=None)
    want = reference("jsonl", data)
    assert want.rules["json"] == 1
    assert want.tables()["accounts"].num_rows == 1


def test_deeply_nested_json_is_a_record_reject() -> None:
    data = ("[" * 100_000 + "]" * 100_000 + "\n" + json.dumps(person()) + "\n").encode()
    assert_same("jsonl", data, fast_expected=None)
    want = reference("jsonl", data)
    assert want.rules["json"] == 1
    assert want.tables()["accounts"].num_rows == 1


def test_lone_surrogate_in_a_text_field_is_a_record_reject() -> None:
    """JSON may escape half a surrogate pair; no UTF-8 store can hold it."""
    line = json.dumps(person(family_name="\ud800", account_number="1\udc00"))
    data = (line + "\n" + json.dumps(person()) + "\n").encode()
    assert_same("jsonl", data, fast_expected=None)
    want = reference("jsonl", data)
    assert want.rules == {"encoding": 2}
    assert want.tables()["accounts"].num_rows == 1


# --- required fields that may be null ---------------------------------------------------


def _without(record: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != name}


def test_missing_nullable_required_field_is_a_reject_in_jsonl() -> None:
    """current_balance is required and nullable: null is accepted, leaving it out is not."""
    records = [person(current_balance=None), _without(PERSON, "current_balance"), person()]
    assert_same("jsonl", as_jsonl(records))
    want = reference("jsonl", as_jsonl(records))
    assert want.rules == {"required": 1}
    (reject,) = want.tables()["rejects"].to_pylist()
    assert (reject["record_no"], reject["field"]) == (2, "current_balance")
    assert want.tables()["accounts"].column("current_balance_minor").to_pylist() == [None, 120000]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_missing_nullable_required_column_rejects_every_account(fmt: str) -> None:
    """In CSV and Parquet the column is the field: an empty cell or a null is a null."""
    with_column = [person(current_balance=None), person(), PENALTY]
    assert_same(fmt, ENCODERS[fmt](with_column))
    assert reference(fmt, ENCODERS[fmt](with_column)).rules == {}
    without = [_without(PERSON, "current_balance"), PENALTY]
    assert_same(fmt, ENCODERS[fmt](without))
    assert reference(fmt, ENCODERS[fmt](without)).rules == {"required": 1}


def test_typed_parquet_null_in_the_required_column_is_a_null() -> None:
    rows = [person(current_balance=None), person()]
    assert_same("parquet", as_parquet(rows, typed=True))
    assert reference("parquet", as_parquet(rows, typed=True)).rules == {}


# --- JSON Lines line breaks --------------------------------------------------------------


@pytest.mark.parametrize("mark", ["\u2028", "\u2029", "\x85", "\x1c", "\x1d", "\x1e"])
def test_json_lines_split_at_newline_only(mark: str) -> None:
    """Characters ``str.splitlines`` breaks at are text inside a JSON string."""
    name = "王" + mark + "明" if mark not in "\x1c\x1d\x1e" else "王明"
    records = [person(given_names=name), person()]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if mark in "\x1c\x1d\x1e":  # control characters: JSON wants them escaped, so a reject
        text = text.replace("王明", "王" + mark + "明", 1)
    data = text.encode()
    assert_same("jsonl", data)
    want = reference("jsonl", data)
    assert sum(c.received for c in want.counts().values()) == 2
    if mark not in "\x1c\x1d\x1e":
        assert want.tables()["accounts"].column("given_names")[0].as_py() == name


def test_json_lines_with_crlf_and_a_lone_cr() -> None:
    records = [person(), person(account_number="2"), person(account_number="3")]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    data = (lines[0] + "\r\n" + lines[1] + "\r \r\n\r\n" + lines[2] + "\r\n").encode()
    assert_same("jsonl", data)
    want = reference("jsonl", data)
    assert want.rules == {}
    locations = want.tables()["accounts"].column("location").to_pylist()
    assert locations == ["line 1", "line 2", "line 4"]


# --- CSV layout -----------------------------------------------------------------------


def test_csv_with_crlf_bom_and_quoting() -> None:
    rows = [person(address_line1='1, "Rose" House', city="a,b"), person(full_name=" x ")]
    data = b"\xef\xbb\xbf" + as_csv(rows, lineterminator="\r\n")
    assert_same("csv", data)


def test_csv_keeps_blanks_around_quotes_as_python_does() -> None:
    """DuckDB's reader would turn ` "R" ` into `R`; Python's keeps it, and so must we."""
    header = ",".join(PERSON)
    values = [str(v) for v in PERSON.values()]
    values[list(PERSON).index("portfolio_type")] = ' "R" '
    data = f"{header}\n{','.join(values)}\n".encode()
    assert_same("csv", data)


@pytest.mark.parametrize(
    "layout",
    [
        "blank line in the middle",
        "quoted line break",
        "short row",
        "long row",
        "lone carriage return",
        "blank lines at the end",
    ],
)
def test_csv_layouts(layout: str) -> None:
    good = as_csv([person(), person(account_number="2")]).decode()
    header, first, second = good.splitlines()
    text = {
        "blank line in the middle": f"{header}\n{first}\n\n{second}\n",
        "quoted line break": f"{header}\n{first}\n" + second.replace("王", '"王\n"', 1) + "\n",
        "short row": f"{header}\n{first}\n{second.rsplit(',', 1)[0]}\n",
        "long row": f"{header}\n{first}\n{second},extra\n",
        "lone carriage return": f"{header}\n{first}\r{second}\n",
        "blank lines at the end": f"{header}\n{first}\n{second}\n\n\n",
    }[layout]
    # Line numbers or parsing would differ: those files go to the reference path.
    fast_expected = layout == "blank lines at the end"
    assert_same("csv", text.encode(), fast_expected=fast_expected)


def test_csv_header_problems_go_to_the_reference() -> None:
    for data in (b"record_kind,colour\naccount,red\n", b"record_kind,record_kind\na,b\n"):
        assert fast_path("csv", data) is None


# --- JSON Lines layout ----------------------------------------------------------------


JSON_LINES = [
    '{"record_kind": "account", "account_number": "1",}',
    '{"record_kind": "account", "current_balance": NaN}',
    '{"record_kind": "account", "current_balance": 1.0}',
    '{"record_kind": "account", "current_balance": true}',
    '{"record_kind": "account", "current_balance": 99999999999999999999999}',
    '{"record_kind": "account", "current_balance": [1]}',
    '{"record_kind": "account", "family_name": {"a": 1}}',
    '{"record_kind": "account", "account_number": "1", "account_number": "2"}',
    '{"record_kind": "account", "family_name": "\\ud800"}',
    '{"record_kind": "account", "family_name": "\\u0000\\t\\"q\\""}',
    '{"record_kind": 5}',
    '{"record_kind": null}',
    '{"record_kind": false}',
    '["not", "an", "object"]',
    '"text"',
    "{not json",
    "   ",
    '{"record_kind": "account"} trailing',
    '{"\\u0072ecord_kind": "account"}',
    '{"record_kind": "account", "account_number": 123456, "id_value": 7}',
    '{"record_kind": "account", "colour": null}',
]


def test_json_lines_of_every_shape() -> None:
    lines = [*JSON_LINES, as_jsonl([person()]).decode().strip(), "", *JSON_LINES]
    assert_same("jsonl", ("\n".join(lines) + "\n").encode())


@pytest.mark.parametrize("separator", ["\r\n", "\u2028", "\x0c", "\r"])
def test_json_lines_with_other_line_breaks_between_records(separator: str) -> None:
    """Only ``\\n`` ends a line: other breaks are blank space (or, \\x0c, invalid JSON)."""
    data = as_jsonl([person()]).decode() + separator + as_jsonl([person()]).decode()
    assert_same("jsonl", data.encode())


def test_not_utf8_goes_to_the_reference() -> None:
    for fmt in ("csv", "jsonl"):
        data = ENCODERS[fmt]([person()]).replace("王".encode(), b"\xff")
        assert fast_path(fmt, data) is None
