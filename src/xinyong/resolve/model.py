"""The probabilistic model: Splink settings, training, prediction, explanation.

The model definitions live in :mod:`xinyong.resolve.comparisons` (one set of
settings for Splink's DuckDB and Spark backends). A trained model is
Splink's own JSON (``save_model_to_json``), stored under its content hash
beside the data, and every machine decision names the model that made it, so
that a link can be explained later with the exact parameters it was scored
with (:func:`explain`).

Training is unsupervised, as the issue asks: ``u`` by random sampling of
pairs, ``m`` by expectation maximisation over two blocking passes, the prior
from deterministic rules with an assumed recall. No labels are read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.database_api import DatabaseAPI
from splink.internals.splink_dataframe import SplinkDataFrame

from xinyong.resolve.comparisons import (
    BLOCK_KEYS,
    ModelSpec,
    enterprise_spec,
    person_spec,
    spec_for,
)
from xinyong.resolve.features import FRAME_SCHEMA

__all__ = [
    "MODEL_FORMAT",
    "Contribution",
    "DbApiFactory",
    "Explanation",
    "ModelSpec",
    "TrainedModel",
    "enterprise_spec",
    "explain",
    "person_spec",
    "predict",
    "render_for",
    "spec_for",
    "train",
    "train_and_predict",
]

MODEL_FORMAT: Final = "xinyong-splink-1"
PAIR_SCHEMA: Final = pa.schema(
    [
        ("left_key", pa.string()),
        ("right_key", pa.string()),
        ("match_weight", pa.float64()),
        ("match_probability", pa.float64()),
    ]
)

_LOG = logging.getLogger(__name__)

DbApiFactory = Callable[[], DatabaseAPI[Any]]
"""Makes a fresh Splink backend (``DuckDBAPI``, ``SparkAPI``) for one linker.

