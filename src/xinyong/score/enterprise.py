"""Enterprise credit rating: grades A, B, M, C, D by a published 100-point deduction method.

Why a rating and not a scorecard: there are too few enterprises, and too few
enterprise defaults, to fit a stable statistical model per grade. China's tax
credit rating (纳税信用评价, SAT Announcement 2014 No. 40; the M level from SAT
Announcement 2018 No. 8) is the pattern enterprises and lenders already know.
Every enterprise starts from 100 points. Each indicator deducts points for
something its file shows, and a few conditions decide the grade directly:

* **A** 90 points or more, unless a condition bars A;
* **B** 70 to under 90;
* **M** no record to rate, or a credit history under 12 months with 70 points
  or more;
* **C** 40 to under 70;
* **D** under 40, or a direct-D condition (a serious violation listing, a
  dishonest judgment debtor listing).

The method is **data**: ``enterprise_method.json`` in this package lists every
indicator (attribute read, kind, deduction, cap, plain-language text, stable
reason code). Anyone can recompute a grade by hand from the published table.
The methodology's id is the SHA-256 of its canonical JSON, together with the
definitions of the attributes it reads, so changing a deduction, a threshold or
an attribute's SQL changes the id. A rating carries the same reason structure
as a score (:class:`xinyong.domain.scores.ScoreReason`). Ranking uses the same
function as scores (:func:`xinyong.score.reasons.rank_reasons`). The conditions
that decided the grade come first. The deductions follow, largest first, with
ties going to the indicator listed first.

No hidden hand: a methodology may only read attributes that pass
:func:`xinyong.score.protected.refused_columns` (no identifiers, no protected
attributes), and the rating reads only those columns. Two enterprises with the
same file get the same grade and reasons.

Where this deviates from the tax rating (see ``docs/scoring.md``):

* the indicators are credit-file facts, not tax-office records;
* a missing value deducts nothing, because absence of evidence is not a breach;
* the tax rating's M covers *every* newly established enterprise without a
  trust-breaking act. Here a new enterprise (credit history under 12 months)
  is M only at 70 points or more; below that its file already shows breaches,
  and it is graded by its points;
* "no record, no rating" (the 2025 measures' principle) gives M rather than no
  grade, so every enterprise in the file has a grade.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.domain.scores import ScoreReason
from xinyong.score.apply import numeric_values
from xinyong.score.errors import RefusedInputError, ScoringError
from xinyong.score.model import canonical_json
from xinyong.score.protected import refused_columns
from xinyong.score.reasons import rank_reasons

__all__ = [
    "FORMAT",
    "GRADES",
    "METHOD_FILE",
    "Indicator",
    "IndicatorResult",
    "Methodology",
    "RatedBatch",
    "Rating",
    "default_methodology",
    "grade_counts",
    "load_methodology",
    "rate_enterprises",
    "rate_one",
    "rating_fingerprint",
]

FORMAT: Final = "xinyong.enterprise-rating/1"
GRADES: Final = ("A", "B", "M", "C", "D")
"""Grades from best to worst, in the tax rating's order (M sits between B and C)."""
METHOD_FILE: Final = "enterprise_method.json"
"""The published methodology, shipped inside ``xinyong.score``."""

