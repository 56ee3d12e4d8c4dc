"""A folder of models: ``<id>.json`` beside ``<id>.card.md``, written atomically.

Content addressing makes the registry append-only in practice: saving the same
model again writes the same file, and a model that was edited after saving
fails to load because its content no longer hashes to its name.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from xinyong.score.card import render_card
from xinyong.score.errors import ModelNotFoundError, ScoringError
from xinyong.score.model import ScorecardModel

__all__ = ["ModelRegistry", "card_path_for", "load_model", "open_model", "save_model", "save_to"]


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def card_path_for(path: Path) -> Path:
    """``models/<id>.json`` -> ``models/<id>.card.md``."""
    return path.with_name(path.name.removesuffix(".json") + ".card.md")


def save_model(model: ScorecardModel, path: Path) -> Path:
    """Write the model as JSON at ``path`` and its card beside it; returns ``path``."""
    text = json.dumps(
        model.to_dict(), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    _write_atomic(path, text + "\n")
    _write_atomic(card_path_for(path), render_card(model))
    return path


def load_model(path: Path) -> ScorecardModel:
    """Read a model file, checking that its content still hashes to its id."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelNotFoundError(f"no model file {path}") from None
    except json.JSONDecodeError as exc:
        raise ScoringError(f"{path} is not a model file: {exc}") from None
    return ScorecardModel.from_dict(data)


class ModelRegistry:
    """Models in one folder, by id (or an unambiguous id prefix of at least 8 characters)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, model_id: str) -> Path:
        return self.root / f"{model_id}.json"

    def save(self, model: ScorecardModel) -> Path:
        """Store a model under its id; returns the JSON file's path."""
        return save_model(model, self.path_for(model.model_id))

    def ids(self) -> list[str]:
        """Ids of the stored models, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name.removesuffix(".json") for p in self.root.glob("*.json"))

    def resolve(self, ref: str) -> str:
        """The full id that ``ref`` (an id or a prefix) names."""
        if len(ref) < 8:
            raise ModelNotFoundError(f"model id {ref!r} is too short: give at least 8 characters")
        hits = [i for i in self.ids() if i.startswith(ref)]
        if not hits:
            raise ModelNotFoundError(f"no model {ref!r} in {self.root}")
        if len(hits) > 1:
            raise ModelNotFoundError(f"model id {ref!r} is ambiguous: {', '.join(hits)}")
        return hits[0]

    def load(self, ref: str) -> ScorecardModel:
        """Load a model by id or prefix; the loaded model's id must equal its file name."""
        model_id = self.resolve(ref)
        model = load_model(self.path_for(model_id))
        if model.model_id != model_id:
            raise ScoringError(f"{self.path_for(model_id)} holds model {model.model_id}")
        return model


def save_to(model: ScorecardModel, out: Path) -> Path:
    """Save to ``out``: a ``.json`` file path, or a registry folder (``<id>.json`` inside)."""
    if out.suffix.lower() == ".json":
        return save_model(model, out)
    return ModelRegistry(out).save(model)


def open_model(ref: str | Path, registry_root: Path) -> ScorecardModel:
    """A model named on a command line: a path to a ``.json`` file, else an id or id prefix."""
    path = Path(ref)
    if path.suffix.lower() == ".json" or path.is_file():
        return load_model(path)
    return ModelRegistry(registry_root).load(str(ref))