A factory, not an instance: Splink refuses a second table registered under
the same name in one backend, and every linker registers ``mentions``.
``None`` wherever it is accepted means a new in-memory DuckDB.
"""


def _duckdb_api() -> DuckDBAPI:
    return DuckDBAPI(connection=duckdb.connect())


@dataclass(frozen=True)
class TrainedModel:
    """A trained Splink model: its JSON settings and the id (content hash) naming it."""

    kind: str
    settings: Mapping[str, Any]

    @property
    def model_id(self) -> str:
        """``<kind>-<16 hex>``: the SHA-256 of the canonical JSON, so equal models share an id."""
        digest = hashlib.sha256(_canonical(self.settings).encode("utf-8")).hexdigest()
        return f"{self.kind}-{digest[:16]}"

    def to_json(self) -> str:
        return json.dumps(
            {"format": MODEL_FORMAT, "kind": self.kind, "splink": self.settings},
            ensure_ascii=False,
            indent=2,
            sort_keys=True,
        )

    def save(self, folder: Path) -> Path:
        """Write ``<folder>/<model_id>.json`` (once: the name is the content)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.model_id}.json"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(self.to_json(), encoding="utf-8")
            tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> TrainedModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a {MODEL_FORMAT} model")
        return cls(kind=str(data["kind"]), settings=data["splink"])


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def _quiet() -> Iterator[None]:
    """Splink logs at INFO and warns about defaults; resolution reports its own progress."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


#: Splink's own floor for m and u (``M_U_CLAMP_MIN``): the smallest it can take a log of.
_M_U_FLOOR: Final = 1e-300


@contextmanager
def _em_floor() -> Iterator[None]:
    """Let EM drive an m or u towards zero without Splink 5.0 refusing the value.

    When a comparison level only ever holds non-matches (a phone one digit
    off, in data whose phones are never mistyped), EM shrinks its m
    geometrically until it underflows to 0.0, and Splink 5.0's setter raises
    instead of clamping, which aborts the whole EM pass. Splink clamps to
    1e-300 everywhere else; this applies the same floor to EM's new values
    for the duration of one training, and restores Splink's function after.
    """
    import splink.internals.expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def clamped(fixed: Any, level: Any, name: str, lookup: dict[str, dict[int, Any]]) -> None:
        entry = lookup.get(name, {}).get(level.comparison_vector_value)
        if isinstance(entry, dict):
            for key in ("m_probability", "u_probability"):
                value = entry.get(key)
                if isinstance(value, float) and value < _M_U_FLOOR:
                    entry[key] = _M_U_FLOOR
        original(fixed, level, name, lookup)

    em.populate_m_u_from_lookup = clamped  # type: ignore[assignment]
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def with_block_keys(frame: pa.Table) -> pa.Table:
    """``frame`` with the frequency columns that blocking rules use (see ``BLOCK_KEYS``).

    Counted over the frame given, which for an incremental run is old and new
    mentions together, so that a name is "common" the same way on both sides.
    """
    if all(name in frame.column_names for name in BLOCK_KEYS):
        return frame
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        counts = ", ".join(
            f"CAST(count(*) OVER (PARTITION BY {over}) AS BIGINT) AS {name}"
            for name, over in BLOCK_KEYS.items()
        )
        return con.sql(f"SELECT *, {counts} FROM frame").to_arrow_table()
    finally:
        con.close()


@dataclass(frozen=True)
class ContentIds:
    """A frame whose ``unique_id`` is replaced by an id made from the mention's content.

    Splink picks the pairs behind its u estimates by hashing each row's
    ``unique_id`` with the seed. Mention keys name the ledger batch, whose id
    carries the time and a random token of its ingest, so the same furnisher
    files ingested twice trained slightly different models (u drifting in the
    third digit) and flipped a few links near the threshold. The content id
    depends only on what the mention says (and, for mentions saying exactly
    the same, on their order by key), so the same data trains the same model
    wherever and whenever it was ingested.
    """

    frame: pa.Table
    original: dict[str, str]  # content id -> the caller's unique_id

    def restore(self, pairs: pa.Table) -> pa.Table:
        """``pairs`` (``PAIR_SCHEMA``) with the caller's keys, the smaller key left."""
        ids = pa.array(list(self.original), pa.string())
        keys = pa.array(list(self.original.values()), pa.string())
        left = keys.take(pc.index_in(pairs["left_key"], value_set=ids))
        right = keys.take(pc.index_in(pairs["right_key"], value_set=ids))
        swap = pc.greater(left, right)
        return pa.table(
            {
                "left_key": pc.if_else(swap, right, left),
                "right_key": pc.if_else(swap, left, right),
                "match_weight": pairs["match_weight"],
                "match_probability": pairs["match_probability"],
            },
            schema=PAIR_SCHEMA,
        )


def content_ids(frame: pa.Table) -> ContentIds:
    """``frame`` sorted by content id, its ``unique_id`` replaced (see :class:`ContentIds`)."""
    others = ", ".join(f'"{n}"' for n in frame.column_names if n != "unique_id")
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        table = con.sql(
            f"SELECT unique_id AS caller_key, * REPLACE (md5(CAST(struct_pack({others}) AS "
            f"VARCHAR)) || '-' || CAST(row_number() OVER (PARTITION BY {others} ORDER BY "
            "unique_id) AS VARCHAR) AS unique_id) FROM frame"
        ).to_arrow_table()
    finally:
        con.close()
    original = dict(
        zip(table["unique_id"].to_pylist(), table["caller_key"].to_pylist(), strict=True)
    )
    return ContentIds(table.drop_columns(["caller_key"]).sort_by("unique_id"), original)


@contextmanager
def _linker(
    frame: pa.Table,
    settings: SettingsCreator | Mapping[str, Any],
    db_api_factory: DbApiFactory | None = None,
    kind: str | None = None,
) -> Iterator[tuple[Linker, DatabaseAPI[Any]]]:
    """A linker over ``frame`` on a fresh backend; its tables are dropped on exit.

    A saved model is rendered for the backend's dialect first (:func:`render_for`).
    Dropping matters on Spark: every backend of one session shares its temporary
    views, so a second linker could not register ``mentions`` again, and the
    tables Splink persisted would stay cached for the rest of the run.
    """
    db_api = (db_api_factory or _duckdb_api)()
    if isinstance(settings, Mapping):
        settings = render_for(settings, db_api.sql_dialect.sql_dialect_str, kind)
    try:
        sdf = db_api.register(with_block_keys(frame), dataset_display_name="mentions")
        yield (
            Linker(sdf, dict(settings) if isinstance(settings, Mapping) else settings, None),
            db_api,
        )
    finally:
        db_api.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
        for name in list(db_api._registered_table_names):
            db_api.delete_table_from_database(name)


