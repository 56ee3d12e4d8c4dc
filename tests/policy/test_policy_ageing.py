"""Ageing in each profile, to the day, and the SQL rendering agreeing with the function."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.policy import (
    PROFILES,
    NegativeItem,
    NegativeKind,
    Period,
    ages_off,
    ages_off_sql,
    cn,
    eu,
    is_shown,
    us,
)

FOREVER = date(2199, 12, 31)


def shown_window(item: NegativeItem, profile_off: date, profile: object) -> None:
    day_before = profile_off - timedelta(days=1)
    assert is_shown(item, day_before, profile)  # type: ignore[arg-type]
    assert not is_shown(item, profile_off, profile)  # type: ignore[arg-type]


# -- United States -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["delinquent_account", "collection", "charge_off"])
def test_us_seven_years_from_180_days_after_first_delinquency(kind: str) -> None:
    item = NegativeItem(kind=NegativeKind(kind), delinquency_date=date(2015, 3, 10))
    # 2015-03-10 + 180 days = 2015-09-06; + 7 years = 2022-09-06.
    assert ages_off(item, date(2026, 1, 1), us.PROFILE) == date(2022, 9, 6)
    assert is_shown(item, date(2022, 9, 5), us.PROFILE)
    assert not is_shown(item, date(2022, 9, 6), us.PROFILE)
    # Paying it does not restart or stop the clock.
    paid = NegativeItem(
        kind=NegativeKind(kind), delinquency_date=date(2015, 3, 10), ended_on=date(2020, 1, 1)
    )
    assert ages_off(paid, date(2026, 1, 1), us.PROFILE) == date(2022, 9, 6)


def test_us_clock_over_a_leap_day() -> None:
    # 2015-09-02 + 180 days is 2016-02-29; seven years on there is no 29 February.
    item = NegativeItem(kind=NegativeKind.CHARGE_OFF, delinquency_date=date(2015, 9, 2))
    assert ages_off(item, date(2026, 1, 1), us.PROFILE) == date(2023, 2, 28)


def test_us_bankruptcy_ten_years_from_the_order_even_if_withdrawn() -> None:
    item = NegativeItem(kind=NegativeKind.BANKRUPTCY, event_date=date(2014, 5, 20))
    shown_window(item, date(2024, 5, 20), us.PROFILE)
    withdrawn = NegativeItem(
        kind=NegativeKind.BANKRUPTCY,
        event_date=date(2014, 5, 20),
        removed_on=date(2014, 9, 1),
        withdrawn=True,
    )
    assert ages_off(withdrawn, date(2020, 1, 1), us.PROFILE) == date(2024, 5, 20)  # 605(d)


def test_us_judgments_liens_late_months_and_other_items() -> None:
    judgment = NegativeItem(kind=NegativeKind.COURT_JUDGMENT, event_date=date(2018, 4, 2))
    shown_window(judgment, date(2025, 4, 2), us.PROFILE)
    paid_lien = NegativeItem(
        kind=NegativeKind.TAX_ARREARS, event_date=date(2010, 1, 1), ended_on=date(2016, 6, 30)
    )
    shown_window(paid_lien, date(2023, 6, 30), us.PROFILE)
    unpaid = NegativeItem(kind=NegativeKind.TAX_ARREARS, event_date=date(2010, 1, 1))
    assert ages_off(unpaid, FOREVER, us.PROFILE) is None
    late = NegativeItem(kind=NegativeKind.LATE_PAYMENT, event_date=date(2018, 3, 1))
    shown_window(late, date(2025, 3, 1), us.PROFILE)
    penalty = NegativeItem(kind=NegativeKind.ADMINISTRATIVE_PENALTY, event_date=date(2019, 1, 1))
    assert ages_off(penalty, FOREVER, us.PROFILE) == date(2026, 1, 1)


# -- China ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["late_payment", "delinquent_account", "collection", "charge_off"])
def test_cn_five_years_after_the_debt_is_repaid(kind: str) -> None:
    item = NegativeItem(
        kind=NegativeKind(kind), delinquency_date=date(2012, 1, 1), ended_on=date(2020, 4, 15)
    )
    shown_window(item, date(2025, 4, 15), cn.PROFILE)


@pytest.mark.parametrize(
    "kind", ["charge_off", "collection", "court_judgment", "tax_arrears", "bankruptcy"]
)
def test_cn_an_event_that_has_not_ended_never_ages_off(kind: str) -> None:
    item = NegativeItem(
        kind=NegativeKind(kind), delinquency_date=date(2001, 1, 1), event_date=date(2001, 1, 1)
    )
    assert ages_off(item, FOREVER, cn.PROFILE) is None
    assert is_shown(item, FOREVER, cn.PROFILE)


def test_cn_an_end_recorded_after_the_as_of_date_is_not_yet_an_end() -> None:
    item = NegativeItem(kind=NegativeKind.CHARGE_OFF, ended_on=date(2024, 6, 1))
    assert ages_off(item, date(2024, 5, 31), cn.PROFILE) is None
    assert ages_off(item, date(2024, 6, 1), cn.PROFILE) == date(2029, 6, 1)


def test_cn_listings_end_on_removal_or_when_their_term_runs_out() -> None:
    removed = NegativeItem(
        kind=NegativeKind.DISHONEST_JUDGMENT_DEBTOR,
        event_date=date(2019, 3, 1),
        expires_on=date(2021, 3, 1),
        ended_on=date(2020, 2, 10),
        removed_on=date(2020, 2, 10),
    )
    shown_window(removed, date(2025, 2, 10), cn.PROFILE)
    expired = NegativeItem(
        kind=NegativeKind.DISHONEST_JUDGMENT_DEBTOR,
        event_date=date(2019, 3, 1),
        expires_on=date(2021, 3, 1),
    )
    shown_window(expired, date(2026, 3, 1), cn.PROFILE)
    open_ended = NegativeItem(
        kind=NegativeKind.ABNORMAL_OPERATIONS_LISTING, event_date=date(2010, 3, 1)
    )
    assert ages_off(open_ended, FOREVER, cn.PROFILE) is None
    penalty = NegativeItem(
        kind=NegativeKind.ADMINISTRATIVE_PENALTY,
        event_date=date(2019, 1, 1),
        expires_on=date(2022, 1, 1),
    )
    shown_window(penalty, date(2027, 1, 1), cn.PROFILE)


def test_cn_a_withdrawn_act_is_hidden_from_its_withdrawal() -> None:
    item = NegativeItem(
        kind=NegativeKind.ADMINISTRATIVE_PENALTY,
        event_date=date(2025, 1, 1),
        removed_on=date(2025, 2, 1),
        ended_on=date(2025, 2, 1),
        withdrawn=True,
    )
    assert ages_off(item, date(2025, 3, 1), cn.PROFILE) == date(2025, 2, 1)
    assert not is_shown(item, date(2025, 3, 1), cn.PROFILE)


# -- European Union ------------------------------------------------------------


def test_eu_public_records_follow_the_register() -> None:
    listed = NegativeItem(
        kind=NegativeKind.BANKRUPTCY, event_date=date(2024, 1, 1), expires_on=date(2024, 7, 1)
    )
    shown_window(listed, date(2024, 7, 1), eu.PROFILE)
    removed_early = NegativeItem(
        kind=NegativeKind.COURT_JUDGMENT,
        event_date=date(2024, 1, 1),
        expires_on=date(2030, 1, 1),
        removed_on=date(2025, 5, 5),
        ended_on=date(2025, 5, 5),
    )
    shown_window(removed_early, date(2025, 5, 5), eu.PROFILE)
    still_published = NegativeItem(kind=NegativeKind.COURT_JUDGMENT, event_date=date(2000, 1, 1))
    assert ages_off(still_published, FOREVER, eu.PROFILE) is None


def test_eu_arrears_age_off_the_configured_period_after_settlement() -> None:
    item = NegativeItem(kind=NegativeKind.COLLECTION, ended_on=date(2021, 8, 31))
    shown_window(item, date(2024, 8, 31), eu.PROFILE)  # default three years
    eighteen_months = eu.profile(arrears=Period(months=18))
    shown_window(item, date(2023, 2, 28), eighteen_months)
    unsettled = NegativeItem(kind=NegativeKind.COLLECTION, delinquency_date=date(2001, 1, 1))
    assert ages_off(unsettled, FOREVER, eu.PROFILE) is None


# -- the SQL rendering agrees with the function ----------------------------------

dates = st.one_of(st.none(), st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31)))
items = st.builds(
    NegativeItem,
    kind=st.sampled_from(list(NegativeKind)),
    delinquency_date=dates,
    event_date=dates,
    ended_on=dates,
    expires_on=dates,
    removed_on=dates,
    withdrawn=st.booleans(),
)
_FIELDS = ("delinquency_date", "event_date", "ended_on", "expires_on", "removed_on")


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(items, min_size=1, max_size=40),
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    profile=st.sampled_from([*PROFILES.values(), eu.profile(arrears=Period(months=18, days=3))]),
)
def test_sql_and_python_age_every_item_alike(
    batch: list[NegativeItem], as_of: date, profile: object
) -> None:
    table = pa.table(
        {
            "negative_kind": [i.kind.value for i in batch],
            **{f: pa.array([getattr(i, f) for i in batch], pa.date32()) for f in _FIELDS},
            "withdrawn": [i.withdrawn for i in batch],
        }
    )
    con = duckdb.connect()
    con.register("items", table)
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {ages_off_sql(profile, as_of)} FROM items"  # type: ignore[arg-type]
        ).fetchall()
    ]
    want = [ages_off(i, as_of, profile) for i in batch]  # type: ignore[arg-type]
    assert got == want
