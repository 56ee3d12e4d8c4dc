"""A run of the batch pipeline: its id (a hash of its inputs) and its manifest.

The run id is a pure function of what decides the outputs: the ledger
snapshot, the links' content, the suppressed items, the inquiries, the as-of
date, the jurisdiction profile, the model and the subject kind scored. The
same inputs are the same run, so a repeated run is recognised and stores
nothing new. The engine is not part of it: both engines must give equal outputs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.dataset as ds

__all__ = [
    "MANIFEST_NAME",
    "OUTPUTS",
    "RunManifest",
    "compute_run_id",
    "read_manifest",
    "read_output",
]

MANIFEST_NAME: Final = "manifest.json"
OUTPUTS: Final = (
    "links",
    "suppressed",
    "file_inquiries",
    "file_subjects",
    "file_accounts",
    "file_history",
    "file_public_records",
    "attributes",
    "scores",
    "score_reasons",
)
"""The Parquet outputs of a run folder, each ``<name>.parquet`` (a file on
DuckDB, a folder of part files on Spark; :func:`read_output` reads either)."""


def compute_run_id(
    *,
    snapshot_id: str,
    links_hash: str,
    suppressed_hash: str,
    inquiries_hash: str,
    as_of: date,
    jurisdiction: str,
    model_id: str | None,
    score_kind: str,
) -> str:
    """``run-`` + 32 hex digits of SHA-256 over the inputs, in a fixed order."""
    parts = [
        "xinyong.run/1",
        snapshot_id,
        links_hash,
        suppressed_hash,
        inquiries_hash,
        as_of.isoformat(),
        jurisdiction,
        model_id or "",
        score_kind,
    ]
    return "run-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RunManifest:
    """What a run read, what it wrote, and how long each step took."""

    run_id: str
    engine: str
    as_of: date
    snapshot_id: str
    jurisdiction: str
    model_id: str | None
    score_kind: str
    links_hash: str
    suppressed_hash: str
    inquiries_hash: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    run_dir: Path = Path()
    reused: bool = False
    """True when the run folder already existed: nothing was recomputed."""

    def path(self, name: str) -> Path:
        """The Parquet output ``name`` of this run."""
        if name not in OUTPUTS:
            raise ValueError(f"a run has no output {name!r}; outputs are {', '.join(OUTPUTS)}")
        return self.run_dir / f"{name}.parquet"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as written to ``manifest.json`` (without ``run_dir``, ``reused``)."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out.pop("run_dir")
        out.pop("reused")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], run_dir: Path, *, reused: bool) -> RunManifest:
        values = dict(data)
        values["as_of"] = date.fromisoformat(values["as_of"])
        return cls(**values, run_dir=run_dir, reused=reused)


def read_manifest(run_dir: Path, *, reused: bool = True) -> RunManifest:
    """The manifest of a finished run folder."""
    path = run_dir / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no finished run in {run_dir} (no {MANIFEST_NAME})")
    return RunManifest.from_dict(
        json.loads(path.read_text(encoding="utf-8")), run_dir, reused=reused
    )


def read_output(run_dir: Path, name: str) -> pa.Table:
    """One Parquet output of a run, a single file or a folder of part files."""
    if name not in OUTPUTS:
        raise ValueError(f"a run has no output {name!r}")
    path = run_dir / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"run {run_dir.name} has no output {name} at {path}")
    if path.is_dir():
        return ds.dataset(path, format="parquet").to_table()
    return ds.dataset([str(path)], format="parquet").to_table()
