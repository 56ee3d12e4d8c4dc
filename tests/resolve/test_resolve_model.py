"""The model definition: one settings object for DuckDB and Spark, saved and reloaded as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.resolve.model import TrainedModel, enterprise_spec, person_spec, spec_for


@pytest.mark.parametrize("spec", [person_spec(), enterprise_spec()], ids=["person", "enterprise"])
def test_the_same_settings_render_for_spark(spec: object) -> None:
    """Spark needs Splink's UDF names (jaro_winkler), not DuckDB's; no pyspark is needed
    to check that every level and blocking rule renders in the Spark dialect."""
    settings = spec.settings().get_settings("spark").as_dict()  # type: ignore[attr-defined]
    sqls = [
        level["sql_condition"]
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    rules = [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]
    text = " ".join(sqls + rules).lower()
    assert "jaro_winkler_similarity" not in text  # DuckDB's name
    assert "jaro_winkler(" in text
    assert "l." in " ".join(rules) and "_l" in " ".join(sqls)


def test_a_model_is_named_by_its_content_and_reloads(tmp_path: Path) -> None:
    settings = person_spec().settings().get_settings("duckdb").as_dict()  # type: ignore[no-untyped-call]
    model = TrainedModel("person", settings)
    path = model.save(tmp_path)
    assert path.name == f"{model.model_id}.json" and model.model_id.startswith("person-")
    again = TrainedModel.load(path)
    assert again.model_id == model.model_id
    assert spec_for("enterprise").kind == "enterprise"
    with pytest.raises(ValueError):
        spec_for("household")
