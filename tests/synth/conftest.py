"""One small synthetic run shared by the synth tests: two reporting months and
small chunks, so that monthly files and chunking are both exercised."""

from __future__ import annotations

import pytest
from synth_helpers import Run

from xinyong.synth import generate


@pytest.fixture(scope="session")
def synth_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("synth") / "out"
    summary = generate(1500, 200, seed=20260630, out=root, months=2, chunk_size=400)
    return Run(root, summary)
