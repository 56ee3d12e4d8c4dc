"""The batch pipeline, written once: ledger snapshot -> files -> attributes -> scores.

:func:`run_pipeline` registers the inputs on an engine (DuckDB or Spark), runs
the file steps, the attribute steps and the scorecard, and writes every
output as Parquet into ``out_dir/<run_id>/`` with a ``manifest.json``. Each
output is written as soon as its step has run and later steps read it back
from the Parquet (the file tables feed the attributes): computed once, and
held on disk, compressed, rather than in the engine's memory. The folder is
written under a temporary name and renamed when complete, so a crash leaves
no half run; a folder that already exists for the same run id is the same
run and is returned as it is.

Row order is not part of a run's content: DuckDB writes each output in its
key order (one file), Spark sorts each part file by the same keys, with no
global sort.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Final

import pyarrow as pa

from xinyong.attributes.compute import attribute_steps
from xinyong.engine.base import Engine, Output, reason_slots
from xinyong.files.build import as_of_instant, normalise_inquiries
from xinyong.files.sql import FILE_TABLES, Step, file_steps
from xinyong.ledger import Ledger
from xinyong.pipeline.inputs import (
    links_hash,
    normalise_suppressed,
    register_file_inputs,
    table_hash,
)
from xinyong.pipeline.manifest import (
    MANIFEST_NAME,
    OUTPUTS,
    RunManifest,
    compute_run_id,
    read_manifest,
)
from xinyong.pipeline.sql import score_steps
from xinyong.policy.model import Profile
from xinyong.score.model import ScorecardModel

__all__ = ["PIPELINE_STEPS", "run_pipeline"]

PIPELINE_STEPS: Final = ("inputs", "files", "attributes", "score", "write")
"""The timed steps, in order (``RunManifest.seconds`` keys)."""

_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "links": ("table_name", "batch_id", "record_no", "consumer_no"),
    "suppressed": ("item_id",),
    "file_inquiries": ("subject_id", "at", "inquiry_id"),
    "file_subjects": ("subject_id",),
    "file_accounts": ("subject_id", "furnisher_id", "account_key", "consumer_no"),
    "file_history": ("subject_id", "furnisher_id", "account_key", "consumer_no", "month"),
    "file_public_records": ("subject_id", "furnisher_id", "record_ref"),
    "attributes": ("subject_id",),
    "scores": ("subject_id",),
    "score_reasons": ("score_id", "rank"),
}
"""The key order each output is written in (within each part file on Spark)."""

_SOURCE: Final = {"suppressed": "SELECT DISTINCT item_id FROM suppressed"}
"""What an output written at the end is read from, where not its own relation."""

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``, called as each step starts and at the end."""


_FILES_OUTPUTS: Final = ("links", "suppressed", "file_inquiries", *FILE_TABLES, "attributes")
"""What a run over the same inputs can take from an earlier one (``files_from``)."""


