"""Enterprise rating: grades at every threshold, direct D, M, reasons, and the method's id.

Rows are built by hand from a clean enterprise (five years of history, one
account, nothing negative), so each test changes only what it is about.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xinyong.attributes import BY_NAME, AppliesTo
from xinyong.score.enterprise import (
    GRADES,
    METHOD_FILE,
    Methodology,
    default_methodology,
    grade_counts,
    load_methodology,
    rate_enterprises,
    rate_one,
    rating_fingerprint,
)
from xinyong.score.errors import RefusedInputError, ScoringError

METHOD = default_methodology()
SHIPPED = Path(__file__).resolve().parents[2] / "src" / "xinyong" / "score" / METHOD_FILE


def clean(**changes: Any) -> dict[str, Any]:
    """An enterprise with a long clean history; ``changes`` override attributes."""
    row: dict[str, Any] = {name: 0 for name in METHOD.attributes}
    row.update(
        subject_id="E-clean",
        accounts_total=1,
        oldest_account_age_months=60,
        revolving_utilisation=0.3,
    )
    row.update(changes)
    return row


def rate(**changes: Any) -> tuple[str, float, list[str]]:
    rating = rate_one(clean(**changes))
    return rating.grade, rating.points, [r.code for r in rating.reasons]


def batch_of(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


# -- grades ------------------------------------------------------------------------------


def test_a_clean_enterprise_is_a_with_no_adverse_reason() -> None:
    assert rate() == ("A", 100.0, ["E000"])


@pytest.mark.parametrize(
    ("changes", "points", "grade"),
    [
        ({"times_60_89_late_12m": 2}, 90.0, "A"),  # 2 x 5 = 10: exactly 90 is A
        ({"court_judgments_unsatisfied_amount": 1}, 89.0, "B"),  # 11 once
        ({"abnormal_operations_listings_active": 1, "times_30_59_late_12m": 5}, 70.0, "B"),
        ({"times_60_89_late_12m": 4, "times_90plus_late_24m": 1}, 69.0, "C"),  # 20 + 11
        ({"bankruptcies_count": 1, "times_60_89_late_12m": 4}, 40.0, "C"),  # 40 + 20
        (
            {"bankruptcies_count": 1, "times_60_89_late_12m": 2, "tax_arrears_unpaid_amount": 5},
            39.0,
            "D",
        ),  # 40 + 10 + 11
    ],
)
def test_each_threshold_boundary(changes: dict[str, Any], points: float, grade: str) -> None:
    got_grade, got_points, _ = rate(**changes)
    assert (got_grade, got_points) == (grade, points)


def test_points_never_fall_below_the_floor() -> None:
    worst = {i.attribute: 100 for i in METHOD.indicators if i.kind in ("per_unit", "condition")}
    grade, points, _ = rate(**worst)
    assert (grade, points) == ("D", 0.0)


@pytest.mark.parametrize(
    "listing", ["serious_violation_listed", "dishonest_judgment_debtor_listed"]
)
def test_a_direct_d_condition_decides_the_grade_whatever_the_points(listing: str) -> None:
    rating = rate_one(clean(**{listing: 1}))
    assert rating.grade == "D" and rating.points == 100.0
    first = rating.reasons[0]
    assert first.code == {"serious_violation_listed": "ED01"}.get(listing, "ED02")
    assert first.points_lost is None  # a condition, not a deduction


def test_direct_d_outranks_m_and_keeps_deductions_as_later_reasons() -> None:
    rating = rate_one(
        clean(serious_violation_listed=1, oldest_account_age_months=3, times_60_89_late_12m=1)
    )
    assert rating.grade == "D"
    assert [r.code for r in rating.reasons] == ["ED01", "ER02"]


def test_no_record_is_m() -> None:
    row = clean(accounts_total=0, public_records_count=0)
    row.update(oldest_account_age_months=None, revolving_utilisation=None)
    for name in ("times_30_59_late_12m", "times_60_89_late_12m", "times_90plus_late_24m"):
        row[name] = None  # no payment history at all
    rating = rate_one(row)
    assert rating.grade == "M" and rating.points == 100.0
    assert [r.code for r in rating.reasons] == ["EM01"]


def test_a_new_enterprise_is_m_unless_its_file_already_costs_30_points() -> None:
    assert rate(oldest_account_age_months=6) == ("M", 100.0, ["EM02"])
    assert rate(oldest_account_age_months=6, times_60_89_late_12m=2) == (
        "M",
        90.0,
        ["EM02", "ER02"],
    )
    grade, points, codes = rate(
        oldest_account_age_months=6, times_60_89_late_12m=4, bankruptcies_count=1
    )
    assert (grade, points, codes) == ("C", 40.0, ["EJ03", "ER02"])


def test_a_short_history_bars_a_and_says_so_first() -> None:
    assert rate(oldest_account_age_months=24) == ("B", 100.0, ["EA01"])
    assert rate(oldest_account_age_months=24, times_30_59_late_12m=1) == (
        "B",
        97.0,
        ["EA01", "ER01"],
    )
    # Below 90 the bar changes nothing, so it is not a reason.
    assert rate(oldest_account_age_months=24, tax_arrears_unpaid_amount=1) == ("B", 89.0, ["ET01"])


def test_public_records_without_accounts_cannot_reach_a() -> None:
    row = clean(accounts_total=0, public_records_count=1, oldest_account_age_months=None)
    rating = rate_one(row)
    assert (rating.grade, rating.points) == ("B", 100.0)
    assert rating.reasons[0].code == "EA01"


def test_missing_values_deduct_nothing() -> None:
    row = clean(**{i.attribute: None for i in METHOD.indicators if i.kind != "bars_a"})
    assert rate_one(row).points == 100.0


def test_per_unit_deductions_stop_at_their_cap() -> None:
    grade, points, codes = rate(times_90plus_late_24m=5)
    assert points == 100 - 33 and codes == ["ER03"] and grade == "C"


# -- reasons -------------------------------------------------------------------------------


def test_reasons_are_ordered_by_points_lost_ties_by_methodology_order() -> None:
    rating = rate_one(
        clean(
            times_30_59_late_12m=1,  # 3
            administrative_penalties_count=4,  # 20
            tax_arrears_unpaid_amount=9,  # 11
            court_judgments_unsatisfied_amount=9,  # 11, listed before ET01
            court_judgments_count=1,  # 3, listed after ER01
        )
    )
    assert [r.code for r in rating.reasons] == ["ET02", "EJ01", "ET01", "ER01"]
    assert [r.points_lost for r in rating.reasons] == [20.0, 11.0, 11.0, 3.0]
    assert [r.rank for r in rating.reasons] == [1, 2, 3, 4]
    assert len(rating.reasons) == METHOD.max_reasons  # EJ02 (3 points) is the fifth: cut


def test_every_reason_has_plain_text_and_a_stable_code() -> None:
    codes = [i.code for i in METHOD.indicators]
    assert len(set(codes)) == len(codes)
    for indicator in METHOD.indicators:
        assert indicator.text.strip() and indicator.basis.strip()
        assert indicator.code[0] == "E" and len(indicator.code) == 4


# -- batch against one by one ---------------------------------------------------------------


def _random_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"subject_id": f"E{i:05d}", "subject_kind": "enterprise"}
        for name in METHOD.attributes:
            if rng.random() < 0.1:
                row[name] = None
            elif name == "revolving_utilisation":
                row[name] = float(rng.uniform(0, 1.2))
            elif name == "oldest_account_age_months":
                row[name] = int(rng.integers(0, 80))
            elif name.endswith(("_listed", "_amount")):
                row[name] = int(rng.random() < 0.1) * int(rng.integers(1, 10**6))
            else:
                row[name] = int(rng.poisson(0.4))
        if rng.random() < 0.1:
            row.update(accounts_total=0, public_records_count=0)
        rows.append(row)
    return rows


def test_batch_and_one_by_one_agree_exactly() -> None:
    rows = _random_rows(600, seed=7)
    batch = rate_enterprises(batch_of(rows))
    assert len(batch) == len(rows)
    for i, row in enumerate(rows):
        one = rate_one(row)
        assert batch.subject_id is not None and batch.subject_id[i] == row["subject_id"]
        assert (batch.grade[i], float(batch.points[i])) == (one.grade, one.points), row
        assert batch.reasons(i) == one.reasons, row
    counts = grade_counts(batch)
    assert sum(counts.values()) == len(rows) and all(counts[g] > 0 for g in GRADES)


@pytest.mark.parametrize("kind", ["arrow", "pandas", "mapping"])
def test_every_input_form_gives_the_same_grades(kind: str) -> None:
    rows = _random_rows(50, seed=3)
    table = batch_of(rows)
    data: Any = {
        "arrow": table,
        "pandas": table.to_pandas(),
        "mapping": {c: table.column(c).to_pylist() for c in table.column_names},
    }[kind]
    expected = rate_enterprises(table)
    got = rate_enterprises(data)
    assert got.grade.tolist() == expected.grade.tolist()
    assert np.array_equal(got.points, expected.points)
    assert np.array_equal(got.reason_index, expected.reason_index)


def test_persons_are_left_out_and_the_output_table_carries_the_method_id() -> None:
    rows = _random_rows(5, seed=1)
    rows.append({**rows[0], "subject_id": "P1", "subject_kind": "person"})
    out = rate_enterprises(batch_of(rows)).to_arrow()
    assert out.column("subject_id").to_pylist() == [r["subject_id"] for r in rows[:5]]
    assert out.column_names == [
        "subject_id",
        "grade",
        "points",
        *(f"reason_{k}" for k in range(1, 5)),
    ]
    assert out.schema.metadata == {b"model_id": METHOD.model_id.encode()}


def test_a_missing_attribute_column_is_named() -> None:
    table = batch_of(_random_rows(3, seed=1)).drop_columns(["charge_offs_count"])
    with pytest.raises(ScoringError, match="charge_offs_count"):
        rate_enterprises(table)
    with pytest.raises(ScoringError, match="charge_offs_count"):
        rate_one(table.slice(0, 1).to_pylist()[0])


def test_rating_is_reproducible_with_its_input_fingerprint() -> None:
    row = clean(times_30_59_late_12m=2, tax_arrears_unpaid_amount=3)
    first, second = rate_one(row), rate_one(dict(row))
    assert first == second
    assert first.model_id == METHOD.model_id
    same_as_read = {**row, "times_30_59_late_12m": 2.0, "unrelated": "x", "subject_id": "other"}
    assert rating_fingerprint(METHOD, same_as_read) == first.input_fingerprint
    assert rating_fingerprint(METHOD, {**row, "times_30_59_late_12m": 3}) != first.input_fingerprint


# -- the methodology as data -------------------------------------------------------------------


def test_the_methodology_is_published_data_with_a_stable_id() -> None:
    again = load_methodology()
    assert again == METHOD and again.model_id == METHOD.model_id
    assert len(METHOD.model_id) == 64
    published = json.loads(json.dumps(METHOD.to_dict()))
    assert Methodology.from_dict(published).model_id == METHOD.model_id
    assert "| `ED01` |" in METHOD.to_markdown()


def test_integral_numbers_hash_alike() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for indicator in data["indicators"]:
        indicator["points"] = float(indicator["points"])
    data["start_points"] = 100.0
    method = Methodology.from_dict(data).with_definitions(dict(METHOD.definitions))
    assert method.model_id == METHOD.model_id


def _edited(edit: Any) -> Methodology:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    edit(data)
    return Methodology.from_dict(data).with_definitions(dict(METHOD.definitions))


def _set(data: dict[str, Any], code: str, field: str, value: Any) -> None:
    next(i for i in data["indicators"] if i["code"] == code)[field] = value


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: _set(d, "ER01", "points", 4),
        lambda d: _set(d, "ER01", "cap", 12),
        lambda d: _set(d, "ER07", "threshold", 0.8),
        lambda d: _set(d, "EA01", "when_missing", False),
        lambda d: _set(d, "ET02", "text", "Penalties"),
        lambda d: d["grades"].update(A=91),
        lambda d: d["new_entity"].update(below_months=6),
        lambda d: d.update(max_reasons=3),
        lambda d: d["indicators"].reverse(),
    ],
)
def test_any_change_to_the_method_changes_its_id(edit: Any) -> None:
    assert _edited(edit).model_id != METHOD.model_id


def test_a_changed_deduction_changes_grades_and_id_together() -> None:
    harsher = _edited(lambda d: _set(d, "ER02", "points", 6))
    row = clean(times_60_89_late_12m=2)
    assert rate_one(row).grade == "A"
    rating = rate_one(row, harsher)
    assert (rating.grade, rating.points, rating.model_id) == ("B", 88.0, harsher.model_id)


def test_a_changed_attribute_definition_changes_the_id() -> None:
    definitions = {k: dict(v) for k, v in METHOD.definitions.items()}
    definitions["charge_offs_count"]["sql"] += " + 0"
    assert METHOD.with_definitions(definitions).model_id != METHOD.model_id


def test_a_stored_id_that_does_not_match_is_refused() -> None:
    published = METHOD.to_dict()
    published["content"]["indicators"][0]["text"] = "edited after publishing"
    with pytest.raises(ValueError, match="not its stored id"):
        Methodology.from_dict(published)


def test_every_indicator_reads_a_catalogue_attribute_computed_for_enterprises() -> None:
    assert set(METHOD.definitions) == set(METHOD.attributes)
    for name in METHOD.attributes:
        assert BY_NAME[name].applies_to in (AppliesTo.ENTERPRISE, AppliesTo.BOTH)
        assert METHOD.definitions[name] == BY_NAME[name].to_dict()


def test_an_unknown_attribute_is_refused_on_load(tmp_path: Path) -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    _set(data, "ER01", "attribute", "no_such_attribute")
    path = tmp_path / "method.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_attribute"):
        load_methodology(path)


@pytest.mark.parametrize(
    ("code", "field", "value", "message"),
    [
        ("ER01", "kind", "bonus", "unknown indicator kind"),
        ("ER01", "cap", None, "needs a cap"),
        ("ER07", "op", "~", "needs an operator"),
        ("ED01", "points", 5, "deducts no points"),
        ("ER07", "points", -3, "must be positive"),
        ("ER02", "code", "ER01", "unique"),
    ],
)
def test_a_malformed_methodology_is_refused(
    code: str, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _edited(lambda d: _set(d, code, field, value))


@pytest.mark.parametrize("attribute", ["subject_id", "legal_name", "uscc_id", "phone"])
def test_a_method_may_not_read_an_identifier(attribute: str) -> None:
    with pytest.raises(RefusedInputError, match=attribute):
        Methodology.from_dict(
            {
                **json.loads(SHIPPED.read_text(encoding="utf-8")),
                "indicators": [
                    {
                        "code": "EX01",
                        "attribute": attribute,
                        "kind": "condition",
                        "op": "==",
                        "threshold": 1,
                        "points": 50,
                        "text": "who you are",
                    }
                ],
            }
        )


def test_nan_and_none_and_pandas_na_are_all_missing() -> None:
    for missing in (None, math.nan, pd.NA, np.nan):
        assert rate_one(clean(times_90plus_late_24m=missing)).points == 100.0
