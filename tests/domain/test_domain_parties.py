# mypy: disable-error-code="arg-type"
"""Subjects, names, identifiers, addresses, organisations, inquiries.

Some tests pass plain strings where enums are declared, on purpose: rows read
back from the store arrive as strings and must be coerced (hence the mypy line).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from domain_factories import T0

from xinyong.domain import (
    Address,
    DomainError,
    Enterprise,
    Identifier,
    Inquiry,
    NameScript,
    Organisation,
    OrganisationKind,
    OrgRole,
    PersonName,
    Purpose,
    Subject,
    SubjectKind,
    SubjectStatus,
)


def test_subject_merge_pointer_rules() -> None:
    Subject(subject_id="s1", kind=SubjectKind.PERSON, created_at=T0)
    merged = Subject(
        subject_id="s1",
        kind="person",
        created_at=T0,
        status="merged",
        merged_into="s2",
    )
    assert merged.status is SubjectStatus.MERGED and merged.kind is SubjectKind.PERSON
    with pytest.raises(DomainError) as err:
        Subject(
            subject_id="s1", kind=SubjectKind.PERSON, created_at=T0, status=SubjectStatus.MERGED
        )
    assert (err.value.field, err.value.rule) == ("merged_into", "required")
    with pytest.raises(DomainError) as err:
        Subject(subject_id="s1", kind=SubjectKind.PERSON, created_at=T0, merged_into="s2")
    assert err.value.rule == "not_applicable"
    with pytest.raises(DomainError) as err:
        Subject(
            subject_id="s1",
            kind=SubjectKind.PERSON,
            created_at=T0,
            status=SubjectStatus.MERGED,
            merged_into="s1",
        )
    assert err.value.rule == "self_reference"


@pytest.mark.parametrize(
    "instant",
    [datetime(2024, 1, 1), datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8)))],
)
def test_instants_must_be_utc(instant: datetime) -> None:
    with pytest.raises(DomainError) as err:
        Subject(subject_id="s1", kind=SubjectKind.PERSON, created_at=instant)
    assert (err.value.field, err.value.rule) == ("created_at", "instant_utc")


def test_unknown_subject_kind() -> None:
    with pytest.raises(DomainError) as err:
        Subject(subject_id="s1", kind="household", created_at=T0)
    assert (err.value.field, err.value.rule) == ("kind", "unknown_code")


def test_person_name_order_by_script() -> None:
    han = PersonName.from_parts("s1", "王", "小明", NameScript.HAN)
    assert han.full_name == "王小明"
    latin = PersonName.from_parts("s1", "Smith", "Jane Ann", NameScript.LATIN)
    assert latin.full_name == "Jane Ann Smith"
    assert PersonName(subject_id="s1", full_name="李雷", script="han").family_name is None
    with pytest.raises(DomainError) as err:
        PersonName(subject_id="s1", full_name="  ")
    assert (err.value.field, err.value.rule) == ("full_name", "required")


def test_enterprise_legal_representative_is_another_subject() -> None:
    Enterprise(
        subject_id="e1",
        legal_name="Acme Ltd",
        registration_date=date(2010, 1, 1),
        legal_representative_subject_id="p1",
    )
    with pytest.raises(DomainError) as err:
        Enterprise(subject_id="e1", legal_name="Acme Ltd", legal_representative_subject_id="e1")
    assert err.value.rule == "self_reference"


def test_identifier_hides_its_value_in_repr() -> None:
    ident = Identifier("cn_ric", "11010519491231002X", "CN")
    assert "11010519491231002X" not in repr(ident)
    with pytest.raises(DomainError) as err:
        Identifier("CN RIC", "1")
    assert err.value.rule == "scheme_format"
    with pytest.raises(DomainError) as err:
        Identifier("lei", " 5493001KJTIIGC8Y1R12")
    assert err.value.rule == "not_compact"
    with pytest.raises(DomainError) as err:
        Identifier("passport", "E12345678", "china")
    assert err.value.rule == "country_code"


def test_address() -> None:
    Address(line1="1 Chang'an Ave", city="Beijing", country="CN")
    with pytest.raises(DomainError) as err:
        Address(line1="x", city="")
    assert (err.value.field, err.value.rule) == ("city", "required")


def test_organisation_roles() -> None:
    org = Organisation(
        org_id="bank-1",
        name="Bank",
        kind=OrganisationKind.BANK,
        roles=frozenset({"furnisher", OrgRole.INQUIRER}),
        country="CN",
        created_at=T0,
    )
    assert org.has_role(OrgRole.FURNISHER) and org.has_role(OrgRole.INQUIRER)
    assert not org.has_role(OrgRole.OPERATOR)
    with pytest.raises(DomainError) as err:
        Organisation(
            org_id="o",
            name="O",
            kind="bank",
            roles=frozenset(),
            country="CN",
            created_at=T0,
        )
    assert (err.value.field, err.value.rule) == ("roles", "required")
    with pytest.raises(DomainError) as err:
        Organisation(
            org_id="o",
            name="O",
            kind="bank",
            roles=frozenset({"spy"}),
            country="CN",
            created_at=T0,
        )
    assert err.value.rule == "unknown_code"


def test_purpose_initiated_by_subject() -> None:
    assert Purpose.CREDIT_APPLICATION.initiated_by_subject
    assert Purpose.SUBJECT_REQUEST.initiated_by_subject
    assert not Purpose.PRESCREEN.initiated_by_subject
    assert not Purpose.ACCOUNT_REVIEW.initiated_by_subject
    assert not Purpose.COLLECTION.initiated_by_subject
    assert not Purpose.COURT_ORDER.initiated_by_subject


def test_inquiry_needs_an_inquirer_unless_the_subject_asks() -> None:
    Inquiry(
        inquiry_id="i1",
        subject_id="s1",
        inquirer_org_id=None,
        purpose=Purpose.SUBJECT_REQUEST,
        at=T0,
    )
    Inquiry(
        inquiry_id="i2",
        subject_id="s1",
        inquirer_org_id="bank-1",
        purpose="credit_application",
        at=T0,
        consent_id="c-1",
        user_id="u-7",
    )
    with pytest.raises(DomainError) as err:
        Inquiry(
            inquiry_id="i3",
            subject_id="s1",
            inquirer_org_id=None,
            purpose=Purpose.CREDIT_APPLICATION,
            at=T0,
        )
    assert (err.value.field, err.value.rule) == ("inquirer_org_id", "required")
    with pytest.raises(DomainError) as err:
        Inquiry(
            inquiry_id="i4",
            subject_id="s1",
            inquirer_org_id="b",
            purpose="curiosity",
            at=datetime.now(UTC),
        )
    assert err.value.rule == "unknown_code"
