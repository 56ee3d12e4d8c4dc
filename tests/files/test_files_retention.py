"""Retention in the built files: aged-off items stay in the file and the ledger, not shown."""

from __future__ import annotations

from datetime import date

from files_testkit import LedgerKit, account, one, public_record, rows

from xinyong.ledger import connect
from xinyong.policy import cn, eu, us

OLD_CHARGE_OFF = dict(
    account_status="97",
    first_delinquency_date=date(2017, 1, 5),
    date_reported=date(2018, 1, 31),
    current_balance_minor=300_000,
    charge_off_amount_minor=300_000,
    payment_history_profile="LLLLL654321" + "0" * 13,
)


def test_us_charge_off_ages_off_but_stays_in_the_file_and_the_ledger(kit: LedgerKit) -> None:
    kit.write(accounts=[account("P2", "b2", **OLD_CHARGE_OFF)])
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    row = one(files.accounts, account_key="b2")
    assert row["negative_kind"] == "charge_off"
    assert row["ages_off_on"] == date(2024, 7, 4)  # 2017-01-05 + 180 days + 7 years
    assert (row["aged_off"], row["shown"]) == (True, False)
    assert not any(r["shown"] for r in rows(files.history, account_key="b2"))
    shown_then = kit.build(date(2024, 7, 3), us.PROFILE)
    assert one(shown_then.accounts, account_key="b2")["shown"]
    with connect(kit.ledger) as con:
        assert con.execute("SELECT count(*) FROM accounts").fetchone() == (1,)


def test_cn_an_unpaid_charge_off_stays_and_a_paid_one_ages_five_years_after_payment(
    kit: LedgerKit,
) -> None:
    kit.write(
        accounts=[
            account("P2", "b2", **OLD_CHARGE_OFF),
            account(
                "P3", "c1", account_status="64", first_delinquency_date=date(2015, 1, 1),
                date_reported=date(2019, 3, 31), last_payment_date=date(2019, 3, 20),
                current_balance_minor=0,
            ),
        ]
    )  # fmt: skip
    files = kit.build(date(2026, 6, 30), cn.PROFILE)
    unpaid = one(files.accounts, account_key="b2")
    assert (unpaid["ended_on"], unpaid["ages_off_on"], unpaid["shown"]) == (None, None, True)
    paid = one(files.accounts, account_key="c1")
    assert paid["negative_kind"] == "charge_off"
    assert paid["ended_on"] == date(2019, 3, 20)
    assert paid["ages_off_on"] == date(2024, 3, 20)
    assert not paid["shown"]


def test_eu_register_items_leave_with_the_register(kit: LedgerKit) -> None:
    kit.write(
        public_records=[
            public_record("E1", "r1", "bankruptcy", date(2025, 1, 10),
                          expires_on=date(2025, 7, 10), subject_kind="person"),
            public_record("E1", "r2", "court_judgment", date(2020, 1, 10)),
        ]
    )  # fmt: skip
    files = kit.build(date(2026, 6, 30), eu.PROFILE)
    assert not one(files.public_records, record_ref="r1")["shown"]
    assert one(files.public_records, record_ref="r2")["shown"]  # still published


def test_each_profile_ages_the_same_ledger_differently(kit: LedgerKit) -> None:
    kit.write(
        public_records=[
            public_record("E1", "p1", "administrative_penalty", date(2019, 1, 1),
                          expires_on=date(2020, 1, 1), amount_minor=10, currency="CNY"),
        ]
    )  # fmt: skip
    got = {
        p.jurisdiction.value: one(kit.build(date(2026, 6, 30), p).public_records, record_ref="p1")
        for p in (us.PROFILE, cn.PROFILE, eu.PROFILE)
    }
    assert got["US"]["ages_off_on"] == date(2026, 1, 1)  # seven years from the decision
    assert got["CN"]["ages_off_on"] == date(2025, 1, 1)  # five years after publicity ended
    assert got["EU"]["ages_off_on"] == date(2020, 1, 1)  # when the register stopped
    assert not any(r["shown"] for r in got.values())
