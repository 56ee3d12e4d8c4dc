"""Every attribute on hand-built files, with answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from files_testkit import LedgerKit, account, profile_string, public_record

from xinyong.attributes import ATTRIBUTES, compute_attributes
from xinyong.files import CreditFiles
from xinyong.policy import cn, us

AS_OF = date(2026, 6, 30)


def write_population(kit: LedgerKit) -> None:
    """P1: a clean file with two late marks; P2: a collection and an old charge-off;
    E1: an enterprise with public records only."""
    kit.write(
        accounts=[
            account("P1", "a1", date_reported=date(2026, 5, 31), current_balance_minor=999,
                    credit_limit_minor=1_000_000,
                    payment_history_profile=profile_string({3: "1", 13: "2"})),
            account("P1", "a1", credit_limit_minor=1_000_000, current_balance_minor=250_000,
                    payment_history_profile=profile_string({4: "1", 14: "2"})),
            account("P1", "a2", portfolio_type="C", account_type="15",
                    date_opened=date(2026, 2, 10), credit_limit_minor=500_000,
                    current_balance_minor=250_000, payment_history_profile="0000" + "B" * 20),
            account("P1", "a3", portfolio_type="M", account_type="26",
                    date_opened=date(2015, 6, 1), highest_credit_minor=30_000_000,
                    current_balance_minor=20_000_000),
            account("P1", "a4", date_opened=date(2010, 3, 20), date_closed=date(2025, 12, 31),
                    date_reported=date(2025, 12, 31), account_status="13", payment_rating="0",
                    credit_limit_minor=200_000, current_balance_minor=0),
        ]
    )  # fmt: skip
    kit.write(
        furnisher="fur-2",
        accounts=[
            account("P2", "b1", portfolio_type="O", account_type="92",
                    date_opened=date(2023, 5, 1), account_status="93",
                    first_delinquency_date=date(2025, 10, 10), current_balance_minor=80_000,
                    amount_past_due_minor=80_000,
                    payment_history_profile="GGGG321" + "0" * 17),
            account("P2", "b2", account_status="97", date_opened=date(2015, 1, 1),
                    first_delinquency_date=date(2017, 1, 5), date_reported=date(2018, 1, 31),
                    current_balance_minor=300_000, charge_off_amount_minor=300_000,
                    credit_limit_minor=400_000,
                    payment_history_profile="LLLLL654321" + "0" * 13),
        ],
    )  # fmt: skip
    cny = {"currency": "CNY"}
    kit.write(
        furnisher="regulator",
        public_records=[
            public_record("E1", "r1", "administrative_penalty", date(2025, 3, 1),
                          amount_minor=40_000, expires_on=date(2028, 3, 1), **cny),
            public_record("E1", "r2", "administrative_penalty", date(2019, 1, 1),
                          amount_minor=70_000, expires_on=date(2020, 1, 1), **cny),
            public_record("E1", "r3", "abnormal_operations_listing", date(2024, 5, 1)),
            public_record("E1", "r4", "abnormal_operations_listing", date(2022, 1, 1),
                          status="removed", removed_date=date(2022, 6, 1)),
            public_record("E1", "r5", "serious_violation_listing", date(2025, 1, 1),
                          expires_on=date(2028, 1, 1)),
            public_record("E1", "r6", "tax_arrears", date(2025, 6, 1), amount_minor=1_000_000,
                          **cny),
            public_record("E1", "r7", "court_judgment", date(2024, 2, 1), amount_minor=2_000_000,
                          status="satisfied", removed_date=date(2025, 1, 15), **cny),
            public_record("E1", "r8", "dishonest_judgment_debtor", date(2025, 8, 1),
                          status="removed", removed_date=date(2026, 8, 1),
                          expires_on=date(2027, 8, 1)),
        ],
    )  # fmt: skip
    kit.write(  # the penalty corrected: the later batch supersedes
        furnisher="regulator",
        public_records=[
            public_record("E1", "r1", "administrative_penalty", date(2025, 3, 1),
                          amount_minor=50_000, expires_on=date(2028, 3, 1), **cny)
        ],
    )  # fmt: skip


def inquiries() -> pa.Table:
    def at(y: int, m: int, d: int) -> datetime:
        return datetime(y, m, d, 12, tzinfo=UTC)

    return pa.Table.from_pylist(
        [
            {"inquiry_id": "i1", "subject_id": "P1", "purpose": "credit_application",
             "at": at(2026, 3, 1)},
            {"inquiry_id": "i2", "subject_id": "P1", "purpose": "credit_application",
             "at": at(2025, 9, 15)},
            {"inquiry_id": "i3", "subject_id": "P1", "purpose": "account_review",
             "at": at(2026, 6, 1)},
            {"inquiry_id": "i4", "subject_id": "P1", "purpose": "credit_application",
             "at": at(2026, 7, 2)},  # after the as-of date: not in the file
        ]
    )  # fmt: skip


@pytest.fixture
def us_files(kit: LedgerKit) -> CreditFiles:
    write_population(kit)
    return kit.build(AS_OF, us.PROFILE, inquiries=inquiries())


def by_subject(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["subject_id"]: row for row in table.to_pylist()}


EXPECTED: dict[str, dict[str, Any]] = {
    "P1": {
        "accounts_total": 4,
        "accounts_open": 3,
        "accounts_opened_6m": 1,
        "accounts_opened_12m": 1,
        "oldest_account_age_months": 195,  # 2010-03-20 to 2026-06-30
        "average_account_age_months": 102.0,  # (77 + 4 + 132 + 195) / 4
        "revolving_balance_total": 500_000,
        "revolving_limit_total": 1_500_000,
        "mortgage_balance_total": 20_000_000,
        "mortgage_original_total": 30_000_000,
        "instalment_balance_total": 0,
        "total_balance": 20_500_000,
        "worst_status_6m": 1,
        "worst_status_12m": 1,
        "worst_status_24m": 2,
        "times_30_59_late_6m": 1,
        "times_30_59_late_24m": 1,
        "times_60_89_late_12m": 0,
        "times_60_89_late_24m": 1,
        "times_90plus_late_24m": 0,
        "months_since_last_delinquency": 5,
        "collections_count": 0,
        "inquiries_6m": 1,
        "inquiries_12m": 2,
        "public_records_count": 0,
        "months_since_last_public_record": None,
        "abnormal_operations_listings_active": None,  # enterprises only
        "serious_violation_listed": None,
    },
    "P2": {
        "accounts_total": 1,  # the 2017 charge-off aged off in July 2024
        "accounts_open": 0,
        "collections_count": 1,
        "collections_balance": 80_000,
        "charge_offs_count": 0,
        "charge_off_amount_total": 0,
        "derogatory_accounts": 1,
        "accounts_delinquent_now": 1,
        "past_due_amount_total": 80_000,
        "worst_status_6m": 7,
        "times_30_59_late_6m": 0,
        "times_30_59_late_12m": 1,
        "times_60_89_late_6m": 0,
        "times_60_89_late_12m": 1,
        "times_90plus_late_6m": 6,
        "times_90plus_late_12m": 6,
        "months_since_last_delinquency": 0,
        "revolving_utilisation": None,
        "oldest_account_age_months": 37,
        "inquiries_6m": 0,
    },
    "E1": {
        "accounts_total": 0,
        "worst_status_6m": None,
        "times_30_59_late_6m": None,
        "months_since_last_delinquency": None,
        "oldest_account_age_months": None,
        "average_account_age_months": None,
        "revolving_utilisation": None,
        "public_records_count": 7,  # r2 aged off (2019 + 7 years)
        "public_records_amount_total": 3_050_000,
        "administrative_penalties_count": 1,
        "administrative_penalties_amount": 50_000,
        "abnormal_operations_listings_active": 1,
        "serious_violation_listed": 1,
        "dishonest_judgment_debtor_listed": 1,  # removed only after the as-of date
        "tax_arrears_unpaid_amount": 1_000_000,
        "court_judgments_count": 1,
        "court_judgments_unsatisfied_amount": 0,
        "bankruptcies_count": 0,
        "months_since_last_public_record": 10,  # 2025-08-01 to 2026-06-30
        "inquiries_12m": 0,
    },
}


def test_attribute_values_worked_out_by_hand(us_files: CreditFiles) -> None:
    got = by_subject(compute_attributes(us_files, AS_OF))
    assert set(got) == {"P1", "P2", "E1"}
    assert got["E1"]["subject_kind"] == "enterprise"
    for subject, expected in EXPECTED.items():
        actual = {name: got[subject][name] for name in expected}
        assert actual == expected, subject
    assert got["P1"]["revolving_utilisation"] == pytest.approx(1 / 3)


def test_every_attribute_is_a_column_with_its_declared_type(us_files: CreditFiles) -> None:
    table = compute_attributes(us_files)
    assert table.column_names == ["subject_id", "subject_kind", *(a.name for a in ATTRIBUTES)]
    for a in ATTRIBUTES:
        kind = table.schema.field(a.name).type
        assert pa.types.is_float64(kind) if a.dtype == "DOUBLE" else pa.types.is_int64(kind), a


def test_the_same_ledger_under_cn_keeps_the_unpaid_charge_off(kit: LedgerKit) -> None:
    write_population(kit)
    got = by_subject(compute_attributes(kit.build(AS_OF, cn.PROFILE)))
    assert got["P2"]["charge_offs_count"] == 1  # still owed: never ages off (art. 16)
    assert got["P2"]["charge_off_amount_total"] == 300_000
    assert got["P2"]["accounts_total"] == 2
    # r2's publicity ended 2020-01-01, so it aged off on 2025-01-01.
    assert got["E1"]["administrative_penalties_count"] == 1


def test_an_empty_inquiries_table_gives_zero_inquiries(kit: LedgerKit) -> None:
    write_population(kit)
    files = kit.build(AS_OF, us.PROFILE)
    assert files.inquiries.num_rows == 0
    got = by_subject(compute_attributes(files))
    assert {s: (r["inquiries_6m"], r["inquiries_12m"]) for s, r in got.items()} == {
        "P1": (0, 0),
        "P2": (0, 0),
        "E1": (0, 0),
    }


def test_no_subjects_gives_an_empty_table_with_every_column(kit: LedgerKit) -> None:
    table = compute_attributes(kit.build(AS_OF, us.PROFILE))
    assert table.num_rows == 0
    assert len(table.column_names) == len(ATTRIBUTES) + 2


def test_attributes_are_computed_as_of_the_files_date(us_files: CreditFiles) -> None:
    with pytest.raises(ValueError, match="built as of"):
        compute_attributes(us_files, date(2026, 7, 31))


def test_one_subjects_file_gives_that_subjects_row(us_files: CreditFiles) -> None:
    alone = compute_attributes(us_files.for_subject("P2")).to_pylist()
    together = by_subject(compute_attributes(us_files))["P2"]
    assert alone == [together]
