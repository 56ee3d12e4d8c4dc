from __future__ import annotations

import pytest
from domain_factories import reasons, score

from xinyong.domain import DomainError, ScoreReason


def test_valid_score() -> None:
    s = score()
    assert s.range == (300, 850)
    assert s.reason_codes == ("R01", "R02", "R03", "R04")
    score(score=300, reasons=reasons(1))
    score(score=850, reasons=reasons(5), probability_bad=None)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"score": 299}, "score", "range"),
        ({"score": 851}, "score", "range"),
        ({"score_min": 850, "score_max": 850, "score": 850}, "score_max", "range"),
        ({"probability_bad": 1.5}, "probability_bad", "range"),
        ({"probability_bad": -0.1}, "probability_bad", "range"),
        ({"reasons": ()}, "reasons", "required"),
        ({"reasons": reasons(6)}, "reasons", "too_many"),
        ({"reasons": reasons(3)[1:]}, "reasons", "rank_order"),
        ({"reasons": tuple(reversed(reasons(3)))}, "reasons", "rank_order"),
        (
            {"reasons": (ScoreReason(1, "R1", "a", 3.0), ScoreReason(2, "R1", "b", 1.0))},
            "reasons",
            "duplicate_code",
        ),
        ({"model_version": ""}, "model_version", "required"),
        ({"ledger_snapshot": " "}, "ledger_snapshot", "required"),
    ],
)
def test_invariants(overrides: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(DomainError) as err:
        score(**overrides)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_reason_without_points() -> None:
    assert ScoreReason(1, "R1", "x", None).points_lost is None


def test_reason_invariants() -> None:
    with pytest.raises(DomainError) as err:
        ScoreReason(0, "R1", "x", 1.0)
    assert err.value.rule == "rank"
    with pytest.raises(DomainError) as err:
        ScoreReason(1, "R1", "x", -1.0)
    assert err.value.rule == "non_negative"
    with pytest.raises(DomainError) as err:
        ScoreReason(1, "R1", "x", float("nan"))
    assert err.value.rule == "non_negative"
