"""Which inquiry purposes a profile allows, and which it records as soft."""

from __future__ import annotations

import dataclasses

import pytest

from xinyong.domain.inquiries import Purpose
from xinyong.policy import PROFILES, InquiryKind, get_profile


@pytest.mark.parametrize("jurisdiction", ["CN", "US", "EU"])
def test_own_request_review_and_prescreen_are_soft_applications_hard(jurisdiction: str) -> None:
    profile = get_profile(jurisdiction)
    assert profile.inquiry_kind(Purpose.SUBJECT_REQUEST) is InquiryKind.SOFT
    assert profile.inquiry_kind("account_review") == "soft"
    assert profile.inquiry_kind(Purpose.PRESCREEN) is InquiryKind.SOFT
    for purpose in (Purpose.CREDIT_APPLICATION, Purpose.TENANCY, Purpose.EMPLOYMENT):
        assert profile.inquiry_kind(purpose) is InquiryKind.HARD
    # An unknown code is never recorded as harmless.
    assert profile.inquiry_kind("marketing") is InquiryKind.HARD
    assert profile.allows(Purpose.CREDIT_APPLICATION)
    assert not profile.allows("marketing")
    assert profile.purposes_basis.strip()


def test_every_profile_lists_its_purposes_and_soft_ones_are_allowed() -> None:
    for profile in PROFILES.values():
        assert Purpose.SUBJECT_REQUEST in profile.purposes
        assert profile.soft_purposes <= profile.purposes
        assert profile.consent_required_for <= profile.purposes


def test_a_profile_refuses_soft_or_consent_purposes_it_does_not_allow() -> None:
    us = get_profile("US")
    with pytest.raises(ValueError, match="does not allow"):
        dataclasses.replace(us, purposes=frozenset({Purpose.SUBJECT_REQUEST}))
    with pytest.raises(ValueError, match="own file"):
        dataclasses.replace(us, purposes=frozenset(set(Purpose) - {Purpose.SUBJECT_REQUEST}))
    narrow = dataclasses.replace(
        us,
        purposes=frozenset(set(Purpose) - {Purpose.TENANCY}),
    )
    assert not narrow.allows(Purpose.TENANCY)
    assert narrow.inquiry_kind(Purpose.TENANCY) is InquiryKind.HARD
