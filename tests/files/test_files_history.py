"""The merged monthly payment history: the latest report wins each month."""

from __future__ import annotations

from datetime import date

from files_testkit import LedgerKit, account, one, profile_string, rows

from xinyong.policy import cn, us


def history(
    kit: LedgerKit, as_of: date, key: str = "k1", profile: object = us.PROFILE
) -> dict[date, str]:
    files = kit.build(as_of, profile)  # type: ignore[arg-type]
    return {r["month"]: r["status"] for r in rows(files.history, account_key=key)}


def test_profile_months_count_back_from_the_month_before_the_report(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account(
                "P1", "k1", date_reported=date(2026, 6, 30), account_status="71",
                payment_history_profile="01" + "B" * 22,
            )
        ]
    )  # fmt: skip
    assert history(kit, date(2026, 6, 30)) == {
        date(2026, 6, 1): "1",  # the reported month, from status 71
        date(2026, 5, 1): "0",  # first profile character: the month before
        date(2026, 4, 1): "1",
    }


def test_the_latest_report_wins_each_month_and_no_data_never_overrides(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account(
                "P1", "k1", date_reported=date(2026, 3, 31), account_status="78",
                payment_history_profile="1D0" + "B" * 21,
            ),
            account(
                "P1", "k1", date_reported=date(2026, 5, 31), account_status="11",
                payment_history_profile="0" + "0DD0" + "B" * 19,
            ),
        ]
    )  # fmt: skip
    # Report of 03-31: 03 "2" (status 78), 02 "1", 01 "D", 2025-12 "0".
    # Report of 05-31: 05 "0" (status), 04 "0", 03 "0", 02 "D", 01 "D", 2025-12 "0".
    assert history(kit, date(2026, 6, 30)) == {
        date(2026, 5, 1): "0",
        date(2026, 4, 1): "0",
        date(2026, 3, 1): "0",  # the later report corrected the 60-day mark
        date(2026, 2, 1): "1",  # "D" in the later report keeps the earlier status
        date(2026, 1, 1): "D",
        date(2025, 12, 1): "0",
    }
    # As of April only the first report exists.
    assert history(kit, date(2026, 4, 30))[date(2026, 3, 1)] == "2"


def test_days_late_and_severity(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account(
                "P1", "k1", account_status="97", first_delinquency_date=date(2025, 10, 5),
                payment_history_profile="L654321E0",
            )
        ]
    )  # fmt: skip
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    got = {
        r["status"]: (r["days_late"], r["severity"], r["negative_kind"])
        for r in rows(files.history, account_key="k1")
    }
    assert got == {
        "L": (None, 8, "late_payment"),
        "6": (180, 6, "late_payment"),
        "5": (150, 5, "late_payment"),
        "4": (120, 4, "late_payment"),
        "3": (90, 3, "late_payment"),
        "2": (60, 2, "late_payment"),
        "1": (30, 1, "late_payment"),
        "E": (0, 0, None),
        "0": (0, 0, None),
    }


def test_late_months_age_off_on_their_own(kit: LedgerKit) -> None:
    late = profile_string({11: "1"})  # position 11 of the 2020-06 report: 2019-06
    kit.write(
        accounts=[
            account("P1", "k1", date_reported=date(2020, 6, 30), payment_history_profile=late),
            account("P1", "k1", date_reported=date(2026, 6, 30)),
        ]
    )
    us_files = kit.build(date(2026, 6, 30), us.PROFILE)
    mark = one(us_files.history, account_key="k1", status="1")
    assert mark["month"] == date(2019, 6, 1)
    assert mark["ages_off_on"] == date(2026, 6, 1)  # seven years from the month
    assert (mark["aged_off"], mark["shown"]) == (True, False)
    assert one(kit.build(date(2026, 5, 31), us.PROFILE).history, status="1")["shown"]
    # CN: five years from the first later month reported current (the arrears repaid).
    cn_mark = one(kit.build(date(2026, 6, 30), cn.PROFILE).history, status="1")
    assert cn_mark["ended_on"] == date(2019, 7, 1)
    assert cn_mark["ages_off_on"] == date(2024, 7, 1)
    assert not cn_mark["shown"]


def test_cn_late_months_of_an_account_still_owing_never_age_off(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account(
                "P1", "k1", date_reported=date(2019, 6, 30), account_status="97",
                first_delinquency_date=date(2018, 12, 1), current_balance_minor=500,
                payment_history_profile="L54321",
            ),
        ]
    )  # fmt: skip
    files = kit.build(date(2030, 6, 30), cn.PROFILE)
    marks = rows(files.history, account_key="k1")
    assert len(marks) == 7 and all(r["negative_kind"] == "late_payment" for r in marks)
    assert all(r["ended_on"] is None and r["shown"] for r in marks)