_SQL_KEYS: Final = {"sql_condition", "blocking_rule", "sql_dialect"}
"""The members of saved settings that are SQL text in one dialect; the rest
(m and u per level, term-frequency weights, the prior, labels) is the model."""


def render_for(settings: Mapping[str, Any], dialect: str, kind: str | None) -> dict[str, Any]:
    """A saved model's settings with its SQL rendered for Splink's ``dialect``.

    A trained model is parameters (m and u per comparison level, the prior,
    term-frequency weights) over levels whose conditions Splink renders per
    backend: DuckDB's ``jaro_winkler_similarity`` is Spark's ``jaro_winkler``
    UDF, DuckDB quotes names with ``"`` and Spark with backticks. The SQL
    carries no trained value, so a model trained on one backend scores the same
    on another once its SQL is re-rendered: the model definition of ``kind``
    (:func:`spec_for`) is rendered in both dialects, every saved level and
    blocking rule must equal the definition's rendering in the saved dialect
    (else the model was trained on another definition and is refused, never
    guessed at), and is replaced by its rendering in ``dialect``.
    """
    saved = settings.get("sql_dialect")
    if saved is None or saved == dialect:
        return dict(settings)
    where = f"model trained on Splink's {saved} backend"
    if kind is None:
        raise ValueError(f"{where} cannot be rendered for {dialect} without its kind")
    spec = spec_for(kind).settings()
    source, target = spec.create_settings_dict(saved), spec.create_settings_dict(dialect)

    def same(path: str, got: Mapping[str, Any], want: Mapping[str, Any]) -> None:
        keys = ("sql_condition", "blocking_rule")
        if any(got.get(k) != want.get(k) for k in keys):
            raise ValueError(
                f"{where}: its {path} is not what the current {kind} model definition "
                f"renders, so it cannot be rendered for {dialect}: retrain on {dialect} "
                f"(a full run) or score on {saved}"
            )

    by_name = {c["output_column_name"]: i for i, c in enumerate(source["comparisons"])}
    comparisons = []
    for comparison in settings.get("comparisons", []):
        name = comparison.get("output_column_name")
        if name not in by_name:
            raise ValueError(f"{where}: comparison {name!r} is not in the {kind} definition")
        src = source["comparisons"][by_name[name]]["comparison_levels"]
        dst = target["comparisons"][by_name[name]]["comparison_levels"]
        levels = comparison.get("comparison_levels", [])
        if len(levels) != len(src):
            raise ValueError(
                f"{where}: comparison {name!r} has {len(levels)} levels, not {len(src)}"
            )
        rendered = []
        for i, level in enumerate(levels):
            same(f"comparison {name!r} level {i}", level, src[i])
            rendered.append({**level, "sql_condition": dst[i]["sql_condition"]})
        comparisons.append({**comparison, "comparison_levels": rendered})
    rules = list(settings.get("blocking_rules_to_generate_predictions", []))
    src_rules = source["blocking_rules_to_generate_predictions"]
    dst_rules = target["blocking_rules_to_generate_predictions"]
    if len(rules) != len(src_rules):
        raise ValueError(f"{where}: {len(rules)} blocking rules, not {len(src_rules)}")
    blocking = []
    for i, rule in enumerate(rules):
        got = rule if isinstance(rule, Mapping) else {"blocking_rule": rule}
        same(f"blocking rule {i}", got, src_rules[i])
        blocking.append({**got, **{k: v for k, v in dst_rules[i].items() if k in _SQL_KEYS}})
    return {
        **settings,
        "sql_dialect": dialect,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking,
    }


