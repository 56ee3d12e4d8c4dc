"""A worker's app (``app_from_env``, what uvicorn's factory builds) settles its heap.

Why it matters (``app.settle_heap``): unfrozen, the ~200,000 objects a worker
builds at start-up were walked by every full collection, 0.1 s of CPU with the
event loop stopped. Checked in a process of its own: freezing the test session's
heap would keep every earlier test's objects for the rest of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from api_testkit import HASH_KEY
from sqlalchemy import Engine

from xinyong.api.app import GC_GEN0_THRESHOLD

PROBE = """
import gc, json
from xinyong.api.app import app_from_env
before = gc.get_freeze_count()
app = app_from_env()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(),
                  "gen0": gc.get_threshold()[0]}))
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_worker_freezes_its_start_up_heap(engine: Engine, store_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XINYONG_DB_URL": store_url,
        "XINYONG_HOME": str(tmp_path / "home"),
        "XINYONG_HASH_KEY": HASH_KEY,
        "XINYONG_JURISDICTION": "US",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    assert seen["frozen"] > 50_000  # FastAPI, pydantic, SQLAlchemy: out of the collector's way
    assert seen["gen0"] == GC_GEN0_THRESHOLD
