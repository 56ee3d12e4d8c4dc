"""Account states are internally consistent (status, rating, DOFD, profile,
dates) and consistent from one monthly file to the next."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from synth_helpers import Run, records_with_truth

from xinyong.synth.records import ACCOUNT_FIELDS

RATED = {"05", "13", "65", "88", "89", "94", "95"}
ALWAYS_DOFD = {"61", "62", "63", "64", "65", "71", "78", "80", "82", "83", "84", "88", "89"} | {
    "93", "94", "95", "96", "97",
}  # fmt: skip
DELINQUENT_LEVEL = {"71": 1, "78": 2, "80": 3, "82": 4, "83": 5, "84": 6}
HISTORY_OF_STATUS = {"11": "0E", "97": "L", "93": "G", "94": "H", "95": "J", "96": "K"}


def _accepted_accounts(run: Run) -> list[dict[str, Any]]:
    """Accepted account records with every schema field (JSON Lines may omit nulls)."""
    return [
        {f: r.get(f) for f in ACCOUNT_FIELDS}
        for _, r, t in records_with_truth(run.root)
        if t["expect"] == "accept" and r["record_kind"] == "account"
    ]


def test_status_rating_and_dofd_agree(synth_run: Run) -> None:
    statuses: set[str] = set()
    for r in _accepted_accounts(synth_run):
        status, rating, dofd = r["account_status"], r["payment_rating"], r["first_delinquency_date"]
        statuses.add(status)
        assert (rating is not None) == (status in RATED), r
        if status in ALWAYS_DOFD or (status in ("05", "13") and rating not in (None, "0")):
            assert dofd is not None, r
        elif status in ("11", "13"):
            assert dofd is None, r
        if status == "11":
            assert r["amount_past_due"] == 0, r
        if status in ("97", "64"):
            assert r["charge_off_amount"], r
        reported = r["date_reported"]
        for field in ("date_opened", "first_delinquency_date", "date_closed", "last_payment_date"):
            assert r[field] is None or r[field] <= reported, (field, r)
        assert dofd is None or dofd >= r["date_opened"], r
    assert {"11", "13", "71", "97", "93"} <= statuses


def test_payment_history_agrees_with_status(synth_run: Run) -> None:
    for r in _accepted_accounts(synth_run):
        php, status = r["payment_history_profile"], r["account_status"]
        assert len(php) == 24
        first_b = php.find("B")
        assert first_b < 0 or set(php[first_b:]) == {"B"}, php  # B only before opening
        if r["date_opened"][:7] == r["date_reported"][:7]:
            assert php == "B" * 24
        level = DELINQUENT_LEVEL.get(status)
        if level is not None and level > 1:
            # one more missed payment per month at most: last month was level-1 or worse
            assert php[0].isdigit() and int(php[0]) >= level - 1, (status, php)
        if status == "97":
            assert php[0] in "L456", php
        if status == "93":
            assert php[0] in "G3456", php
        if "L" in php:
            newest_l = php.index("L")
            assert set(php[:newest_l]) <= {"L", "E"}, php  # after a charge-off: L, or paid


def test_monthly_files_shift_the_history(synth_run: Run) -> None:
    """May's status becomes June's newest history character, and the rest shifts."""
    by_month: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in _accepted_accounts(synth_run):
        by_month[r["date_reported"][:7]][r["account_number"]] = r
    may, june = by_month["2026-05"], by_month["2026-06"]
    both = may.keys() & june.keys()
    assert len(both) > 500
    for number in both:
        before, after = may[number], june[number]
        assert after["payment_history_profile"][1:] == before["payment_history_profile"][:23]
        newest = after["payment_history_profile"][0]
        status = before["account_status"]
        if status in DELINQUENT_LEVEL:
            assert newest == str(DELINQUENT_LEVEL[status])
        elif status in HISTORY_OF_STATUS:
            assert newest in HISTORY_OF_STATUS[status], (status, newest)
        assert after["date_opened"] == before["date_opened"]


def test_balances_follow_the_product(synth_run: Run) -> None:
    for r in _accepted_accounts(synth_run):
        if r["portfolio_type"] in ("I", "M") and r.get("highest_credit"):
            assert r["current_balance"] <= r["highest_credit"], r
        if r["portfolio_type"] in ("R", "C") and r["account_status"] == "11":
            assert r["credit_limit"] and r["current_balance"] <= r["credit_limit"], r
        if r["account_status"] in ("13", "64", "62", "94"):
            assert r["current_balance"] == 0 and r["date_closed"], r
