"""The jurisdiction profiles hold the values the law gives, and refuse to be incomplete."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain.inquiries import Purpose
from xinyong.policy import (
    Clock,
    InquiryBasis,
    NegativeKind,
    Period,
    RetentionRule,
    add_period,
    cn,
    eu,
    get_profile,
    us,
)
from xinyong.settings import Jurisdiction, Settings


@pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
def test_every_profile_has_a_rule_for_every_kind_and_cites_it(jurisdiction: Jurisdiction) -> None:
    profile = get_profile(jurisdiction)
    assert profile.jurisdiction is jurisdiction
    assert set(profile.retention) == set(NegativeKind)
    for rule in profile.retention.values():
        assert rule.basis.strip()
        assert rule.describe()
    assert get_profile(jurisdiction.value) is profile


def test_the_settings_jurisdiction_chooses_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_JURISDICTION", "US")
    assert get_profile(Settings().jurisdiction) is us.PROFILE


def test_a_profile_without_a_rule_for_some_kind_is_refused() -> None:
    retention = dict(us.PROFILE.retention)
    del retention[NegativeKind.BANKRUPTCY]
    with pytest.raises(ValueError, match="bankruptcy"):
        us.PROFILE.__class__(**{**_fields(us.PROFILE), "retention": retention})


def _fields(profile: object) -> dict[str, object]:
    return {name: getattr(profile, name) for name in profile.__dataclass_fields__}  # type: ignore[attr-defined]


def test_a_rule_must_cite_its_basis() -> None:
    with pytest.raises(ValueError, match="legal basis"):
        RetentionRule(Clock.EVENT, Period(years=1), "  ")


def test_us_values() -> None:
    p = us.PROFILE
    assert p.rule("bankruptcy").period == Period(years=10)
    assert p.rule("charge_off").clock is Clock.DELINQUENCY
    assert p.rule("charge_off").offset_days == 180
    assert p.rule("tax_arrears").clock is Clock.END  # paid liens, from payment
    assert not p.consent_required
    assert p.inquiry_basis is InquiryBasis.PERMISSIBLE_PURPOSE
    assert Purpose.EMPLOYMENT in p.consent_required_for  # 604(b)(2) authorisation
    assert p.statement_word_limit == 100
    assert p.free_reports.per_year == 1
    assert p.dispute.due(date(2026, 3, 1)) == date(2026, 3, 31)
    assert p.dispute.due(date(2026, 3, 1), extended=True) == date(2026, 4, 15)


def test_cn_values() -> None:
    p = cn.PROFILE
    assert {r.period for r in p.retention.values()} == {Period(years=5)}
    assert {r.clock for r in p.retention.values()} == {Clock.END}
    assert p.consent_required
    assert p.inquiry_basis is InquiryBasis.CONSENT
    assert Purpose.COURT_ORDER not in p.consent_required_for
    assert p.statement_word_limit is None
    assert p.free_reports.per_year == 2
    assert p.dispute.due(date(2026, 3, 1)) == date(2026, 3, 21)  # art. 25: 20 days
    with pytest.raises(ValueError, match="no extension"):
        p.dispute.due(date(2026, 3, 1), extended=True)


def test_eu_values_and_configuration() -> None:
    p = eu.PROFILE
    assert not p.consent_required
    assert p.inquiry_basis is InquiryBasis.LAWFUL_BASIS
    assert p.free_reports.per_year is None
    assert p.rule("bankruptcy").clock is Clock.REGISTER
    assert p.rule("charge_off").period == eu.ARREARS_PERIOD
    # Art. 12(3): one month, then two more, counted from receipt in one step.
    assert p.dispute.due(date(2026, 1, 31)) == date(2026, 2, 28)
    assert p.dispute.due(date(2026, 1, 31), extended=True) == date(2026, 4, 30)

    six_months = RetentionRule(Clock.EVENT, Period(months=6), "InsBekV: 6 months after discharge")
    germany = eu.profile(arrears=Period(years=2), overrides={"bankruptcy": six_months})
    assert germany.rule("bankruptcy") == six_months
    assert germany.rule("late_payment").period == Period(years=2)
    assert eu.PROFILE.rule("bankruptcy").clock is Clock.REGISTER  # the default is untouched


def test_add_period_clamps_to_the_end_of_the_month() -> None:
    assert add_period(date(2020, 2, 29), Period(years=1)) == date(2021, 2, 28)
    assert add_period(date(2024, 1, 31), Period(months=1)) == date(2024, 2, 29)
    assert add_period(date(2024, 1, 31), Period(months=1, days=1)) == date(2024, 3, 1)
    with pytest.raises(ValueError):
        Period(years=-1)


def test_the_retention_page_covers_every_kind_and_jurisdiction() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "retention.md").read_text("utf-8")
    for kind in NegativeKind:
        assert f"`{kind.value}`" in text, kind
    for name in ("FCRA 605", "征信业管理条例 art. 16", "C-26/22"):
        assert name in text
