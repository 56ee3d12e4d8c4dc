"""``xinyong resolve``: link every ledger record not yet linked, and publish the subjects.

A run, in order:

1. take the workspace lock; make sure the store mirrors every ledger batch;
2. read the records of the batches no run has resolved yet, group them into
   mentions, and find the mentions that already exist (by ``group_hash``);
3. build the comparison frame of the new mentions (older ones are cached in
   the workspace, or rebuilt from the ledger if the cache is gone);
4. link (:mod:`~xinyong.resolve.core`): deterministic candidates, then Splink.
   *Incremental* (default): only pairs that touch a new mention, scored by
   the model trained before, so existing subjects are not recomputed.
   *Full* (``full=True``): every pair, model retrained; machine decisions the
   new run does not repeat are withdrawn (soft-deleted), human ones stay;
5. cluster the stored decisions plus the candidates, keep the candidates
   that change something (links that join subjects, links refused as
   conflicts, uncertain pairs across subjects) and store them as decision rows;
6. recompute the subjects from the stored rows alone and publish them;
   the run, its summary and its audit event commit in the same transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, func, insert, select, update

from xinyong.audit import chain
from xinyong.ingest.pipeline import sync_store
from xinyong.ledger import Ledger
from xinyong.resolve.clustering import Edge, cluster
from xinyong.resolve.core import (
    LinkConfig,
    ProgressFn,
    facts_from_frame,
    link_candidates,
)
from xinyong.resolve.decisions import (
    Decision,
    active_decisions,
    edges,
    effective,
    insert_decisions,
    withdraw,
)
from xinyong.resolve.deterministic import Candidate
from xinyong.resolve.features import build_frame
from xinyong.resolve.mentions import existing_mentions, read_batch_records, subject_id_for
from xinyong.resolve.model import DbApiFactory, TrainedModel
from xinyong.resolve.publish import mention_rows, publish
from xinyong.resolve.review import open_review_count
from xinyong.resolve.state import current_clustering
from xinyong.resolve.workspace import Workspace
from xinyong.store.engine import transaction
from xinyong.store.resolution_schema import (
    resolution_batches,
    resolution_mentions,
    resolution_runs,
)
from xinyong.store.schema import subjects
from xinyong.store.types import utc_now

__all__ = ["ResolveSummary", "resolve"]

_INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class ResolveSummary:
    """What one run did; printed by ``xinyong resolve`` and stored with the run."""

    run_id: str
    mode: str
    batches: int = 0
    records: int = 0
    new_mentions: int = 0
    mentions: int = 0
    identifier_links: int = 0
    rule_links: int = 0
    probabilistic_links: int = 0
    conflicts: int = 0
    review_added: int = 0
    review_open: int = 0
    withdrawn: int = 0
    subjects_created: int = 0
    subjects_merged: int = 0
    subjects: int = 0
    person_model_id: str | None = None
    enterprise_model_id: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _emit(progress: ProgressFn | None, stage: str, done: int = 0, total: int = 1) -> None:
    if progress is not None:
        progress(stage, done, total)


def _previous_models(conn: Connection, workspace: Workspace) -> dict[str, TrainedModel]:
    row = conn.execute(
        select(resolution_runs.c.person_model_id, resolution_runs.c.enterprise_model_id)
        .where(resolution_runs.c.finished_at.is_not(None))
        .order_by(resolution_runs.c.started_at.desc())
        .limit(1)
    ).first()
    models: dict[str, TrainedModel] = {}
    if row is None:
        return models
    for kind, model_id in (("person", row[0]), ("enterprise", row[1])):
        if model_id and workspace.model_path(model_id).exists():
            models[kind] = workspace.load_model(model_id)
    return models


def _group(records: pa.Table) -> pa.Table:
    """One row per group hash: its first record (smallest record key) and that record's identity."""
    if records.num_rows == 0:
        return records
    first = records.group_by("group_hash").aggregate([("record_key", "min")])
    keys = first["record_key_min"]
    return records.filter(pc.is_in(records["record_key"], value_set=keys))


