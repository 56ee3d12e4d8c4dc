"""Resolution's files beside the data: trained models and comparison frames.

Layout under the workspace folder (``XINYONG_HOME/resolution`` by default)::

    .lock                       held for the whole of a run: one resolver at a time
    models/<model_id>.json      every trained Splink model, named by content hash
    frames/<run_id>.parquet     comparison-frame rows of the mentions a run added

Models are the record that explains a link (decisions name their model id),
so they are never rewritten or removed. Frames are a cache: each row is a
pure function of the mention's first ledger record, so a lost or outdated
frame (its ``features_version`` differs) is rebuilt from the ledger.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xinyong.ledger import Ledger
from xinyong.resolve.features import FRAME_SCHEMA, build_frame
from xinyong.resolve.mentions import read_batch_records
from xinyong.resolve.model import TrainedModel

__all__ = ["FEATURES_VERSION", "Workspace"]

#: Bump when ``features`` changes what a frame row holds; old frames are rebuilt.
FEATURES_VERSION: Final = "8"
_VERSION_KEY: Final = b"xinyong.features_version"


class Workspace:
    """The folder of one deployment's resolution models and frames."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def frames_dir(self) -> Path:
        return self.root / "frames"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace lock: two resolvers at once would link the same batch twice."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- models --------------------------------------------------------------

    def save_model(self, model: TrainedModel) -> Path:
        return model.save(self.models_dir)

    def model_path(self, model_id: str) -> Path:
        return self.models_dir / f"{model_id}.json"

    def load_model(self, model_id: str) -> TrainedModel:
        """The model a decision names; ``FileNotFoundError`` if its JSON is gone."""
        return TrainedModel.load(self.model_path(model_id))

    # -- frames --------------------------------------------------------------

    def write_frame(self, name: str, frame: pa.Table) -> Path | None:
        """Store frame rows as ``frames/<name>.parquet`` (atomically); nothing if empty."""
        if frame.num_rows == 0:
            return None
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        path = self.frames_dir / f"{name}.parquet"
        tmp = path.with_suffix(".tmp")
        table = frame.cast(FRAME_SCHEMA).replace_schema_metadata(
            {_VERSION_KEY: FEATURES_VERSION.encode()}
        )
        pq.write_table(table, tmp)
        tmp.replace(path)
        return path

    def read_frames(self) -> pa.Table:
        """Every current-version frame row; outdated files are skipped (and rebuilt)."""
        parts = []
        for path in sorted(self.frames_dir.glob("*.parquet")):
            meta = pq.read_schema(path).metadata or {}
            if meta.get(_VERSION_KEY) != FEATURES_VERSION.encode():
                continue
            parts.append(pq.read_table(path).cast(FRAME_SCHEMA))
        if not parts:
            return FRAME_SCHEMA.empty_table()
        return pa.concat_tables(parts)

    def frames_for(self, ledger: Ledger, keys: Collection[str], name: str) -> pa.Table:
        """Frame rows of the mentions ``keys``: cached, or rebuilt from their first records.

        A rebuilt part is cached as ``frames/<name>.parquet`` for next time.
        """
        wanted = pa.array(sorted(keys), pa.string())
        cached = self.read_frames()
        cached = cached.filter(pc.is_in(cached["unique_id"], value_set=wanted))
        missing = set(keys) - set(cached["unique_id"].to_pylist())
        if not missing:
            return cached
        batches = {key.split(".", 1)[0] for key in missing}
        records = read_batch_records(ledger, batches)
        records = records.filter(
            pc.is_in(records["record_key"], value_set=pa.array(sorted(missing), pa.string()))
        )
        rebuilt = build_frame(records["record_key"].to_pylist(), records.to_pylist())
        self.write_frame(name, rebuilt)
        return pa.concat_tables([cached, rebuilt])

    def replace_frames(self, name: str, frame: pa.Table) -> None:
        """Write one frame file holding ``frame`` and remove every other (a full rebuild)."""
        old = [p for p in self.frames_dir.glob("*.parquet") if p.stem != name]
        self.write_frame(name, frame)
        for path in old:
            path.unlink(missing_ok=True)
