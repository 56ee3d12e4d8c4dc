"""Protected attributes and identifiers are never scorecard inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xinyong.score.errors import RefusedInputError
from xinyong.score.protected import is_person_age, refused_columns


@pytest.mark.parametrize(
    "name",
    [
        "sex",
        "SEX",
        "gender",
        "personal_status_and_sex",
        "MARRIAGE",
        "marital_status",
        "race",
        "ethnicity",
        "religion",
        "national_origin",
        "nationality",
        "foreign_worker",
        "citizenship",
        "skin_colour",
        "receives_public_assistance",
        "age",
        "AGE",
        "age_in_years",
        "applicantAge",
        "date_of_birth",
        "dob",
        "spouse_income",
        "health_status",
        "ID",
        "customer_id",
        "CustomerID",
        "Unnamed: 0",
        "email",
        "phone_number",
        "",
    ],
)
def test_refused(name: str) -> None:
    assert [r.name for r in refused_columns([name])] == [name]


@pytest.mark.parametrize(
    "name",
    [
        "RevolvingUtilizationOfUnsecuredLines",
        "NumberOfTimes90DaysLate",
        "age_of_oldest_account",
        "average_account_age",
        "months_since_oldest_trade",
        "credit_history_age",
        "inquiries_6m",
        "LIMIT_BAL",
        "PAY_0",
        "amount_paid",
        "telephone",
        "NumberOfDependents",
        "A1",
    ],
)
def test_allowed(name: str) -> None:
    assert refused_columns([name]) == []


def test_age_is_refused_unless_allowed() -> None:
    assert is_person_age("age") and not is_person_age("age_of_oldest_account")
    assert refused_columns(["age"], allow_age=True) == []
    assert refused_columns(["sex"], allow_age=True) != []


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    utilisation = rng.uniform(0, 1.2, n)
    late = rng.poisson(0.3, n)
    logit = -3 + 2.5 * utilisation + 1.2 * late
    bad = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "subject_id": [f"s{i}" for i in range(n)],
            "utilisation": utilisation,
            "late_30": late,
            "bad": bad,
        }
    )


def test_training_refuses_protected_columns_by_default() -> None:
    pytest.importorskip("optbinning")
    from xinyong.score.train import TrainConfig, train

    frame = _frame().assign(sex=1, age=40)
    with pytest.raises(RefusedInputError) as refused:
        train(frame, "bad", id_column="subject_id")
    assert "'sex'" in str(refused.value) and "'age'" in str(refused.value)
    model = train(frame, "bad", id_column="subject_id", config=TrainConfig(drop_refused=True))
    assert set(model.feature_names) <= {"utilisation", "late_30"}
    assert {name for name, _ in model.training.refused} == {"sex", "age"}


def test_the_id_column_is_never_an_input_and_changes_no_point() -> None:
    """No hidden hand: training with or without an id column gives the same scorecard."""
    pytest.importorskip("optbinning")
    from xinyong.score.train import train

    frame = _frame()
    with_id = train(frame, "bad", id_column="subject_id", data_sha256="x")
    without = train(frame.drop(columns=["subject_id"]), "bad", data_sha256="x")
    assert "subject_id" not in with_id.feature_names
    assert with_id.characteristics == without.characteristics
    assert with_id.base_points == without.base_points
    with pytest.raises(RefusedInputError, match="subject_id"):
        train(frame, "bad")  # an id offered as an input is refused, not used


def test_allowed_age_must_not_disfavour_the_elderly() -> None:
    """Regulation B 1002.6(b)(2): age may be used only if 62+ never scores below younger."""
    pytest.importorskip("optbinning")
    from xinyong.score.train import TrainConfig, train

    rng = np.random.default_rng(5)
    n = 3000
    age = rng.integers(18, 90, n)
    bad = (rng.uniform(size=n) < np.where(age >= 62, 0.5, 0.1)).astype(int)
    frame = pd.DataFrame({"age": age, "bad": bad})
    with pytest.raises(RefusedInputError, match="62"):
        train(frame, "bad", config=TrainConfig(allow_age=True))
    kind = pd.DataFrame({"age": age, "bad": (rng.uniform(size=n) < np.where(age < 30, 0.4, 0.1))})
    model = train(kind.astype({"bad": int}), "bad", config=TrainConfig(allow_age=True))
    assert model.feature_names == ("age",)