def _to_store(
    candidates: Sequence[Candidate],
    roles: Mapping[int, str],
    cluster_of: Mapping[str, str],
    decided: Mapping[tuple[str, str], Decision],
) -> list[Candidate]:
    """The candidates worth a decision row (see the module docstring, step 5)."""
    out = []
    for i, c in enumerate(candidates):
        current = decided.get((c.left, c.right))
        if current is not None and current.human:
            continue  # a human already judged this pair
        if c.judgement == "positive":
            if roles.get(i) in ("accepted", "refused"):
                out.append(c)
        elif c.method != "splink" or cluster_of.get(c.left) != cluster_of.get(c.right):
            out.append(c)
    return out


def _decision_row(
    c: Candidate, *, run_id: str, actor: str, at: datetime, model_id: str | None
) -> dict[str, Any]:
    return {
        "left_key": c.left,
        "right_key": c.right,
        "judgement": c.judgement,
        "method": c.method,
        "match_probability": c.match_probability,
        "match_weight": c.match_weight,
        "model_id": model_id if c.method == "splink" else None,
        "reason": c.reason,
        "actor": actor,
        "created_at": at,
        "run_id": run_id,
    }


def resolve(
    ledger: Ledger,
    engine: Engine,
    workspace: Workspace | Path | str,
    *,
    full: bool = False,
    retrain: bool | None = None,
    actor: str = "resolver",
    config: LinkConfig | None = None,
    models: Mapping[str, TrainedModel] | None = None,
    progress: ProgressFn | None = None,
    db_api: DbApiFactory | None = None,
) -> ResolveSummary:
    """Resolve every ledger record not yet linked; see the module docstring.

    ``retrain`` defaults to ``full``. ``models`` (kind -> trained model)
    replaces the models of the previous run, e.g. a model an operator
    reviewed, or one trained on a larger population for a small deployment.
    ``progress(stage, done, total)`` is called as the run moves on, for a
    progress bar. ``db_api`` makes the Splink backend that trains and scores
    (default: in-memory DuckDB; ``SparkEngine.splink_db_api`` for Spark); a
    model trained on one backend scores the same on the other.
    """
    config = config or LinkConfig()
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    started, t0 = utc_now(), time.perf_counter()
    run_id = f"r{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    mode = "full" if full else "incremental"
    timings: dict[str, float] = {}
    with ws.locked():
        _emit(progress, "syncing the store with the ledger")
        sync_store(ledger, engine, actor)
        with engine.connect() as conn:
            done = set(conn.execute(select(resolution_batches.c.batch_id)).scalars())
            known = set(conn.execute(select(resolution_mentions.c.mention_key)).scalars())
            previous = _previous_models(conn, ws)
        models = {**previous, **(models or {})}
        pending = [m.batch_id for m in ledger.stored() if m.batch_id not in done]

        t = time.perf_counter()
        _emit(progress, "reading the ledger", 0, 1)
        records = read_batch_records(ledger, pending)
        firsts = _group(records)
        hashes = firsts["group_hash"].to_pylist() if firsts.num_rows else []
        with engine.connect() as conn:
            found = existing_mentions(conn, hashes)
        new_rows = [r for r in firsts.to_pylist() if r["group_hash"] not in found]
        new_keys = [r["record_key"] for r in new_rows]
        key_of_group = dict(found)
        key_of_group.update({r["group_hash"]: r["record_key"] for r in new_rows})
        timings["read"] = time.perf_counter() - t

        t = time.perf_counter()
        _emit(progress, "building comparison keys", 0, 1)
        new_frame = build_frame(new_keys, new_rows)
        ws.write_frame(run_id, new_frame)
        old_frame = ws.frames_for(ledger, known, f"rebuilt-{run_id}")
        frame = pa.concat_tables([old_frame, new_frame])
        timings["features"] = time.perf_counter() - t

        if full or new_keys:
            outcome = link_candidates(
                frame,
                config=config,
                models=models,
                # Everything is new on a first run: score it as a full run.
                new=None if full or not known else set(new_keys),
                retrain=full if retrain is None else retrain,
                progress=progress,
                db_api=db_api,
            )
        else:
            outcome = link_candidates(frame.slice(0, 0), config=config, models=models)
        timings.update(outcome.timings)
        for model in outcome.models.values():
            ws.save_model(model)
        used = {**models, **outcome.models}
        model_ids = {kind: m.model_id for kind, m in used.items()}

        t = time.perf_counter()
        _emit(progress, "clustering", 0, 1)
        with engine.connect() as conn:
            active = active_decisions(conn)
        decided = effective(active)
        base = {p: d for p, d in decided.items() if d.human} if full else decided
        positives, negatives = edges(base)
        candidates = outcome.candidates
        cand_edges = [
            Edge(c.left, c.right, c.method, c.match_weight, -(i + 1))
            for i, c in enumerate(candidates)
            if c.judgement == "positive"
        ]
        result = cluster(facts_from_frame(frame), [*positives, *cand_edges], negatives)
        roles: dict[int, str] = {}
        for e in result.accepted:
            if e.ref is not None and e.ref < 0:
                roles[-e.ref - 1] = "accepted"
        for e, _reason in result.refused:
            if e.ref is not None and e.ref < 0:
                roles[-e.ref - 1] = "refused"
        kind_of = dict(zip(frame["unique_id"].to_pylist(), frame["kind"].to_pylist(), strict=True))
        keep = _to_store(candidates, roles, result.cluster_of, decided)

        machine = {(d.pair, d.judgement, d.method, d.model_id): d for d in active if not d.human}
        rows, reproduced = [], set()
        at = utc_now()
        for c in keep:
            model_id = model_ids.get(kind_of[c.left]) if c.method == "splink" else None
            same = machine.get(((c.left, c.right), c.judgement, c.method, model_id))
            if same is not None:
                reproduced.add(same.decision_id)
                continue
            rows.append(_decision_row(c, run_id=run_id, actor=actor, at=at, model_id=model_id))
        superseded = (
            [d for d in machine.values() if d.decision_id not in reproduced] if full else []
        )
        timings["cluster"] = time.perf_counter() - t

        t = time.perf_counter()
        _emit(progress, "writing subjects", 0, 1)
        counts = {
            "identifier": sum(
                r["method"] == "identifier" and r["judgement"] == "positive" for r in rows
            ),
            "rule": sum(r["method"] == "rule" and r["judgement"] == "positive" for r in rows),
            "splink": sum(r["method"] == "splink" and r["judgement"] == "positive" for r in rows),
            "unsure": sum(r["judgement"] == "unsure" for r in rows),
        }
        refused_stored = sum(1 for i, role in roles.items() if role == "refused")
        with transaction(engine) as conn:
            conn.execute(
                insert(resolution_runs).values(
                    run_id=run_id, mode=mode, actor=actor, started_at=started
                )
            )
            _insert_mentions(conn, new_rows, run_id)
            _insert_records(conn, records, key_of_group, pending, run_id)
            for d in superseded:
                withdraw(
                    conn,
                    d.decision_id,
                    actor=actor,
                    reason=f"superseded by full run {run_id}",
                    at=at,
                )
            insert_decisions(conn, rows)
            state = current_clustering(conn)
            report = publish(conn, state[0].cluster_of, actor=actor, at=at, run_id=run_id)
            review_open = open_review_count(conn, state)
            total_mentions = conn.execute(
                select(func.count()).select_from(resolution_mentions)
            ).scalar_one()
            active_subjects = conn.execute(
                select(func.count())
                .select_from(subjects)
                .where(
                    subjects.c.status == "active",
                    subjects.c.subject_id.in_(select(resolution_mentions.c.subject_id).distinct()),
                )
            ).scalar_one()
            timings["store"] = time.perf_counter() - t
            summary = ResolveSummary(
                run_id=run_id,
                mode=mode,
                batches=len(pending),
                records=records.num_rows,
                new_mentions=len(new_keys),
                mentions=int(total_mentions),
                identifier_links=counts["identifier"],
                rule_links=counts["rule"],
                probabilistic_links=counts["splink"],
                conflicts=refused_stored
                + sum(r["method"] == "identifier" and r["judgement"] == "unsure" for r in rows),
                review_added=counts["unsure"],
                review_open=review_open,
                withdrawn=len(superseded),
                subjects_created=report.subjects_created,
                subjects_merged=report.subjects_merged,
                subjects=int(active_subjects),
                person_model_id=model_ids.get("person"),
                enterprise_model_id=model_ids.get("enterprise"),
                seconds=round(time.perf_counter() - t0, 3),
                timings={k: round(v, 3) for k, v in timings.items()},
            )
            conn.execute(
                update(resolution_runs)
                .where(resolution_runs.c.run_id == run_id)
                .values(
                    finished_at=utc_now(),
                    person_model_id=summary.person_model_id,
                    enterprise_model_id=summary.enterprise_model_id,
                    summary=summary.to_dict(),
                )
            )
            chain.append(
                conn,
                actor=actor,
                action="resolution.run",
                subject_id=None,
                reason=f"{mode} resolution of {len(pending)} batch(es)",
                payload=summary.to_dict(),
            )
        _emit(progress, "done", 1, 1)
        return summary


