"""Reason codes: ranked by points lost, at most four, plus inquiries as a fifth (FCRA 609(f))."""

from __future__ import annotations

import numpy as np
import pandas as pd
from score_factories import handmade_model

from xinyong.score.apply import score_one, score_table
from xinyong.score.reasons import (
    CATALOGUE,
    NO_ADVERSE_FACTOR,
    assign_reason_codes,
    is_inquiry_name,
    rank_reasons,
)

BEST = {
    "utilisation": 0.1,
    "late_90": 0,
    "housing": "own",
    "months_since_oldest": 100,
    "debt_ratio": 0.1,
    "inquiries_6m": 0,
}


def test_best_subject_has_no_adverse_factor() -> None:
    explanation = score_one(handmade_model(), BEST)
    assert explanation.reasons == ()
    assert explanation.raw_points == 400 + 30 + 40 + 10 + 16 + 12 + 20
    assert NO_ADVERSE_FACTOR.code == "X000"


def test_reasons_are_ordered_by_points_lost() -> None:
    subject = {**BEST, "utilisation": 0.8, "late_90": 1, "debt_ratio": 0.3, "housing": "rent"}
    reasons = score_one(handmade_model(), subject).reasons
    # late_90 lost 25, utilisation 20, housing 10, debt_ratio 6.
    assert [r.code for r in reasons] == ["LAT", "UTI", "HOU", "DEB"]
    assert [r.points_lost for r in reasons] == [25, 20, 10, 6]
    assert [r.rank for r in reasons] == [1, 2, 3, 4]


def test_at_most_four_and_inquiries_come_fifth() -> None:
    worst = {
        "utilisation": 5.0,
        "late_90": 3,
        "housing": "rent",
        "months_since_oldest": 1,
        "debt_ratio": 0.9,
        "inquiries_6m": 1,
    }
    reasons = score_one(handmade_model(), worst).reasons
    # Losses: late 40, util 30, months 16, debt 12, housing 10, inquiries 8.
    assert [r.code for r in reasons] == ["LAT", "UTI", "MON", "DEB", "INQ"]
    assert reasons[-1].points_lost == 8
    # The same subject without inquiry trouble gets exactly four.
    four = score_one(handmade_model(), {**worst, "inquiries_6m": 0}).reasons
    assert len(four) == 4 and "INQ" not in [r.code for r in four]


def test_inquiries_in_the_top_four_are_not_repeated() -> None:
    subject = {**BEST, "inquiries_6m": 5, "late_90": 1}
    codes = [r.code for r in score_one(handmade_model(), subject).reasons]
    assert codes == ["LAT", "INQ"]


def test_ties_go_to_the_characteristic_listed_first() -> None:
    # months_since_oldest 8 lost, debt_ratio... make both lose 6 and 8: use equal losses
    subject = {**BEST, "months_since_oldest": 30, "inquiries_6m": 1}  # both lose 8
    codes = [r.code for r in score_one(handmade_model(), subject).reasons]
    assert codes == ["MON", "INQ"]
    batch = score_table(handmade_model(), pd.DataFrame([subject]))
    assert batch.reason_codes()[0].tolist() == ["MON", "INQ", "", "", ""]


def test_rank_reasons_vectorised_rules() -> None:
    points = np.array([[0.0, 5.0, 1.0, 9.0, 9.0, 0.0], [9.0, 9.0, 9.0, 9.0, 9.0, 9.0]])
    best = np.full(6, 9.0)
    inquiry = np.array([False, False, False, False, False, True])
    index, lost = rank_reasons(points, best, inquiry)
    # Row 0: losses 9, 4, 8, 0, 0, 9 -> 0 (9, first), 5 (9), 2 (8), 1 (4); inquiry already in.
    assert index[0].tolist() == [0, 5, 2, 1, -1]
    assert lost[0].tolist() == [9, 9, 8, 4, 0]
    assert index[1].tolist() == [-1] * 5


def test_codes_are_stable_unique_and_catalogued() -> None:
    names = ["RevolvingUtilizationOfUnsecuredLines", "my_new_attribute", "inquiries_12m"]
    first = assign_reason_codes(names)
    again = assign_reason_codes(list(reversed(names)))
    assert {n: e.code for n, e in first.items()} == {n: e.code for n, e in again.items()}
    assert (
        first["RevolvingUtilizationOfUnsecuredLines"]
        == CATALOGUE["RevolvingUtilizationOfUnsecuredLines"]
    )
    assert (
        first["my_new_attribute"].code.startswith("X") and len(first["my_new_attribute"].code) == 5
    )
    assert first["inquiries_12m"].inquiry and not first["my_new_attribute"].inquiry
    texts = assign_reason_codes(["my_new_attribute"], texts={"my_new_attribute": "Too new"})
    assert texts["my_new_attribute"].text == "Too new"
    codes = [e.code for e in assign_reason_codes([f"attribute_{i}" for i in range(500)]).values()]
    assert len(set(codes)) == 500


def test_inquiry_names() -> None:
    assert is_inquiry_name("inquiries_6m")
    assert is_inquiry_name("NumberOfEnquiriesLast12M")
    assert is_inquiry_name("inq_last_6mths")
    assert not is_inquiry_name("inquest")
    assert not is_inquiry_name("utilisation")


def test_a_generous_missing_bin_is_not_the_reference() -> None:
    """GMSC: 'dependants unknown' defaults least; 0 dependants must not become a reason."""
    from dataclasses import replace

    from score_factories import numerical

    model = handmade_model()
    dependants = numerical("dependants", (0.5, 1.5), (10, 5, 0, 0, 17))
    model = replace(model, characteristics=(*model.characteristics, dependants))
    assert dependants.best_points == 10
    zero = score_one(model, {**BEST, "dependants": 0})
    unknown = score_one(model, {**BEST, "dependants": None})
    two = score_one(model, {**BEST, "dependants": 2})
    assert zero.reasons == () and unknown.reasons == ()
    assert [r.points_lost for r in two.reasons] == [10]