def _train_linker(linker: Linker, spec: ModelSpec, *, seed: int, max_pairs: float) -> TrainedModel:
    with _quiet(), _em_floor():
        linker.training.estimate_probability_two_random_records_match(
            list(spec.prior_rules), recall=spec.prior_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in spec.em_rules:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
            except Exception as exc:
                _LOG.warning("EM pass %s skipped: %s", rule, exc)
        settings = linker.misc.save_model_to_json()
    return TrainedModel(kind=spec.kind, settings=_stable(settings))


def train(
    frame: pa.Table,
    spec: ModelSpec,
    *,
    seed: int = 1,
    max_pairs: float = 5e5,
    db_api: DbApiFactory | None = None,
) -> TrainedModel:
    """Estimate the model on ``frame`` without labels; return it as Splink JSON.

    u by random sampling (``max_pairs`` pairs, seeded for reproducibility), the
    prior from ``spec.prior_rules``, m by EM over ``spec.em_rules``. A
    comparison EM could not reach keeps Splink's default m, and a warning is
    logged rather than the run failing: a small first batch must still resolve.
    ``db_api`` chooses Splink's backend (default: in-memory DuckDB).
    """
    sample_ids = content_ids(frame)
    with _quiet(), _linker(sample_ids.frame, spec.settings(), db_api) as (linker, _db):
        return _train_linker(linker, spec, seed=seed, max_pairs=max_pairs)


def train_and_predict(
    frame: pa.Table,
    spec: ModelSpec,
    *,
    seed: int = 1,
    max_pairs: float = 5e5,
    threshold_weight: float = 0.0,
    db_api: DbApiFactory | None = None,
) -> tuple[TrainedModel, pa.Table]:
    """:func:`train`, then every blocked pair of ``frame`` scored by the same linker.

    A full run's shortcut: the data is already in the training linker's
    database, so predicting there saves loading it again. (Scores differ from
    a reload of the saved JSON only in digits past the twelfth.)
    """
    sample_ids = content_ids(frame)
    with _quiet(), _linker(sample_ids.frame, spec.settings(), db_api) as (linker, _db):
        model = _train_linker(linker, spec, seed=seed, max_pairs=max_pairs)
        for column in _tf_columns(model):
            linker.table_management.compute_tf_table(column)
        result = linker.inference.predict(threshold_match_weight=threshold_weight)
        return model, sample_ids.restore(_pairs(result))


_PARAMETERS: Final = frozenset(
    {"m_probability", "u_probability", "probability_two_random_records_match"}
)


def _stable(value: Any, key: str = "") -> Any:
    """Settings without Splink's random ``linker_uid`` and with parameters to 12 digits.

    DuckDB sums in parallel, so two trainings on the same data differ in the
    last bits of a probability; rounding makes equal data give an equal model
    JSON, hence the same model id, and a full re-run does not churn decisions.
    """
    if isinstance(value, dict):
        return {k: _stable(v, k) for k, v in value.items() if k != "linker_uid"}
    if isinstance(value, list):
        return [_stable(v, key) for v in value]
    if isinstance(value, float) and key in _PARAMETERS:
        return float(f"{value:.12g}")
    return value


_PAIR_SELECT: Final = (
    "unique_id_l AS left_key, unique_id_r AS right_key, match_weight, match_probability"
)


def _pairs(result: SplinkDataFrame) -> pa.Table:
    """The scored pairs as Arrow, selected inside the backend that scored them
    (the prediction table also holds every comparison column)."""
    if result.db_api.sql_dialect.sql_dialect_str == "duckdb":
        table = result.as_duckdbpyrelation().select(_PAIR_SELECT).to_arrow_table()
    else:
        table = result.as_spark_dataframe().selectExpr(*_PAIR_SELECT.split(", ")).toArrow()
    return table.cast(PAIR_SCHEMA)


def predict(
    model: TrainedModel,
    frame: pa.Table,
    *,
    new: pa.Table | None = None,
    threshold_weight: float = 0.0,
    db_api: DbApiFactory | None = None,
) -> pa.Table:
    """Scored candidate pairs (``PAIR_SCHEMA``) at or above ``threshold_weight``.

    Without ``new``: every blocked pair within ``frame`` (a full run). With
    ``new``: pairs among ``new`` and between ``new`` and ``frame`` only, which
    is how a new batch links to existing subjects without re-scoring them
    (Splink's ``predict_within`` + ``predict_between``). Term frequencies are
    taken from ``frame`` plus ``new`` in both cases, so a name's weight does
    not depend on how the data arrived. ``db_api``: Splink's backend; a model
    trained on another backend is re-rendered for it (:func:`render_for`).
    """
    combined = with_block_keys(frame if new is None else pa.concat_tables([frame, new]))
    with _quiet(), _linker(combined, model.settings, db_api, model.kind) as (linker, backend):
        for column in _tf_columns(model):
            linker.table_management.compute_tf_table(column)
        if new is None:
            result = linker.inference.predict(threshold_match_weight=threshold_weight)
            return _pairs(result)
        is_new = pc.is_in(combined["unique_id"], value_set=new["unique_id"])
        frame, new = combined.filter(pc.invert(is_new)), combined.filter(is_new)
        new_sdf = backend.register(new, dataset_display_name="new_mentions")
        parts = [
            linker.inference.predict_within(
                new_sdf, threshold_match_weight=threshold_weight, warning_mode="never"
            )
        ]
        if frame.num_rows:
            old_sdf = backend.register(frame, dataset_display_name="old_mentions")
            parts.append(
                linker.inference.predict_between(
                    old_sdf, new_sdf, threshold_match_weight=threshold_weight, warning_mode="never"
                )
            )
        return pa.concat_tables([_pairs(p) for p in parts])


def _tf_columns(model: TrainedModel) -> list[str]:
    columns: set[str] = set()
    for comparison in model.settings.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column:
                columns.add(str(column))
    return sorted(columns)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One comparison's part in a pair's score: the level reached and its weight."""

    comparison: str
    level: str
    match_weight: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """A pair's score as a sum: the prior plus one weight per comparison."""

    prior_weight: float
    contributions: tuple[Contribution, ...]
    match_weight: float
    match_probability: float


def _level_labels(comparison: Mapping[str, Any]) -> dict[int, str]:
    """gamma value -> level label: the null level is -1, the rest count down to 0."""
    levels = comparison["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    labels = {-1: "missing on one side"}
    for gamma, level in zip(range(len(non_null) - 1, -1, -1), non_null, strict=True):
        labels[gamma] = str(level.get("label_for_charts") or level.get("sql_condition"))
    return labels


def explain(
    model: TrainedModel,
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    frame: pa.Table | None = None,
) -> Explanation:
    """Why the model scores two comparison-frame rows as it does, comparison by comparison.

    The weights (log2 Bayes factors) add up with the prior to the pair's match
    weight: the Fellegi-Sunter form an operator, or the subject, can read.
    ``frame`` (the mentions of that kind) supplies the term frequencies the
    run used; without it, name frequencies come from the two rows alone.
    """
    settings = dict(model.settings)
    settings["retain_intermediate_calculation_columns"] = True
    with _quiet():
        pair = pa.Table.from_pylist([dict(left), dict(right)], schema=FRAME_SCHEMA)
        data = with_block_keys(frame if frame is not None else pair)
        keyed = {r["unique_id"]: r for r in data.filter(
            pc.is_in(data["unique_id"], value_set=pair["unique_id"])
        ).to_pylist()}  # fmt: skip
        with _linker(data, settings, kind=model.kind) as (linker, _db):
            for column in _tf_columns(model):
                linker.table_management.compute_tf_table(column)
            left_row, right_row = keyed[left["unique_id"]], keyed[right["unique_id"]]
            row = linker.inference.score_pair(left_row, right_row).as_record_list()[0]
    contributions = []
    for comparison in model.settings.get("comparisons", []):
        name = str(comparison["output_column_name"])
        gamma = int(row[f"gamma_{name}"])
        weight = float(row.get(f"mw_{name}") or 0.0) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        contributions.append(Contribution(name, _level_labels(comparison)[gamma], weight))
    prior = float(model.settings["probability_two_random_records_match"])
    prior_weight = math.log2(prior / (1.0 - prior))
    return Explanation(
        prior_weight,
        tuple(contributions),
        float(row["match_weight"]),
        float(row["match_probability"]),
    )
