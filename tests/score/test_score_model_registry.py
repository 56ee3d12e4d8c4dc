"""The model as data: content-hashed ids, exact save/load, tamper detection, the card."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from score_factories import handmade_model

from xinyong.score.apply import score_table
from xinyong.score.errors import ModelIntegrityError, ModelNotFoundError
from xinyong.score.metrics import compute_metrics
from xinyong.score.model import ScorecardModel
from xinyong.score.registry import ModelRegistry, load_model, save_model, save_to
from xinyong.score.scaling import PROFILES, Scaling


def test_save_and_load_reproduce_identical_scores_and_id(
    tmp_path: Path, german: tuple[pd.DataFrame, str], german_model: ScorecardModel
) -> None:
    """toad#110: a reloaded model lost its scaling and served different scores."""
    frame, _ = german
    registry = ModelRegistry(tmp_path / "models")
    path = registry.save(german_model)
    assert path.name == f"{german_model.model_id}.json"
    assert (tmp_path / "models" / f"{german_model.model_id}.card.md").is_file()
    loaded = registry.load(german_model.model_id[:12])
    assert loaded.model_id == german_model.model_id
    assert loaded == german_model
    assert loaded.scaling == german_model.scaling
    before, after = score_table(german_model, frame), score_table(loaded, frame)
    assert after.score.tolist() == before.score.tolist()
    assert after.raw_points.tolist() == before.raw_points.tolist()
    assert after.probability_bad.tolist() == before.probability_bad.tolist()
    assert after.reason_codes().tolist() == before.reason_codes().tolist()
    stored = json.loads(path.read_text())
    assert stored["content"]["scaling"] == german_model.scaling.to_dict()


def test_handmade_round_trip_and_json_file(tmp_path: Path) -> None:
    model = handmade_model()
    path = save_to(model, tmp_path / "card.json")
    assert (tmp_path / "card.card.md").is_file()
    assert load_model(path) == model
    assert ModelRegistry(tmp_path / "reg").ids() == []
    save_to(model, tmp_path / "reg")
    assert ModelRegistry(tmp_path / "reg").ids() == [model.model_id]


def changes() -> dict[str, ScorecardModel]:
    m = handmade_model()
    first = m.characteristics[0]

    def with_first(**kw: Any) -> ScorecardModel:
        return replace(m, characteristics=(replace(first, **kw), *m.characteristics[1:]))

    return {
        "base points": replace(m, base_points=401.0),
        "intercept": replace(m, intercept=-2.4),
        "pdo": replace(m, scaling=Scaling(pdo=21)),
        "anchor": replace(m, scaling=Scaling(points0=601)),
        "range": replace(m, scaling=PROFILES["350-950"]),
        "points": with_first(points=(31, 20, 10, 0, 15, 5)),
        "split": with_first(splits=(0.3, 0.71, 1.0)),
        "special codes": with_first(special_codes=(99.0,)),
        "coefficient": with_first(coefficient=0.81),
        "reason code": with_first(reason_code="U99"),
        "reason text": with_first(reason_text="other words"),
        "inquiry flag": with_first(inquiry=True),
        "order": replace(m, characteristics=tuple(reversed(m.characteristics))),
        "dropped characteristic": replace(m, characteristics=m.characteristics[1:]),
        "decimals": replace(m, points_decimals=None),
        "max reasons": replace(m, max_reasons=3),
        "training data": replace(m, training=replace(m.training, data_sha256="1" * 64)),
        "input definition": replace(m, definitions={"inquiries_6m": {"sql": "COUNT(*)"}}),
    }


@pytest.mark.parametrize("what", list(changes()))
def test_model_id_changes_with_every_scoring_parameter(what: str) -> None:
    assert changes()[what].model_id != handmade_model().model_id


def test_model_id_ignores_metrics_and_creation_time() -> None:
    m = handmade_model()
    metrics = compute_metrics([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.4])
    other = replace(m.with_metrics(metrics), created_at="2030-01-01T00:00:00+00:00")
    assert other.model_id == m.model_id
    assert len(m.model_id) == 64 and int(m.model_id, 16) >= 0


def test_an_edited_model_file_does_not_load(tmp_path: Path) -> None:
    path = save_model(handmade_model(), tmp_path / "m.json")
    data = json.loads(path.read_text())
    data["content"]["characteristics"][0]["points"][0] = 300
    path.write_text(json.dumps(data))
    with pytest.raises(ModelIntegrityError):
        load_model(path)


def test_registry_lookups(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.save(handmade_model())
    with pytest.raises(ModelNotFoundError, match="too short"):
        registry.load("abc")
    with pytest.raises(ModelNotFoundError, match="no model"):
        registry.load("f" * 64)
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "absent.json")


def test_card_shows_the_scale_exclusions_and_points(german_model: ScorecardModel) -> None:
    from xinyong.score.card import render_card

    card = render_card(german_model)
    assert german_model.model_id in card
    assert "600 points at 50:1" in card and "20 points to double the odds" in card
    for ch in german_model.characteristics:
        assert f"`{ch.name}`" in card and ch.reason_code in card
    assert "AUC" in card and "Calibration" in card


def test_open_model_by_path_or_id(tmp_path: Path) -> None:
    from xinyong.score.registry import open_model

    model = handmade_model()
    path = ModelRegistry(tmp_path).save(model)
    assert open_model(str(path), tmp_path) == model
    assert open_model(model.model_id[:10], tmp_path) == model