IndicatorKind = Literal["per_unit", "condition", "direct_d", "bars_a"]
Op = Literal[">=", ">", "<=", "<", "=="]
TableLike: TypeAlias = "pd.DataFrame | pa.Table | Mapping[str, Any]"
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_KINDS: Final = ("per_unit", "condition", "direct_d", "bars_a")
_OPS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
# Ranking keys: the conditions that decided the grade outrank every deduction
# (deductions are at most ``start_points``), in the order listed here.
_KEY_DIRECT_D: Final = 3e6
_KEY_M: Final = 2e6
_KEY_BARS_A: Final = 1e6
_KEY_NONE: Final = 1e-9


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One line of the methodology: what it reads, what it costs, and what it says.

    ``per_unit`` deducts ``points`` per unit of the attribute (a count), at most
    ``cap``. ``condition`` deducts ``points`` once when ``value <op> threshold``.
    ``direct_d`` makes the grade D when its condition holds, whatever the
    points. ``bars_a`` keeps an enterprise with 90+ points at B. A missing value
    meets a condition only when ``when_missing`` says so. For a per-unit
    indicator, a missing value is zero units.
    """

    code: str
    attribute: str
    dimension: str
    kind: IndicatorKind
    op: Op | None
    threshold: float | None
    points: float
    cap: float | None
    when_missing: bool
    text: str
    basis: str

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"{self.code}: unknown indicator kind {self.kind!r}")
        if not self.code.strip() or not self.text.strip() or not self.attribute.strip():
            raise ValueError(f"indicator {self.code!r} needs a code, an attribute and a text")
        if self.kind == "per_unit":
            if self.op is not None or self.threshold is not None:
                raise ValueError(f"{self.code}: a per-unit indicator has no condition")
            if self.cap is None or self.cap < self.points:
                raise ValueError(f"{self.code}: a per-unit indicator needs a cap >= its points")
        else:
            if self.op not in _OPS or self.threshold is None or not math.isfinite(self.threshold):
                raise ValueError(f"{self.code}: needs an operator in {list(_OPS)} and a threshold")
            if self.cap is not None:
                raise ValueError(f"{self.code}: only per-unit indicators have a cap")
        if self.kind in ("direct_d", "bars_a") and self.points != 0:
            raise ValueError(f"{self.code}: a {self.kind} indicator deducts no points")
        if self.kind in ("per_unit", "condition") and not self.points > 0:
            raise ValueError(f"{self.code}: a deduction must be positive")

    @property
    def max_deduction(self) -> float:
        """The most points this indicator can cost (the cap, or the one-off points)."""
        return float(self.cap) if self.cap is not None else float(self.points)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, numbers as floats so that ``3`` and ``3.0`` hash alike."""
        return {
            "code": self.code,
            "attribute": self.attribute,
            "dimension": self.dimension,
            "kind": self.kind,
            "op": self.op,
            "threshold": _num(self.threshold),
            "points": float(self.points),
            "cap": _num(self.cap),
            "when_missing": bool(self.when_missing),
            "text": self.text,
            "basis": self.basis,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        """Inverse of :meth:`to_dict`; the JSON file's entries read the same way."""
        return cls(
            code=str(data["code"]),
            attribute=str(data["attribute"]),
            dimension=str(data.get("dimension", "")),
            kind=data["kind"],
            op=data.get("op"),
            threshold=_num(data.get("threshold")),
            points=float(data.get("points", 0)),
            cap=_num(data.get("cap")),
            when_missing=bool(data.get("when_missing", False)),
            text=str(data["text"]),
            basis=str(data.get("basis", "")),
        )

    def deduction(self, value: Any) -> float:
        """Points this indicator costs for one value (0 for direct-D and bars-A)."""
        x = _scalar(value)
        if self.kind == "per_unit":
            units = 0.0 if math.isnan(x) else max(x, 0.0)
            return float(min(self.points * units, self.max_deduction))
        if self.kind == "condition":
            return float(self.points) if self.met(value) else 0.0
        return 0.0

    def met(self, value: Any) -> bool:
        """Whether the condition holds for one value (per-unit: any unit at all)."""
        x = _scalar(value)
        if self.kind == "per_unit":
            return not math.isnan(x) and x > 0
        if math.isnan(x):
            return self.when_missing
        assert self.op is not None and self.threshold is not None
        return bool(_OPS[self.op](x, self.threshold))


@dataclass(frozen=True, slots=True)
class Methodology:
    """The whole rating method as data; its id is the hash of its content.

    ``definitions`` holds ``Attribute.to_dict()`` of every attribute the method
    reads (attached by :func:`load_methodology`): a grade computed on one
    definition of an attribute is never reproduced on another.
    """

    name: str
    version: str
    description: str
    start_points: float
    floor_points: float
    grades: Mapping[str, float]
    grade_texts: Mapping[str, str]
    max_reasons: int
    no_record_attributes: tuple[str, ...]
    no_record_code: str
    no_record_text: str
    new_attribute: str
    new_below_months: float
    new_min_points: float
    new_code: str
    new_text: str
    no_adverse_code: str
    no_adverse_text: str
    indicators: tuple[Indicator, ...]
    definitions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.grades) != {"A", "B", "C"}:
            raise ValueError("grades must give the lowest points of A, B and C")
        a, b, c = (float(self.grades[g]) for g in ("A", "B", "C"))
        if not self.start_points >= a > b > c > self.floor_points - 1e-9:
            raise ValueError("need start >= A > B > C >= floor points")
        if not 1 <= self.max_reasons <= 5:
            raise ValueError("max_reasons must be 1..5 (FCRA 609(f): four, plus one)")
        codes = [i.code for i in self.indicators]
        codes += [self.no_record_code, self.new_code, self.no_adverse_code]
        if len(codes) != len(set(codes)):
            raise ValueError(f"reason codes must be unique: {codes}")
        refused = refused_columns(self.attributes)
        if refused:
            raise RefusedInputError(
                "a rating may not read these attributes: " + "; ".join(map(str, refused))
            )
        unknown = set(self.definitions) - set(self.attributes)
        if unknown:
            raise ValueError(f"definitions for attributes the method does not read: {unknown}")

    @property
    def attributes(self) -> tuple[str, ...]:
        """Every attribute the method reads, in first-use order: nothing else is looked at."""
        names = [i.attribute for i in self.indicators]
        names += [*self.no_record_attributes, self.new_attribute]
        return tuple(dict.fromkeys(names))

    def content(self) -> dict[str, Any]:
        """Everything that decides a grade or a reason; hashed into :attr:`model_id`."""
        return {
            "format": FORMAT,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "start_points": float(self.start_points),
            "floor_points": float(self.floor_points),
            "grades": {g: float(p) for g, p in self.grades.items()},
            "grade_texts": dict(self.grade_texts),
            "max_reasons": int(self.max_reasons),
            "no_record": {
                "attributes": list(self.no_record_attributes),
                "code": self.no_record_code,
                "text": self.no_record_text,
            },
            "new_entity": {
                "attribute": self.new_attribute,
                "below_months": float(self.new_below_months),
                "min_points": float(self.new_min_points),
                "code": self.new_code,
                "text": self.new_text,
            },
            "no_adverse": {"code": self.no_adverse_code, "text": self.no_adverse_text},
            "indicators": [i.to_dict() for i in self.indicators],
            "definitions": {k: dict(v) for k, v in sorted(self.definitions.items())},
        }

    @property
    def model_id(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`content`: the rating's model id."""
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The published form: the id beside the hashed content."""
        return {"id": self.model_id, "content": self.content()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Methodology:
        """Read the JSON file's form (or :meth:`content`); a stored ``id`` must match."""
        content = data.get("content", data)
        if content.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} methodology: format {content.get('format')!r}")
        no_record, new, none = content["no_record"], content["new_entity"], content["no_adverse"]
        method = cls(
            name=str(content["name"]),
            version=str(content["version"]),
            description=str(content.get("description", "")),
            start_points=float(content["start_points"]),
            floor_points=float(content.get("floor_points", 0)),
            grades={str(g): float(p) for g, p in content["grades"].items()},
            grade_texts={str(g): str(t) for g, t in content.get("grade_texts", {}).items()},
            max_reasons=int(content["max_reasons"]),
            no_record_attributes=tuple(str(a) for a in no_record["attributes"]),
            no_record_code=str(no_record["code"]),
            no_record_text=str(no_record["text"]),
            new_attribute=str(new["attribute"]),
            new_below_months=float(new["below_months"]),
            new_min_points=float(new["min_points"]),
            new_code=str(new["code"]),
            new_text=str(new["text"]),
            no_adverse_code=str(none["code"]),
            no_adverse_text=str(none["text"]),
            indicators=tuple(Indicator.from_dict(i) for i in content["indicators"]),
            definitions={
                str(k): json.loads(canonical_json(dict(v)))
                for k, v in content.get("definitions", {}).items()
            },
        )
        stored = data.get("id")
        if stored is not None and stored != method.model_id:
            raise ValueError(f"methodology hashes to {method.model_id}, not its stored id {stored}")
        return method

    def with_definitions(self, definitions: Mapping[str, Mapping[str, Any]]) -> Methodology:
        """The same method with the definitions of the attributes it reads attached."""
        missing = [a for a in self.attributes if a not in definitions]
        if missing:
            raise ValueError(f"the methodology reads unknown attributes: {missing}")
        kept = {a: json.loads(canonical_json(dict(definitions[a]))) for a in self.attributes}
        return replace(self, definitions=kept)

    def grade_points(self, grade: str) -> float:
        """The lowest points of grade A, B or C."""
        return float(self.grades[grade])

    def to_markdown(self) -> str:
        """The methodology as the tables published in ``docs/scoring.md``."""
        lines = [
            f"**{self.name}**, version {self.version}, id `{self.model_id[:16]}…`",
            "",
            "| grade | rule |",
            "| --- | --- |",
            *(f"| {g} | {self.grade_texts.get(g, '')} |" for g in GRADES),
            "",
            "| code | attribute | kind | deduction | cap | text |",
            "| --- | --- | --- | ---: | ---: | --- |",
        ]
        for i in self.indicators:
            if i.kind == "per_unit":
                rule, cap = f"{_fmt(i.points)} per unit", _fmt(i.max_deduction)
            elif i.kind == "condition":
                rule, cap = f"{_fmt(i.points)} if {i.op} {_fmt(i.threshold)}", ""
            else:
                action = "grade D" if i.kind == "direct_d" else "not A"
                rule, cap = f"{action} if {i.op} {_fmt(i.threshold)}", ""
            if i.when_missing and i.kind != "per_unit":
                rule += " or missing"
            lines.append(f"| `{i.code}` | `{i.attribute}` | {i.kind} | {rule} | {cap} | {i.text} |")
        lines += [
            f"| `{self.no_record_code}` | {', '.join(f'`{a}`' for a in self.no_record_attributes)}"
            f" | M | all 0 or missing | | {self.no_record_text} |",
            f"| `{self.new_code}` | `{self.new_attribute}` | M | < {_fmt(self.new_below_months)}"
            f" and {_fmt(self.new_min_points)}+ points | | {self.new_text} |",
            f"| `{self.no_adverse_code}` | | none | nothing deducted | | {self.no_adverse_text} |",
        ]
        return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _scalar(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def load_methodology(
    path: str | Path | None = None, *, attach_definitions: bool = True
) -> Methodology:
    """Read a methodology file (default: the one shipped in the package).

    With ``attach_definitions`` the definitions of the attributes it reads are
    taken from the attribute catalogue and hashed into the id, and an indicator
    naming an attribute the catalogue does not know is refused.
    """
    if path is None:
        text = resources.files("xinyong.score").joinpath(METHOD_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    method = Methodology.from_dict(json.loads(text))
    if attach_definitions and not method.definitions:
        from xinyong.attributes import BY_NAME

        method = method.with_definitions({n: a.to_dict() for n, a in BY_NAME.items()})
    return method


@cache
def default_methodology() -> Methodology:
    """The shipped methodology with the catalogue's definitions, read once per process."""
    return load_methodology()


# -- one enterprise: the working, in plain Python ---------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator for one enterprise: the value read, whether it was met, what it cost."""

    code: str
    attribute: str
    kind: IndicatorKind
    value: Any
    met: bool
    deduction: float


@dataclass(frozen=True, slots=True)
class Rating:
    """One enterprise's grade with the working: points, every indicator, and the reasons."""

    model_id: str
    grade: str
    points: float
    reasons: tuple[ScoreReason, ...]
    indicators: tuple[IndicatorResult, ...]
    input_fingerprint: str


def rating_fingerprint(method: Methodology, attributes: Mapping[str, Any]) -> str:
    """SHA-256 of the inputs the method reads for one enterprise, as it reads them.

    Stored with a rating so that a recomputation can prove it used the same
    inputs. Only the methodology's own attributes count, and every kind of
    missing value is ``null``.
    """
    snapshot: dict[str, float | None] = {}
    for name in method.attributes:
        x = _scalar(attributes.get(name))
        snapshot[name] = None if math.isnan(x) else x
    return hashlib.sha256(canonical_json([method.model_id, snapshot])).hexdigest()


def _grade_of(method: Methodology, points: float, barred_from_a: bool) -> str:
    if points >= method.grade_points("A"):
        return "B" if barred_from_a else "A"
    if points >= method.grade_points("B"):
        return "B"
    if points >= method.grade_points("C"):
        return "C"
    return "D"


def rate_one(attributes: Mapping[str, Any], method: Methodology | None = None) -> Rating:
    """Rate one enterprise and show the working; equals :func:`rate_enterprises` on that row.

    A separate scalar implementation on purpose: tests check that both agree
    exactly, so a slip in either is caught by the other.
    """
    method = method or default_methodology()
    missing = [a for a in method.attributes if a not in attributes]
    if missing:
        raise ScoringError(f"attributes lack {missing}, which the rating reads")
    results: list[IndicatorResult] = []
    for ind in method.indicators:
        value = attributes[ind.attribute]
        results.append(
            IndicatorResult(
                ind.code, ind.attribute, ind.kind, value, ind.met(value), ind.deduction(value)
            )
        )
    total = sum(r.deduction for r in results)
    points = max(method.start_points - total, method.floor_points)
    direct_d = [i for i, r in enumerate(results) if r.kind == "direct_d" and r.met]
    barred = [i for i, r in enumerate(results) if r.kind == "bars_a" and r.met]
    no_record = all(
        _scalar(attributes[a]) == 0 or math.isnan(_scalar(attributes[a]))
        for a in method.no_record_attributes
    )
    history = _scalar(attributes[method.new_attribute])
    new = (
        not math.isnan(history)
        and history < method.new_below_months
        and points >= method.new_min_points
    )
    by_points = _grade_of(method, points, bool(barred))
    if direct_d:
        grade = "D"
    elif no_record or new:
        grade = "M"
    else:
        grade = by_points
    barred_bit = grade == "B" and bool(barred) and points >= method.grade_points("A")

    # (key, position, code, text, points lost): positions follow the batch layout.
    n = len(method.indicators)
    entries: list[tuple[float, int, str, str, float | None]] = []
    for pos, (ind, r) in enumerate(zip(method.indicators, results, strict=True)):
        if ind.kind == "direct_d" and r.met:
            entries.append((_KEY_DIRECT_D, pos, ind.code, ind.text, None))
        elif ind.kind == "bars_a" and r.met and barred_bit:
            entries.append((_KEY_BARS_A, pos, ind.code, ind.text, None))
        elif r.deduction > 0:
            entries.append((r.deduction, pos, ind.code, ind.text, r.deduction))
    if grade == "M":
        if no_record:
            entries.append((_KEY_M, n, method.no_record_code, method.no_record_text, None))
        else:
            entries.append((_KEY_M, n + 1, method.new_code, method.new_text, None))
    if not entries:
        entries.append((_KEY_NONE, n + 2, method.no_adverse_code, method.no_adverse_text, 0.0))
    entries.sort(key=lambda e: (-e[0], e[1]))
    reasons = tuple(
        ScoreReason(rank=k + 1, code=code, text=text, points_lost=lost)
        for k, (_, _, code, text, lost) in enumerate(entries[: method.max_reasons])
    )
    return Rating(
        model_id=method.model_id,
        grade=grade,
        points=float(points),
        reasons=reasons,
        indicators=tuple(results),
        input_fingerprint=rating_fingerprint(method, attributes),
    )


# -- many enterprises at once: NumPy, one pass per indicator -----------------------------


@dataclass(frozen=True, slots=True)
class RatedBatch:
    """Grades, points and reasons of many enterprises, as arrays.

    ``reason_index`` holds positions into ``reason_codes_by_entry`` (the
    indicators in methodology order, then the no-record, new-entity and
    no-adverse entries), ``-1`` for none; ``reason_points_lost`` is NaN where a
    reason is a condition rather than a deduction.
    """

    model_id: str
    subject_id: npt.NDArray[np.object_] | None
    points: FloatArray
    grade: npt.NDArray[np.str_]
    deductions: FloatArray
    reason_codes_by_entry: tuple[str, ...]
    reason_texts_by_entry: tuple[str, ...]
    reason_index: npt.NDArray[np.int64]
    reason_points_lost: FloatArray

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def reason_codes(self) -> npt.NDArray[np.object_]:
        """Rows x ``max_reasons`` codes, ``""`` where a row has fewer reasons."""
        table = np.array([*self.reason_codes_by_entry, ""], dtype=object)
        return table[self.reason_index]  # index -1 picks ""

    def reasons(self, row: int) -> tuple[ScoreReason, ...]:
        """One enterprise's reasons as domain values, ranked 1..n."""
        out: list[ScoreReason] = []
        for idx, lost in zip(
            self.reason_index[row].tolist(), self.reason_points_lost[row].tolist(), strict=True
        ):
            if idx < 0:
                continue
            out.append(
                ScoreReason(
                    rank=len(out) + 1,
                    code=self.reason_codes_by_entry[idx],
                    text=self.reason_texts_by_entry[idx],
                    points_lost=None if math.isnan(lost) else float(lost),
                )
            )
        return tuple(out)

    def to_arrow(self) -> pa.Table:
        """``subject_id`` (when known), ``grade``, ``points``, ``reason_1`` .. ``reason_n``.

        The methodology id is in the schema metadata (``model_id``).
        """
        columns: dict[str, Any] = {}
        if self.subject_id is not None:
            columns["subject_id"] = pa.array(self.subject_id, pa.string())
        columns["grade"] = pa.array(self.grade.astype(object), pa.string())
        columns["points"] = pa.array(self.points, pa.float64())
        codes = self.reason_codes()
        for k in range(codes.shape[1]):
            columns[f"reason_{k + 1}"] = pa.array(codes[:, k], pa.string())
        return pa.table(columns).replace_schema_metadata({"model_id": self.model_id})


def _column(data: TableLike, name: str) -> FloatArray:
    if isinstance(data, pa.Table):
        if name not in data.column_names:
            raise ScoringError(f"input has no column {name!r}, which the rating reads")
        return numeric_values(pc.cast(data.column(name), pa.float64()).to_numpy())
    if isinstance(data, pd.DataFrame):
        if name not in data.columns:
            raise ScoringError(f"input has no column {name!r}, which the rating reads")
        return numeric_values(data[name].to_numpy())
    if name not in data:
        raise ScoringError(f"input has no column {name!r}, which the rating reads")
    return numeric_values(data[name])


def _enterprise_rows(data: TableLike) -> TableLike:
    """Only the enterprise rows of an attributes table (one with ``subject_kind``)."""
    if isinstance(data, pa.Table) and "subject_kind" in data.column_names:
        return data.filter(pc.equal(data["subject_kind"], "enterprise"))
    if isinstance(data, pd.DataFrame) and "subject_kind" in data.columns:
        return data[data["subject_kind"] == "enterprise"]
    return data


def _subject_ids(data: TableLike) -> npt.NDArray[np.object_] | None:
    if isinstance(data, pa.Table):
        if "subject_id" in data.column_names:
            return np.asarray(data.column("subject_id").to_pylist(), dtype=object)
        return None
    if isinstance(data, pd.DataFrame):
        if "subject_id" in data.columns:
            return data["subject_id"].to_numpy(dtype=object)
        return None
    if "subject_id" in data:
        return np.asarray(list(data["subject_id"]), dtype=object)
    return None


def _met(ind: Indicator, values: FloatArray) -> BoolArray:
    missing = np.isnan(values)
    if ind.kind == "per_unit":
        return ~missing & (values > 0)
    assert ind.op is not None and ind.threshold is not None
    with np.errstate(invalid="ignore"):
        hit = np.asarray(_OPS[ind.op](values, ind.threshold), dtype=bool) & ~missing
    return hit | missing if ind.when_missing else hit


def rate_enterprises(data: TableLike, method: Methodology | None = None) -> RatedBatch:
    """Grade every enterprise row of an attributes table, vectorised per indicator.

    Rows whose ``subject_kind`` is not ``enterprise`` are left out when the
    table has that column (a person is scored, not rated). The rating reads
    only :attr:`Methodology.attributes`; ``subject_id`` is carried through to
    the output and never read.
    """
    method = method or default_methodology()
    rows = _enterprise_rows(data)
    values = {name: _column(rows, name) for name in method.attributes}
    n = next(iter(values.values())).shape[0] if values else 0
    k = len(method.indicators)
    deductions = np.zeros((n, k), dtype=np.float64)
    met = np.zeros((n, k), dtype=bool)
    for j, ind in enumerate(method.indicators):
        v = values[ind.attribute]
        met[:, j] = _met(ind, v)
        if ind.kind == "per_unit":
            units = np.clip(np.nan_to_num(v, nan=0.0), 0.0, None)
            deductions[:, j] = np.minimum(ind.points * units, ind.max_deduction)
        elif ind.kind == "condition":
            deductions[:, j] = np.where(met[:, j], ind.points, 0.0)
    total = np.zeros(n, dtype=np.float64)
    for j in range(k):  # left to right, as rate_one adds them
        total = total + deductions[:, j]
    points = np.maximum(method.start_points - total, method.floor_points)

    kinds = np.array([i.kind for i in method.indicators], dtype=object)
    direct_d = (met & (kinds == "direct_d")).any(axis=1)
    barred = (met & (kinds == "bars_a")).any(axis=1)
    no_record = np.ones(n, dtype=bool)
    for name in method.no_record_attributes:
        v = values[name]
        no_record &= np.isnan(v) | (v == 0)
    history = values[method.new_attribute]
    with np.errstate(invalid="ignore"):
        new = (
            ~np.isnan(history)
            & (history < method.new_below_months)
            & (points >= method.new_min_points)
        )
    a, b, c = (method.grade_points(g) for g in ("A", "B", "C"))
    by_points = np.select(
        [points >= a, points >= b, points >= c], [np.where(barred, "B", "A"), "B", "C"], "D"
    )
    is_m = ~direct_d & (no_record | new)
    grade = np.where(direct_d, "D", np.where(is_m, "M", by_points)).astype("<U1")
    barred_bit = (grade == "B") & barred & (points >= a)

    # Ranking keys per entry: indicators, then no-record, new-entity, no-adverse.
    keys = np.zeros((n, k + 3), dtype=np.float64)
    for j, ind in enumerate(method.indicators):
        if ind.kind == "direct_d":
            keys[:, j] = np.where(met[:, j], _KEY_DIRECT_D, 0.0)
        elif ind.kind == "bars_a":
            keys[:, j] = np.where(met[:, j] & barred_bit, _KEY_BARS_A, 0.0)
        else:
            keys[:, j] = deductions[:, j]
    keys[:, k] = np.where(is_m & no_record, _KEY_M, 0.0)
    keys[:, k + 1] = np.where(is_m & ~no_record, _KEY_M, 0.0)
    keys[:, k + 2] = np.where(keys[:, : k + 2].max(axis=1, initial=0.0) > 0, 0.0, _KEY_NONE)
    index, _ = rank_reasons(
        -keys,
        np.zeros(k + 3, dtype=np.float64),
        np.zeros(k + 3, dtype=bool),
        max_reasons=method.max_reasons,
    )
    index = np.ascontiguousarray(index[:, : method.max_reasons])
    additive = np.concatenate(
        [deductions, np.full((n, 2), np.nan), np.zeros((n, 1))], axis=1
    )  # the points each entry cost: NaN for conditions that decide the grade
    additive[:, :k][:, (kinds == "direct_d") | (kinds == "bars_a")] = np.nan
    rows_idx = np.arange(n)[:, np.newaxis]
    lost = np.where(index >= 0, additive[rows_idx, np.maximum(index, 0)], np.nan)
    return RatedBatch(
        model_id=method.model_id,
        subject_id=_subject_ids(rows),
        points=points,
        grade=grade,
        deductions=deductions,
        reason_codes_by_entry=(
            *(i.code for i in method.indicators),
            method.no_record_code,
            method.new_code,
            method.no_adverse_code,
        ),
        reason_texts_by_entry=(
            *(i.text for i in method.indicators),
            method.no_record_text,
            method.new_text,
            method.no_adverse_text,
        ),
        reason_index=index,
        reason_points_lost=lost,
    )


def grade_counts(batch: RatedBatch) -> dict[str, int]:
    """How many enterprises got each grade, in grade order (for reports and docs)."""
    return {g: int((batch.grade == g).sum()) for g in GRADES}
