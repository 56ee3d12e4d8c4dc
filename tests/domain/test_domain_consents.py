from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from domain_factories import T0, consent
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import DomainError, Purpose

EXPIRY = datetime(2024, 3, 31, 9, 30, tzinfo=UTC)


def test_validity_window_is_half_open() -> None:
    c = consent()
    assert not c.is_valid_at(T0 - timedelta(microseconds=1))
    assert c.is_valid_at(T0)
    assert c.is_valid_at(EXPIRY - timedelta(microseconds=1))
    assert not c.is_valid_at(EXPIRY)


def test_revocation_ends_validity() -> None:
    revoked_at = T0 + timedelta(days=3)
    c = consent().revoke(revoked_at)
    assert c.is_valid_at(revoked_at - timedelta(seconds=1))
    assert not c.is_valid_at(revoked_at)
    assert c.revoke(revoked_at + timedelta(days=1)).revoked_at == revoked_at


def test_open_ended_consent() -> None:
    c = consent(expires_at=None)
    assert c.is_valid_at(T0 + timedelta(days=3650))


def test_covers_purpose_and_inquirer() -> None:
    c = consent()
    assert c.covers(Purpose.CREDIT_APPLICATION, "bank-1")
    assert not c.covers(Purpose.EMPLOYMENT, "bank-1")
    assert not c.covers(Purpose.CREDIT_APPLICATION, "bank-2")
    assert c.permits(Purpose.CREDIT_APPLICATION, "bank-1", T0 + timedelta(days=1))
    assert not c.permits(Purpose.CREDIT_APPLICATION, "bank-1", EXPIRY)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"expires_at": T0}, "expires_at", "date_order"),
        ({"revoked_at": T0 - timedelta(seconds=1)}, "revoked_at", "date_order"),
        ({"evidence": ""}, "evidence", "required"),
        ({"purpose": "marketing"}, "purpose", "unknown_code"),
        ({"granted_at": datetime(2024, 3, 1)}, "granted_at", "instant_utc"),
    ],
)
def test_invariants(overrides: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(DomainError) as err:
        consent(**overrides)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_query_instant_must_be_aware_but_any_zone_will_do() -> None:
    with pytest.raises(DomainError) as err:
        consent().is_valid_at(datetime(2024, 3, 2))
    assert err.value.rule == "instant_aware"
    beijing = timezone(timedelta(hours=8))
    assert consent().is_valid_at(T0.astimezone(beijing))
    assert not consent().is_valid_at(EXPIRY.astimezone(beijing))


_offsets = st.integers(min_value=-(10**6), max_value=10**6).map(lambda s: timedelta(seconds=s))


@given(_offsets, st.one_of(st.none(), st.integers(1, 10**6)), st.one_of(st.none(), _offsets))
def test_valid_iff_inside_every_bound(
    probe: timedelta, expires: int | None, revoked: timedelta | None
) -> None:
    expires_at = None if expires is None else T0 + timedelta(seconds=expires)
    revoked_at = None if revoked is None or revoked < timedelta(0) else T0 + revoked
    c = consent(expires_at=expires_at, revoked_at=revoked_at)
    at = T0 + probe
    expected = (
        at >= T0
        and (expires_at is None or at < expires_at)
        and (revoked_at is None or at < revoked_at)
    )
    assert c.is_valid_at(at) is expected