def _parquet_parts(path: Path) -> list[Path]:
    """The Parquet file, or the part files of a Parquet folder (Spark writes those)."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.parquet") if not p.name.startswith(("_", ".")))
    return [path]


def _check_same_files(
    base: RunManifest, snapshot_id: str, as_of: date, profile: Profile, hashes: dict[str, str]
) -> None:
    mine = {"snapshot_id": snapshot_id, "as_of": as_of, "jurisdiction": profile.jurisdiction.value}
    theirs = {
        "snapshot_id": base.snapshot_id,
        "as_of": base.as_of,
        "jurisdiction": base.jurisdiction,
    }
    mine.update(hashes)
    theirs.update(
        links_hash=base.links_hash,
        suppressed_hash=base.suppressed_hash,
        inquiries_hash=base.inquiries_hash,
    )
    differ = sorted(k for k in mine if mine[k] != theirs[k])
    if differ:
        raise ValueError(
            f"run {base.run_id} was built from other inputs ({', '.join(differ)}): "
            "its files cannot be reused"
        )


def _empty_scored(engine: Engine, outputs: dict[str, Output]) -> dict[str, int]:
    """``scores`` and ``score_reasons`` with no rows, for a run without a model."""
    return engine.run_steps(
        [
            Step(
                "scores",
                "SELECT CAST(NULL AS VARCHAR) AS score_id, subject_id, "
                "CAST(NULL AS VARCHAR) AS model_id FROM file_subjects WHERE 1 = 0",
            ),
            Step(
                "score_reasons",
                "SELECT CAST(NULL AS VARCHAR) AS score_id, CAST(NULL AS INT) AS rank "
                "FROM file_subjects WHERE 1 = 0",
            ),
        ],
        outputs,
    )


def run_pipeline(
    engine: Engine,
    ledger: Ledger,
    links: pa.Table,
    as_of: date,
    profile: Profile,
    model: ScorecardModel | None,
    out_dir: Path,
    *,
    snapshot_id: str | None = None,
    suppressed: pa.Table | None = None,
    inquiries: pa.Table | None = None,
    score_kind: str = "person",
    force: bool = False,
    files_from: RunManifest | None = None,
    progress: Progress | None = None,
) -> RunManifest:
    """Run the whole batch pipeline on ``engine``; returns the run's manifest.

    ``snapshot_id`` defaults to the ledger as it stood at the end of ``as_of``.
    ``model`` scores the subjects of kind ``score_kind`` (persons by default:
    enterprises are rated by :mod:`xinyong.score.enterprise`); without a model
    the run stops after the attributes. ``force`` recomputes a run whose folder
    exists (e.g. to time an engine); the outputs must come out the same.
    ``files_from`` is an earlier run over the same inputs (snapshot, links,
    suppressed items, inquiries, date, profile), e.g. one without a model:
    its files and attributes are read back instead of being rebuilt, so
    scoring with another model costs only the scoring.
    """
    if snapshot_id is None:
        snapshot_id = ledger.snapshot_id(as_of_instant(as_of))
    hidden = normalise_suppressed(suppressed)
    asked = normalise_inquiries(inquiries, as_of, as_of_instant(as_of))
    hashes = {
        "links_hash": links_hash(links),
        "suppressed_hash": table_hash(hidden),
        "inquiries_hash": table_hash(asked),
    }
    run_id = compute_run_id(
        snapshot_id=snapshot_id,
        **hashes,
        as_of=as_of,
        jurisdiction=profile.jurisdiction.value,
        model_id=model.model_id if model is not None else None,
        score_kind=score_kind,
    )
    final = out_dir / run_id
    if (final / MANIFEST_NAME).is_file() and not force:
        return read_manifest(final, reused=True)
    if files_from is not None:
        _check_same_files(files_from, snapshot_id, as_of, profile, hashes)

    seconds: dict[str, float] = {}
    total = len(PIPELINE_STEPS)

    def step(name: str) -> float:
        if progress is not None:
            progress(name, PIPELINE_STEPS.index(name), total)
        return time.perf_counter()

    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f".tmp-{run_id}-{uuid.uuid4().hex[:8]}"
    work.mkdir()

    def outputs(*names: str) -> dict[str, Output]:
        return {n: Output(work / f"{n}.parquet", _ORDER[n]) for n in names}

    try:
        counts: dict[str, int] = {}
        if files_from is None:
            t = step("inputs")
            register_file_inputs(engine, ledger, snapshot_id, links, hidden, asked)
            seconds["inputs"] = time.perf_counter() - t

            t = step("files")
            counts.update(engine.run_steps(file_steps(profile, as_of), outputs(*FILE_TABLES)))
            seconds["files"] = time.perf_counter() - t

            t = step("attributes")
            steps, final_sql = attribute_steps(as_of)
            attributes = [*steps, Step("attributes", final_sql)]
            counts.update(engine.run_steps(attributes, outputs("attributes")))
            seconds["attributes"] = time.perf_counter() - t
        else:
            t = step("inputs")
            for name in _FILES_OUTPUTS:
                engine.register_parquet(name, _parquet_parts(files_from.path(name)))
            seconds["inputs"] = time.perf_counter() - t
            seconds["files"] = seconds["attributes"] = 0.0

        t = step("score")
        scored = outputs("scores", "score_reasons")
        if model is not None:
            kind = score_kind.replace("'", "''")
            engine.run_steps(
                [
                    Step(
                        "score_input",
                        f"SELECT * FROM attributes WHERE subject_kind = '{kind}'",
                        view=True,
                    )
                ]
            )
            engine.score("score_input", model, "scored")
            steps = score_steps(run_id, as_of, snapshot_id, reason_slots(model))
            counts.update(engine.run_steps(steps, scored))
        else:
            counts.update(_empty_scored(engine, scored))
        seconds["score"] = time.perf_counter() - t

        t = step("write")
        for name in OUTPUTS:
            if name not in counts:  # the inputs, and what files_from supplied
                source = _SOURCE.get(name, name)
                counts[name] = engine.write_parquet(source, work / f"{name}.parquet", _ORDER[name])
        counts = {name: counts[name] for name in OUTPUTS}
        seconds["write"] = time.perf_counter() - t
        manifest = RunManifest(
            run_id=run_id,
            engine=engine.name,
            as_of=as_of,
            snapshot_id=snapshot_id,
            jurisdiction=profile.jurisdiction.value,
            model_id=model.model_id if model is not None else None,
            score_kind=score_kind,
            links_hash=hashes["links_hash"],
            suppressed_hash=hashes["suppressed_hash"],
            inquiries_hash=hashes["inquiries_hash"],
            counts=counts,
            seconds={k: round(v, 3) for k, v in seconds.items()},
            run_dir=final,
        )
        text = json.dumps(manifest.to_dict(), indent=2, sort_keys=True)
        (work / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")
        if final.exists():  # forced re-run, or another process finished first
            shutil.rmtree(final)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:
        progress("done", total, total)
    return manifest