def _insert_mentions(conn: Connection, rows: Sequence[Mapping[str, Any]], run_id: str) -> None:
    if not rows:
        return
    identity = mention_rows(rows)
    values = [
        {
            "mention_key": r["record_key"],
            "group_hash": r["group_hash"],
            "kind": r["subject_kind"]
            if r["subject_kind"] in ("person", "enterprise")
            else "person",
            "furnisher_id": r["furnisher_id"],
            "first_batch_id": r["batch_id"],
            "subject_id": None,
            "own_subject_id": subject_id_for(r["record_key"]),
            "created_run_id": run_id,
            **ident,
        }
        for r, ident in zip(rows, identity, strict=True)
    ]
    for start in range(0, len(values), _INSERT_CHUNK):
        conn.execute(insert(resolution_mentions), values[start : start + _INSERT_CHUNK])


def _insert_records(
    conn: Connection,
    records: pa.Table,
    key_of_group: Mapping[str, str],
    batches: Sequence[str],
    run_id: str,
) -> None:
    per_batch: dict[str, int] = dict.fromkeys(batches, 0)
    if records.num_rows:
        names = ["table_name", "batch_id", "record_no", "consumer_no", "group_hash"]
        cols = records.select(names).to_pydict()
        values = []
        for table, batch, record_no, consumer_no, group in zip(
            *(cols[n] for n in names), strict=True
        ):
            per_batch[batch] += 1
            values.append((table, batch, record_no, consumer_no, key_of_group[group]))
        # One row per ledger record: the driver's executemany, without
        # SQLAlchemy's per-row parameter processing (plain text and integers).
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = (
            "INSERT INTO resolution_records "
            "(table_name, batch_id, record_no, consumer_no, mention_key) "
            f"VALUES ({', '.join([mark] * 5)})"
        )
        for start in range(0, len(values), _INSERT_CHUNK):
            conn.exec_driver_sql(sql, values[start : start + _INSERT_CHUNK])
    if per_batch:
        conn.execute(
            insert(resolution_batches),
            [{"batch_id": b, "run_id": run_id, "records": n} for b, n in per_batch.items()],
        )
