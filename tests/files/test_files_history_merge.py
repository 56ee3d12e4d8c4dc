"""The merged payment history against a plain Python reading of the merge rule.

Many slots, each reported one to five times (same month twice, gaps, short
profiles, "no data" and "not yet open" marks anywhere), so that every path
of the SQL is taken: a slot reported once (read straight off its report),
months a later report decides (dropped before the grouping), and months
only an earlier report describes. The reference expands every report into
every month it gives and lets the latest non-D report win, as Metro 2 says.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from files_testkit import LedgerKit, account

from xinyong.policy import cn

AS_OF = date(2026, 6, 30)
_CODES = "0000001123456DDDBBEL"
_STATUSES = (("11", None), ("71", None), ("78", None), ("05", "1"), ("13", "0"), ("61", None))
_MONTH_STATUS = {"11": "0", "71": "1", "78": "2"}


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _report(rng: random.Random, key: str, reported: date) -> dict[str, Any]:
    status, rating = rng.choice(_STATUSES)
    length = rng.choice((0, 3, 12, 24, 24, 24))
    profile = "".join(rng.choice(_CODES) for _ in range(length))
    return account(
        "S1",
        key,
        date_reported=reported,
        account_status=status,
        payment_rating=rating,
        payment_history_profile=profile,
    )


def _reference(reports: list[tuple[tuple[date, str, int], dict[str, Any]]]) -> dict[date, Any]:
    """Month -> (status, source, date_reported, first later month reported current)."""
    best: dict[int, tuple[int, str, str, date]] = {}
    for seq, (_, row) in enumerate(sorted(reports, key=lambda r: r[0]), start=1):
        r = _month_index(row["date_reported"])
        status = _MONTH_STATUS.get(row["account_status"])
        if row["account_status"] in ("05", "13"):
            status = row["payment_rating"]
        points = [(r - p, c, "profile") for p, c in enumerate(row["payment_history_profile"], 1)]
        points = points[:24]
        if status is not None:
            points.append((r, status, "status"))
        for month, code, source in points:
            if code == "B":
                continue
            priority = (0 if code == "D" else 1_000_000_000) + seq
            if month not in best or priority > best[month][0]:
                best[month] = (priority, code, source, row["date_reported"])
    months = sorted(best)
    out = {}
    for i, month in enumerate(months):
        later = [m for m in months[i + 1 :] if best[m][1] in ("0", "E")]
        _, code, source, reported = best[month]
        out[_month(month)] = (code, source, reported, _month(later[0]) if later else None)
    return out


def test_the_merge_matches_the_rule_for_every_mix_of_reports(kit: LedgerKit) -> None:
    rng = random.Random(20261129)
    reports: dict[str, list[tuple[tuple[date, str, int], dict[str, Any]]]] = {}
    batches: list[list[dict[str, Any]]] = [[] for _ in range(4)]
    for n in range(120):
        key = f"k{n:03d}"
        month = rng.randrange(_month_index(date(2023, 1, 1)), _month_index(date(2026, 6, 1)))
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            month = min(month + rng.choice((0, 1, 1, 2, 7, 30)), _month_index(AS_OF))
            reported = date(month // 12, month % 12 + 1, 28)
            batches[rng.randrange(len(batches))].append(_report(rng, key, reported))
    for rows in batches:
        manifest = kit.write(accounts=rows)
        for record_no, row in enumerate(rows, start=1):
            order = (row["date_reported"], manifest.batch_id, record_no)
            reports.setdefault(row["account_key"], []).append((order, row))
    files = kit.build(AS_OF, cn.PROFILE)
    ended = {r["account_key"]: r["ended_on"] for r in files.accounts.to_pylist()}
    got: dict[str, dict[date, Any]] = {}
    for r in files.history.to_pylist():
        got.setdefault(r["account_key"], {})[r["month"]] = (
            r["status"],
            r["source"],
            r["date_reported"],
            r["ended_on"],
        )
    assert sum(len(v) > 1 for v in reports.values()) > 40  # most paths are taken
    for key, slot_reports in reports.items():
        expected = {
            month: (code, source, reported, later if later is not None else ended[key])
            for month, (code, source, reported, later) in _reference(slot_reports).items()
        }
        assert got.get(key, {}) == expected, key
