"""The scorecard as data: bins, points, coefficients, scaling, provenance.

Everything that decides a score is a plain value here, serialised to canonical
JSON and hashed: the model id *is* the SHA-256 of that content, so two models
with the same id score every input identically, and a stored model that was
edited no longer loads (:class:`ModelIntegrityError`). Metrics, creation time and
library versions are kept beside the content, outside the hash: they describe a
model without changing any score, and re-evaluating a model must not rename it.

Bin layout of a characteristic: the regular bins first (numerical: ``(-inf,
s0)``, ``[s0, s1)``, ..., ``[s_k-1, inf)``; categorical: one group of categories
each), then the *special* bin (special codes, e.g. 96/98 "refused to say"), then
the *missing* bin (no value, or a category never seen in training).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from xinyong.score.errors import ModelIntegrityError
from xinyong.score.metrics import Metrics
from xinyong.score.scaling import Scaling

__all__ = [
    "FORMAT",
    "Characteristic",
    "ScorecardModel",
    "TrainingInfo",
    "canonical_json",
]

FORMAT: Final = "xinyong.scorecard/1"

Kind = Literal["numerical", "categorical"]


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8, no NaN.

    Python's float ``repr`` round-trips exactly, so a float written here reads
    back to the same bits and the hash is stable across save and load.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One scorecard input with its bins, points and reason code.

    ``points``, ``woe``, ``count_good`` and ``count_bad`` have one entry per
    bin in the layout described in the module docstring. WoE is the *bad* log
    ratio ``ln(%bad / %good)``, so riskier bins have larger WoE, the fitted
    coefficient is positive, and riskier bins get fewer points.
    """

    name: str
    kind: Kind
    label: str
    reason_code: str
    reason_text: str
    inquiry: bool
    splits: tuple[float, ...]
    groups: tuple[tuple[str, ...], ...]
    special_codes: tuple[float, ...]
    points: tuple[float, ...]
    woe: tuple[float, ...]
    count_good: tuple[int, ...]
    count_bad: tuple[int, ...]
    coefficient: float
    iv: float

    def __post_init__(self) -> None:
        if self.kind not in ("numerical", "categorical"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind == "numerical":
            if self.groups:
                raise ValueError(f"{self.name}: a numerical characteristic has no groups")
            if any(not math.isfinite(s) for s in self.splits) or list(self.splits) != sorted(
                set(self.splits)
            ):
                raise ValueError(f"{self.name}: splits must be finite and strictly ascending")
        else:
            if self.splits or self.special_codes:
                raise ValueError(f"{self.name}: a categorical characteristic has no splits")
            seen = [c for g in self.groups for c in g]
            if len(seen) != len(set(seen)):
                raise ValueError(f"{self.name}: a category is in more than one bin")
        n = self.n_bins
        for attr in ("points", "woe", "count_good", "count_bad"):
            if len(getattr(self, attr)) != n:
                raise ValueError(f"{self.name}: {attr} needs {n} entries")
        if any(not math.isfinite(p) for p in (*self.points, *self.woe, self.coefficient)):
            raise ValueError(f"{self.name}: points, WoE and coefficient must be finite")

    @property
    def n_regular(self) -> int:
        """Bins for observed, non-special values."""
        return len(self.splits) + 1 if self.kind == "numerical" else len(self.groups)

    @property
    def special_bin(self) -> int:
        """Index of the special-codes bin."""
        return self.n_regular

    @property
    def missing_bin(self) -> int:
        """Index of the missing-value bin (also unseen categories)."""
        return self.n_regular + 1

    @property
    def n_bins(self) -> int:
        return self.n_regular + 2

    @property
    def best_points(self) -> float:
        """The most points a *value* of this characteristic earned anyone in training.

        This is the reference for reason codes. Only regular bins that someone fell
        in count. Empty bins carry neutral points and never define what a subject
        "could" have had. The special and missing bins are left out too: in GMSC,
        people with no dependants on record default least. Counting that bin would
        give a subject with 0 dependants the reason "number of dependants", which is
        not something that subject could act on. A subject in the special or missing
        bin loses ``best - points`` if that is positive, like anyone else.
        """
        observed = [
            p
            for p, g, b in zip(
                self.points[: self.n_regular],
                self.count_good[: self.n_regular],
                self.count_bad[: self.n_regular],
                strict=True,
            )
            if g + b
        ]
        return max(observed) if observed else max(self.points[: self.n_regular])

    def bin_labels(self) -> tuple[str, ...]:
        """Readable bin names, in bin order, for the scorecard table."""
        if self.kind == "numerical":
            edges = [-math.inf, *self.splits, math.inf]
            regular = [
                f"{'(' if i == 0 else '['}{_num(edges[i])}, {_num(edges[i + 1])})"
                for i in range(len(edges) - 1)
            ]
        else:
            regular = [", ".join(g) for g in self.groups]
        special = (
            "special: " + ", ".join(_num(c) for c in self.special_codes)
            if self.special_codes
            else "special"
        )
        return (*regular, special, "missing")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "reason_code": self.reason_code,
            "reason_text": self.reason_text,
            "inquiry": self.inquiry,
            "splits": list(_floats(self.splits)),
            "groups": [[str(c) for c in g] for g in self.groups],
            "special_codes": list(_floats(self.special_codes)),
            "points": list(_floats(self.points)),
            "woe": list(_floats(self.woe)),
            "count_good": list(_ints(self.count_good)),
            "count_bad": list(_ints(self.count_bad)),
            "coefficient": float(self.coefficient),
            "iv": float(self.iv),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Characteristic:
        """Inverse of :meth:`to_dict`."""
        kind = data["kind"]
        if kind not in ("numerical", "categorical"):
            raise ValueError(f"unknown kind {kind!r}")
        return cls(
            name=str(data["name"]),
            kind=kind,
            label=str(data["label"]),
            reason_code=str(data["reason_code"]),
            reason_text=str(data["reason_text"]),
            inquiry=bool(data["inquiry"]),
            splits=_floats(data["splits"]),
            groups=tuple(tuple(str(c) for c in g) for g in data["groups"]),
            special_codes=_floats(data["special_codes"]),
            points=_floats(data["points"]),
            woe=_floats(data["woe"]),
            count_good=_ints(data["count_good"]),
            count_bad=_ints(data["count_bad"]),
            coefficient=float(data["coefficient"]),
            iv=float(data["iv"]),
        )


def _num(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


@dataclass(frozen=True, slots=True)
class TrainingInfo:
    """Where a model came from: the data's fingerprint, split, settings and exclusions.

    ``data_sha256`` is the SHA-256 of the training file's bytes (or of the
    frame's canonical content when trained from memory). ``refused`` lists
    columns that were offered but may not be inputs, with the reason;
    ``dropped`` lists admissible columns the selection left out, with the reason.
    """

    data_sha256: str
    data_name: str
    target: str
    id_column: str | None
    n_rows: int
    n_train: int
    n_holdout: int
    bad_rate: float
    settings: dict[str, Any]
    refused: tuple[tuple[str, str], ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "data_sha256": self.data_sha256,
            "data_name": self.data_name,
            "target": self.target,
            "id_column": self.id_column,
            "n_rows": int(self.n_rows),
            "n_train": int(self.n_train),
            "n_holdout": int(self.n_holdout),
            "bad_rate": float(self.bad_rate),
            "settings": self.settings,
            "refused": [list(r) for r in self.refused],
            "dropped": [list(d) for d in self.dropped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(
            data_sha256=str(data["data_sha256"]),
            data_name=str(data["data_name"]),
            target=str(data["target"]),
            id_column=None if data["id_column"] is None else str(data["id_column"]),
            n_rows=int(data["n_rows"]),
            n_train=int(data["n_train"]),
            n_holdout=int(data["n_holdout"]),
            bad_rate=float(data["bad_rate"]),
            settings=dict(data["settings"]),
            refused=tuple((str(a), str(b)) for a, b in data["refused"]),
            dropped=tuple((str(a), str(b)) for a, b in data["dropped"]),
        )


@dataclass(frozen=True, slots=True)
class ScorecardModel:
    """A frozen scorecard: ``score = base_points + sum of the subject's bin points``.

    The points table defines the model; ``intercept`` and each characteristic's
    ``coefficient`` and ``woe`` are kept so the points can be audited back to
    the regression. ``definitions`` holds, per characteristic, how its input is
    computed (e.g. an attribute's name, source and SQL); it is hashed too, so a
    model trained on one definition of an input never serves on another. The
    probability of bad is the scaling's inverse applied to the unclipped points
    total, so score, probability and reasons all come from
    the same table. ``metrics``, ``created_at`` and ``software`` sit outside the
    hashed content.
    """

    name: str
    characteristics: tuple[Characteristic, ...]
    intercept: float
    base_points: float
    scaling: Scaling
    points_decimals: int | None
    training: TrainingInfo
    reason_method: str = "max_points"
    max_reasons: int = 4
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: Metrics | None = None
    created_at: str = ""
    software: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [c.name for c in self.characteristics]
        if len(names) != len(set(names)):
            raise ValueError("characteristic names must be unique")
        codes = [c.reason_code for c in self.characteristics]
        if len(codes) != len(set(codes)):
            raise ValueError(f"reason codes must be unique, got {codes}")
        if self.reason_method != "max_points":
            raise ValueError(f"unknown reason method {self.reason_method!r}")
        if not math.isfinite(self.base_points) or not math.isfinite(self.intercept):
            raise ValueError("base points and intercept must be finite")
        unknown = set(self.definitions) - set(names)
        if unknown:
            raise ValueError(f"definitions for inputs the model does not read: {sorted(unknown)}")

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Input columns the model reads, in characteristic order."""
        return tuple(c.name for c in self.characteristics)

    def content(self) -> dict[str, Any]:
        """Everything that decides a score or says where the model came from; hashed.

        Numbers are normalised (points and edges as floats, counts as ints) so
        that ``30`` and ``30.0`` hash alike and a reloaded model keeps its id.
        """
        return {
            "format": FORMAT,
            "name": self.name,
            "characteristics": [c.to_dict() for c in self.characteristics],
            "intercept": float(self.intercept),
            "base_points": float(self.base_points),
            "scaling": self.scaling.to_dict(),
            "points_decimals": self.points_decimals,
            "reason_method": self.reason_method,
            "max_reasons": int(self.max_reasons),
            "definitions": {k: dict(v) for k, v in self.definitions.items()},
            "training": self.training.to_dict(),
        }

    @property
    def model_id(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`content`."""
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The stored form: id, hashed content, and the unhashed description beside it."""
        return {
            "id": self.model_id,
            "content": self.content(),
            "metrics": None if self.metrics is None else self.metrics.to_dict(),
            "created_at": self.created_at,
            "software": dict(self.software),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScorecardModel:
        """Rebuild a stored model, refusing one whose content does not hash to its id."""
        content = data["content"]
        if content.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model: format {content.get('format')!r}")
        decimals = content["points_decimals"]
        model = cls(
            name=str(content["name"]),
            characteristics=tuple(Characteristic.from_dict(c) for c in content["characteristics"]),
            intercept=float(content["intercept"]),
            base_points=float(content["base_points"]),
            scaling=Scaling.from_dict(content["scaling"]),
            points_decimals=None if decimals is None else int(decimals),
            training=TrainingInfo.from_dict(content["training"]),
            reason_method=str(content["reason_method"]),
            max_reasons=int(content["max_reasons"]),
            definitions={str(k): dict(v) for k, v in content.get("definitions", {}).items()},
            metrics=None if data.get("metrics") is None else Metrics.from_dict(data["metrics"]),
            created_at=str(data.get("created_at", "")),
            software={str(k): str(v) for k, v in dict(data.get("software", {})).items()},
        )
        stored = data.get("id")
        if stored != model.model_id:
            raise ModelIntegrityError(
                f"model content hashes to {model.model_id}, not to its stored id {stored}"
            )
        return model

    def with_metrics(self, metrics: Metrics | None) -> ScorecardModel:
        """The same model (same id) with other metrics beside it."""
        return replace(self, metrics=metrics)
