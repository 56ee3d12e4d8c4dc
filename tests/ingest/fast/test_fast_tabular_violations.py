"""Rejected canonical records get their violation lists from check numbers, not SQL structs.

The check query used to build a struct of six texts per check for every
rejected record; DuckDB allocated those vectors for each vector of rows,
which cost about a fifth of the whole query for a file with 1 % rejects. It
now gives the failed checks' numbers and the non-constant parts of their
messages, and :func:`canonical_sql.expand` puts the violations together.
The equivalence tests (``test_fast_canonical``) compare every message with
the reference path's; these pin the pieces that make it work.
"""

from __future__ import annotations

import duckdb
import pytest

from xinyong.domain.account_codes import AccountStatus, PaymentRating
from xinyong.ingest.fast import canonical, canonical_sql
from xinyong.ingest.fast.sqltext import constant, ident, literal
from xinyong.ingest.text import KINDS


@pytest.mark.parametrize(
    "text", ["", "plain", "it's", "a || b", "a' || 'b", "\x00", "tab\there", "\x1f\x7f", "中文"]
)
def test_a_literal_is_read_back_as_its_text(text: str) -> None:
    assert constant(literal(text)) == (True, text)
    assert duckdb.connect().execute(f"SELECT {literal(text)}").fetchone() == (text,)


@pytest.mark.parametrize(
    "expr",
    ["_id_rule", "'status ' || \"s_account_status\"", "CAST(x AS VARCHAR)", "('a') || (b)", "u"],
)
def test_an_expression_over_columns_is_not_constant(expr: str) -> None:
    assert constant(expr) == (False, None)


def test_the_check_query_builds_no_violation_struct_per_record() -> None:
    sql = canonical._main_sql("bank-1", b"key")
    assert "struct_pack" not in sql
    assert "_checks" in sql and "_dynamic" in sql


@pytest.mark.parametrize("kind", KINDS)
def test_every_check_has_a_plan_of_six_parts(kind: str) -> None:
    plan = canonical_sql.kind_violations(kind)
    checks = canonical_sql.kind_checks(kind)
    assert len(plan.slots) == len(checks)
    for (_, found), slots in zip(checks, plan.slots, strict=True):
        assert len(slots) == 6
        for part, slot in zip(found.parts(), slots, strict=True):
            if isinstance(slot, int):
                assert constant(part) == (False, None)
            else:
                assert constant(part) == (True, slot)


def _dofd_condition() -> str:
    (condition,) = [
        cond
        for cond, found in canonical_sql.account_rule_checks()
        if found.rule == "'dofd_required'"
    ]
    return condition


@pytest.mark.parametrize("status", [s.value for s in AccountStatus] + ["ZZ"])
def test_first_delinquency_date_is_required_exactly_where_the_domain_says(status: str) -> None:
    condition = _dofd_condition()
    ratings: list[str | None] = [None, *(r.value for r in PaymentRating), "Q"]
    code, rating = ident("s_account_status"), ident("s_payment_rating")
    con = duckdb.connect()
    for given in ratings:
        row = con.execute(
            f"SELECT coalesce({condition}, false) FROM (SELECT ?::VARCHAR AS {code}, "
            f"?::VARCHAR AS {rating}, NULL::DATE AS {ident('d_first_delinquency_date')})",
            [status, given],
        ).fetchone()
        assert row is not None
        known = status in AccountStatus._value2member_map_
        valid = given in PaymentRating._value2member_map_
        expected = known and AccountStatus(status).needs_first_delinquency_date(
            PaymentRating(given) if valid else None
        )
        assert row[0] == expected, (status, given)


def test_expand_puts_the_record_kind_first_then_unknown_fields_then_the_rest() -> None:
    plan = canonical_sql.kind_violations("account")
    checks = canonical_sql.kind_checks("account")
    required = next(
        i
        for i, (_, v) in enumerate(checks)
        if v.field == "'account_status'" and v.rule == "'required'"
    )
    dynamic: list[str | None] = [None] * plan.dynamic.count("CAST(")
    rule, head = plan.slots[0][2], plan.slots[0][3]
    assert isinstance(rule, int) and isinstance(head, int)
    dynamic[rule] = "required"
    dynamic[head] = "record_kind None is not one of: account, public_record"
    out = canonical_sql.expand(plan, [0, required], dynamic, ["colour"])
    assert [(v["field"], v["rule"]) for v in out] == [
        ("record_kind", "required"),
        ("colour", "unknown_field"),
        ("account_status", "required"),
    ]
    assert out[1]["head"] == "colour is not a field of account records"
    assert out[2]["head"] == "account_status is required"
