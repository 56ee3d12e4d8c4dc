"""The catalogue: complete, described, documented and stable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from xinyong.attributes import (
    ATTRIBUTES,
    BY_NAME,
    AppliesTo,
    Attribute,
    Source,
    Unit,
    describe,
    fingerprint,
    get,
)
from xinyong.attributes.docs import render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "attributes.md"


def test_at_least_thirty_attributes_with_unique_names() -> None:
    assert len(ATTRIBUTES) >= 30
    assert len(BY_NAME) == len(ATTRIBUTES)


def test_the_catalogue_covers_what_an_analyst_expects() -> None:
    names = set(BY_NAME)
    for months in (6, 12, 24):
        assert f"worst_status_{months}m" in names
        for band in ("30_59", "60_89", "90plus"):
            assert f"times_{band}_late_{months}m" in names
    for name in (
        "months_since_last_delinquency", "revolving_utilisation", "mortgage_balance_total",
        "revolving_limit_total", "instalment_balance_total", "accounts_open",
        "accounts_opened_6m", "accounts_opened_12m", "oldest_account_age_months",
        "average_account_age_months", "inquiries_6m", "inquiries_12m", "collections_count",
        "charge_offs_count", "public_records_count", "public_records_amount_total",
        "administrative_penalties_count", "administrative_penalties_amount",
        "abnormal_operations_listings_active", "serious_violation_listed",
        "tax_arrears_unpaid_amount", "dishonest_judgment_debtor_listed", "court_judgments_count",
    ):  # fmt: skip
        assert name in names, name
    assert {a.source for a in ATTRIBUTES} == set(Source)
    assert get("serious_violation_listed").applies_to is AppliesTo.ENTERPRISE


def test_missing_is_distinct_from_zero_where_it_matters() -> None:
    for name in (
        "months_since_last_delinquency", "revolving_utilisation", "worst_status_6m",
        "oldest_account_age_months", "times_30_59_late_6m",
    ):  # fmt: skip
        assert get(name).if_no_rows is None, name
    for name in ("inquiries_6m", "collections_count", "accounts_total", "public_records_count"):
        assert get(name).if_no_rows == 0, name


def test_describe_tells_meaning_unit_and_sql() -> None:
    text = describe("revolving_utilisation")
    assert "ratio" in text and "credit limit" in text and "NULLIF" in text
    with pytest.raises(KeyError, match="known"):
        describe("credit_score_of_friends")


def test_definitions_refuse_bad_names_and_empty_texts() -> None:
    good = get("accounts_total")
    with pytest.raises(ValueError):
        replace(good, name="Accounts Total")
    with pytest.raises(ValueError):
        replace(good, reason=" ")
    assert isinstance(Attribute("x_y", "m", Unit.COUNT, "both", "accounts", "COUNT(*)", 0, "r"),
                      Attribute)  # fmt: skip


def test_the_fingerprint_follows_the_computation_not_the_wording() -> None:
    base = fingerprint(ATTRIBUTES)
    reworded = [replace(a, meaning=a.meaning + " (reworded)") for a in ATTRIBUTES]
    assert fingerprint(reworded) == base
    changed = [replace(ATTRIBUTES[0], sql="MAX(severity)"), *ATTRIBUTES[1:]]
    assert fingerprint(changed) != base


def test_every_attribute_is_documented_and_the_page_is_current() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for a in ATTRIBUTES:
        assert f"`{a.name}`" in text, a.name
    assert text == render_markdown(), (
        "docs/attributes.md is stale: python -m xinyong.attributes.docs > docs/attributes.md"
    )


def test_no_attribute_names_a_forbidden_category() -> None:
    from xinyong.domain.forbidden import forbidden_field_names

    assert forbidden_field_names([a.name for a in ATTRIBUTES]) == []
