"""Working days come from the jurisdiction profile's calendar: public holidays are days
off, and in China the announced make-up weekend days (调休) are working days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.policy import WEEKDAYS_ONLY, WorkingCalendar, get_profile


def test_us_business_days_skip_thanksgiving() -> None:
    us = get_profile("US").calendar
    assert not us.is_working_day(date(2026, 11, 26))  # Thanksgiving, a Thursday
    assert us.is_working_day(date(2026, 11, 27))
    # Wed 25 + 1 business day is Friday, not Thanksgiving Thursday.
    assert us.add_working_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    # 5 business days from Fri 20 Nov: 23, 24, 25, 27, 30 (the weekday count says 27 Nov).
    assert us.add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 30)
    assert WEEKDAYS_ONLY.add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 27)
    # An observed holiday: Independence Day 2026 is a Saturday, observed Friday 3 July.
    assert not us.is_working_day(date(2026, 7, 3))
    assert us.add_working_days(date(2026, 7, 2), 1) == date(2026, 7, 6)


def test_cn_working_days_follow_the_holiday_notice_with_make_up_weekends() -> None:
    cn = get_profile("CN").calendar
    assert cn.is_working_day(date(2026, 2, 14))  # a Saturday worked before the Spring Festival
    assert not cn.is_working_day(date(2026, 2, 17))  # Spring Festival, a Tuesday
    assert cn.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    # From that Saturday the next working day is after the whole holiday, Tue 24 Feb.
    assert cn.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    # National Day week: 1-7 Oct off, Sat 10 Oct worked.
    assert cn.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cn.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_the_dispute_rule_counts_in_its_profiles_calendar() -> None:
    for jurisdiction in ("US", "CN", "EU"):
        profile = get_profile(jurisdiction)
        assert profile.dispute.calendar == profile.calendar
    assert get_profile("EU").calendar == WEEKDAYS_ONLY
    german = WorkingCalendar("DE", subdiv="BY", basis="Bavaria")
    eu_de = get_profile("EU").with_calendar(german)
    assert eu_de.dispute.calendar == german
    assert not german.is_working_day(date(2026, 10, 3))  # German Unity Day, a Saturday anyway
    assert not german.is_working_day(date(2026, 1, 6))  # Epiphany, Bavaria only


def test_a_calendar_refuses_what_it_cannot_know() -> None:
    with pytest.raises(ValueError, match="basis"):
        WorkingCalendar("US", basis=" ")
    with pytest.raises(ValueError, match="subdivision"):
        WorkingCalendar(None, basis="x", subdiv="CA")
    with pytest.raises(ValueError, match="no public-holiday calendar: Country XX"):
        WorkingCalendar("XX", basis="no such country")
    with pytest.raises(ValueError, match="does not have subdivision ZZ"):
        WorkingCalendar("US", subdiv="ZZ", basis="no such state")
    with pytest.raises(ValueError, match="negative"):
        get_profile("US").calendar.add_working_days(date(2026, 1, 1), -1)


@given(st.sampled_from(["US", "CN"]), st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_a_deadline_is_the_nth_working_day_and_us_holidays_only_delay_it(
    jurisdiction: str, start: date
) -> None:
    calendar = get_profile(jurisdiction).calendar
    end = calendar.add_working_days(start, 5)
    assert calendar.is_working_day(end)
    assert (
        sum(
            calendar.is_working_day(start + timedelta(days=i))
            for i in range(1, (end - start).days + 1)
        )
        == 5
    )
    if jurisdiction == "US":
        assert end >= WEEKDAYS_ONLY.add_working_days(start, 5)
