from __future__ import annotations

from datetime import date

import pytest
from domain_factories import public_record
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import (
    DomainError,
    Money,
    Provenance,
    PublicRecordKind,
    PublicRecordStatus,
    SubjectKind,
)


def test_factory_record_is_valid() -> None:
    rec = public_record()
    assert rec.amount == Money(1_000_000, "CNY")
    assert rec.provenance == Provenance("court-1", "batch-9", 3)
    assert rec.is_in_force_on(date(2024, 1, 1))
    assert not rec.is_in_force_on(date(2028, 6, 1))


def test_listing_without_amount() -> None:
    rec = public_record(kind="abnormal_operations_listing", amount_minor=None, currency=None)
    assert rec.amount is None
    assert rec.kind is PublicRecordKind.ABNORMAL_OPERATIONS_LISTING


def test_which_subject_kinds_each_kind_applies_to() -> None:
    enterprise_only = {k for k in PublicRecordKind if not k.applies_to(SubjectKind.PERSON)}
    assert enterprise_only == {
        PublicRecordKind.ABNORMAL_OPERATIONS_LISTING,
        PublicRecordKind.SERIOUS_VIOLATION_LISTING,
    }
    assert all(k.applies_to(SubjectKind.ENTERPRISE) for k in PublicRecordKind)
    assert PublicRecordKind.DISHONEST_JUDGMENT_DEBTOR.subject_kinds == frozenset(SubjectKind)
    listing = public_record(kind=PublicRecordKind.SERIOUS_VIOLATION_LISTING)
    listing.check_subject_kind(SubjectKind.ENTERPRISE)
    with pytest.raises(DomainError) as err:
        listing.check_subject_kind(SubjectKind.PERSON)
    assert (err.value.field, err.value.rule) == ("kind", "subject_kind")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"amount_minor": -1}, "amount_minor", "non_negative"),
        ({"currency": None}, "currency", "amount_currency_pair"),
        ({"amount_minor": None}, "amount_minor", "amount_currency_pair"),
        ({"currency": "ZZZ"}, "currency", "currency_unknown"),
        ({"expires_on": date(2023, 5, 31)}, "expires_on", "date_order"),
        ({"status": "satisfied", "removed_date": date(2023, 1, 1)}, "removed_date", "date_order"),
        ({"removed_date": date(2024, 1, 1)}, "removed_date", "not_applicable"),
        ({"kind": "social_score"}, "kind", "unknown_code"),
        ({"status": "expunged"}, "status", "unknown_code"),
        ({"authority": ""}, "authority", "required"),
        ({"description": ""}, "description", "required"),
    ],
)
def test_invariants(overrides: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(DomainError) as err:
        public_record(**overrides)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_removed_record_is_not_in_force() -> None:
    rec = public_record(status=PublicRecordStatus.REMOVED, removed_date=date(2024, 2, 1))
    assert not rec.is_in_force_on(date(2024, 1, 1))


_JUNK = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.just(object()),
)
_FIELDS = sorted(public_record().__dataclass_fields__)


@given(st.dictionaries(st.sampled_from(_FIELDS), _JUNK, min_size=1, max_size=6))
def test_junk_input_raises_domain_error_or_nothing(overrides: dict[str, object]) -> None:
    try:
        public_record(**overrides)
    except DomainError as err:
        assert all(e.field and e.rule for e in err.errors)
