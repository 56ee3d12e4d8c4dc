"""The batch pipeline, written once and run on any engine (:mod:`xinyong.engine`).

``run_pipeline(engine, ledger, links, as_of, profile, model, out_dir)`` builds
the credit files, the attributes and the scores of every subject and writes
them to a run folder; ``store_run_scores`` loads the scores into the serving
store; ``explain_score`` recomputes one stored score from the ledger.
"""

from __future__ import annotations

from xinyong.pipeline.explain import ScoreCheck, explain_score
from xinyong.pipeline.inputs import SUPPRESSED_SCHEMA, links_hash, register_file_inputs
from xinyong.pipeline.manifest import OUTPUTS, RunManifest, read_manifest, read_output
from xinyong.pipeline.run import PIPELINE_STEPS, run_pipeline
from xinyong.pipeline.store_scores import StoredScores, store_run_scores

__all__ = [
    "OUTPUTS",
    "PIPELINE_STEPS",
    "SUPPRESSED_SCHEMA",
    "RunManifest",
    "ScoreCheck",
    "StoredScores",
    "explain_score",
    "links_hash",
    "read_manifest",
    "read_output",
    "register_file_inputs",
    "run_pipeline",
    "store_run_scores",
]
