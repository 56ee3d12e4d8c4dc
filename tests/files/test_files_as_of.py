"""Files as of a date: later reports and later batches are invisible; corrections supersede."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest
from files_testkit import EVERYTHING, LedgerKit, account, one, public_record, rows

from xinyong.files import LINKS_SCHEMA, build_files
from xinyong.policy import cn, us


def test_a_state_reported_after_the_as_of_date_is_invisible(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", date_reported=date(2026, 4, 30), current_balance_minor=100),
            account("P1", "k1", date_reported=date(2026, 5, 31), current_balance_minor=200),
        ]
    )
    before = kit.build(date(2026, 5, 15), us.PROFILE)
    assert one(before.accounts, account_key="k1")["current_balance_minor"] == 100
    after = kit.build(date(2026, 5, 31), us.PROFILE)
    assert one(after.accounts, account_key="k1")["current_balance_minor"] == 200
    assert kit.build(date(2026, 4, 29), us.PROFILE).accounts.num_rows == 0


def test_a_batch_stored_after_the_as_of_instant_is_invisible(kit: LedgerKit) -> None:
    first = kit.write(accounts=[account("P1", "k1", current_balance_minor=100)])
    kit.write(accounts=[account("P1", "k1", current_balance_minor=150)])  # correction
    then = kit.build(date(2026, 6, 30), us.PROFILE, at=first.stored_at)
    assert one(then.accounts, account_key="k1")["current_balance_minor"] == 100
    now = kit.build(date(2026, 6, 30), us.PROFILE)
    assert one(now.accounts, account_key="k1")["current_balance_minor"] == 150
    # Just before the first batch nothing was stored; the default instant is
    # the end of the as-of day, which is long before these batches were stored.
    just_before = first.stored_at - timedelta(microseconds=1)
    assert kit.build(date(2026, 6, 30), us.PROFILE, at=just_before).accounts.num_rows == 0
    default = build_files(kit.ledger, kit.links_table(), date(2026, 6, 30), us.PROFILE)
    assert default.accounts.num_rows == 0
    assert then.snapshot_id == kit.ledger.snapshot_id(first.stored_at)


def test_the_same_snapshot_gives_the_same_files(kit: LedgerKit) -> None:
    first = kit.write(accounts=[account("P1", "k1", current_balance_minor=100)])
    kit.write(accounts=[account("P1", "k1", current_balance_minor=150)])
    at_first = kit.build(date(2026, 6, 30), us.PROFILE, at=first.stored_at)
    snapshot = at_first.snapshot_id
    assert snapshot is not None
    again = kit.build(date(2026, 6, 30), us.PROFILE, snapshot_id=snapshot)
    assert again.accounts.equals(at_first.accounts)
    assert again.history.equals(at_first.history)


def test_corrections_supersede_but_a_late_older_report_does_not(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", current_balance_minor=100),
            account("P1", "k1", current_balance_minor=110),  # same batch, later record
        ]
    )
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    assert one(files.accounts, account_key="k1")["current_balance_minor"] == 110
    kit.write(
        accounts=[account("P1", "k1", date_reported=date(2026, 5, 31), current_balance_minor=5)]
    )
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    state = one(files.accounts, account_key="k1")
    assert state["current_balance_minor"] == 110
    assert state["date_reported"] == date(2026, 6, 30)


def test_each_consumer_of_a_joint_account_has_the_account_in_their_own_file(
    kit: LedgerKit,
) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", consumer_no=0, ecoa_code="2"),
            account("P2", "k1", consumer_no=1, ecoa_code="2", record_no=1),
        ]
    )
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    assert {r["subject_id"] for r in files.accounts.to_pylist()} == {"P1", "P2"}
    assert files.subjects.num_rows == 2


def test_unlinked_rows_are_in_no_file_and_a_row_linked_twice_is_refused(kit: LedgerKit) -> None:
    kit.write(accounts=[account("P1", "k1")])
    kit.write(accounts=[account("P9", "k9")], link=False)
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    assert [r["account_key"] for r in files.accounts.to_pylist()] == ["k1"]
    doubled = pa.concat_tables(
        [kit.links_table(), kit.links_table().set_column(4, "subject_id", pa.array(["P2"]))]
    )
    with pytest.raises(ValueError, match="more than one subject"):
        build_files(kit.ledger, doubled.cast(LINKS_SCHEMA), date(2026, 6, 30), us.PROFILE)


def test_deleted_accounts_and_deleted_consumers_are_not_shown(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", date_reported=date(2026, 5, 31)),
            account("P1", "k1", account_status="DA", payment_history_profile=None),
            account("P1", "k2", ecoa_code="Z"),
            account("P1", "k3"),
        ]
    )
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    assert {r["account_key"]: r["shown"] for r in files.accounts.to_pylist()} == {
        "k1": False,
        "k2": False,
        "k3": True,
    }
    assert all(not r["shown"] for r in rows(files.history, account_key="k1"))


def test_a_dispute_flag_persists_until_removed(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", date_reported=date(2026, 4, 30), compliance_condition="XB"),
            account("P1", "k1", date_reported=date(2026, 5, 31)),  # blank keeps XB
            account("P1", "k2", date_reported=date(2026, 5, 31), compliance_condition="XB"),
            account("P1", "k2", date_reported=date(2026, 6, 30), compliance_condition="XR"),
        ]
    )
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    k1, k2 = one(files.accounts, account_key="k1"), one(files.accounts, account_key="k2")
    assert (k1["compliance_condition"], k1["disputed"]) == ("XB", True)
    assert (k2["compliance_condition"], k2["disputed"]) == (None, False)


def test_public_records_as_of_a_date(kit: LedgerKit) -> None:
    kit.write(
        public_records=[
            public_record(
                "E1", "r1", "dishonest_judgment_debtor", date(2025, 8, 1),
                status="removed", removed_date=date(2026, 8, 1), expires_on=date(2027, 8, 1),
            ),
            public_record("E1", "r2", "court_judgment", date(2026, 7, 2), amount_minor=5,
                          currency="CNY"),
            public_record("E1", "r3", "tax_arrears", date(2025, 1, 1), amount_minor=100,
                          currency="CNY"),
        ]
    )  # fmt: skip
    kit.write(
        public_records=[
            public_record("E1", "r3", "tax_arrears", date(2025, 1, 1), amount_minor=120,
                          currency="CNY"),
        ]
    )  # fmt: skip
    files = kit.build(date(2026, 6, 30), cn.PROFILE)
    listed = one(files.public_records, record_ref="r1")
    assert (listed["status"], listed["removed_date"], listed["in_force"]) == ("active", None, True)
    assert rows(files.public_records, record_ref="r2") == []  # filed after the as-of date
    assert one(files.public_records, record_ref="r3")["amount_minor"] == 120
    later = kit.build(date(2026, 8, 1), cn.PROFILE)
    removed = one(later.public_records, record_ref="r1")
    assert (removed["status"], removed["in_force"], removed["shown"]) == ("removed", False, True)
    assert one(later.public_records, record_ref="r1")["ages_off_on"] == date(2031, 8, 1)


def test_an_empty_ledger_gives_empty_files(kit: LedgerKit) -> None:
    files = kit.build(date(2026, 6, 30), us.PROFILE)
    for table in files.tables().values():
        assert table.num_rows == 0
    assert "shown" in files.accounts.column_names
    assert "shown" in files.public_records.column_names


def test_links_without_consumer_numbers_link_the_primary_consumer_only(kit: LedgerKit) -> None:
    kit.write(
        accounts=[
            account("P1", "k1", consumer_no=0, ecoa_code="2"),
            account("P2", "k1", consumer_no=1, ecoa_code="2", record_no=1),
        ]
    )
    # As resolution's record_subjects() gives them: no consumer number.
    links = kit.links_table().drop_columns(["consumer_no"]).slice(0, 1)
    files = build_files(kit.ledger, links, date(2026, 6, 30), us.PROFILE, at=EVERYTHING)
    assert [(r["subject_id"], r["consumer_no"]) for r in files.accounts.to_pylist()] == [("P1", 0)]
