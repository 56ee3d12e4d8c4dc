"""Every valid furnished record meets the published canonical schemas; every
planted invalid record breaks the rule the truth says it breaks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from stdnum.cn import ric, uscc
from synth_helpers import Run, canonical_files, read_canonical, records_with_truth

from xinyong.synth.records import ACCOUNT_FIELDS, PUBLIC_RECORD_FIELDS

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"canonical-{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


VALIDATORS = {"account": _validator("account"), "public_record": _validator("public-record")}


def test_field_lists_follow_the_schemas() -> None:
    for fields, name in ((ACCOUNT_FIELDS, "account"), (PUBLIC_RECORD_FIELDS, "public-record")):
        schema = json.loads((SCHEMAS / f"canonical-{name}.schema.json").read_text(encoding="utf-8"))
        assert list(fields) == list(schema["properties"])


def test_valid_records_validate(synth_run: Run) -> None:
    seen = {"account": 0, "public_record": 0}
    for path, record, truth in records_with_truth(synth_run.root):
        if truth["expect"] != "accept":
            continue
        errors = [e.message for e in VALIDATORS[record["record_kind"]].iter_errors(record)]
        assert not errors, (path.name, truth["record_no"], errors)
        seen[record["record_kind"]] += 1
    assert seen["account"] > 1000 and seen["public_record"] > 30


def _date_ok(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def test_invalid_records_break_their_rule(synth_run: Run) -> None:
    rules: set[str] = set()
    for _, record, truth in records_with_truth(synth_run.root):
        if truth["expect"] != "reject":
            continue
        rule, field = truth["rule"], truth["field"]
        rules.add(rule)
        value = record.get(field)
        if rule == "checksum":
            checker = ric if record["id_scheme"] == "cn_ric" else uscc
            assert not checker.is_valid(value)
        elif rule == "date":
            assert not _date_ok(value)
            assert list(VALIDATORS[record["record_kind"]].iter_errors(record))
        elif rule == "date_order":
            assert value > record["date_reported"]
        elif rule == "non_negative":
            assert value < 0
            assert list(VALIDATORS[record["record_kind"]].iter_errors(record))
        elif rule == "dofd_required":
            assert value is None and record["account_status"] not in ("11", "13")
        elif rule == "payment_rating_required":
            assert value is None and record["account_status"] in ("13", "94", "95")
        else:
            pytest.fail(f"unknown rule {rule}")
    assert {"checksum", "date", "date_order"} <= rules


def test_files_carry_only_schema_columns(synth_run: Run) -> None:
    allowed = set(ACCOUNT_FIELDS) | set(PUBLIC_RECORD_FIELDS)
    for path in canonical_files(synth_run.root):
        first = next(read_canonical(path))
        assert set(first) <= allowed, path
        assert not {"sex", "gender", "ethnicity", "religion"} & set(first)
