"""Batch jobs of one deployment: run the pipeline, store scores, explain one, show attributes.

Shells (``xinyong run``, ``xinyong score``, ``xinyong score explain``,
``xinyong attributes``) parse, call one function here, and print. Each opens
the deployment (:func:`xinyong.system.open_system`), reads the resolution
links from the store, and runs :mod:`xinyong.pipeline` on an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, select, update

from xinyong import system
from xinyong.attributes import BY_NAME, compute_attributes
from xinyong.disputes import suppressed_items
from xinyong.engine import Engine, open_engine
from xinyong.engine.duckdb_engine import default_memory_limit
from xinyong.errors import UserError
from xinyong.files import INQUIRIES_SCHEMA, LINKS_SCHEMA, build_files
from xinyong.ledger.errors import LedgerError
from xinyong.pipeline import (
    RunManifest,
    ScoreCheck,
    StoredScores,
    explain_score,
    read_output,
    run_pipeline,
    store_run_scores,
)
from xinyong.policy import DisputeRule, get_profile
from xinyong.publish import PublishedRun, publish_run
from xinyong.resolve.state import record_links
from xinyong.score.errors import ModelNotFoundError
from xinyong.score.model import ScorecardModel
from xinyong.score.registry import ModelRegistry, load_model
from xinyong.settings import Settings
from xinyong.store.engine import transaction
from xinyong.store.schema import inquiries
from xinyong.store.service_schema import rescore_requests

__all__ = [
    "AttributeValue",
    "BatchRun",
    "attributes_of",
    "explain",
    "models_dir",
    "newest_model",
    "run_batch",
    "runs_dir",
    "score_deciles",
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class BatchRun:
    """A pipeline run and what it stored."""

    manifest: RunManifest
    model_id: str | None
    stored: StoredScores | None
    resolved: Any = None
    deciles: tuple[int, ...] = ()
    published: PublishedRun | None = None
    rescored: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for ``--json``."""
        return {
            **self.manifest.to_dict(),
            "run_dir": str(self.manifest.run_dir),
            "reused": self.manifest.reused,
            "stored_scores": self.stored.scores if self.stored else 0,
            "stored_reasons": self.stored.reasons if self.stored else 0,
            "already_stored": bool(self.stored and self.stored.already_stored),
            "score_deciles": list(self.deciles),
        }


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One attribute of one subject, with what it means."""

    name: str
    meaning: str
    unit: str
    value: Any


def models_dir(settings: Settings) -> Path:
    """The model registry folder of the deployment."""
    return settings.home / "models"


def runs_dir(settings: Settings) -> Path:
    """Where run folders go: ``$XINYONG_HOME/runs/<run_id>/``."""
    return settings.home / "runs"


def newest_model(registry: ModelRegistry) -> ScorecardModel | None:
    """The most recently created model of the registry (file time breaks ties)."""
    best: tuple[str, float, str] | None = None
    for model_id in registry.ids():
        path = registry.path_for(model_id)
        key = (load_model(path).created_at, path.stat().st_mtime, model_id)
        best = key if best is None or key > best else best
    return registry.load(best[2]) if best is not None else None


def _model(settings: Settings, ref: str | None, *, required: bool) -> ScorecardModel | None:
    registry = ModelRegistry(models_dir(settings))
    try:
        model = registry.load(ref) if ref else newest_model(registry)
    except ModelNotFoundError as exc:
        raise UserError(str(exc)) from exc
    if model is None and required:
        raise UserError(
            f"no model in {registry.root}: train one (`xinyong model train`, or `xinyong demo`)"
        )
    return model


_LINK_SLICE = 100_000


def _links(conn: Connection, subject_id: str | None = None) -> pa.Table:
    query = record_links()
    if subject_id is not None:
        query = query.where(query.selected_columns.subject_id == subject_id)
    # In slices: a national store has billions of links, and Python objects for all of
    # them at once would take ~10x the memory of the Arrow table they end up in.
    batches = [
        pa.record_batch([list(column) for column in zip(*rows, strict=True)], schema=LINKS_SCHEMA)
        for rows in conn.execute(query).partitions(_LINK_SLICE)
    ]
    return pa.Table.from_batches(batches, schema=LINKS_SCHEMA)


def _inquiries(conn: Connection, subject_id: str | None = None) -> pa.Table:
    q = inquiries
    query = select(q.c.inquiry_id, q.c.subject_id, q.c.inquirer_org_id, q.c.purpose, q.c.at)
    if subject_id is not None:
        query = query.where(q.c.subject_id == subject_id)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    schema = pa.schema([f for f in INQUIRIES_SCHEMA if f.name != "inquired_on"])
    return pa.Table.from_pylist(rows, schema=schema)


def _snapshot(sys_: system.System, at: datetime | None) -> str:
    try:
        return sys_.ledger.snapshot_id(at)
    except LedgerError as exc:
        raise UserError(f"cannot read the ledger as of {at or 'now'}: {exc}") from exc


def score_deciles(scores: pa.Table) -> tuple[int, ...]:
    """The 10th, 20th, ... 90th percentile scores (empty if nothing was scored)."""
    if scores.num_rows == 0:
        return ()
    values = np.asarray(scores["score"].to_numpy(zero_copy_only=False), dtype=np.float64)
    return tuple(round(float(v)) for v in np.percentile(values, range(10, 100, 10)))


def run_batch(
    settings: Settings,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    as_of: date | None = None,
    at: datetime | None = None,
    model: str | None = None,
    resolve: bool = False,
    require_model: bool = False,
    suppressed: pa.Table | None = None,
    files_from: RunManifest | None = None,
    publish: bool | None = None,
    memory: str | None = None,
    progress: Progress | None = None,
) -> BatchRun:
    """Resolve (optionally), build files, attributes and scores, and store the scores.

    ``as_of`` (default today, UTC) is the reporting date: account states
    reported after it do not count. The ledger is read as it stands now, or as
    it stood at ``at`` (e.g. :func:`~xinyong.files.as_of_instant` of the as-of
    date, for the file exactly as it was known then); the run records the
    snapshot id either way, so it can be replayed. ``model`` is an id or
    prefix, default the newest in the registry; without any model the run
    stops after the attributes (or fails with ``require_model``). The same
    inputs give the same run and store nothing new. ``files_from``: an earlier
    run over the same inputs whose files and attributes are reused.

    ``suppressed`` defaults to the items the dispute rules hide now (deleted,
    or unanswered past the deadline). ``publish`` (default: when ``as_of`` is
    today) loads the run's files into the serving store for the service, and a
    scored, published run marks the pending rescore requests (corrections,
    deletions) done: it has rescored those subjects from the corrected ledger
    and serves the new scores (a run for a past date does not).

    ``memory`` (e.g. ``"8GB"``) bounds the engine: DuckDB's memory limit (it
    spills to disk beyond it; default a quarter of RAM, between 1 and 4 GiB)
    or Spark's driver memory. With ``resolve`` on the Spark engine, identity
    resolution runs on Splink's Spark backend in the same session.
    """
    started = datetime.now(UTC)
    day = as_of or datetime.now(UTC).date()
    sys_ = system.open_system(settings)
    try:
        with closing(_open_runner(engine, master, memory)) as runner:
            # Resolution runs on the batch engine's Splink backend when that is
            # Spark (one session for both); on DuckDB it keeps its own in-memory one.
            db_api = runner.splink_db_api if runner.name == "spark" else None
            resolved = system.resolve(settings, db_api=db_api) if resolve else None
            scorecard = _model(settings, model, required=require_model)
            snapshot = _snapshot(sys_, at)
            with sys_.engine.connect() as conn:
                links = _links(conn)
                asked = _inquiries(conn)
                if suppressed is None:
                    rule = get_profile(settings.jurisdiction).dispute
                    suppressed = _suppressed(conn, started, rule)
            if links.num_rows == 0:
                raise UserError("no resolved records: run `xinyong resolve` first")
            manifest = run_pipeline(
                runner,
                sys_.ledger,
                links,
                day,
                get_profile(settings.jurisdiction),
                scorecard,
                runs_dir(settings),
                snapshot_id=snapshot,
                suppressed=suppressed,
                inquiries=asked,
                files_from=files_from,
                progress=progress,
            )
        stored = store_run_scores(sys_.engine, manifest, scorecard) if scorecard else None
        published = None
        if publish if publish is not None else as_of is None:
            published = publish_run(sys_.engine, manifest.run_dir)
        rescored = _rescore_done(sys_, started) if scorecard and published else 0
    finally:
        sys_.engine.dispose()
    deciles = score_deciles(read_output(manifest.run_dir, "scores")) if scorecard else ()
    return BatchRun(
        manifest=manifest,
        model_id=scorecard.model_id if scorecard else None,
        stored=stored,
        resolved=resolved,
        deciles=deciles,
        published=published,
        rescored=rescored,
    )


def _open_runner(engine: str, master: str | None, memory: str | None) -> Engine:
    """The batch engine by name, with the master URL (Spark) and memory bound
    (DuckDB's is always bounded: :func:`~xinyong.engine.duckdb_engine.default_memory_limit`)."""
    options: dict[str, Any] = {"master": master} if engine == "spark" and master else {}
    if engine == "duckdb" and not memory:
        memory = default_memory_limit()
    if memory:
        options["driver_memory" if engine == "spark" else "memory_limit"] = memory
    return open_engine(engine, **options)


def _suppressed(conn: Connection, now: datetime, rule: DisputeRule) -> pa.Table:
    items = sorted(suppressed_items(conn, now, rule))
    return pa.table({"item_id": pa.array(items, pa.string())})


def _rescore_done(sys_: system.System, started: datetime) -> int:
    """Mark the rescore requests made before this run began as done; how many."""
    with transaction(sys_.engine) as conn:
        result = conn.execute(
            update(rescore_requests)
            .where(rescore_requests.c.done_at.is_(None), rescore_requests.c.requested_at <= started)
            .values(done_at=datetime.now(UTC))
        )
    return int(result.rowcount or 0)


def explain(settings: Settings, score_id: str) -> ScoreCheck:
    """Recompute a stored score from the ledger and compare (``xinyong score explain``)."""
    sys_ = system.open_system(settings)
    try:
        return explain_score(
            sys_.engine, sys_.ledger, ModelRegistry(models_dir(settings)), score_id
        )
    finally:
        sys_.engine.dispose()


def attributes_of(
    settings: Settings, subject_id: str, as_of: date | None = None, at: datetime | None = None
) -> list[AttributeValue]:
    """Every attribute of one subject as of a date, with its meaning and unit
    (the ledger as it stands now, or at ``at``, as in :func:`run_batch`)."""
    day = as_of or datetime.now(UTC).date()
    sys_ = system.open_system(settings)
    try:
        snapshot = _snapshot(sys_, at)
        with sys_.engine.connect() as conn:
            links = _links(conn, subject_id)
            asked = _inquiries(conn, subject_id)
        if links.num_rows == 0:
            raise UserError(f"no records are linked to subject {subject_id!r}")
        files = build_files(
            sys_.ledger,
            links,
            day,
            get_profile(settings.jurisdiction),
            snapshot_id=snapshot,
            inquiries=asked,
        )
    finally:
        sys_.engine.dispose()
    table = compute_attributes(files)
    if table.num_rows == 0:
        raise UserError(f"subject {subject_id!r} has no file as of {day}")
    row = table.to_pylist()[0]
    return [
        AttributeValue(name, BY_NAME[name].meaning, BY_NAME[name].unit.value, value)
        for name, value in row.items()
        if name in BY_NAME
    ]
