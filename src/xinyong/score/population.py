"""A scorecard for the synthetic population, trained on its attributes against its truth.

Why it exists: the synthetic population is the only sample where the true risk
of every person is known (``truth/persons.csv``: the latent risk, the 12-month
probability of default it implies, and whether the person defaulted). Training
the ordinary scorecard (:func:`xinyong.score.train.train`, default settings,
nothing tuned here) on the attributes computed from the ledger, then
measuring it against that truth, shows how much of the knowable risk the
attributes and the scorecard recover. The *ceiling* is the AUC of the true
probability of default on the same holdout: no model of the files can do
better on average, because defaults are drawn at random from it.

The attributes keep their definitions (``Attribute.to_dict()``, hashed into
the model id), their documented reason texts, and the inquiry flag of the
inquiry attributes (FCRA 609(f)(9)). The subject id is the id column: carried,
never read by the model.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.attributes import ATTRIBUTES, AppliesTo, Attribute, Source
from xinyong.score.apply import score_table
from xinyong.score.errors import ScoringError
from xinyong.score.metrics import auc
from xinyong.score.model import ScorecardModel
from xinyong.score.registry import save_to
from xinyong.score.train import TrainConfig, holdout_split, train

__all__ = [
    "ID_COLUMN",
    "TARGET",
    "PopulationModel",
    "person_attributes",
    "population_frame",
    "score_population",
    "train_population_model",
]

TARGET = "default_12m"
"""The truth's outcome: the person defaulted within 12 months of the observation date."""
ID_COLUMN = "subject_id"


@dataclass(frozen=True, slots=True)
class PopulationModel:
    """The trained model with its figures against the truth.

    ``holdout_auc`` is the model's AUC on the training holdout (30 %, stratified,
    seed 42). ``ceiling_auc`` is the AUC of the truth's ``pd_12m`` on the same
    rows. ``persons_in_truth - persons_with_file`` persons had no file (no
    account, no public record), so they cannot be scored from attributes.
    """

    model: ScorecardModel
    holdout_auc: float
    ceiling_auc: float
    persons_in_truth: int
    persons_with_file: int
    bad_rate: float
    path: Path | None = None

    @property
    def share_of_ceiling(self) -> float:
        """How much of the knowable discrimination above chance the model recovers."""
        return (self.holdout_auc - 0.5) / (self.ceiling_auc - 0.5)


def person_attributes(
    table: pa.Table, attributes: Sequence[Attribute] = ATTRIBUTES
) -> list[Attribute]:
    """The catalogue attributes present in ``table`` that are computed for persons."""
    present = set(table.column_names)
    return [a for a in attributes if a.name in present and a.applies_to is not AppliesTo.ENTERPRISE]


def _persons(table: pa.Table) -> pa.Table:
    if "subject_kind" not in table.column_names:
        return table
    return table.filter(pc.equal(table["subject_kind"], "person"))


def _read_truth(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            (r["subject_id"], int(r["default_12m"]), float(r["pd_12m"])) for r in csv.DictReader(fh)
        ]
    return pd.DataFrame(rows, columns=[ID_COLUMN, TARGET, "pd_12m"])


def population_frame(
    table: pa.Table, truth_persons_csv: str | Path, attributes: Sequence[Attribute] = ATTRIBUTES
) -> tuple[pd.DataFrame, pd.Series, int]:
    """Person attributes joined with the truth's outcome by subject id.

    Returns the development frame (``subject_id``, the person attributes,
    ``default_12m``), the truth's ``pd_12m`` aligned with it (never an input),
    and how many persons the truth holds. Rows are in subject id order, so the
    same files give the same frame.
    """
    truth = _read_truth(Path(truth_persons_csv))
    persons = _persons(table)
    if ID_COLUMN not in persons.column_names:
        raise ScoringError(f"the attributes table has no {ID_COLUMN!r} column")
    names = [a.name for a in person_attributes(persons, attributes)]
    if not names:
        raise ScoringError("the attributes table holds no person attribute of the catalogue")
    frame = persons.select([ID_COLUMN, *names]).to_pandas()
    joined = frame.merge(truth, on=ID_COLUMN, how="inner", validate="one_to_one")
    joined = joined.sort_values(ID_COLUMN, kind="mergesort").reset_index(drop=True)
    if joined.empty:
        raise ScoringError("no person of the attributes table is in the truth file")
    pd_12m = joined.pop("pd_12m")
    return joined, pd_12m, len(truth)


def train_population_model(
    table: pa.Table,
    truth_persons_csv: str | Path,
    out: str | Path | None = None,
    *,
    config: TrainConfig | None = None,
    attributes: Sequence[Attribute] = ATTRIBUTES,
    name: str = "synthetic population: default_12m",
) -> PopulationModel:
    """Train a person scorecard on ``table`` against the truth, and measure it.

    ``table`` is :func:`xinyong.attributes.compute_attributes` output (persons
    and enterprises; only persons are used). ``config`` is a
    :class:`xinyong.score.train.TrainConfig`, default settings if omitted.
    With ``out`` (a registry folder or a ``.json`` path) the model and its card
    are saved. Training imports optbinning and scikit-learn.
    """
    config = config or TrainConfig()
    frame, pd_12m, in_truth = population_frame(table, truth_persons_csv, attributes)
    used = [a for a in person_attributes(_persons(table), attributes) if a.name in frame.columns]
    model = train(
        frame,
        TARGET,
        id_column=ID_COLUMN,
        config=config,
        name=name,
        data_name=f"attributes x {Path(truth_persons_csv).name}",
        reason_texts={a.name: a.reason for a in used},
        inquiry_columns=[a.name for a in used if a.source is Source.INQUIRIES],
        definitions={a.name: a.to_dict() for a in used},
    )
    y = frame[TARGET].to_numpy(dtype=np.int8)
    _, hold = holdout_split(y, config.holdout_fraction, config.seed)
    if model.metrics is None or hold.size == 0:
        raise ScoringError("the holdout needs both good and bad outcomes to measure the model")
    ceiling = auc(y[hold], pd_12m.to_numpy(dtype=np.float64)[hold])
    path = save_to(model, Path(out)) if out is not None else None
    return PopulationModel(
        model=model,
        holdout_auc=float(model.metrics.auc),
        ceiling_auc=float(ceiling),
        persons_in_truth=in_truth,
        persons_with_file=len(frame),
        bad_rate=float(y.mean()),
        path=path,
    )


def score_population(model: ScorecardModel, table: pa.Table) -> pa.Table:
    """Score every person row of an attributes table in one batch.

    Returns ``subject_id``, ``score``, ``probability_bad`` and ``reason_1`` ..
    ``reason_5`` (codes, ``""`` where fewer), with the model id in the schema
    metadata. Thin over :func:`xinyong.score.apply.score_table`, which reads only
    the model's own characteristics: the subject id is carried, never read.
    """
    persons = _persons(table)
    batch = score_table(model, persons)
    codes = batch.reason_codes()
    columns: dict[str, pa.Array] = {}
    if ID_COLUMN in persons.column_names:
        columns[ID_COLUMN] = persons.column(ID_COLUMN).combine_chunks()
    columns["score"] = pa.array(batch.score, pa.int64())
    columns["probability_bad"] = pa.array(batch.probability_bad, pa.float64())
    for k in range(codes.shape[1]):
        columns[f"reason_{k + 1}"] = pa.array(codes[:, k], pa.string())
    return pa.table(columns).replace_schema_metadata({"model_id": batch.model_id})
